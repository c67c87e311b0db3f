/**
 * A real Kubernetes control plane for tests: etcd and kube-apiserver built
 * from the Go module proxy by scripts/build-kube.sh, started as child
 * processes on free loopback ports. No controller-manager, scheduler or
 * kubelet: tests write what controllers would (EndpointSlices, say) themselves,
 * and deleted namespaces stay Terminating, so use a fresh namespace per test.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  answersOk,
  builtByScript,
  freePort,
  startChild,
  waitUntilReady,
  type Child,
} from './processes';

/** A user of the static token file (`--token-auth-file`). */
export interface KubeUser {
  readonly name: string;
  readonly token: string;
  readonly groups?: readonly string[];
}

export interface KubeClusterOptions {
  /** `AlwaysAllow` (default) or `RBAC`; the admin is in system:masters, so it may do anything under both. */
  readonly authorizationMode?: 'AlwaysAllow' | 'RBAC';
  /** kube-apiserver's `--etcd-compaction-interval` (Go duration, default 5m); short values provoke 410 Gone. */
  readonly etcdCompactionInterval?: string;
  /** Users besides the admin, for authorization tests. */
  readonly users?: readonly KubeUser[];
  /** More kube-apiserver flags, appended last (so they win over the defaults). */
  readonly apiserverArgs?: readonly string[];
  /** Bound on each wait for etcd or kube-apiserver to become ready; default 90 s. */
  readonly readyTimeoutMs?: number;
}

/** The kubeconfig structure (`kubectl config view` shape), for one user. */
export interface KubeConfig {
  readonly apiVersion: 'v1';
  readonly kind: 'Config';
  readonly clusters: readonly [
    { name: string; cluster: { server: string; 'insecure-skip-tls-verify': true } },
  ];
  readonly users: readonly [{ name: string; user: { token: string } }];
  readonly contexts: readonly [{ name: string; context: { cluster: string; user: string } }];
  readonly 'current-context': string;
}

/** A reply of {@link KubeCluster.request}. */
export interface KubeReply {
  readonly status: number;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

export interface KubeCluster {
  /** `https://127.0.0.1:PORT`; the serving certificate is self-signed, so clients skip verification. */
  readonly server: string;
  readonly etcdUrl: string;
  /** Bearer token of `admin` (group system:masters). */
  readonly adminToken: string;
  readonly kubeconfig: KubeConfig;
  readonly kubeconfigYaml: string;
  /** The admin kubeconfig written to a file, for kubectl (`--kubeconfig`). */
  readonly kubeconfigPath: string;
  /** Directory holding kube-apiserver, etcd and kubectl. */
  readonly binDir: string;
  /** Milliseconds the last kube-apiserver start took until /readyz answered 200. */
  readonly apiserverReadyMs: number;
  /** A kubeconfig for another token (one of `options.users`, or a wrong one). */
  kubeconfigFor(token: string, user?: string): KubeConfig;
  /** One HTTPS request to the apiserver; JSON body in, text and parsed JSON out. */
  request(method: string, path: string, body?: unknown, token?: string): Promise<KubeReply>;
  /** Output of the current kube-apiserver process and of etcd (last 256 KiB each). */
  logs(): { apiserver: string; etcd: string };
  /** Stops kube-apiserver only (etcd keeps the data); SIGKILL simulates a crash. */
  stopApiserver(signal?: NodeJS.Signals): Promise<void>;
  /** Starts kube-apiserver again on the same port, etcd, keys and tokens; waits for /readyz. */
  startApiserver(): Promise<void>;
  /** Stops both processes and removes their directories; safe to call twice. */
  stop(): Promise<void>;
}

/** Directory of kube-apiserver, etcd and kubectl, building them through the project script when needed. */
export function kubeBinDir(): string {
  return builtByScript('MERIDIAN_KUBE_BIN_DIR', 'build-kube.sh');
}

/** Ports that are free now and distinct from each other (freePort alone may repeat one). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempt = 0; ports.size < count; attempt++) {
    if (attempt > 50) throw new Error(`could not find ${count} distinct free ports`);
    ports.add(await freePort());
  }
  return [...ports];
}

/**
 * One HTTPS request that skips certificate verification: the apiserver's
 * certificate is self-signed at start-up on loopback. node:https rather than
 * fetch, because fetch cannot turn verification off per request without the
 * undici package, and NODE_TLS_REJECT_UNAUTHORIZED would turn it off for the
 * whole test process.
 */
function kubeRequest(
  server: string,
  token: string,
  method: string,
  path: string,
  body: unknown,
  timeoutMs: number,
): Promise<KubeReply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return sendToApiserver({ server, token, method, path, payload, timeoutMs });
}

