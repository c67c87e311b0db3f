/**
 * Runs dnsperf against 127.0.0.1 and reads its summary and, in verbose mode,
 * its per-query latencies (dnsperf 2.10 prints no percentiles itself).
 */
import { runCommand, tail } from './commands';

/** How a dnsperf run is driven. */
export type Load =
  /** As fast as the server answers: 8 clients, 200 queries in flight. */
  | { readonly kind: 'saturate'; readonly seconds: number }
  /** At `qps` queries per second, recording each query's latency. */
  | { readonly kind: 'rate'; readonly seconds: number; readonly qps: number }
  /** Every query in the file once, gently, to check the answers. */
  | { readonly kind: 'once' };

/** What one run reported. */
export interface DnsperfResult {
  readonly sent: number;
  readonly completed: number;
  readonly lost: number;
  /** Response code → count, e.g. { NOERROR: 5146 }. */
  readonly rcodes: Readonly<Record<string, number>>;
  readonly qps: number;
  readonly averageLatencyMs: number;
  /** Per-query latencies, sorted ascending; only for 'rate' runs. */
  readonly latenciesMs: readonly number[];
}

/** Where dnsperf runs: its own CPU when the machine allows pinning. */
export interface DnsperfSetup {
  readonly port: number;
  readonly queryFile: string;
  /** CPU to pin dnsperf to, or null to leave it unpinned. */
  readonly cpu: number | null;
}

// dnsperf's own query timeout; a run ends at most this long after its time limit.
const QUERY_TIMEOUT_SECONDS = 5;
// Asking every name once has no time limit of its own. k8gb's plugin scans
// every DNSEndpoint per query and answers about 100 q/s with 10,000 names on
// a busy machine, so that pass alone can take minutes.
const ONCE_LIMIT_SECONDS = 600;

/** The dnsperf arguments for `load` (without the taskset prefix). */
export function dnsperfArgs(setup: Pick<DnsperfSetup, 'port' | 'queryFile'>, load: Load): string[] {
  const base = ['-s', '127.0.0.1', '-p', String(setup.port), '-d', setup.queryFile, '-c', '8'];
  const timeout = ['-t', String(QUERY_TIMEOUT_SECONDS)];
  switch (load.kind) {
    case 'saturate':
      return [...base, ...timeout, '-l', String(load.seconds), '-q', '200'];
    case 'rate':
      return [
        ...base,
        ...timeout,
        '-l',
        String(load.seconds),
        '-q',
        '200',
        '-Q',
        String(load.qps),
        '-v',
      ];
    case 'once':
      return [...base, ...timeout, '-n', '1', '-q', '20'];
  }
}

/** The command line for `load` as the report shows it, with PORT and RATE for what varies. */
export function commandTemplate(load: Load): string {
  const args = dnsperfArgs({ port: 0, queryFile: 'queries.txt' }, load);
  return ['dnsperf', ...args]
    .join(' ')
    .replace(' -p 0 ', ' -p PORT ')
    .replace(/ -Q \d+/, ' -Q RATE');
}

/** Runs dnsperf and parses what it printed. */
export async function runDnsperf(setup: DnsperfSetup, load: Load): Promise<DnsperfResult> {
  const args = dnsperfArgs(setup, load);
  const [command, fullArgs] =
    setup.cpu === null
      ? ['dnsperf', args]
      : ['taskset', ['--cpu-list', String(setup.cpu), 'dnsperf', ...args]];
  const limitMs =
    ((load.kind === 'once' ? ONCE_LIMIT_SECONDS : load.seconds) + QUERY_TIMEOUT_SECONDS + 30) *
    1_000;
  const { stdout } = await runCommand(command, fullArgs, limitMs);
  return parseDnsperf(stdout);
}

/** Parses dnsperf's output (summary, and `> RCODE name type seconds` lines when -v). */
export function parseDnsperf(output: string): DnsperfResult {
  const number = (label: RegExp): number => {
    const match = label.exec(output);
    if (match?.[1] === undefined)
      throw new Error(`dnsperf output lacks ${label.source}:\n${tail(output)}`);
    return Number(match[1]);
  };
  return {
    sent: number(/Queries sent:\s+(\d+)/),
    completed: number(/Queries completed:\s+(\d+)/),
    lost: number(/Queries lost:\s+(\d+)/),
    rcodes: parseResponseCodes(output),
    qps: number(/Queries per second:\s+([\d.]+)/),
    averageLatencyMs: number(/Average Latency \(s\):\s+([\d.]+)/) * 1_000,
    latenciesMs: parseLatencies(output),
  };
}

// "  Response codes:       NOERROR 5140 (99.88%), SERVFAIL 6 (0.12%)"
function parseResponseCodes(output: string): Record<string, number> {
  const line = /Response codes:\s+(.*)$/m.exec(output)?.[1] ?? '';
  const counts: Record<string, number> = {};
  for (const match of line.matchAll(/([A-Z]+) (\d+) \(/g)) {
    if (match[1] !== undefined) counts[match[1]] = Number(match[2]);
  }
  return counts;
}

// "> NOERROR host-1.cloud.example.org A 0.000281"
function parseLatencies(output: string): number[] {
  const latencies: number[] = [];
  for (const match of output.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm))
    latencies.push(Number(match[1]) * 1_000);
  return latencies.sort((a, b) => a - b);
}

/** Queries that got an answer other than NOERROR. */
export function nonNoerror(result: DnsperfResult): number {
  return Object.entries(result.rcodes).reduce(
    (sum, [code, count]) => sum + (code === 'NOERROR' ? 0 : count),
    0,
  );
}
