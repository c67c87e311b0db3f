/**
 * `npm run bench`, in two parts (BENCH_PARTS selects):
 *   data-plane: dnsperf against CoreDNS → grpc → Meridian (the product),
 *     CoreDNS's file plugin serving the same names (the ceiling) and, when
 *     MERIDIAN_K8GB_COREDNS_BIN is set, k8gb's CoreDNS plugin (k8gb.ts), for
 *     each strategy in BENCH_STRATEGIES and size in BENCH_SIZES; writes
 *     bench-results/latest.md;
 *   control-plane: Meridian in Kubernetes mode on a real kube-apiserver
 *     (control-plane.ts); writes bench-results/control-plane.md.
 * Each prints a Markdown summary. See options.ts for the settings. Not a
 * test: it fails only when a system answers wrongly or a step does not finish
 * in time.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { askA, checkAnswers, spotCheck } from './check';
import { benchControlPlane } from './control-plane';
import { cleanUpOnSignals, withCleanup } from './cleanup';
import { hasCommand, killRunningCommands } from './commands';
import { commandTemplate, nonNoerror, type DnsperfSetup, type Load } from './dnsperf';
import { collectFacts, loadAverage, type MachineFacts } from './facts';
import { interleave, measure, type Sample } from './measure';
import { parseOptions, type BenchOptions } from './options';
import { residentMiB } from './proc';
import { alignTestHelpersWithRepo, REPO } from './repo';
import { K8GB_COREDNS_ENV } from './k8gb';
import {
  markdownReport,
  ratioTable,
  summaryTable,
  type AnswerSample,
  type SizeOutcome,
  type SkippedStrategy,
  type SystemOutcome,
} from './report';
import { median } from './stats';
import {
  systemSpecs,
  startSystem,
  type ContextRole,
  type Role,
  type ServerProcess,
  type System,
  type SystemId,
} from './systems';
import {
  makeWorkload,
  UNCOMPARABLE,
  writeQueryFile,
  type Host,
  type Strategy,
  type Workload,
} from './workload';

/** CPUs for the servers and for dnsperf, or null for both when pinning is impossible. */
interface Pinning {
  readonly server: number | null;
  readonly client: number | null;
}

/** Warm-up before measuring, so that the first run does not pay for Node's JIT and Go's lazy setup. */
const WARM_UP_SECONDS = 2;
/** Answers asked per system for the sample shown in the report (order and first address). */
const SAMPLE_QUERIES = 100;

function choosePinning(): Pinning {
  const possible = hasCommand('taskset') && availableParallelism() >= 2;
  return possible ? { server: 0, client: 1 } : { server: null, client: null };
}

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** Starts every system for `size` names, checks them, measures them, stops them. */
function benchSize(
  size: number,
  strategy: Strategy,
  options: BenchOptions,
  pinning: Pinning,
): Promise<SizeOutcome> {
  return withCleanup(async (cleanup) => {
    const workdir = mkdtempSync(join(tmpdir(), 'meridian-bench-'));
    cleanup.defer(`remove ${workdir}`, () => rmSync(workdir, { recursive: true, force: true }));
    const workload = makeWorkload(size, strategy);
    const { hosts } = workload;
    const queryFile = join(workdir, 'queries.txt');
    writeQueryFile(queryFile, hosts);
    const systems: System[] = [];
    for (const spec of systemSpecs(options.k8gbCoreDns, options.audit)) {
      const system = await startSystem(spec, workdir, workload, cleanup, pinning.server, (m) =>
        progress(`${size} names, ${strategy}, ${spec.label}: ${m}`),
      );
      progress(`${size} names, ${strategy}, ${system.label}: ${system.setupNotes.join('; ')}`);
      systems.push(system);
    }
    const setupFor = (system: System): DnsperfSetup => ({
      port: system.dnsPort,
      queryFile,
      cpu: pinning.client,
    });
    // Before any query, the servers hold the names alone; load grows Node's heap.
    const residentAtStart = new Map(systems.map((system) => [system.id, residentByRole(system)]));
    await checkAndWarmUp(systems, hosts, setupFor);
    const samples = new Map<SystemId, AnswerSample>();
    for (const system of systems) samples.set(system.id, await answerSample(system, hosts));
    return measureSize(workload, systems, setupFor, options, residentAtStart, samples);
  });
}

