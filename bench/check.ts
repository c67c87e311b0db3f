/**
 * Every system must answer correctly, before and while it is measured: a
 * fast wrong answer (SERVFAIL, NXDOMAIN, someone else's addresses) would make
 * a meaningless benchmark, so it fails the bench instead. Answers are
 * compared as sets: every system may order (and k8gb shuffles) the targets.
 */
import { parseReplies } from '../harness/dig';
import { runCommand } from './commands';
import { nonNoerror, runDnsperf, type DnsperfSetup } from './dnsperf';
import type { Host } from './workload';

/** Hosts whose answers are compared address by address. */
const SPOT_CHECKS = 5;

/** Where a system answers, and what to call it in an error. */
export interface Answerer {
  readonly label: string;
  readonly dnsPort: number;
}

/** Throws unless `system` answers NOERROR to every host and the right addresses to a sample. */
export async function checkAnswers(
  system: Answerer,
  hosts: readonly Host[],
  setup: DnsperfSetup,
): Promise<void> {
  const result = await runDnsperf(setup, { kind: 'once' });
  const wrong = nonNoerror(result);
  if (result.sent !== hosts.length || result.lost !== 0 || wrong !== 0) {
    throw new Error(
      `${system.label} answers wrongly: sent ${result.sent} of ${hosts.length} names, ` +
        `${result.lost} lost, response codes ${JSON.stringify(result.rcodes)}`,
    );
  }
  await spotCheck(system, hosts);
}

/** Throws unless `system` answers a sample of `hosts` with exactly their addresses. */
export async function spotCheck(system: Answerer, hosts: readonly Host[]): Promise<void> {
  for (const host of spotCheckSample(hosts)) {
    const { answers, failures } = await askA(system.dnsPort, host.name, 1);
    const got = answers[0] ?? [];
    if (!sameSet(got, host.addresses))
      throw new Error(
        `${system.label} answers ${host.name} A with [${got.join(', ')}]` +
          `${failures.length > 0 ? ` (${failures.join(', ')})` : ''}, ` +
          `want [${[...host.addresses].sort().join(', ')}] in any order`,
      );
  }
}

/**
 * Polls until a sample of `hosts` answers correctly (k8gb's plugin answers
 * SERVFAIL until its informer has listed every DNSEndpoint); returns how
 * long that took, or throws after `timeoutMs`.
 */
export async function waitUntilAnswering(
  system: Answerer,
  hosts: readonly Host[],
  timeoutMs: number,
): Promise<number> {
  const started = performance.now();
  const sample = spotCheckSample(hosts);
  for (;;) {
    // No reply yet (dig fails) counts as not answering yet, like SERVFAIL.
    const answers = await Promise.all(
      sample.map((host) =>
        askA(system.dnsPort, host.name, 1).then(
          (asked) => asked.answers[0] ?? [],
          () => [],
        ),
      ),
    );
    if (sample.every((host, i) => sameSet(answers[i] ?? [], host.addresses)))
      return performance.now() - started;
    if (performance.now() - started > timeoutMs)
      throw new Error(`${system.label} does not answer correctly within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The answers to `count` questions for one name. */
export interface AskedA {
  /** The addresses of each NOERROR reply, in the order served. */
  readonly answers: readonly (readonly string[])[];
  /** Why each other question got no addresses: its rcode, or `no reply`. */
  readonly failures: readonly string[];
}

/**
 * Asks `name` A `count` times with one dig process (dig sends the questions
 * one after another) and reads each reply on its own, so that an answer with
 * fewer records, an error rcode or a question that got no reply at all under
 * load is counted as what it is, never mistaken for another answer's records.
 */
export async function askA(port: number, name: string, count: number): Promise<AskedA> {
  // Asked while dnsperf saturates the server, a query waits behind up to 200
  // others: k8gb's plugin at 10,000 names answers them in about 2 s.
  const args = ['+noall', '+comments', '+answer', '+time=5', '+tries=3'];
  args.push('@127.0.0.1', '-p', String(port));
  for (let i = 0; i < count; i++) args.push(name, 'A');
  const { stdout } = await runCommand('dig', args, 20_000 + count * 1_000);
  const replies = parseReplies(stdout);
  const answered = replies.filter((reply) => reply.status === 'NOERROR');
  return {
    answers: answered.map((reply) =>
      reply.answer.filter((record) => record.type === 'A').map((record) => record.data),
    ),
    failures: [
      ...replies.filter((reply) => reply.status !== 'NOERROR').map((reply) => reply.status),
      ...Array.from({ length: Math.max(0, count - replies.length) }, () => 'no reply'),
    ],
  };
}

function sameSet(got: readonly string[], want: readonly string[]): boolean {
  const sorted = (list: readonly string[]): string => [...new Set(list)].sort().join(',');
  return got.length === want.length && sorted(got) === sorted(want);
}

// The first, the last and some in between, evenly spaced.
function spotCheckSample(hosts: readonly Host[]): Host[] {
  const count = Math.min(SPOT_CHECKS, hosts.length);
  const step = count > 1 ? (hosts.length - 1) / (count - 1) : 0;
  return Array.from({ length: count }, (_, i) => hosts[Math.round(i * step)]).filter(
    (host): host is Host => host !== undefined,
  );
}
