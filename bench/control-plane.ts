/**
 * The control-plane part of `npm run bench`: Meridian in Kubernetes mode on a
 * real kube-apiserver + etcd (the e2e environment of
 * harness/kube-meridian.ts), CoreDNS in front. Each run starts a fresh
 * environment and measures, through CoreDNS and the apiserver as a user
 * would see them:
 *   1. EndpointSlice readiness → answer, with one Gslb (BENCH_FLIPS changes);
 *   2. BENCH_GSLBS Gslbs created → all served → all Ready, with Meridian's
 *      memory and every process's CPU;
 *   3. readiness → answer again with those Gslbs in;
 *   4. Meridian restarted over them: start to ready (list, first pass, serve).
 * The measurements are harness/kube-speed.ts, which
 * test/e2e/kubernetes-speed.test.ts uses too. Fails only when something
 * answers wrongly or does not finish.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubeBinDir } from '../harness/kube-cluster';
import { startKubeMeridian } from '../harness/kube-meridian';
import {
  answersReady,
  chartMeridianMemory,
  createFlipTarget,
  latencySummary,
  measureFlips,
  measureScale,
  memoryMiB,
  pollAnswer,
  udpDnsClient,
  type FlipSample,
  type MetricsSample,
  type ScaleResult,
} from '../harness/kube-speed';
import { withCleanup } from './cleanup';
import { loadAverage, type MachineFacts } from './facts';
import type { BenchOptions } from './options';
import { markdownTable } from './report';
import { REPO } from './repo';
import { median } from './stats';

/**
 * Meridian's settings besides the e2e environment's: its default debounce, not the tests' 20 ms,
 * and the Helm chart's heap limit.
 */
const MERIDIAN_ENV = {
  MERIDIAN_RELOAD_DEBOUNCE_MS: '100',
  NODE_OPTIONS: `--max-old-space-size=${chartMeridianMemory().maxHeapMiB}`,
};
/** Create requests in flight at once. */
const CREATE_CONCURRENCY = 32;
const SPOT_CHECKS = 200;
/** How long Meridian may take from its start to ready over all the Gslbs. */
const RESTART_TIMEOUT_MS = 120_000;

/** Restarting Meridian over the Gslbs of a run. */
export interface RestartOutcome {
  /** From spawning `node dist/main.js` to /readyz answering 200. */
  readonly readyMs: number;
  /** From spawning to a spot-checked name answering through CoreDNS. */
  readonly answeringMs: number;
  readonly rssAtReadyMiB: number;
  /** VmRSS 30 s after ready (one periodic reconcile included). */
  readonly rssSettledMiB: number;
}

/** One run of the control-plane bench. */
export interface ControlPlaneRun {
  readonly run: number;
  /** HEAD when the run started, and whether it waited in vain for a quiet machine. */
  readonly commit: string;
  readonly loadAtStart: string;
  readonly idleFlips: readonly FlipSample[];
  readonly scale: ScaleResult;
  readonly loadedFlips: readonly FlipSample[];
  readonly restart: RestartOutcome;
}

function progress(message: string): void {
  process.stderr.write(`bench: control plane: ${message}\n`);
}

function summaryLine(what: string, samples: readonly FlipSample[]): string {
  const s = latencySummary(samples);
  return `${what}: ${samples.length} flips, p50 ${ms(s.p50)}, p90 ${ms(s.p90)}, p99 ${ms(s.p99)}, max ${ms(s.max)} ms`;
}

/** How long a run waits for the machine to be quiet: 1-minute load average below 1. */
const QUIET_WAIT_MS = 300_000;

/**
 * Waits until the 1-minute load average is below 1, up to QUIET_WAIT_MS:
 * another workload on the machine would skew every figure. Returns the load
 * average when it stopped waiting.
 */