/** One answer as served, and whose cluster the first address was in over SAMPLE_QUERIES answers. */
async function answerSample(system: System, hosts: readonly Host[]): Promise<AnswerSample> {
  const host = hosts[0];
  if (host === undefined) throw new Error('no hosts');
  const { answers, failures } = await askA(system.dnsPort, host.name, SAMPLE_QUERIES);
  const firstFrom: Record<string, number> = {};
  for (const answer of answers) {
    const cluster = host.clusters.find((c) => c.addresses.includes(answer[0] ?? ''));
    const tag = cluster?.geoTag ?? 'other';
    firstFrom[tag] = (firstFrom[tag] ?? 0) + 1;
  }
  // A failed question is said in the report, against the system that failed it.
  if (failures.length > 0)
    progress(`${system.label}: ${failures.length} of ${SAMPLE_QUERIES} sample questions failed`);
  return {
    name: host.name,
    answer: answers[0] ?? [],
    firstFrom,
    queries: answers.length,
    failures,
  };
}

async function checkAndWarmUp(
  systems: readonly System[],
  hosts: readonly Host[],
  setupFor: (system: System) => DnsperfSetup,
): Promise<void> {
  for (const system of systems) {
    await checkAnswers(system, hosts, setupFor(system));
    progress(`${hosts.length} names, ${system.label}: all NOERROR, spot checks match`);
    await measure(system, setupFor(system), { kind: 'saturate', seconds: WARM_UP_SECONDS }, 0);
  }
}

/**
 * Saturation runs first, since they set the rate of the fixed-rate runs.
 * While each run goes on, a sample of names is asked and checked: a system
 * that answers wrongly under load fails the bench.
 */
async function measureSize(
  workload: Workload,
  systems: readonly System[],
  setupFor: (system: System) => DnsperfSetup,
  options: BenchOptions,
  residentAtStart: ReadonlyMap<SystemId, ReadonlyMap<Role, number>>,
  samples: ReadonlyMap<SystemId, AnswerSample>,
): Promise<SizeOutcome> {
  const size = workload.hosts.length;
  const runs = (load: Load) => async (system: System, repetition: number) => {
    const [sample] = await Promise.all([
      measure(system, setupFor(system), load, repetition),
      checkWhileRunning(system, workload.hosts, load.kind === 'once' ? 0 : load.seconds),
    ]);
    logSample(size, workload.strategy, system, sample);
    return sample;
  };
  const { seconds, repeats } = options;
  const saturation = await interleave(systems, repeats, runs({ kind: 'saturate', seconds }));
  const slowest = Math.min(...systems.map((system) => medianQps(samplesOf(saturation, system))));
  const rateQps = Math.max(1, Math.floor(slowest / 2));
  const fixedRate = await interleave(
    systems,
    repeats,
    runs({ kind: 'rate', seconds, qps: rateQps }),
  );
  const outcomes = systems.map((system): SystemOutcome => {
    const sample = samples.get(system.id);
    if (sample === undefined) throw new Error(`no answer sample of ${system.label}`);
    return {
      system,
      saturation: samplesOf(saturation, system),
      fixedRate: samplesOf(fixedRate, system),
      residentMiB: {
        start: residentAtStart.get(system.id) ?? new Map(),
        end: residentByRole(system),
      },
      contextResidentMiB: residentOf(system.context),
      answerSample: sample,
    };
  });
  return { hosts: size, strategy: workload.strategy, rateQps, systems: outcomes };
}

/** Spot-checks `system` in the middle of a run of `seconds`. */
async function checkWhileRunning(
  system: System,
  hosts: readonly Host[],
  seconds: number,
): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, (seconds * 1000) / 2));
  await spotCheck(system, hosts);
}

