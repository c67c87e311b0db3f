/**
 * Facts about the machine and the software measured, recorded with the
 * results so that numbers from different runs can be compared honestly.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { relative } from 'node:path';
import { coreDnsBinary } from '../harness/processes';
import type { BenchOptions } from './options';
import { REPO } from './repo';

/** What a results file states besides the numbers. */
export interface MachineFacts {
  readonly date: string;
  readonly command: string;
  readonly commit: string;
  readonly cpus: string;
  readonly cpuModel: string;
  readonly node: string;
  readonly coredns: string;
  /** `-version` of the k8gb CoreDNS build, or null when system C does not run. */
  readonly k8gbCoredns: string | null;
  readonly dnsperf: string;
  readonly loadAtStart: string;
}

/** Collects the facts; call before the servers start, so the load average is the machine's own. */
export function collectFacts(options: BenchOptions): MachineFacts {
  return {
    date: new Date().toISOString(),
    command: commandLine(options),
    commit: gitCommit(),
    cpus: firstLine(output('nproc', [])),
    cpuModel:
      /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown',
    node: process.version,
    coredns: version(coreDnsBinary()),
    k8gbCoredns: options.k8gbCoreDns === null ? null : version(options.k8gbCoreDns),
    dnsperf: /Version (\S+)/.exec(output('dnsperf', ['-h']))?.[1] ?? 'unknown',
    loadAtStart: loadAverage(),
  };
}

function version(coreDns: string): string {
  return output(coreDns, ['-version'])
    .trim()
    .replace(/\s*\n\s*/g, ' ')
    .replace(/,$/, '');
}

/** The 1, 5 and 15 minute load averages, for judging how busy the machine was. */
export function loadAverage(): string {
  return loadavg()
    .map((load) => load.toFixed(2))
    .join(' ');
}

// The settings are spelled out, defaults included, so the line reruns as is.
function commandLine(options: BenchOptions): string {
  const settings = [`BENCH_PARTS=${options.parts.join(',')}`];
  if (options.parts.includes('data-plane'))
    settings.push(
      `BENCH_STRATEGIES=${options.strategies.join(',')}`,
      `BENCH_SIZES=${options.sizes.join(',')}`,
      `BENCH_SECONDS=${options.seconds}`,
    );
  settings.push(`BENCH_REPEATS=${options.repeats}`);
  if (options.parts.includes('control-plane'))
    settings.push(
      `BENCH_GSLBS=${options.gslbs}`,
      `BENCH_FLIPS=${options.flips}`,
      `BENCH_READY_SECONDS=${options.readySeconds}`,
    );
  const script = process.argv[1] === undefined ? 'bench' : relative(REPO, process.argv[1]);
  const invocation =
    process.env['npm_lifecycle_event'] === 'bench' ? 'npm run bench' : `node ${script}`;
  return `${settings.join(' ')} ${invocation}`;
}

function gitCommit(): string {
  const commit = firstLine(output('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD']));
  const dirty = output('git', ['-C', REPO, 'status', '--porcelain']).trim() !== '';
  return dirty ? `${commit} (with uncommitted changes)` : commit;
}

// Everything the command printed, or '' if it could not run; a fact is never worth failing for.
function output(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`;
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() || 'unknown';
}