async function waitForQuietMachine(): Promise<string> {
  const deadline = performance.now() + QUIET_WAIT_MS;
  while ((loadavg()[0] ?? 0) >= 1 && performance.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  const load = loadAverage();
  if ((loadavg()[0] ?? 0) >= 1)
    progress(`machine still busy (load average ${load}); running anyway`);
  return load;
}

function headCommit(): string {
  const result = spawnSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return result.stdout.trim() || 'unknown';
}

/** One run in a fresh environment, stopped at the end whatever happens. */
function benchRun(run: number, options: BenchOptions): Promise<ControlPlaneRun> {
  return withCleanup(async (cleanup) => {
    const loadAtStart = await waitForQuietMachine();
    const commit = headCommit();
    progress(`run ${run}: starting kube-apiserver, etcd, Meridian and CoreDNS`);
    const env = await startKubeMeridian({ meridianEnv: MERIDIAN_ENV });
    cleanup.defer('stop the Kubernetes environment', () => env.stop());
    const client = await udpDnsClient(env.coredns.dnsPort);
    cleanup.defer('close the DNS client', () => client.close());
    const target = await createFlipTarget(env, client);

    const idleFlips = await measureFlips(env, client, target, options.flips);
    progress(`run ${run}: ${summaryLine('one Gslb', idleFlips)}`);

    const scale = await measureScale(env, {
      count: options.gslbs,
      concurrency: CREATE_CONCURRENCY,
      spotChecks: SPOT_CHECKS,
      servedTimeoutMs: 600_000,
      readyTimeoutMs: options.readySeconds * 1000,
      sampleEveryMs: 10_000,
      probeHost: target.host,
      progress: (message) => progress(`run ${run}: ${message}`),
    });
    if (scale.spotChecked !== scale.spotChecks)
      throw new Error(
        `${scale.spotChecks - scale.spotChecked} spot-checked names not answered correctly in 3 tries`,
      );

    const loadedFlips = await measureFlips(env, client, target, options.flips);
    progress(`run ${run}: ${summaryLine(`with ${options.gslbs} Gslbs`, loadedFlips)}`);

    const restart = await restartOver(env, client, target.host);
    progress(
      `run ${run}: restarted over ${options.gslbs} Gslbs: ready after ${ms(restart.readyMs)} ms, ` +
        `RSS ${restart.rssAtReadyMiB.toFixed(0)} MiB, ${restart.rssSettledMiB.toFixed(0)} MiB 30 s later`,
    );
    return { run, commit, loadAtStart, idleFlips, scale, loadedFlips, restart };
  });
}

async function restartOver(
  env: Awaited<ReturnType<typeof startKubeMeridian>>,
  client: Awaited<ReturnType<typeof udpDnsClient>>,
  host: string,
): Promise<RestartOutcome> {
  await env.meridian.stop();
  const started = performance.now();
  await Promise.race([
    env.restartMeridian(),
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error('Meridian not ready in time')), RESTART_TIMEOUT_MS),
    ),
  ]);
  const readyMs = performance.now() - started;
  const pid = env.meridian.process.pid!;
  const rssAtReadyMiB = memoryMiB(pid);
  const answeringMs =
    (await pollAnswer(client, host, (a) => answersReady(a, true), 5, RESTART_TIMEOUT_MS)) - started;
  await new Promise((resolve) => setTimeout(resolve, 30_000));
  return { readyMs, answeringMs, rssAtReadyMiB, rssSettledMiB: memoryMiB(pid) };
}

/** Runs the control-plane part; prints the summary and, unless smoke, writes the report. */
export async function benchControlPlane(options: BenchOptions, facts: MachineFacts): Promise<void> {
  // Built now rather than inside the first run's time limits.
  kubeBinDir();
  const load = { start: loadAverage(), end: '' };
  progress(
    `${options.repeats} run(s): ${options.flips} flips, ${options.gslbs} Gslbs, ` +
      `up to ${options.readySeconds} s for every status`,
  );
  const runs: ControlPlaneRun[] = [];
  for (let run = 1; run <= options.repeats; run++) runs.push(await benchRun(run, options));
  load.end = loadAverage();
  process.stdout.write(
    [latencyTable(runs), scaleTable(runs), probeTable(runs), restartTable(runs)].join('\n\n') +
      '\n',
  );
  if (options.smoke) return;
  const dir = join(REPO, 'bench-results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'control-plane.md'), controlPlaneReport(runs, options, facts, load));
  writeFileSync(join(dir, 'control-plane.json'), `${JSON.stringify(runs, null, 1)}\n`);
  progress(`wrote ${join(dir, 'control-plane.md')} and control-plane.json`);
}

// ---------------------------------------------------------------------------
// Report

function latencyRow(label: string, samples: readonly FlipSample[]): string[] {
  const s = latencySummary(samples);
  const patch = median(samples.map((sample) => sample.patchMs));
  return [label, String(samples.length), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max), ms(patch)];
}

