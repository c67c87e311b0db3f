/**
 * Starts real programs (CoreDNS, Meridian's built entry point) as child
 * processes with bounded waits, and runs DNS command-line clients.
 */
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

/** Returns a port free on 127.0.0.1 for both TCP and UDP at the time of the call. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() =>
          resolve(typeof address === 'object' && address !== null ? address.port : 0),
        );
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free port found');
}

/** Path of the test CoreDNS, building it through the project script when needed. */
export function coreDnsBinary(): string {
  const fromEnv = process.env['MERIDIAN_COREDNS_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return execFileSync(join(REPO_ROOT, 'scripts', 'build-coredns.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/** A running CoreDNS. */
export interface CoreDns extends Child {
  readonly dnsPort: number;
  readonly metricsAddress: string;
}

/** Starts CoreDNS on `corefile` (CoreDNS substitutes `{$VAR}` from `env`); waits for /ready. */
export async function startCoreDns(
  corefile: string,
  env: Record<string, string>,
  dnsPort: number,
): Promise<CoreDns> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-coredns-'));
  const path = join(dir, 'Corefile');
  writeFileSync(path, corefile);
  const readyAddress = env['READY_ADDRESS'] ?? `127.0.0.1:${await freePort()}`;
  const metricsAddress = env['PROMETHEUS_ADDRESS'] ?? `127.0.0.1:${await freePort()}`;
  const child = startChild(
    coreDnsBinary(),
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
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.process.exitCode !== null) throw new Error(`CoreDNS exited: ${child.output()}`);
    const ready = await fetch(`http://${readyAddress}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await child.stop('SIGKILL');
      throw new Error(`CoreDNS not ready within 20 s: ${child.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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

/** Runs Meridian's built entry point (dist/main.js) with `env`; waits until /readyz answers 200. */
export async function startMeridianProcess(
  env: Record<string, string>,
  timeoutMs = 15_000,
  args: string[] = [],
): Promise<Child & { readyMs: number }> {
  const started = performance.now();
  const child = startChild(process.execPath, [join(REPO_ROOT, 'dist', 'main.js'), ...args], env);
  const flag = args.find((a) => a.startsWith('--metrics-address='));
  const metrics =
    flag === undefined ? env['METRICS_ADDRESS'] : flag.slice('--metrics-address='.length);
  if (metrics === undefined) throw new Error('startMeridianProcess needs METRICS_ADDRESS');
  for (;;) {
    if (child.process.exitCode !== null)
      throw new Error(`Meridian exited ${child.process.exitCode}: ${child.output()}`);
    const ready = await fetch(`http://${metrics}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { ...child, readyMs: performance.now() - started };
    if (performance.now() - started > timeoutMs) {
      await child.stop('SIGKILL');
      throw new Error(`Meridian not ready within ${timeoutMs} ms: ${child.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
