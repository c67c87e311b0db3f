/**
 * `npm run bench`, in two parts (BENCH_PARTS selects):
 *   data-plane: dnsperf against CoreDNS → grpc → Meridian (the product) and
 *     CoreDNS's file plugin serving the same names (the ceiling), for each
 *     size in BENCH_SIZES; writes bench-results/latest.md;
 *   control-plane: Meridian in Kubernetes mode on a real kube-apiserver
 *     (control-plane.ts); writes bench-results/control-plane.md.
 * Each prints a Markdown summary. See options.ts for the settings. Not a
 * test: it fails only when a system answers wrongly or a step does not finish
 * in time.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkAnswers } from './check';
import { benchControlPlane } from './control-plane';
import { cleanUpOnSignals, withCleanup } from './cleanup';
import { hasCommand, killRunningCommands } from './commands';
import { commandTemplate, nonNoerror, type DnsperfSetup, type Load } from './dnsperf';
import { collectFacts, loadAverage, type MachineFacts } from './facts';
import { interleave, measure, type Sample } from './measure';
import { parseOptions, type BenchOptions } from './options';
import { residentMiB } from './proc';
import { alignTestHelpersWithRepo, REPO } from './repo';
import { markdownReport, summaryTable, type SizeOutcome, type SystemOutcome } from './report';
import { median } from './stats';
import { SYSTEM_SPECS, startSystem, type Role, type System, type SystemId } from './systems';
import { makeHosts, writeQueryFile, type Host } from './workload';

/** CPUs for the servers and for dnsperf, or null for both when pinning is impossible. */
interface Pinning {
  readonly server: number | null;
  readonly client: number | null;
}

/** Warm-up before measuring, so that the first run does not pay for Node's JIT and Go's lazy setup. */
const WARM_UP_SECONDS = 2;

function choosePinning(): Pinning {
  const possible = hasCommand('taskset') && availableParallelism() >= 2;
  return possible ? { server: 0, client: 1 } : { server: null, client: null };
}

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** Starts both systems for `size` names, checks them, measures them, stops them. */
function benchSize(size: number, options: BenchOptions, pinning: Pinning): Promise<SizeOutcome> {
  return withCleanup(async (cleanup) => {
    const workdir = mkdtempSync(join(tmpdir(), 'meridian-bench-'));
    cleanup.defer(`remove ${workdir}`, () => rmSync(workdir, { recursive: true, force: true }));
    const hosts = makeHosts(size);
    const queryFile = join(workdir, 'queries.txt');
    writeQueryFile(queryFile, hosts);
    const systems: System[] = [];
    for (const spec of SYSTEM_SPECS) {
      systems.push(await startSystem(spec, workdir, hosts, cleanup, pinning.server));
    }
    const setupFor = (system: System): DnsperfSetup => ({
      port: system.dnsPort,
      queryFile,
      cpu: pinning.client,
    });
    // Before any query, the servers hold the names alone; load grows Node's heap.
    const residentAtStart = new Map(systems.map((system) => [system.id, residentByRole(system)]));
    await checkAndWarmUp(systems, hosts, setupFor);
    return measureSize(size, systems, setupFor, options, residentAtStart);
  });
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

/** Saturation runs first, since they set the rate of the fixed-rate runs. */
async function measureSize(
  size: number,
  systems: readonly System[],
  setupFor: (system: System) => DnsperfSetup,
  options: BenchOptions,
  residentAtStart: ReadonlyMap<SystemId, ReadonlyMap<Role, number>>,
): Promise<SizeOutcome> {
  const runs = (load: Load) => async (system: System, repetition: number) => {
    const sample = await measure(system, setupFor(system), load, repetition);
    logSample(size, system, sample);
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
  const outcomes = systems.map((system): SystemOutcome => ({
    system,
    saturation: samplesOf(saturation, system),
    fixedRate: samplesOf(fixedRate, system),
    residentMiB: {
      start: residentAtStart.get(system.id) ?? new Map(),
      end: residentByRole(system),
    },
  }));
  const ceiling = outcomes.find((outcome) => outcome.system.id === 'file');
  if (ceiling === undefined) throw new Error('the file-plugin system did not run');
  return { hosts: size, rateQps, ceiling, systems: outcomes };
}

function residentByRole(system: System): ReadonlyMap<Role, number> {
  return new Map(system.servers.map((server) => [server.role, residentMiB(server.pid)]));
}

function samplesOf(samples: ReadonlyMap<SystemId, Sample[]>, system: System): Sample[] {
  return samples.get(system.id) ?? [];
}

function medianQps(samples: readonly Sample[]): number {
  return median(samples.map((sample) => sample.result.qps));
}

/** Logs a finished run, loudly when a system answered anything but NOERROR under load. */
function logSample(size: number, system: System, sample: Sample): void {
  const { result, load, repetition } = sample;
  const what = load.kind === 'rate' ? `${load.qps} qps` : load.kind;
  progress(
    `${size} names, ${system.label}, ${what} #${repetition}: ${Math.round(result.qps)} qps, ` +
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
    `sizes ${options.sizes.join(', ')}; ${options.seconds} s runs; ${options.repeats} repetition(s)`,
  );

  const outcomes = await withCleanup(async (cleanup) => {
    cleanup.defer('kill dnsperf and dig', killRunningCommands);
    const results: SizeOutcome[] = [];
    for (const size of options.sizes) results.push(await benchSize(size, options, pinning));
    return results;
  });

  process.stdout.write(`${summaryTable(outcomes)}\n`);
  if (!options.smoke) writeReport(outcomes, options, facts, pinning);
}

function writeReport(
  outcomes: readonly SizeOutcome[],
  options: BenchOptions,
  facts: MachineFacts,
  pinning: Pinning,
): void {
  const report = markdownReport(outcomes, {
    facts,
    loadAtEnd: loadAverage(),
    seconds: options.seconds,
    repeats: options.repeats,
    pinned: pinning.server !== null,
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