function latencyTable(runs: readonly ControlPlaneRun[]): string {
  const gslbs = runs[0]?.scale.count ?? 0;
  const rows: string[][] = [];
  const phases = [
    ['one Gslb', (r: ControlPlaneRun) => r.idleFlips],
    [`${thousands(gslbs)} Gslbs in`, (r: ControlPlaneRun) => r.loadedFlips],
  ] as const;
  for (const [label, samplesOf] of phases) {
    rows.push(latencyRow(`${label}, all runs`, runs.flatMap(samplesOf)));
    for (const run of runs) rows.push(latencyRow(`${label}, run ${run.run}`, samplesOf(run)));
  }
  return markdownTable(
    ['Gslbs', 'flips', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'PATCH median ms'],
    rows,
  );
}

function scaleTable(runs: readonly ControlPlaneRun[]): string {
  const rows = runs.map(({ run, scale: s }) => [
    String(run),
    seconds(s.createdMs),
    seconds(s.servedMs),
    s.allReadyMs === null
      ? `not within the wait (${thousands(s.ready)} Ready)`
      : seconds(s.allReadyMs),
    `${mib(s.memoryMiB.before)} → ${mib(s.memoryMiB.served)} → ${mib(s.memoryMiB.after)}`,
    mib(s.memoryMiB.peak),
    `${mib(s.memoryMiB.heapUsedBefore)} → ${mib(s.memoryMiB.heapUsedAfter)}`,
    `${ms(s.meridian.reconcileMedianMs)} / ${ms(s.meridian.reconcileMaxMs)}`,
    `${s.meridian.tableBuilds} (${s.meridian.tableBuildMeanMs.toFixed(0)} ms)`,
    Object.entries(s.meridian.statusWrites)
      .map(([result, n]) => `${result} ${n}`)
      .join(', '),
    cpu(s.cpuSeconds.create),
    cpu(s.cpuSeconds.settle),
  ]);
  return markdownTable(
    [
      'run',
      'created s',
      'all served s',
      'all Ready s',
      'Meridian RSS MiB (before → served → end)',
      'peak RSS MiB',
      'heap used MiB',
      'reconcile pass ms (median / max)',
      'tables built (mean build)',
      'status writes',
      'CPU s while creating',
      'CPU s after',
    ],
    rows,
  );
}

function probeTable(runs: readonly ControlPlaneRun[]): string {
  return markdownTable(
    [
      'run',
      'queries',
      'p50 ms',
      'p99 ms',
      'max ms',
      'over 100 ms',
      'over 1 s',
      'unanswered in 5 s',
      'wrong',
      'spot checks needing a retry',
    ],
    runs.map(({ run, scale }) => {
      const p = scale.probe;
      return p === null
        ? [String(run), '—', '—', '—', '—', '—', '—', '—', '—', String(scale.spotRetried)]
        : [
            String(run),
            thousands(p.asked),
            ms(p.p50Ms),
            ms(p.p99Ms),
            ms(p.maxMs),
            thousands(p.over100Ms),
            thousands(p.over1s),
            thousands(p.timeouts),
            thousands(p.wrong),
            String(scale.spotRetried),
          ];
    }),
  );
}

function restartTable(runs: readonly ControlPlaneRun[]): string {
  return markdownTable(
    ['run', 'ready after ms', 'answering after ms', 'RSS at ready MiB', 'RSS 30 s later MiB'],
    runs.map(({ run, restart: r }) => [
      String(run),
      ms(r.readyMs),
      ms(r.answeringMs),
      mib(r.rssAtReadyMiB),
      mib(r.rssSettledMiB),
    ]),
  );
}

function timelineTable(samples: readonly MetricsSample[]): string {
  return markdownTable(
    [
      't s',
      'last pass ms',
      'tables built',
      'hosts served',
      'statuses written',
      'RSS MiB',
      'heap used MiB',
    ],
    samples.map((s) => [
      (s.atMs / 1000).toFixed(0),
      ms(s.reconcileMs),
      String(s.tableBuilds),
      thousands(s.tableHosts),
      thousands(s.statusWritesDone),
      mib(s.rssMiB),
      mib(s.heapUsedMiB),
    ]),
  );
}

function version(binary: string): string {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n')[0]?.trim() || 'unknown';
}

