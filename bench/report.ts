/**
 * Turns the measured samples into the Markdown report: one summary row per
 * strategy, size and system (medians over repetitions), Meridian's ratios to
 * k8gb and to the ceiling, a sample answer of each system, the facts, and
 * every run.
 */
import { nonNoerror, type DnsperfResult } from './dnsperf';
import type { MachineFacts } from './facts';
import type { Sample } from './measure';
import { median, percentile } from './stats';
import type { ContextRole, Role, System, SystemId } from './systems';
import { WEIGHTS, type Strategy } from './workload';

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
  /** VmRSS of the processes off the query path (k8gb's apiserver and etcd), after all runs. */
  readonly contextResidentMiB: ReadonlyMap<ContextRole, number>;
  readonly answerSample: AnswerSample;
}

/** What a system answered for one name, before the measured runs. */
export interface AnswerSample {
  readonly name: string;
  /** The first answer's addresses, in the order served. */
  readonly answer: readonly string[];
  /** Geotag of the cluster owning the first address → answers, over `queries` answers. */
  readonly firstFrom: Readonly<Record<string, number>>;
  /** Answered questions (NOERROR). */
  readonly queries: number;
  /** The other questions: their rcode, or `no reply`. */
  readonly failures: readonly string[];
}

/** Everything measured for one strategy at one size. */
export interface SizeOutcome {
  readonly hosts: number;
  readonly strategy: Strategy;
  /** The fixed rate: half the slowest system's median saturation QPS. */
  readonly rateQps: number;
  readonly systems: readonly SystemOutcome[];
}

/** A strategy left unmeasured, and why. */
export interface SkippedStrategy {
  readonly strategy: Strategy;
  readonly reason: string;
}

/** How the run was set up, as the notes describe it. */
export interface RunSetup {
  readonly facts: MachineFacts;
  readonly loadAtEnd: string;
  readonly seconds: number;
  readonly repeats: number;
  readonly pinned: boolean;
  /** The k8gb CoreDNS binary, or null when system C did not run. */
  readonly k8gbCoreDns: string | null;
  readonly saturationCommand: string;
  readonly rateCommand: string;
}

const ROLES: readonly Role[] = ['CoreDNS', 'Meridian'];