/** A request with a body already encoded, of any content type (JSON by default). */
export interface RawKubeRequest {
  readonly server: string;
  readonly token: string;
  readonly method: string;
  readonly path: string;
  readonly payload: string | undefined;
  readonly timeoutMs: number;
  readonly contentType?: string;
}

/** Sends `raw` (see kubeRequest on why node:https); resolves with any HTTP status. */
export function sendToApiserver(raw: RawKubeRequest): Promise<KubeReply> {
  const { server, token, method, path, payload, timeoutMs } = raw;
  const contentType = raw.contentType ?? 'application/json';
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(path, server),
      {
        method,
        rejectUnauthorized: false,
        timeout: timeoutMs,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(payload === undefined
            ? {}
            : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json });
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${path}: no reply in ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function kubeconfigOf(server: string, user: string, token: string): KubeConfig {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'meridian-test', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'meridian-test', context: { cluster: 'meridian-test', user } }],
    'current-context': 'meridian-test',
  };
}

/** The static token file: `token,user,uid,"group,group"` per line. */
function tokenFile(users: readonly KubeUser[]): string {
  return users
    .map((u) => {
      for (const field of [u.name, u.token, ...(u.groups ?? [])]) {
        if (!/^[\w.:@-]+$/.test(field)) throw new Error(`unsafe token-file field: ${field}`);
      }
      return `${u.token},${u.name},${u.name}-uid,"${(u.groups ?? []).join(',')}"\n`;
    })
    .join('');
}

/**
 * Starts etcd, then kube-apiserver against it, each in its own temporary
 * directory and on its own free ports, and waits until /readyz answers.
 * Several clusters may run at once.
 */
export async function startKubeCluster(options: KubeClusterOptions = {}): Promise<KubeCluster> {
  // A free port is free only when asked: another process (a parallel suite,
  // another cluster starting) may bind it before etcd or the apiserver does.
  // Fresh ports then, a few times, rather than a failed suite.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startKubeClusterOnce(options);
    } catch (error) {
      if (attempt >= PORT_RACE_ATTEMPTS || !/address already in use/.test(String(error)))
        throw error;
    }
  }
}

/** Starts tried when a port was taken between choosing and binding it. */
const PORT_RACE_ATTEMPTS = 3;