function controlPlaneReport(
  runs: readonly ControlPlaneRun[],
  options: BenchOptions,
  facts: MachineFacts,
  load: { start: string; end: string },
): string {
  const bin = kubeBinDir();
  return [
    '# Meridian benchmark: control plane (Kubernetes source)',
    '',
    `- Date: ${facts.date}`,
    `- Command: \`${facts.command}\``,
    `- Commit: ${facts.commit}`,
    `- Machine: ${facts.cpus} CPUs (nproc), ${facts.cpuModel}; load average ${load.start} at start, ${load.end} at end`,
    `- Software: Node ${facts.node}, ${facts.coredns}, ${version(join(bin, 'kube-apiserver'))}, ${version(join(bin, 'etcd'))}`,
    '- Environment: harness/kube-meridian.ts: kube-apiserver (RBAC, no priority and fairness) and etcd (`--unsafe-no-fsync`) on loopback, ' +
      "Meridian (`node dist/main.js`, Kubernetes mode, as its service account) and CoreDNS (Corefile.example, `log` included) in front; every process shares the machine's CPUs, none pinned.",
    `- Meridian settings: MERIDIAN_RELOAD_DEBOUNCE_MS=100 (its default), RECONCILE_REQUEUE_SECONDS=30 (default), LOG_LEVEL=info.`,
    `- ${runs.length} run(s), each in a fresh environment: ${options.flips} readiness flips with one Gslb; ` +
      `${thousands(options.gslbs)} Gslbs created (${CREATE_CONCURRENCY} POSTs in flight, one namespace, resourceRef to one shared LoadBalancer Service, a k8gb.io/hostname each); ` +
      `${options.flips} flips again; Meridian restarted over them. Each run first waits (up to ${QUIET_WAIT_MS / 60_000} min) for a 1-minute load average below 1.`,
    '',
    markdownTable(
      ['run', 'commit at start', 'load average at start'],
      runs.map((r) => [String(r.run), r.commit, r.loadAtStart]),
    ),
    '',
    '## EndpointSlice readiness → answer',
    '',
    'From the PATCH of the EndpointSlice returning to the first CoreDNS answer (UDP, asked every 5 ms) that reflects it: ' +
      'the address when ready, NOERROR without an answer when not. After each answer the bench waits 50–150 ms (random) before the next change.',
    '',
    latencyTable(runs),
    '',
    `## ${thousands(options.gslbs)} Gslbs: created → served → Ready`,
    '',
    '- Times from the first create request. All served: meridian_table_hosts counts every new name (after the last-created names answer through CoreDNS); ' +
      `${SPOT_CHECKS} names spread over the range then answered correctly. All Ready: a watch of the apiserver saw every Gslb with condition Ready=True.`,
    '- Memory: VmRSS of the Meridian process; peak is VmHWM. Heap used is nodejs_heap_size_used_bytes (live objects and garbage not yet collected).',
    "- Reconcile pass: meridian_kube_reconcile_duration_seconds (the last pass's duration) read every 10 s once every name was served.",
    '- CPU: user + system seconds (/proc/PID/stat) while creating, and from the last create to the end; client is the bench process (creates, DNS, watch); others is the rest of the machine (another workload on a shared machine shows there).',
    '',
    scaleTable(runs),
    '',
    '### Answers meanwhile',
    '',
    'The flip target (served throughout) asked through CoreDNS every 50 ms, waiting for each reply, from the first create until every Gslb was Ready: ' +
      "how answering fares while Meridian reconciles (a pass runs on Node's one thread, which also answers the gRPC queries).",
    '',
    probeTable(runs),
    '',
    `## Meridian restarted over ${thousands(options.gslbs)} Gslbs`,
    '',
    'From spawning `node dist/main.js` to /readyz answering 200 (every watch listed, first pass, table built), and to the flip target answering through CoreDNS.',
    '',
    restartTable(runs),
    '',
    ...runs.flatMap((run) => [
      `## Timeline of run ${run.run}`,
      '',
      timelineTable(run.scale.timeline),
      '',
    ]),
  ].join('\n');
}

function ms(value: number): string {
  return Number.isFinite(value) ? value.toFixed(0) : '—';
}

function seconds(valueMs: number): string {
  return Number.isFinite(valueMs) ? (valueMs / 1000).toFixed(1) : '—';
}

function mib(value: number): string {
  return Number.isFinite(value) ? value.toFixed(0) : '—';
}

function thousands(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '—';
}

function cpu(values: Record<string, number>): string {
  return Object.entries(values)
    .map(([role, s]) => `${role} ${s.toFixed(1)}`)
    .join(', ');
}