function residentByRole(system: System): ReadonlyMap<Role, number> {
  return residentOf(system.servers);
}

function residentOf<R extends Role | ContextRole>(
  processes: readonly ServerProcess<R>[],
): ReadonlyMap<R, number> {
  return new Map(processes.map((server) => [server.role, residentMiB(server.pid)]));
}

function samplesOf(samples: ReadonlyMap<SystemId, Sample[]>, system: System): Sample[] {
  return samples.get(system.id) ?? [];
}

function medianQps(samples: readonly Sample[]): number {
  return median(samples.map((sample) => sample.result.qps));
}

/** Logs a finished run, loudly when a system answered anything but NOERROR under load. */
function logSample(size: number, strategy: Strategy, system: System, sample: Sample): void {
  const { result, load, repetition } = sample;
  const what = load.kind === 'rate' ? `${load.qps} qps` : load.kind;
  progress(
    `${size} names, ${strategy}, ${system.label}, ${what} #${repetition}: ${Math.round(result.qps)} qps, ` +
      `avg ${result.averageLatencyMs.toFixed(3)} ms, lost ${result.lost}`,
  );
  const wrong = nonNoerror(result);
  if (wrong === 0) return;
  progress(
    `WARNING: ${system.label} gave ${wrong} answers other than NOERROR: ${JSON.stringify(result.rcodes)}`,
  );
}

async function main(): Promise<void> {
  const options = parseOptions(process.env);
  alignTestHelpersWithRepo();
  cleanUpOnSignals();
  const facts = collectFacts(options);
  if (options.parts.includes('data-plane')) await benchDataPlane(options, facts);
  if (options.parts.includes('control-plane')) await benchControlPlane(options, facts);
}

async function benchDataPlane(options: BenchOptions, facts: MachineFacts): Promise<void> {
  const pinning = choosePinning();
  progress(
    `strategies ${options.strategies.join(', ')}; sizes ${options.sizes.join(', ')}; ` +
      `${options.seconds} s runs; ${options.repeats} repetition(s)`,
  );
  if (options.k8gbCoreDns === null)
    progress(`${K8GB_COREDNS_ENV} is not set: system C (k8gb) is left out`);

  const skipped: SkippedStrategy[] = [];
  const outcomes = await withCleanup(async (cleanup) => {
    cleanup.defer('kill dnsperf and dig', killRunningCommands);
    const results: SizeOutcome[] = [];
    for (const strategy of options.strategies) {
      const reason = UNCOMPARABLE[strategy];
      if (reason !== undefined) {
        progress(`${strategy}: not measured: ${reason}`);
        skipped.push({ strategy, reason });
        continue;
      }
      for (const size of options.sizes)
        results.push(await benchSize(size, strategy, options, pinning));
    }
    return results;
  });

  process.stdout.write(`${summaryTable(outcomes)}\n\n${ratioTable(outcomes)}\n`);
  for (const { strategy, reason } of skipped)
    process.stdout.write(`\n${strategy}: not measured: ${reason}\n`);
  if (!options.smoke) writeReport(outcomes, skipped, options, facts, pinning);
}

function writeReport(
  outcomes: readonly SizeOutcome[],
  skipped: readonly SkippedStrategy[],
  options: BenchOptions,
  facts: MachineFacts,
  pinning: Pinning,
): void {
  const report = markdownReport(outcomes, skipped, {
    facts,
    loadAtEnd: loadAverage(),
    seconds: options.seconds,
    repeats: options.repeats,
    pinned: pinning.server !== null,
    k8gbCoreDns: options.k8gbCoreDns,
    saturationCommand: commandTemplate({ kind: 'saturate', seconds: options.seconds }),
    rateCommand: commandTemplate({ kind: 'rate', seconds: options.seconds, qps: 0 }),
  });
  const dir = join(REPO, 'bench-results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.md'), report);
  progress(`wrote ${join(dir, 'latest.md')}`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench: FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
