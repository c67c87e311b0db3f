/**
 * Starts real programs (CoreDNS, Meridian's built entry point) as child
 * processes with bounded waits, and runs DNS command-line clients.
 */
import { poll } from './eventually';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The repository root: the nearest folder above this file with Meridian's package.json (also when compiled elsewhere). */
export const REPO_ROOT = findRepoRoot(__dirname);

function findRepoRoot(start: string): string {
  for (let dir = start; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'meridian'
    ) {
      return dir;
    }
  }
  throw new Error(`no Meridian package.json above ${start}`);
}

/** A child process with its captured output. */
export interface Child {
  readonly process: ChildProcess;
  output(): string;
  /** Sends `signal` and waits up to `timeoutMs` for exit, then SIGKILL. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/** Spawns `command` with output captured (bounded to the last 256 KiB). */
export function startChild(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd = REPO_ROOT,
): Child {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-256 * 1024);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return {
    process: child,
    output: () => output,
    stop: async (signal = 'SIGTERM', timeoutMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * Ports handed out below the kernel's ephemeral range (Linux: 32768–60999),
 * which the kernel never gives a client socket: a process restarted on its old
 * port cannot find it taken by some query's source port meanwhile. Each Jest
 * worker draws from its own slice, so two workers never hand out the same
 * port, and a process never hands out one twice.
 */
const PORT_RANGE = { first: 20_000, last: 32_767 };
const PORT_SLICES = 4;
const handedOut = new Set<number>();

function portSlice(): { first: number; size: number } {
  const size = Math.floor((PORT_RANGE.last - PORT_RANGE.first + 1) / PORT_SLICES);
  const worker = Number(process.env['JEST_WORKER_ID'] ?? '1');
  const index = (Number.isInteger(worker) && worker > 0 ? worker - 1 : 0) % PORT_SLICES;
  return { first: PORT_RANGE.first + index * size, size };
}

/** True when `port` can be bound on 127.0.0.1 for TCP and for UDP now. */
async function bindable(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  if (!tcp) return false;
  return new Promise<boolean>((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** Returns a port free on 127.0.0.1 for both TCP and UDP at the time of the call. */
export async function freePort(): Promise<number> {
  const slice = portSlice();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = slice.first + Math.floor(Math.random() * slice.size);
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port found');
}

/**
 * Returns what a project build script prints (a binary or a directory), from
 * `envName` when run.sh already set it, else by running the script. The result
 * is kept in `envName`, so later calls and child processes reuse it.
 */
export function builtByScript(envName: string, script: string): string {
  const fromEnv = process.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  // A cold build takes minutes; run.sh builds before Jest starts, so this path
  // is only taken when a test file or the bench is run on its own.
  const built = execFileSync(join(REPO_ROOT, 'scripts', script), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 20 * 60_000,
  }).trim();
  process.env[envName] = built;
  return built;
}

/** Path of the test external-dns, building it through the project script when needed. */
export function externalDnsBinary(): string {
  return builtByScript('MERIDIAN_EXTERNAL_DNS_BIN', 'build-external-dns.sh');
}

/** Path of the test CoreDNS, building it through the project script when needed. */
export function coreDnsBinary(): string {
  return builtByScript('MERIDIAN_COREDNS_BIN', 'build-coredns.sh');
}

/**
 * Polls `check` every `intervalMs` until it holds and returns how long that
 * took; fails when `child` exits first, or kills it and fails after `timeoutMs`.
 */
export async function waitUntilReady(
  what: string,
  child: Child,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<number> {
  const exited = (): string | null =>
    child.process.exitCode !== null || child.process.signalCode !== null
      ? `${what} exited (${child.process.exitCode ?? child.process.signalCode}):\n${child.output()}`
      : null;
  try {
    return (await poll(check, (ok) => ok, { timeoutMs, intervalMs, what, abort: exited }))
      .elapsedMs;
  } catch (err) {
    if (exited() !== null) throw err;
    await child.stop('SIGKILL');
    throw new Error(`${what} not ready within ${timeoutMs} ms:\n${child.output()}`);
  }
}

/** True when GET `url` answers 2xx within 2 s; false on any error. */
export function answersOk(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.ok,
    () => false,
  );
}

/** A running CoreDNS. */
export interface CoreDns extends Child {
  readonly dnsPort: number;
  readonly metricsAddress: string;
}

/**
 * Starts CoreDNS on `corefile` (CoreDNS substitutes `{$VAR}` from `env`); waits for /ready.
 * `binary` is the test CoreDNS unless another build (with other plugins) is named.
 */
export async function startCoreDns(
  corefile: string,
  env: Record<string, string>,
  dnsPort: number,
  binary: string = coreDnsBinary(),
): Promise<CoreDns> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-coredns-'));
  const path = join(dir, 'Corefile');
  writeFileSync(path, corefile);
  const readyAddress = env['READY_ADDRESS'] ?? `127.0.0.1:${await freePort()}`;
  const metricsAddress = env['PROMETHEUS_ADDRESS'] ?? `127.0.0.1:${await freePort()}`;
  const child = startChild(
    binary,
    ['-conf', path],
    {
      HEALTH_ADDRESS: `127.0.0.1:${await freePort()}`,
      ...env,
      READY_ADDRESS: readyAddress,
      PROMETHEUS_ADDRESS: metricsAddress,
      DNS_PORT: String(dnsPort),
    },
    dir,
  );
  await waitUntilReady('CoreDNS', child, () => answersOk(`http://${readyAddress}/ready`), 20_000);
  return {
    ...child,
    dnsPort,
    metricsAddress,
    stop: async (signal, timeoutMs) => {
      const code = await child.stop(signal, timeoutMs);
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/**
 * Standalone settings for a Meridian process on `dir`: zone cloud.example.org,
 * free loopback ports for gRPC, HTTP and the admin listener, no shutdown grace, warnings only.
 */
export async function meridianProcessEnv(
  dir: string,
  overrides: Record<string, string> = {},
): Promise<Record<string, string>> {
  return {
    DNS_ZONES: 'example.org:cloud.example.org:30',
    CLUSTER_GEO_TAG: 'eu',
    MERIDIAN_MANIFESTS_DIR: dir,
    MERIDIAN_GRPC_LISTEN: `127.0.0.1:${await freePort()}`,
    METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
    MERIDIAN_ADMIN_LISTEN: `127.0.0.1:${await freePort()}`,
    MERIDIAN_SHUTDOWN_GRACE_SECONDS: '0',
    LOG_LEVEL: 'warn',
    ...overrides,
  };
}

/** Runs Meridian's built entry point (dist/main.js) with `env`; waits until /readyz answers 200. */
export async function startMeridianProcess(
  env: Record<string, string>,
  timeoutMs = 15_000,
  args: string[] = [],
): Promise<Child & { readyMs: number }> {
  const child = startChild(process.execPath, [join(REPO_ROOT, 'dist', 'main.js'), ...args], env);
  const flag = args.find((a) => a.startsWith('--metrics-address='));
  const metrics =
    flag === undefined ? env['METRICS_ADDRESS'] : flag.slice('--metrics-address='.length);
  if (metrics === undefined) throw new Error('startMeridianProcess needs METRICS_ADDRESS');
  const readyMs = await waitUntilReady(
    'Meridian',
    child,
    () => answersOk(`http://${metrics}/readyz`),
    timeoutMs,
    20,
  );
  return { ...child, readyMs };
}
