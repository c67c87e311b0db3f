/**
 * Control-plane speed of Meridian in Kubernetes mode, measured from outside
 * on the environment of kube-meridian.ts: how long an EndpointSlice readiness
 * change takes to reach the answer CoreDNS gives, and how long many Gslbs
 * take from creation to being served and to having a status, with the memory
 * and CPU each process spent. Shared by test/e2e/kubernetes-speed.test.ts
 * (which asserts bounds) and bench/control-plane.ts (which reports more runs).
 */
import { pool } from './pool';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { ClientRequest } from 'node:http';
import { join } from 'node:path';
import { parse } from 'yaml';
import { decodeReply, query } from './dns-case';
import { REPO_ROOT } from './processes';
import type { KubeCluster } from './kube-cluster';
import {
  backend,
  create,
  freshNamespace,
  gslbRef,
  pathOf,
  setLoadBalancer,
  setReady,
  ZONE,
  type KubeMeridian,
} from './kube-meridian';

/** The address every measured Gslb serves (TEST-NET-1). */
export const SERVED_ADDRESS = '192.0.2.200';

const SERVICE_REF = { apiVersion: 'v1', kind: 'Service' };
const HOSTNAME_ANNOTATION = 'k8gb.io/hostname';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------
// DNS over UDP, without a process per query

/** What one reply said: its response code and the A records' addresses, sorted. */
export interface DnsAnswer {
  readonly rcode: string;
  readonly addresses: readonly string[];
}

/** A UDP DNS client on one socket; cheap enough to poll every few milliseconds. */
export interface DnsClient {
  /** Asks for `name`'s A records; null when no reply came within `timeoutMs`. */
  ask(name: string, timeoutMs?: number): Promise<DnsAnswer | null>;
  close(): Promise<void>;
}

/** Opens a client that sends to 127.0.0.1:`port`. */
export async function udpDnsClient(port: number): Promise<DnsClient> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const pending = new Map<number, (answer: DnsAnswer) => void>();
  let nextId = 1;
  socket.on('message', (bytes) => {
    let reply;
    try {
      reply = decodeReply(bytes);
    } catch {
      return;
    }
    const deliver = pending.get(reply.id);
    if (deliver === undefined) return;
    pending.delete(reply.id);
    deliver({
      rcode: reply.rcode,
      addresses: reply.answers.flatMap((r) => (r.type === 'A' ? [r.data] : [])).sort(),
    });
  });
  return {
    ask(name, timeoutMs = 500) {
      const id = nextId;
      nextId = (nextId % 65_535) + 1;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve(null);
        }, timeoutMs);
        pending.set(id, (answer) => {
          clearTimeout(timer);
          resolve(answer);
        });
        socket.send(query(name, 'A', { id }), port, '127.0.0.1');
      });
    },
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/**
 * Asks for `name` every `intervalMs` until a reply satisfies `accept`;
 * returns the performance.now() at which that reply arrived.
 */
export async function pollAnswer(
  client: DnsClient,
  name: string,
  accept: (answer: DnsAnswer) => boolean,
  intervalMs = 5,
  timeoutMs = 30_000,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let last: DnsAnswer | null = null;
  for (;;) {
    const sent = performance.now();
    last = await client.ask(name, 250);
    const now = performance.now();
    if (last !== null && accept(last)) return now;
    if (now > deadline)
      throw new Error(`${name}: not within ${timeoutMs} ms; last reply ${JSON.stringify(last)}`);
    const wait = intervalMs - (now - sent);
    if (wait > 0) await sleep(wait);
  }
}

/** True for NOERROR with exactly the one served address (or, when unready, no address). */
export function answersReady(answer: DnsAnswer, ready: boolean): boolean {
  if (answer.rcode !== 'NOERROR') return false;
  return ready
    ? answer.addresses.length === 1 && answer.addresses[0] === SERVED_ADDRESS
    : answer.addresses.length === 0;
}

// ---------------------------------------------------------------------------
// Prometheus text and /proc

/** Meridian's /metrics page as text. */
export async function scrape(metricsAddress: string): Promise<string> {
  const reply = await fetch(`http://${metricsAddress}/metrics`, {
    signal: AbortSignal.timeout(30_000),
  });
  if (!reply.ok) throw new Error(`GET /metrics: HTTP ${reply.status}`);
  return reply.text();
}

