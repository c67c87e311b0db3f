/**
 * Turns the measured samples into the Markdown report: one summary row per
 * size and system (medians over repetitions), the facts, and every run.
 */
import { nonNoerror, type DnsperfResult } from './dnsperf';
import type { MachineFacts } from './facts';
import type { Sample } from './measure';
import { median, percentile } from './stats';
import type { Role, System } from './systems';

/** One system's measurements at one size. */
export interface SystemOutcome {
  readonly system: System;
  readonly saturation: readonly Sample[];
  readonly fixedRate: readonly Sample[];
  /** VmRSS of each server process once started, and after all runs. */
  readonly residentMiB: {
    readonly start: ReadonlyMap<Role, number>;
    readonly end: ReadonlyMap<Role, number>;
  };
}

/** Everything measured at one size. */
export interface SizeOutcome {
  readonly hosts: number;
  /** The fixed rate: half the slower system's median saturation QPS. */
  readonly rateQps: number;
  /** The system B compares with; its QPS is the ceiling. */
  readonly ceiling: SystemOutcome;
  readonly systems: readonly SystemOutcome[];
}

/** How the run was set up, as the notes describe it. */
export interface RunSetup {
  readonly facts: MachineFacts;
  readonly loadAtEnd: string;
  readonly seconds: number;
  readonly repeats: number;
  readonly pinned: boolean;
  readonly saturationCommand: string;
  readonly rateCommand: string;
}

const ROLES: readonly Role[] = ['CoreDNS', 'Meridian'];

/** The summary table alone, as printed to stdout. */
export function summaryTable(outcomes: readonly SizeOutcome[]): string {
  const header = [
    'names',
    'system',
    'QPS at saturation',
    'of ceiling',
    'fixed rate (qps)',
    'avg ms',
    'p50 ms',
    'p99 ms',
    'lost (sat / fixed)',
    'not NOERROR',
    ...ROLES.map((role) => `${role} CPU s / 100k q`),
    ...ROLES.map((role) => `${role} RSS MiB (start → end)`),
  ];
  const rows = outcomes.flatMap((size) => size.systems.map((outcome) => summaryRow(size, outcome)));
  return markdownTable(header, rows);
}

function summaryRow(size: SizeOutcome, outcome: SystemOutcome): string[] {
  const qps = medianOf(outcome.saturation, (s) => s.result.qps);
  const ceiling = medianOf(size.ceiling.saturation, (s) => s.result.qps);
  const latency = (value: (s: Sample) => number): string =>
    fixed(medianOf(outcome.fixedRate, value), 3);
  const cpu = (role: Role): string =>
    fixed(
      medianOf(outcome.saturation, (s) => s.cpuPer100k.get(role) ?? Number.NaN),
      2,
    );
  const lost = (samples: readonly Sample[]): number => sum(samples, (s) => s.result.lost);
  const all = [...outcome.saturation, ...outcome.fixedRate];
  return [
    size.hosts.toLocaleString('en-US'),
    outcome.system.label,
    integer(qps),
    `${Math.round((qps / ceiling) * 100)} %`,
    integer(size.rateQps),
    latency((s) => s.result.averageLatencyMs),
    latency((s) => percentile(s.result.latenciesMs, 50)),
    latency((s) => percentile(s.result.latenciesMs, 99)),
    `${lost(outcome.saturation)} / ${lost(outcome.fixedRate)}`,
    String(sum(all, (s) => nonNoerror(s.result))),
    ...ROLES.map(cpu),
    ...ROLES.map((role) => residentChange(outcome, role)),
  ];
}

/** Every run, in the order it ran within its size. */
function runsTable(outcomes: readonly SizeOutcome[]): string {
  const header = [
    'names',
    'system',
    'rep',
    'load',
    'QPS',
    'avg ms',
    'p50 ms',
    'p99 ms',
    'lost',
    'response codes',
  ];
  header.push(...ROLES.map((role) => `${role} CPU s / 100k q`));
  const rows = outcomes.flatMap((size) =>
    size.systems.flatMap((outcome) =>
      [...outcome.saturation, ...outcome.fixedRate].map((sample) => [
        size.hosts.toLocaleString('en-US'),
        outcome.system.label,
        String(sample.repetition),
        sample.load.kind === 'rate' ? `${sample.load.qps} qps` : sample.load.kind,
        integer(sample.result.qps),
        fixed(sample.result.averageLatencyMs, 3),
        fixed(percentile(sample.result.latenciesMs, 50), 3),
        fixed(percentile(sample.result.latenciesMs, 99), 3),
        String(sample.result.lost),
        responseCodes(sample.result),
        ...ROLES.map((role) => fixed(sample.cpuPer100k.get(role) ?? Number.NaN, 2)),
      ]),
    ),
  );
  return markdownTable(header, rows);
}

/** The whole results file. */
export function markdownReport(outcomes: readonly SizeOutcome[], setup: RunSetup): string {
  const { facts } = setup;
  const pinning = setup.pinned
    ? 'servers on CPU 0 (CoreDNS and Meridian share that one core), dnsperf on CPU 1 (`taskset`)'
    : 'none (no `taskset`, or fewer than 2 CPUs)';
  return [
    '# Meridian benchmark: CoreDNS → grpc → Meridian against CoreDNS file',
    '',
    `- Date: ${facts.date}`,
    `- Command: \`${facts.command}\``,
    `- Commit: ${facts.commit}`,
    `- Machine: ${facts.cpus} CPUs (nproc), ${facts.cpuModel}; load average ${facts.loadAtStart} at start, ${setup.loadAtEnd} at end`,
    `- Software: Node ${facts.node}, ${facts.coredns}, dnsperf ${facts.dnsperf}`,
    `- Pinning: ${pinning}`,
    `- Saturation runs: \`${setup.saturationCommand}\``,
    `- Fixed-rate runs: \`${setup.rateCommand}\`, RATE being half the slower system's median saturation QPS at that size`,
    `- ${setup.repeats} repetition(s) of ${setup.seconds} s per system, load and size, systems alternating A, B, A, B; the summary gives medians`,
    '',
    '## Summary',
    '',
    summaryTable(outcomes),
    '',
    '- Queries: every name once, type A, in a fixed random order; dnsperf cycles through them. Each name has two addresses of its own.',
    '- Before measuring, every name was asked once through each system (all NOERROR, none lost) and five answers were compared address by address with `dig`.',
    "- avg is dnsperf's average latency; p50 and p99 come from its per-query lines (`-v`); all at the fixed rate.",
    '- CPU s / 100k q: user + system CPU time of the process (/proc/PID/stat, all threads) during the saturation runs, per 100,000 answered queries.',
    '- RSS: VmRSS of the process once all servers of that size were ready (before any query), and after all its runs.',
    '- lost and not NOERROR add up all runs; the check before measuring requires both to be 0.',
    '',
    '## All runs',
    '',
    runsTable(outcomes),
    '',
  ].join('\n');
}

function residentChange(outcome: SystemOutcome, role: Role): string {
  const { start, end } = outcome.residentMiB;
  if (!end.has(role)) return '—';
  return `${fixed(start.get(role) ?? Number.NaN, 1)} → ${fixed(end.get(role) ?? Number.NaN, 1)}`;
}

export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function responseCodes(result: DnsperfResult): string {
  return Object.entries(result.rcodes)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
}

function medianOf(samples: readonly Sample[], value: (sample: Sample) => number): number {
  return median(samples.map(value));
}

function sum(samples: readonly Sample[], value: (sample: Sample) => number): number {
  return samples.reduce((total, sample) => total + value(sample), 0);
}

function integer(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '—';
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}
