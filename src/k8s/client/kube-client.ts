/**
 * The KubeApi over `@kubernetes/client-node`, and the only module that imports
 * it: the library brings the kubeconfig and in-cluster credential handling
 * (certificates, tokens, exec plugins, rotation) and the streaming watch.
 *
 * Lists and watches do not use client-node's informer: it keeps its own cache
 * and reconnect loop, stops on any error but 410 Gone and has been seen
 * restarting in storms (kubernetes-client/javascript #1933). Here the
 * WatchSupervisor owns the only loop and this module runs one session at a
 * time: a paginated list when needed, then a watch from the last
 * resourceVersion.
 */
import { HttpMethod, KubeConfig, RequestContext, Watch } from '@kubernetes/client-node';
import { fetch, type Dispatcher } from 'undici';
import { MeridianError } from '../../errors';
import { DispatcherPool } from './dispatcher-pool';
import {
  collectionPath,
  KubeRequestError,
  type KubeApi,
  type KubeBodyType,
  type KubeObject,
  type KubeReply,
  type WatchEvent,
  type WatchHandlers,
  type WatchedResource,
  type Watcher,
} from './kube-api';
import {
  createWatchSupervisor,
  type WatchSessionHandle,
  type WatchSessionSink,
  type WatchSessionStart,
} from './watch-supervisor';

/** Page size of lists: bounds the memory of one reply at 10,000s of objects. */
const LIST_PAGE_SIZE = 500;
/** Every request but a watch gets an answer within this or fails. */
const REQUEST_TIMEOUT_MS = 30_000;
/**
 * Cap of the restart backoff. After an apiserver outage every watcher is
 * back within this (client-go's 30 s would leave answers stale for that
 * long); the jitter still spreads many replicas over the window.
 */
const MAX_BACKOFF_MS = 5_000;
/** Server-side end of a watch; the session then resumes from its resourceVersion. */
const WATCH_TIMEOUT_SECONDS = 290;

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
    watch: (resource, handlers) => watchResource(config, request, resource, handlers),
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

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

/** The message of a Status body, or the HTTP status. */
function statusMessage(reply: KubeReply): string {
  const message = (reply.body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : `HTTP ${reply.status}`;
}

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

interface ListPage {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
  readonly items?: readonly KubeObject[];
}

type Request = KubeApi['request'];

/**
 * A full list, page by page, each item handed to `onItem` as it arrives so
 * that only one page is held at a time; resolves with the list's
 * resourceVersion, for the watch that follows.
 */
async function listAll(
  request: Request,
  path: string,
  onItem: (item: KubeObject) => void,
): Promise<string> {
  let token = '';
  for (;;) {
    const query = `?limit=${LIST_PAGE_SIZE}${token === '' ? '' : `&continue=${encodeURIComponent(token)}`}`;
    const reply = await request('GET', `${path}${query}`);
    if (reply.status !== 200)
      throw new KubeRequestError(`list ${path}: ${statusMessage(reply)}`, reply.status);
    const page = reply.body as ListPage;
    const kind = page.kind?.replace(/List$/, '');
    // List items carry no apiVersion/kind; watch events do. Make them alike.
    for (const item of page.items ?? [])
      onItem({ apiVersion: page.apiVersion, kind, ...item } as KubeObject);
    token = page.metadata?.continue ?? '';
    if (token === '') return page.metadata?.resourceVersion ?? '';
  }
}

/** What the watcher remembers of an object: enough to dedupe and to report a deletion. */
function stub(object: KubeObject): KubeObject {
  const { name, namespace, resourceVersion } = object.metadata;
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: { name, namespace, resourceVersion },
  } as KubeObject;
}