/** The sum of every sample of `name` whose labels include `labels`; NaN when there is none. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  let sum = Number.NaN;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const close = rest[0] === '{' ? rest.lastIndexOf('}') : -1;
    const labelText = close < 0 ? '' : rest.slice(1, close);
    const have = new Map(
      [...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (!Object.entries(labels).every(([k, v]) => have.get(k) === v)) continue;
    const value = Number(
      rest
        .slice(close + 1)
        .trim()
        .split(' ')[0],
    );
    sum = Number.isNaN(sum) ? value : sum + value;
  }
  return sum;
}

/** Clock ticks per second, the unit of utime and stime in /proc/PID/stat. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** User plus system CPU seconds `pid` has used so far, all threads. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[14 - 3]) + Number(fields[15 - 3])) / CLOCK_TICKS;
}

/** A memory field of /proc/PID/status (VmRSS now, VmHWM the peak so far) in MiB. */
export function memoryMiB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (match?.[1] === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** The processes whose CPU the scale measurement reports. */
export type ProcessRole = 'Meridian' | 'kube-apiserver' | 'etcd' | 'CoreDNS';

/** Pids of the environment's processes; the control plane's are found as children of this process. */
export function processesOf(env: KubeMeridian): Map<ProcessRole, number> {
  const pids = new Map<ProcessRole, number>();
  const meridian = env.meridian.process.pid;
  const coredns = env.coredns.process.pid;
  if (meridian !== undefined) pids.set('Meridian', meridian);
  if (coredns !== undefined) pids.set('CoreDNS', coredns);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parent !== process.pid) continue;
    if (comm === 'kube-apiserver' || comm === 'etcd') pids.set(comm, Number(entry));
  }
  return pids;
}

/** CPU seconds the whole machine has spent busy so far (/proc/stat: all but idle and iowait). */
function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return (
    ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) /
    CLOCK_TICKS
  );
}

type CpuReading = Map<ProcessRole | 'client' | 'machine', number>;

function cpuOf(pids: ReadonlyMap<ProcessRole, number>): CpuReading {
  const usage = process.cpuUsage();
  const cpu: CpuReading = new Map([
    ['machine', machineBusySeconds()],
    ['client', (usage.user + usage.system) / 1e6],
  ]);
  for (const [role, pid] of pids) cpu.set(role, cpuSeconds(pid));
  return cpu;
}

/**
 * CPU seconds per process between two readings, and `others`: what the rest
 * of the machine spent meanwhile (another workload on a shared machine shows
 * up there).
 */
function cpuSince(before: CpuReading, after: CpuReading): Record<string, number> {
  const spent: Record<string, number> = {};
  let ours = 0;
  for (const [role, seconds] of after) {
    if (role === 'machine') continue;
    spent[role] = seconds - (before.get(role) ?? 0);
    ours += spent[role];
  }
  spent['others'] = Math.max(0, after.get('machine')! - before.get('machine')! - ours);
  return spent;
}

// ---------------------------------------------------------------------------
// EndpointSlice readiness → answer

/** One Gslb whose only backend's readiness the flips change. */
export interface FlipTarget {
  readonly namespace: string;
  readonly service: string;
  readonly host: string;
}

/** One readiness change and when CoreDNS first answered accordingly. */
export interface FlipSample {
  /** From the PATCH of the EndpointSlice returning to the first reply with the new answer. */
  readonly latencyMs: number;
  /** How long the PATCH itself took. */
  readonly patchMs: number;
  /** The readiness set. */
  readonly ready: boolean;
}

/**
 * Creates a LoadBalancer Service with one ready endpoint, its status address,
 * and a Gslb on it (resourceRef + k8gb.io/hostname); waits until it is served.
 */
export async function createFlipTarget(env: KubeMeridian, client: DnsClient): Promise<FlipTarget> {
  const { cluster } = env;
  const namespace = await freshNamespace(cluster, 'flip');
  const service = 'app';
  const host = `app.${namespace}.${ZONE}`;
  await backend(cluster, namespace, service, true, 'LoadBalancer');
  await setLoadBalancer(cluster, 'Service', namespace, service, [{ ip: SERVED_ADDRESS }]);
  await create(
    cluster,
    gslbRef(
      namespace,
      service,
      { ...SERVICE_REF, name: service },
      { annotations: { [HOSTNAME_ANNOTATION]: host } },
    ),
  );
  await pollAnswer(client, host, (a) => answersReady(a, true), 20, 60_000);
  return { namespace, service, host };
}

