/**
 * The KubeApi over `@kubernetes/client-node`, and the only module that imports
 * it: the library brings the kubeconfig and in-cluster credential handling
 * (certificates, tokens, exec plugins, rotation) and the streaming watch.
 *
 * Lists and watches do not use client-node's informer: it keeps its own cache
 * and reconnect loop, stops on any error but 410 Gone and has been seen
 * restarting in storms (kubernetes-client/javascript #1933). Here the
 * WatchSupervisor owns the only loop and list-watch-session.ts runs one
 * session at a time (a paginated list when needed, then a watch from the
 * last resourceVersion); this module hands it client-node's Watch and the
 * requests.
 */
import { HttpMethod, KubeConfig, RequestContext, Watch } from '@kubernetes/client-node';
import { fetch, type Dispatcher } from 'undici';
import { MeridianError } from '../../errors';
import { DispatcherPool } from './dispatcher-pool';
import {
  describeError,
  KubeRequestError,
  type KubeApi,
  type KubeBodyType,
  type KubeReply,
} from './kube-api';
import { startListWatch } from './list-watch-session';

/** Every request but a watch gets an answer within this or fails. */
const REQUEST_TIMEOUT_MS = 30_000;

/** How long one dispatcher serves requests before a fresh one picks up rotated certificates. */
const DISPATCHER_MAX_AGE_MS = 5 * 60_000;

const CONTENT_TYPES: Record<KubeBodyType, string> = {
  json: 'application/json',
  'merge-patch': 'application/merge-patch+json',
};

/** Where the credentials come from. */
export interface KubeCredentials {
  /** A kubeconfig file; null means the in-cluster service account. */
  readonly kubeconfigPath: string | null;
}

/** Connects to the apiserver named by `credentials`; throws when they are unusable. */
export function createKubeApi(credentials: KubeCredentials): KubeApi {
  const config = loadConfig(credentials);
  const server = config.getCurrentCluster()!.server.replace(/\/+$/, '');
  const pool = new DispatcherPool<Dispatcher>(DISPATCHER_MAX_AGE_MS);
  const request = (
    method: string,
    path: string,
    body?: unknown,
    bodyType: KubeBodyType = 'json',
  ): Promise<KubeReply> => send(config, server, pool, { method, path, body, bodyType });
  return {
    request,
    watch: (resource, handlers) => {
      const watch = new Watch(config);
      return startListWatch({
        resource,
        request,
        handlers,
        watch: (path, query, onEvent, onDone) => watch.watch(path, query, onEvent, onDone),
      });
    },
    describe: () => `${server} as ${config.getCurrentUser()?.name ?? 'unknown user'}`,
  };
}

function loadConfig(credentials: KubeCredentials): KubeConfig {
  const config = new KubeConfig();
  const where =
    credentials.kubeconfigPath === null
      ? "the Pod's service account"
      : `kubeconfig ${credentials.kubeconfigPath}`;
  try {
    if (credentials.kubeconfigPath === null) config.loadFromCluster();
    else config.loadFromFile(credentials.kubeconfigPath);
  } catch (err) {
    throw new MeridianError('MERIDIAN_ERR_KUBE', `cannot load ${where}: ${describeError(err)}`, {
      cause: err,
    });
  }
  const server = config.getCurrentCluster()?.server ?? '';
  // Outside a Pod, client-node builds "https://undefined:undefined" from the
  // missing KUBERNETES_SERVICE_HOST/PORT instead of failing.
  if (!URL.canParse(server) || server.includes('undefined')) {
    throw new MeridianError(
      'MERIDIAN_ERR_KUBE',
      `no apiserver in ${where} (found ${JSON.stringify(server)}): outside a cluster set KUBECONFIG, or MERIDIAN_MANIFESTS_DIR for standalone mode`,
    );
  }
  return config;
}

interface Outgoing {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly bodyType: KubeBodyType;
}

async function send(
  config: KubeConfig,
  server: string,
  pool: DispatcherPool<Dispatcher>,
  out: Outgoing,
): Promise<KubeReply> {
  const url = `${server}${out.path}`;
  const context = new RequestContext(url, out.method.toUpperCase() as HttpMethod);
  let dispatcher: Dispatcher | undefined;
  try {
    await config.applySecurityAuthentication(context);
    const headers = context.getHeaders() as unknown as Record<string, string>;
    headers['accept'] = 'application/json';
    if (out.body !== undefined) headers['content-type'] = CONTENT_TYPES[out.bodyType];
    dispatcher = pool.pick(context.getDispatcher());
    const response = await fetch(url, {
      method: out.method,
      headers,
      ...(out.body === undefined ? {} : { body: JSON.stringify(out.body) }),
      ...(dispatcher === undefined ? {} : { dispatcher }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    return { status: response.status, body: parseJson(text) };
  } catch (err) {
    pool.discard(dispatcher);
    throw new KubeRequestError(`${out.method} ${out.path}: ${describeError(err)}`, undefined, {
      cause: err,
    });
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