/** The summary table alone, as printed to stdout. */
export function summaryTable(outcomes: readonly SizeOutcome[]): string {
  const header = [
    'names',
    'strategy',
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
  const qps = saturationQps(outcome);
  const ceiling = saturationQps(systemOf(size, 'file'));
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
    size.strategy,
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

/**
 * Meridian's ratios, per strategy and size: q/s at saturation (above 1:
 * Meridian serves more) and p99 at the fixed rate (above 1: Meridian's tail
 * is longer), against k8gb and against the ceiling.
 */
export function ratioTable(outcomes: readonly SizeOutcome[]): string {
  const header = [
    'names',
    'strategy',
    'q/s Meridian / k8gb',
    'q/s Meridian / ceiling',
    'p99 Meridian / k8gb',
    'p99 Meridian / ceiling',
    'q/s audit on / off',
  ];
  const rows = outcomes.map((size) => {
    const meridian = systemOf(size, 'meridian');
    const ratio = (other: SystemId, value: (outcome: SystemOutcome) => number): string => {
      const against = size.systems.find((outcome) => outcome.system.id === other);
      return against === undefined ? '—' : fixed(value(meridian) / value(against), 2);
    };
    return [
      size.hosts.toLocaleString('en-US'),
      size.strategy,
      ratio('k8gb', saturationQps),
      ratio('file', saturationQps),
      ratio('k8gb', p99AtFixedRate),
      ratio('file', p99AtFixedRate),
      size.systems.some((outcome) => outcome.system.id === 'meridian-audit')
        ? fixed(saturationQps(systemOf(size, 'meridian-audit')) / saturationQps(meridian), 2)
        : '—',
    ];
  });
  return markdownTable(header, rows);
}

/** One answer per system and strategy (from the first size), and where first addresses came from. */
function answersTable(outcomes: readonly SizeOutcome[]): string {
  const seen = new Set<Strategy>();
  const rows = outcomes.flatMap((size) => {
    if (seen.has(size.strategy)) return [];
    seen.add(size.strategy);
    return size.systems.map(({ system, answerSample: a }) => [
      size.strategy,
      system.label,
      a.name,
      a.answer.join(', '),
      Object.entries(a.firstFrom)
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([tag, n]) => `${tag} ${Math.round((n / a.queries) * 100)} %`)
        .concat(a.failures.length > 0 ? [`${a.failures.length} failed: ${failureCounts(a)}`] : [])
        .join(', '),
    ]);
  });
  return markdownTable(
    ['strategy', 'system', 'name', 'one answer, in the order served', 'first address from'],
    rows,
  );
}

/** `no reply ×2, SERVFAIL ×1`: the failures of a sample, counted. */
function failureCounts(sample: AnswerSample): string {
  const counts = new Map<string, number>();
  for (const failure of sample.failures) counts.set(failure, (counts.get(failure) ?? 0) + 1);
  return [...counts].map(([failure, n]) => `${failure} ×${n}`).join(', ');
}

/** How each system was set up, and the memory of what runs beside k8gb's CoreDNS. */
function setupTable(outcomes: readonly SizeOutcome[]): string {
  const rows = outcomes.flatMap((size) =>
    size.systems.map(({ system, contextResidentMiB }) => [
      size.hosts.toLocaleString('en-US'),
      size.strategy,
      system.label,
      system.setupNotes.join('; '),
      contextResidentMiB.size === 0
        ? '—'
        : [...contextResidentMiB].map(([role, mib]) => `${role} ${fixed(mib, 0)}`).join(', '),
    ]),
  );
  return markdownTable(
    ['names', 'strategy', 'system', 'set-up', 'RSS MiB off the query path (after the runs)'],
    rows,
  );
}

/** Every run, in the order it ran within its size. */
function runsTable(outcomes: readonly SizeOutcome[]): string {
  const header = [
    'names',
    'strategy',
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
        size.strategy,
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
export function markdownReport(
  outcomes: readonly SizeOutcome[],
  skipped: readonly SkippedStrategy[],
  setup: RunSetup,
): string {
  const { facts } = setup;
  const pinning = setup.pinned
    ? 'servers on CPU 0 (CoreDNS and Meridian share that one core), dnsperf on CPU 1 (`taskset`)'
    : 'none (no `taskset`, or fewer than 2 CPUs)';
  const k8gb =
    setup.k8gbCoreDns === null
      ? '- C (k8gb) did not run: MERIDIAN_K8GB_COREDNS_BIN was not set.'
      : `- C: ${facts.k8gbCoredns} with k8gb's \`k8s_crd\` plugin (\`${setup.k8gbCoreDns}\`), its chart's ` +
        '`k8s_crd { filter k8gb.io/dnstype=local; negttl 30; loadbalance weight }` plus `kubecontroller local` ' +
        '(KUBECONFIG: the admin of a kube-apiserver + etcd started for it), answering from one DNSEndpoint per name ' +
        "as k8gb's controller writes it (namespace test; `localtargets-<name>` and `<name>`, TTL 30, label `strategy: roundRobin`, " +
        'weight labels for weighted). kube-apiserver and etcd are off the query path: their memory is context, not cost.';
  const strategies = new Set(outcomes.map((size) => size.strategy));
  return [
    "# Meridian benchmark: CoreDNS → grpc → Meridian against CoreDNS file and k8gb's CoreDNS plugin",
    '',
    `- Date: ${facts.date}`,
    `- Command: \`${facts.command}\``,
    `- Commit: ${facts.commit}`,
    `- Machine: ${facts.cpus} CPUs (nproc), ${facts.cpuModel}; load average ${facts.loadAtStart} at start, ${setup.loadAtEnd} at end`,
    `- Software: Node ${facts.node}, ${facts.coredns}, dnsperf ${facts.dnsperf}`,
    '- A: CoreDNS `grpc` → Meridian (`node dist/main.js`, standalone, the names as Gslb manifests). B: the same CoreDNS with `file` (the ceiling).',
    k8gb,
    '- Every Corefile: the zone block with `errors`, `ready` and the answering plugin only (no `log`, `cache` or `prometheus`, which would cost every system alike).',
    `- Pinning: ${pinning}`,
    `- Saturation runs: \`${setup.saturationCommand}\``,
    `- Fixed-rate runs: \`${setup.rateCommand}\`, RATE being half the slowest system's median saturation QPS at that size`,
    `- ${setup.repeats} repetition(s) of ${setup.seconds} s per system, load and size, systems alternating A, B, C, A, B, C; the summary gives medians`,
    '',
    '## Summary',
    '',
    summaryTable(outcomes),
    '',
    '- Queries: every name once, type A, in a fixed random order; dnsperf cycles through them. Each name has addresses of its own.',
    '- Before measuring, every name was asked once through each system (all NOERROR, none lost) and five answers were compared with the expected address set (`dig`); during every run five names were asked again and compared. Any wrong answer fails the bench.',
    "- avg is dnsperf's average latency; p50 and p99 come from its per-query lines (`-v`); all at the fixed rate.",
    "- CPU s / 100k q: user + system CPU time of the process (/proc/PID/stat, all threads) during the saturation runs, per 100,000 answered queries. For C the CoreDNS columns are k8gb's CoreDNS.",
    '- RSS: VmRSS of the process once all servers of that size were ready (before any query), and after all its runs.',
    '- lost and not NOERROR add up all runs; the check before measuring requires both to be 0.',
    '',
    '## Meridian against k8gb and the ceiling',
    '',
    ratioTable(outcomes),
    '',
    '- q/s: median saturation rate of A divided by that of C (k8gb) or B (ceiling); above 1, Meridian serves more.',
    "- p99: A's median p99 at the fixed rate divided by that of C or B; above 1, Meridian's tail is longer.",
    "- audit on / off: A' (the audit file on, BENCH_AUDIT=1) divided by A; 1 means the audit file costs no throughput.",
    '',
    '## What each system answers',
    '',
    answersTable(outcomes),
    '',
    `- first address from: over the sample's answers, the cluster (geotag) whose target came first; clients mostly use the first.`,
    ...strategyNotes(strategies, skipped),
    '',
    '## Set-up',
    '',
    setupTable(outcomes),
    '',
    '## All runs',
    '',
    runsTable(outcomes),
    '',
  ].join('\n');
}

/** Why a strategy's numbers do not compare like for like, or why it was not measured. */
function strategyNotes(
  strategies: ReadonlySet<Strategy>,
  skipped: readonly SkippedStrategy[],
): string[] {
  const notes: string[] = [];
  if (strategies.has('weighted')) {
    const weights = Object.entries(WEIGHTS)
      .map(([tag, w]) => `${tag} ${w}`)
      .join(', ');
    notes.push(
      `- weighted (${weights}): not like for like. k8gb's CoreDNS returns all four targets, ordered per query by a weighted ` +
        "draw of the clusters (weight labels on the DNSEndpoint). Meridian's standalone mode has no peer clusters: the " +
        "Gslb lists all four addresses as this cluster's, with spec.strategy.weight set, so Meridian serves the same set " +
        'but every target is from one cluster and the weights cannot choose between clusters. The file plugin serves the set unweighted.',
    );
  }
  for (const { strategy, reason } of skipped) notes.push(`- ${strategy}: not measured: ${reason}.`);
  return notes;
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

function systemOf(size: SizeOutcome, id: SystemId): SystemOutcome {
  const outcome = size.systems.find((o) => o.system.id === id);
  if (outcome === undefined) throw new Error(`system ${id} did not run`);
  return outcome;
}

function saturationQps(outcome: SystemOutcome): number {
  return medianOf(outcome.saturation, (s) => s.result.qps);
}

function p99AtFixedRate(outcome: SystemOutcome): number {
  return medianOf(outcome.fixedRate, (s) => percentile(s.result.latenciesMs, 99));
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