/**
 * Flips the target's readiness `flips` times, starting with unready. After
 * each flip waits for the answer, then a random 50–150 ms, so that changes do
 * not fall in step with Meridian's debounce.
 */
export async function measureFlips(
  env: KubeMeridian,
  client: DnsClient,
  target: FlipTarget,
  flips: number,
): Promise<FlipSample[]> {
  const samples: FlipSample[] = [];
  let ready = true;
  for (let i = 0; i < flips; i++) {
    ready = !ready;
    const sent = performance.now();
    await setReady(env.cluster, target.namespace, target.service, ready);
    const returned = performance.now();
    const expected = ready;
    const seen = await pollAnswer(client, target.host, (a) => answersReady(a, expected));
    samples.push({ latencyMs: seen - returned, patchMs: returned - sent, ready });
    await sleep(50 + Math.random() * 100);
  }
  // Leave it ready, as found.
  if (!ready) {
    await setReady(env.cluster, target.namespace, target.service, true);
    await pollAnswer(client, target.host, (a) => answersReady(a, true));
  }
  return samples;
}

// ---------------------------------------------------------------------------
// Many Gslbs: created → served → Ready

/** Options of {@link measureScale}. */
export interface ScaleOptions {
  readonly count: number;
  /** Create requests in flight at once. */
  readonly concurrency: number;
  /** Names asked through CoreDNS once all are served, spread over the range. */
  readonly spotChecks: number;
  /** Bound on the wait from the first create until every name is served; exceeding it fails. */
  readonly servedTimeoutMs: number;
  /**
   * Bound on the wait, after every name is served, until every Gslb is Ready;
   * exceeding it does not fail, the result says how far it got.
   */
  readonly readyTimeoutMs: number;
  /** How often Meridian's /metrics is read meanwhile (each read costs Meridian CPU). */
  readonly sampleEveryMs?: number;
  /**
   * A name served with SERVED_ADDRESS throughout (the flip target, say): asked
   * through CoreDNS every 50 ms from the first create to the end, to show how
   * answering fares while Meridian reconciles.
   */
  readonly probeHost?: string;
  readonly progress?: (message: string) => void;
}

/** One periodic reading of Meridian's metrics and memory. */
export interface MetricsSample {
  /** ms since the first create. */
  readonly atMs: number;
  /** meridian_kube_reconcile_duration_seconds: the last pass, in ms. */
  readonly reconcileMs: number;
  readonly tableBuilds: number;
  readonly tableHosts: number;
  /** meridian_kube_writes_total{kind="status",result="done"} since the first create. */
  readonly statusWritesDone: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
}

/** What {@link measureScale} measured; times in ms from the first create request. */
export interface ScaleResult {
  readonly count: number;
  readonly namespace: string;
  /** The last create request returned. */
  readonly createdMs: number;
  /** meridian_table_hosts counted every new name. */
  readonly servedMs: number;
  /** Every Gslb seen Ready=True through a watch of the apiserver; null when not within readyTimeoutMs. */
  readonly allReadyMs: number | null;
  /** Gslbs Ready=True at the end (all of them, or as many as were by the deadline). */
  readonly ready: number;
  /** Spot-checked names, how many answered with the served address, and how many of those needed a second try. */
  readonly spotChecks: number;
  readonly spotChecked: number;
  readonly spotRetried: number;
  /** The probe name's answers meanwhile; null without probeHost. */
  readonly probe: ProbeResult | null;
  readonly memoryMiB: {
    /** VmRSS before the first create. */
    readonly before: number;
    /** VmRSS once every name was served. */
    readonly served: number;
    /** VmRSS at the end. */
    readonly after: number;
    /** VmHWM at the end: the process's peak resident size since it started. */
    readonly peak: number;
    /** process_resident_memory_bytes at the end. */
    readonly metricAfter: number;
    /** nodejs_heap_size_used_bytes before and at the end (garbage included). */
    readonly heapUsedBefore: number;
    readonly heapUsedAfter: number;
  };
  /** CPU seconds per process while creating, and from the last create to the end. */
  readonly cpuSeconds: {
    readonly create: Record<string, number>;
    readonly settle: Record<string, number>;
  };
  /** Meridian's own view, from its metrics. */
  readonly meridian: {
    /** Tables built while measuring (each reconcile pass builds one). */
    readonly tableBuilds: number;
    /** Mean build duration (meridian_table_build_duration_seconds). */
    readonly tableBuildMeanMs: number;
    /** meridian_kube_reconcile_duration_seconds seen once every name was served: max and median. */
    readonly reconcileMaxMs: number;
    readonly reconcileMedianMs: number;
    /** Status writes by result while measuring. */
    readonly statusWrites: Record<string, number>;
  };
  readonly timeline: readonly MetricsSample[];
}