async function startKubeClusterOnce(options: KubeClusterOptions): Promise<KubeCluster> {
  const binDir = kubeBinDir();
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  const [etcdPort, peerPort, apiPort] = (await distinctFreePorts(3)) as [number, number, number];
  const etcdDir = mkdtempSync(join(tmpdir(), 'meridian-etcd-'));
  const apiDir = mkdtempSync(join(tmpdir(), 'meridian-apiserver-'));
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const server = `https://127.0.0.1:${apiPort}`;
  const adminToken = randomBytes(16).toString('hex');

  // Any key pair will do; the apiserver signs service-account tokens with it
  // and refuses to start without one. Node makes it, so no openssl is needed.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  writeFileSync(join(apiDir, 'sa.key'), privateKey, { mode: 0o600 });
  writeFileSync(join(apiDir, 'sa.pub'), publicKey);
  writeFileSync(
    join(apiDir, 'tokens.csv'),
    tokenFile([
      { name: 'admin', token: adminToken, groups: ['system:masters'] },
      ...(options.users ?? []),
    ]),
    { mode: 0o600 },
  );
  const kubeconfig = kubeconfigOf(server, 'admin', adminToken);
  const kubeconfigYaml = stringify(kubeconfig);
  const kubeconfigPath = join(apiDir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfigYaml, { mode: 0o600 });

  const apiserverArgs = [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    // No --tls-cert-file: the apiserver makes a self-signed certificate here
    // on first start and reuses it after a restart.
    `--cert-dir=${join(apiDir, 'pki')}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-signing-key-file=${join(apiDir, 'sa.key')}`,
    `--service-account-key-file=${join(apiDir, 'sa.pub')}`,
    `--token-auth-file=${join(apiDir, 'tokens.csv')}`,
    `--authorization-mode=${options.authorizationMode ?? 'AlwaysAllow'}`,
    `--etcd-compaction-interval=${options.etcdCompactionInterval ?? '5m'}`,
    // Without a controller-manager nobody creates the service-account tokens
    // this admission plugin insists on, so Pods could not be created.
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
    // Flow control would queue a test's bursts behind the apiserver's own
    // bootstrap traffic; nothing here needs fairness.
    '--enable-priority-and-fairness=false',
    ...(options.apiserverArgs ?? []),
  ];

  let etcd: Child | undefined;
  let apiserver: Child | undefined;
  // Kept after a stop, so that a failed restart test can still show why.
  let lastApiserver: Child | undefined;
  let apiserverReadyMs = 0;
  let stopped = false;
  // If the test process dies without stop(), do not leave ~0.5 GB of control
  // plane running behind it. Signals are sent synchronously, which is all an
  // 'exit' listener may do.
  const killOnExit = (): void => {
    apiserver?.process.kill('SIGKILL');
    etcd?.process.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const request = (method: string, path: string, body?: unknown, token = adminToken) =>
    kubeRequest(server, token, method, path, body, 10_000);

  const startApiserver = async (): Promise<void> => {
    if (apiserver !== undefined) throw new Error('kube-apiserver is already running');
    const child = startChild(join(binDir, 'kube-apiserver'), apiserverArgs, {}, apiDir);
    apiserver = child;
    lastApiserver = child;
    apiserverReadyMs = await waitUntilReady(
      'kube-apiserver',
      child,
      // /readyz turns 200 only after the post-start hooks (RBAC bootstrap,
      // default namespaces, the kubernetes Service) have run.
      () =>
        request('GET', '/readyz').then(
          (r) => r.status === 200,
          () => false,
        ),
      readyTimeoutMs,
      200,
    ).catch((error: unknown) => {
      apiserver = undefined;
      throw error;
    });
  };

  const stopApiserver = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const child = apiserver;
    apiserver = undefined;
    await child?.stop(signal, 15_000);
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await stopApiserver();
    await etcd?.stop('SIGTERM', 10_000);
    process.removeListener('exit', killOnExit);
    rmSync(apiDir, { recursive: true, force: true });
    rmSync(etcdDir, { recursive: true, force: true });
  };

  try {
    etcd = startChild(
      join(binDir, 'etcd'),
      [
        '--name=default',
        `--data-dir=${join(etcdDir, 'data')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        // The defaults name localhost:2380, which every cluster would share.
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
        // Test data need not survive a machine crash; fsync dominates write latency.
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      {},
      etcdDir,
    );
    const etcdChild = etcd;
    await waitUntilReady(
      'etcd',
      etcdChild,
      () => answersOk(`${etcdUrl}/health`),
      readyTimeoutMs,
      200,
    );
    await startApiserver();
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    server,
    etcdUrl,
    adminToken,
    kubeconfig,
    kubeconfigYaml,
    kubeconfigPath,
    binDir,
    get apiserverReadyMs() {
      return apiserverReadyMs;
    },
    kubeconfigFor: (token, user = 'user') => kubeconfigOf(server, user, token),
    request,
    logs: () => ({ apiserver: lastApiserver?.output() ?? '', etcd: etcd?.output() ?? '' }),
    stopApiserver,
    startApiserver,
    stop,
  };
}