function watchResource(
  config: KubeConfig,
  request: Request,
  resource: WatchedResource,
  handlers: WatchHandlers,
): Watcher {
  const path = collectionPath(resource);
  const watch = new Watch(config);
  // Stubs only (name, namespace, resourceVersion): the source keeps its own
  // small records, so full objects are never held twice.
  const cache = new Map<string, KubeObject>();
  // The last resourceVersion seen; '' when the next session must list.
  let resourceVersion = '';
  let reportedSynced = false;
  const synced = (): void => {
    if (reportedSynced) return;
    reportedSynced = true;
    handlers.onSynced();
  };

  /** Emits add or update, unless the cache already has this version. */
  const changed = (object: KubeObject, sink: WatchSessionSink<WatchEvent>): void => {
    const known = cache.get(keyOf(object));
    if (known === undefined) sink.event({ type: 'add', object });
    else if (known.metadata.resourceVersion !== object.metadata.resourceVersion)
      sink.event({ type: 'update', object });
  };

  /** Reports the deletions a complete list implies: what the cache has and the list had not. */
  const deleteUnseen = (seen: ReadonlySet<string>, sink: WatchSessionSink<WatchEvent>): void => {
    for (const [key, object] of [...cache]) {
      if (!seen.has(key)) sink.event({ type: 'delete', object });
    }
  };

  const startSession = (
    sink: WatchSessionSink<WatchEvent>,
    start: WatchSessionStart,
  ): WatchSessionHandle => {
    let controller: AbortController | undefined;
    let cancelled = false;
    // An ERROR event (a Status) comes before the server closes the stream.
    let statusError: KubeRequestError | undefined;
    const live = (): boolean => !cancelled && sink.current;

    const onWatchEvent = (phase: string, object: KubeObject): void => {
      if (!live()) return;
      if (phase === 'ERROR') {
        const status = object as unknown as { code?: number; message?: string };
        statusError = new KubeRequestError(
          `watch ${path}: ${status.message ?? 'error'}`,
          status.code,
        );
        // 410 Gone: the resourceVersion is compacted away; only a list helps.
        if (status.code === 410) resourceVersion = '';
        return;
      }
      if (phase === 'BOOKMARK') sink.bookmark();
      else if (phase === 'DELETED') {
        if (cache.has(keyOf(object))) sink.event({ type: 'delete', object });
        else sink.bookmark();
      } else changed(object, sink);
      const version = object.metadata.resourceVersion;
      if (version !== undefined && version !== '') resourceVersion = version;
    };

    const onDone = (thrown: unknown): void => {
      if (!live()) return;
      // client-node ends a watch that was silent for 30 s: a normal end.
      const quiet = thrown instanceof Error && thrown.name === 'TimeoutError';
      if (thrown === null || thrown === undefined || quiet) {
        sink.ended(statusError);
        return;
      }
      const statusCode = (thrown as { statusCode?: unknown }).statusCode;
      const error = new KubeRequestError(
        `watch ${path}: ${describeError(thrown)}`,
        typeof statusCode === 'number' ? statusCode : undefined,
        { cause: thrown },
      );
      if (error.statusCode === 410) resourceVersion = '';
      sink.ended(error);
    };

    const list = async (): Promise<boolean> => {
      const seen = new Set<string>();
      let listedVersion: string;
      try {
        listedVersion = await listAll(request, path, (item) => {
          if (!live()) return;
          seen.add(keyOf(item));
          changed(item, sink);
        });
      } catch (err) {
        const error =
          err instanceof KubeRequestError
            ? err
            : new KubeRequestError(`list ${path}: ${describeError(err)}`, undefined);
        if (!live()) return false;
        if (error.statusCode === 404 && !reportedSynced) {
          // Not served (CRD not installed): empty for now, looked for again
          // after a backoff. Only before the first list: a 404 later (an
          // apiserver still starting) must not drop what is known.
          synced();
        }
        sink.ended(error);
        return false;
      }
      if (!live()) return false;
      deleteUnseen(seen, sink);
      resourceVersion = listedVersion;
      sink.listed();
      return true;
    };

    const run = async (): Promise<void> => {
      if ((start.relist || resourceVersion === '') && !(await list())) return;
      const query = {
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: WATCH_TIMEOUT_SECONDS,
      };
      const started = await watch.watch(path, query, onWatchEvent, onDone);
      if (cancelled) started.abort();
      else controller = started;
      if (live()) sink.connected();
    };

    run().catch((err: unknown) => {
      if (live())
        sink.ended(new KubeRequestError(`watch ${path}: ${describeError(err)}`, undefined));
    });
    return {
      cancel: () => {
        cancelled = true;
        controller?.abort();
      },
    };
  };

  const supervisor = createWatchSupervisor<WatchEvent>({
    startSession,
    maxBackoffMs: MAX_BACKOFF_MS,
    onEvent: (event) => {
      // Only the current session's events arrive here, so a stale watch never
      // touches the cache.
      if (event.type === 'delete') cache.delete(keyOf(event.object));
      else cache.set(keyOf(event.object), stub(event.object));
      handlers.onEvent(event);
    },
    onSynced: synced,
    onError: (error) =>
      handlers.onError(
        error instanceof KubeRequestError
          ? error
          : new KubeRequestError(`watch ${path}: ${describeError(error)}`, undefined),
      ),
  });
  supervisor.start();
  return {
    stop: () => supervisor.stop(),
    restarts: () => supervisor.status().restarts,
  };
}