/** The Gslb for index `i` of a scale run: a distinct host on the shared Service. */
function scaleGslb(namespace: string, i: number): { host: string; body: unknown } {
  const name = `g-${String(i).padStart(5, '0')}`;
  const host = `${name}.${namespace}.${ZONE}`;
  return {
    host,
    body: gslbRef(
      namespace,
      name,
      { ...SERVICE_REF, name: 'shared' },
      { annotations: { [HOSTNAME_ANNOTATION]: host } },
    ),
  };
}

/** POSTs `body`, retrying transient failures; a 409 after a retry means an earlier attempt landed. */
async function createWithRetry(cluster: KubeCluster, path: string, body: unknown): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    let transient = true;
    try {
      const reply = await cluster.request('POST', path, body);
      if (reply.status === 201 || (reply.status === 409 && attempt > 1)) return;
      reason = `HTTP ${reply.status}: ${reply.text.slice(0, 300)}`;
      transient = reply.status === 429 || reply.status >= 500;
    } catch (err) {
      reason = String(err);
    }
    if (!transient || attempt >= 5) throw new Error(`POST ${path}: ${reason}`);
    await sleep(200 * attempt);
  }
}

interface GslbItem {
  metadata: { name: string; resourceVersion: string };
  status?: { conditions?: { type: string; status: string }[] };
}

const isReady = (gslb: GslbItem): boolean =>
  gslb.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Lists the Gslbs of `namespace` page by page; returns the Ready ones and the list's resourceVersion. */
async function listReady(
  cluster: KubeCluster,
  namespace: string,
): Promise<{ ready: Set<string>; resourceVersion: string }> {
  const ready = new Set<string>();
  let token = '';
  for (;;) {
    const query = `?limit=500${token === '' ? '' : `&continue=${encodeURIComponent(token)}`}`;
    const reply = await cluster.request('GET', `${pathOf('Gslb', namespace)}${query}`);
    if (reply.status !== 200) throw new Error(`list Gslbs: HTTP ${reply.status}: ${reply.text}`);
    const page = reply.json as {
      items: GslbItem[];
      metadata: { continue?: string; resourceVersion: string };
    };
    for (const item of page.items) if (isReady(item)) ready.add(item.metadata.name);
    token = page.metadata.continue ?? '';
    if (token === '') return { ready, resourceVersion: page.metadata.resourceVersion };
  }
}

/**
 * Counts the Gslbs of one namespace whose Ready condition is True, from a
 * watch of the apiserver (as any client would see the statuses), so that
 * following 10,000 status writes costs Meridian nothing.
 */
export interface ReadyWatch {
  readonly count: number;
  /** Resolves with performance.now() once `target` are Ready, or null after `timeoutMs`. */
  reached(target: number, timeoutMs: number): Promise<number | null>;
  stop(): void;
}

