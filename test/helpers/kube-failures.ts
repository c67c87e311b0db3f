/**
 * What the failure tests of the Kubernetes source read besides objects: the
 * apiserver's own metrics (open watches and completed lists per resource),
 * Meridian's metrics, readiness and JSON log lines, and etcd directly through
 * its JSON gateway, which still answers while the apiserver is down.
 */
import type { KubeCluster } from '../../harness/kube-cluster';
import type { KubeMeridian } from '../../harness/kube-meridian';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** One sample of a Prometheus text exposition. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of a Prometheus text exposition; comments and blank lines skipped. */
export function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[label[1]!] = label[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The apiserver's /metrics, read as the admin. */
export async function apiserverMetrics(cluster: KubeCluster): Promise<MetricSample[]> {
  const reply = await cluster.request('GET', '/metrics');
  if (reply.status !== 200) throw new Error(`GET /metrics: HTTP ${reply.status}`);
  return parseMetrics(reply.text);
}

/** Sums `name` over the cluster-wide samples of each resource (plural) whose labels include `match`. */
function perResource(
  samples: readonly MetricSample[],
  name: string,
  match: Readonly<Record<string, string>>,
  resources: readonly string[],
): Record<string, number> {
  const totals = Object.fromEntries(resources.map((r) => [r, 0]));
  for (const sample of samples) {
    const resource = sample.labels['resource'] ?? '';
    if (sample.name !== name || !(resource in totals)) continue;
    if (sample.labels['scope'] !== 'cluster') continue;
    if (Object.entries(match).some(([key, value]) => sample.labels[key] !== value)) continue;
    totals[resource]! += sample.value;
  }
  return totals;
}

/** WATCH requests open right now, per resource, cluster-wide (`apiserver_longrunning_requests`). */
export function openWatches(
  samples: readonly MetricSample[],
  resources: readonly string[],
): Record<string, number> {
  return perResource(samples, 'apiserver_longrunning_requests', { verb: 'WATCH' }, resources);
}

/** Cluster-wide LISTs this apiserver process has completed, per resource, any status. */
export function completedLists(
  samples: readonly MetricSample[],
  resources: readonly string[],
): Record<string, number> {
  return perResource(samples, 'apiserver_request_total', { verb: 'LIST' }, resources);
}

/** Meridian's /metrics. */
export async function meridianMetrics(env: KubeMeridian): Promise<MetricSample[]> {
  const response = await fetch(`http://${env.meridianEnv['METRICS_ADDRESS']}/metrics`, {
    signal: AbortSignal.timeout(5_000),
  });
  return parseMetrics(await response.text());
}

/** The value of `name` for each `resource` label, from Meridian's metrics (absent: undefined). */
export function byResourceLabel(
  samples: readonly MetricSample[],
  name: string,
): Record<string, number> {
  return Object.fromEntries(
    samples
      .filter((s) => s.name === name && s.labels['resource'] !== undefined)
      .map((s) => [s.labels['resource']!, s.value]),
  );
}

/** The HTTP status of Meridian's /readyz; 0 when it did not answer within 2 s. */
export async function meridianReadyz(env: KubeMeridian): Promise<number> {
  try {
    const response = await fetch(`http://${env.meridianEnv['METRICS_ADDRESS']}/readyz`, {
      signal: AbortSignal.timeout(2_000),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/** One JSON log line of Meridian (pino). */
export interface LogLine {
  readonly level: string;
  readonly time: string;
  readonly msg: string;
  readonly resource?: string;
  readonly status?: number;
  readonly err?: string;
  readonly [field: string]: unknown;
}

/** Meridian's log lines so far; a line cut by the output's size bound is skipped. */
export function meridianLog(env: KubeMeridian): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of env.meridian.output().split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // The first line may have been cut by the bound on the captured output.
    }
  }
  return lines;
}

/** One request to etcd's JSON gateway (its v3 gRPC API over HTTP). */
async function etcdCall<T>(cluster: KubeCluster, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${cluster.etcdUrl}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`etcd ${path}: HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** Writes `key` straight into etcd, bypassing the apiserver; returns etcd's revision after the write. */
export async function etcdPut(cluster: KubeCluster, key: string, value: string): Promise<number> {
  const reply = await etcdCall<{ header: { revision: string } }>(cluster, '/v3/kv/put', {
    key: base64(key),
    value: base64(value),
  });
  return Number(reply.header.revision);
}

/**
 * The apiserver's compaction bookkeeping in etcd: every compaction round of
 * the apiserver rewrites `compact_rev_key` (so its version counts the rounds)
 * with the revision that round compacted up to.
 */
export async function etcdCompactions(
  cluster: KubeCluster,
): Promise<{ count: number; revision: number }> {
  const reply = await etcdCall<{ kvs?: { version: string; value: string }[] }>(
    cluster,
    '/v3/kv/range',
    { key: base64('compact_rev_key') },
  );
  const kv = reply.kvs?.[0];
  if (kv === undefined) return { count: 0, revision: 0 };
  return {
    count: Number(kv.version),
    revision: Number(Buffer.from(kv.value, 'base64').toString('utf8')),
  };
}

/**
 * Polls `read` every 100 ms until `accept` holds and returns `performance.now()`
 * at that moment; fails after `timeoutMs` with the last value.
 */
export async function acceptedAt<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs: number,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return performance.now();
    if (performance.now() > deadline)
      throw new Error(`not within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await sleep(100);
  }
}
