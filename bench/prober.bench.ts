/**
 * What the prober costs the Meridian process: 1,000 and 10,000 HTTP probes
 * at a 10 s interval (100 and 1,000 fresh connections a second) against a
 * local HTTP server in a child process, each probe on its own path so none is
 * shared. For each count: the prober's CPU (user + system, as a share of one
 * core), the checks it finished and skipped, and the process's RSS and heap
 * growth, beside the same process idle over the same window (the reference),
 * in the same run. `npm run bench:prober`. Not a test: it prints a table.
 */
import { spawn } from 'node:child_process';
import { runCheck } from '../src/probes/probe-check';
import { Prober, type ProbeSpec } from '../src/probes/prober';
import { PROBER_BOUNDS } from '../src/start-probes';

const INTERVAL_MS = 10_000;
const MEASURE_MS = Number(process.env['BENCH_PROBER_SECONDS'] ?? '20') * 1000;
const COUNTS = (process.env['BENCH_PROBER_COUNTS'] ?? '1000,10000').split(',').map(Number);
/** Several loopback addresses, so that the per-address bound is not what limits the run. */
const ADDRESSES = Array.from({ length: 16 }, (_, i) => `127.0.3.${i + 1}`);

const SERVER = `
const http = require('node:http');
const port = Number(process.argv[1]);
let left = ${ADDRESSES.length};
for (const address of ${JSON.stringify(ADDRESSES)})
  http.createServer((req, res) => res.writeHead(200).end('ok')).listen(port, address, () => {
    if (--left === 0) process.stdout.write('ready\\n');
  });
`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Window {
  readonly cpuShare: number;
  readonly rssMiB: number;
  readonly heapMiB: number;
}

/** CPU share of one core over `ms`, and memory at its end. */
async function measure(ms: number): Promise<Window> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await sleep(ms);
  const used = process.cpuUsage(cpu);
  const elapsedUs = (performance.now() - started) * 1000;
  const memory = process.memoryUsage();
  return {
    cpuShare: (used.user + used.system) / elapsedUs,
    rssMiB: memory.rss / 2 ** 20,
    heapMiB: memory.heapUsed / 2 ** 20,
  };
}

async function startServer(port: number): Promise<() => void> {
  const child = spawn(process.execPath, ['-e', SERVER, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the probe target did not start')), 10_000);
    child.stdout.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return () => child.kill('SIGKILL');
}

async function main(): Promise<void> {
  const port = 20_000 + Math.floor(Math.random() * 10_000);
  const stopServer = await startServer(port);
  const rows: string[] = [];
  try {
    const idle = await measure(MEASURE_MS);
    rows.push(row('none (reference)', idle, 0, 0, 0, idle));
    for (const count of COUNTS) {
      let checks = 0;
      let failed = 0;
      let skipped = 0;
      const prober = new Prober({
        ...PROBER_BOUNDS,
        run: runCheck,
        now: Date.now,
        onChange: () => undefined,
        onResult: (_spec, outcome) => {
          checks++;
          if (!outcome.ok) failed++;
        },
        onSkipped: () => skipped++,
      });
      prober.set(specs(count, port));
      // One interval first, so that every probe has run and the heap holds its state.
      await sleep(INTERVAL_MS);
      checks = 0;
      failed = 0;
      skipped = 0;
      const window = await measure(MEASURE_MS);
      rows.push(row(count.toLocaleString('en'), window, checks, failed, skipped, idle));
      await prober.stop();
    }
  } finally {
    stopServer();
  }
  process.stdout.write(
    [
      `prober: HTTP probes at a ${INTERVAL_MS / 1000} s interval, ${MEASURE_MS / 1000} s measured after one interval, Node ${process.version}`,
      '| probes | CPU (share of one core) | CPU per check | checks/s | failed | skipped | RSS MiB | heap MiB |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
    ].join('\n'),
  );
}

function specs(count: number, port: number): ProbeSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const address = ADDRESSES[i % ADDRESSES.length]!;
    return {
      key: `${address} /p${i}`,
      intervalMs: INTERVAL_MS,
      rise: 2,
      fall: 3,
      check: {
        type: 'http',
        address,
        port,
        path: `/p${i}`,
        host: 'bench.cloud.example.org',
        expectStatus: [200],
        bodyContains: null,
        timeoutMs: 2_000,
        verifyTls: true,
        caPem: null,
      },
    };
  });
}

function row(
  label: string,
  w: Window,
  checks: number,
  failed: number,
  skipped: number,
  idle: Window,
): string {
  const perSecond = checks / (MEASURE_MS / 1000);
  const perCheck =
    perSecond === 0 ? '–' : `${(((w.cpuShare - idle.cpuShare) * 1e6) / perSecond).toFixed(0)} µs`;
  return `| ${label} | ${(w.cpuShare * 100).toFixed(1)} % | ${perCheck} | ${perSecond.toFixed(0)} | ${failed} | ${skipped} | ${w.rssMiB.toFixed(0)} | ${w.heapMiB.toFixed(1)} |`;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