export async function watchReady(cluster: KubeCluster, namespace: string): Promise<ReadyWatch> {
  let { ready, resourceVersion } = await listReady(cluster, namespace);
  let stopped = false;
  let current: ClientRequest | undefined;
  const waiters = new Set<{ target: number; resolve: (at: number) => void }>();
  const notify = (): void => {
    for (const waiter of waiters)
      if (ready.size >= waiter.target) {
        waiters.delete(waiter);
        waiter.resolve(performance.now());
      }
  };
  const onEvent = (event: { type: string; object: GslbItem }): boolean => {
    if (event.type === 'ERROR') return false;
    const { name, resourceVersion: version } = event.object.metadata;
    resourceVersion = version;
    if (event.type === 'BOOKMARK') return true;
    if (event.type !== 'DELETED' && isReady(event.object)) ready.add(name);
    else ready.delete(name);
    notify();
    return true;
  };
  // After an ERROR (410 Gone, say) or a failed connection, list again, then watch.
  const restart = (relist: boolean): void => {
    if (stopped) return;
    setTimeout(() => {
      if (stopped) return;
      if (!relist) return connect();
      listReady(cluster, namespace).then(
        (listed) => {
          ({ ready, resourceVersion } = listed);
          notify();
          connect();
        },
        () => restart(true),
      );
    }, 200);
  };
  const connect = (): void => {
    const url = new URL(
      `${pathOf('Gslb', namespace)}?watch=1&allowWatchBookmarks=true&resourceVersion=${resourceVersion}`,
      cluster.server,
    );
    let failed = false;
    current = httpsRequest(
      url,
      {
        rejectUnauthorized: false,
        headers: { authorization: `Bearer ${cluster.adminToken}`, accept: 'application/json' },
      },
      (res) => {
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines)
            if (line.trim() !== '' && !onEvent(JSON.parse(line) as never)) failed = true;
        });
        res.on('end', () => restart(failed || res.statusCode !== 200));
        res.on('error', () => undefined);
      },
    );
    current.on('error', () => restart(true));
    current.end();
  };
  connect();
  return {
    get count() {
      return ready.size;
    },
    reached(target, timeoutMs) {
      if (ready.size >= target) return Promise.resolve(performance.now());
      return new Promise((resolve) => {
        const waiter = {
          target,
          resolve: (at: number) => {
            clearTimeout(timer);
            resolve(at);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          resolve(null);
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    stop() {
      stopped = true;
      current?.destroy();
    },
  };
}

/** Reads Meridian's metrics every `everyMs` until stopped. */
function sampleMetrics(
  metricsAddress: string,
  pid: number,
  started: number,
  statusBefore: number,
  everyMs: number,
): { latest(): Promise<string>; stop(): Promise<MetricsSample[]> } {
  const samples: MetricsSample[] = [];
  let stopped = false;
  const read = async (): Promise<string> => {
    const text = await scrape(metricsAddress);
    samples.push({
      atMs: performance.now() - started,
      reconcileMs: metricValue(text, 'meridian_kube_reconcile_duration_seconds') * 1000,
      tableBuilds: metricValue(text, 'meridian_table_builds_total'),
      tableHosts: metricValue(text, 'meridian_table_hosts'),
      statusWritesDone: statusWrites(text)['done']! - statusBefore,
      rssMiB: memoryMiB(pid),
      heapUsedMiB: metricValue(text, 'nodejs_heap_size_used_bytes') / 2 ** 20,
    });
    return text;
  };
  const loop = (async () => {
    while (!stopped) {
      await sleep(everyMs);
      if (!stopped) await read().catch(() => undefined);
    }
  })();
  return {
    latest: read,
    stop: async () => {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

/** How a name answered while asked every 50 ms: latencies of correct answers, and the rest. */
export interface ProbeResult {
  readonly asked: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Answers slower than 100 ms and 1 s. */
  readonly over100Ms: number;
  readonly over1s: number;
  /** No reply within 5 s. */
  readonly timeouts: number;
  /** Replies other than NOERROR with SERVED_ADDRESS (SERVFAIL when CoreDNS gave up on Meridian). */
  readonly wrong: number;
}

/** Asks for `host` every `everyMs` (waiting for each reply) until stopped. */
function probeAnswers(
  client: DnsClient,
  host: string,
  everyMs = 50,
): { stop(): Promise<ProbeResult> } {
  const latencies: number[] = [];
  let timeouts = 0;
  let wrong = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const sent = performance.now();
      const answer = await client.ask(host, 5_000).catch(() => null);
      const took = performance.now() - sent;
      if (answer === null) timeouts++;
      else if (!answersReady(answer, true)) wrong++;
      else latencies.push(took);
      await sleep(Math.max(0, everyMs - took));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return {
        asked: latencies.length + timeouts + wrong,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        maxMs: latencies.length > 0 ? Math.max(...latencies) : Number.NaN,
        over100Ms: latencies.filter((ms) => ms > 100).length,
        over1s: latencies.filter((ms) => ms > 1_000).length,
        timeouts,
        wrong,
      };
    },
  };
}

/** Asks for `host` up to three times (5 s each); whether it answered correctly, and at which try. */
async function spotCheck(client: DnsClient, host: string): Promise<'first' | 'retried' | 'wrong'> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const answer = await client.ask(host, 5_000);
    if (answer !== null && answersReady(answer, true)) return attempt === 1 ? 'first' : 'retried';
  }
  return 'wrong';
}

/**
 * Creates `count` Gslbs in a fresh namespace, each with its own host on one
 * shared LoadBalancer Service (so the apiserver stores `count` new objects),
 * and measures until all are served and all are Ready.
 */
export async function measureScale(env: KubeMeridian, options: ScaleOptions): Promise<ScaleResult> {
  const { cluster } = env;
  const progress = options.progress ?? (() => undefined);
  const metricsAddress = env.meridianEnv['METRICS_ADDRESS']!;
  const meridianPid = env.meridian.process.pid!;
  const pids = processesOf(env);
  const namespace = await freshNamespace(cluster, 'scale');
  await backend(cluster, namespace, 'shared', true, 'LoadBalancer');
  await setLoadBalancer(cluster, 'Service', namespace, 'shared', [{ ip: SERVED_ADDRESS }]);
  const client = await udpDnsClient(env.coredns.dnsPort);
  const readyWatch = await watchReady(cluster, namespace);
  // Stopped in `finally` too, so that a failure leaves nothing asking.
  const loops: { stop(): Promise<unknown> }[] = [];
  try {
    // The Service and its slice are in before the baseline is read.
    await sleep(1_000);
    const before = await scrape(metricsAddress);
    const hostsBefore = metricValue(before, 'meridian_table_hosts');
    const writesBefore = statusWrites(before);
    const rssBefore = memoryMiB(meridianPid);
    const cpuAtStart = cpuOf(pids);

    const started = performance.now();
    const probe = options.probeHost === undefined ? null : probeAnswers(client, options.probeHost);
    const sampler = sampleMetrics(
      metricsAddress,
      meridianPid,
      started,
      writesBefore['done']!,
      options.sampleEveryMs ?? 5_000,
    );
    loops.push(sampler, ...(probe === null ? [] : [probe]));
    const path = pathOf('Gslb', namespace);
    let created = 0;
    await pool(options.count, options.concurrency, async (i) => {
      await createWithRetry(cluster, path, scaleGslb(namespace, i).body);
      if (++created % 2_000 === 0)
        progress(`${created} Gslbs created in ${Math.round(performance.now() - started)} ms`);
    });
    const createdMs = performance.now() - started;
    const cpuAtCreated = cpuOf(pids);
    progress(`all ${options.count} created after ${Math.round(createdMs)} ms`);

    // Asking the last-created names through CoreDNS is cheap; a read of
    // /metrics (megabytes once every Gslb has its k8gb_gslb_* series) is not,
    // so /metrics only confirms what the DNS suggests.
    const deadline = started + options.servedTimeoutMs;
    for (let k = 1; k <= Math.min(options.concurrency, options.count); k++) {
      const { host } = scaleGslb(namespace, options.count - k);
      const left = deadline - performance.now();
      await pollAnswer(client, host, (a) => answersReady(a, true), 10, Math.max(1, left));
    }
    while (
      metricValue(await sampler.latest(), 'meridian_table_hosts') <
      hostsBefore + options.count
    ) {
      if (performance.now() > deadline) throw new Error('not every Gslb served in time');
      await sleep(200);
    }
    const servedMs = performance.now() - started;
    const rssServed = memoryMiB(meridianPid);
    progress(`all served after ${Math.round(servedMs)} ms`);

    const spotChecks = Math.min(options.spotChecks, options.count);
    let spotChecked = 0;
    let spotRetried = 0;
    for (let k = 0; k < spotChecks; k++) {
      const { host } = scaleGslb(namespace, Math.floor((k * options.count) / spotChecks));
      const outcome = await spotCheck(client, host);
      if (outcome !== 'wrong') spotChecked++;
      if (outcome === 'retried') spotRetried++;
    }

    const readyAt = await readyWatch.reached(options.count, options.readyTimeoutMs);
    const allReadyMs = readyAt === null ? null : readyAt - started;
    const cpuAtEnd = cpuOf(pids);
    progress(
      allReadyMs === null
        ? `${readyWatch.count} of ${options.count} Ready after ${Math.round(performance.now() - started)} ms; stopped waiting`
        : `all Ready after ${Math.round(allReadyMs)} ms`,
    );
    const probed = (await probe?.stop()) ?? null;
    const after = await sampler.latest();
    const timeline = await sampler.stop();
    const served = timeline.filter((s) => s.atMs >= servedMs).map((s) => s.reconcileMs);
    const writesAfter = statusWrites(after);
    const builds =
      metricValue(after, 'meridian_table_build_duration_seconds_count') -
      metricValue(before, 'meridian_table_build_duration_seconds_count');
    const buildSeconds =
      metricValue(after, 'meridian_table_build_duration_seconds_sum') -
      metricValue(before, 'meridian_table_build_duration_seconds_sum');
    return {
      count: options.count,
      namespace,
      createdMs,
      servedMs,
      allReadyMs,
      ready: readyWatch.count,
      spotChecks,
      spotChecked,
      spotRetried,
      probe: probed,
      memoryMiB: {
        before: rssBefore,
        served: rssServed,
        after: memoryMiB(meridianPid),
        peak: memoryMiB(meridianPid, 'VmHWM'),
        metricAfter: metricValue(after, 'process_resident_memory_bytes') / 2 ** 20,
        heapUsedBefore: metricValue(before, 'nodejs_heap_size_used_bytes') / 2 ** 20,
        heapUsedAfter: metricValue(after, 'nodejs_heap_size_used_bytes') / 2 ** 20,
      },
      cpuSeconds: {
        create: cpuSince(cpuAtStart, cpuAtCreated),
        settle: cpuSince(cpuAtCreated, cpuAtEnd),
      },
      meridian: {
        tableBuilds: builds,
        tableBuildMeanMs: builds > 0 ? (buildSeconds / builds) * 1000 : Number.NaN,
        reconcileMaxMs: served.length > 0 ? Math.max(...served) : Number.NaN,
        reconcileMedianMs: percentile(served, 50),
        statusWrites: Object.fromEntries(
          Object.entries(writesAfter).map(([result, n]) => [
            result,
            n - (writesBefore[result] ?? 0),
          ]),
        ),
      },
      timeline,
    };
  } finally {
    for (const loop of loops) await loop.stop().catch(() => undefined);
    readyWatch.stop();
    await client.close();
  }
}

/** meridian_kube_writes_total for status writes, by result. */
function statusWrites(text: string): Record<string, number> {
  const results: Record<string, number> = {};
  for (const result of ['done', 'failed', 'dropped']) {
    const value = metricValue(text, 'meridian_kube_writes_total', { kind: 'status', result });
    results[result] = Number.isNaN(value) ? 0 : value;
  }
  return results;
}

// ---------------------------------------------------------------------------
// Summaries

/** The `p`-th percentile (nearest rank) of `values`; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

/** p50, p90, p99 and max of the flips' latencies, in ms. */
export function latencySummary(samples: readonly FlipSample[]): {
  p50: number;
  p90: number;
  p99: number;
  max: number;
} {
  const latencies = samples.map((s) => s.latencyMs);
  return {
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
  };
}

/** The Meridian container's memory limit and heap setting in the Helm chart's defaults. */
export function chartMeridianMemory(): { limitMiB: number; maxHeapMiB: number } {
  const values = parse(
    readFileSync(join(REPO_ROOT, 'deploy/helm/meridian/values.yaml'), 'utf8'),
  ) as { meridian: { maxHeapMiB: number; resources: { limits: { memory: string } } } };
  const limit = /^(\d+)Mi$/.exec(values.meridian.resources.limits.memory);
  if (limit === null) throw new Error("the chart's memory limit is not in Mi");
  return { limitMiB: Number(limit[1]), maxHeapMiB: values.meridian.maxHeapMiB };
}
