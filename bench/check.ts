/**
 * Before anything is measured, each system must answer every name correctly:
 * a fast wrong answer (SERVFAIL, NXDOMAIN, someone else's addresses) would
 * make a meaningless benchmark, so it fails the bench instead.
 */
import { runCommand } from './commands';
import { nonNoerror, runDnsperf, type DnsperfSetup } from './dnsperf';
import type { System } from './systems';
import type { Host } from './workload';

/** Hosts whose answers are compared address by address. */
const SPOT_CHECKS = 5;

/** Throws unless `system` answers NOERROR to every host and the right addresses to a sample. */
export async function checkAnswers(
  system: System,
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
  for (const host of spotCheckSample(hosts)) await checkAddresses(system, host);
}

async function checkAddresses(system: System, host: Host): Promise<void> {
  const args = [
    '+short',
    '+time=2',
    '+tries=2',
    '@127.0.0.1',
    '-p',
    String(system.dnsPort),
    host.name,
    'A',
  ];
  const { stdout } = await runCommand('dig', args, 15_000);
  const got = stdout
    .split('\n')
    .filter((line) => line !== '')
    .sort();
  const want = [...host.addresses].sort();
  if (got.join(',') !== want.join(',')) {
    throw new Error(
      `${system.label} answers ${host.name} A with [${got.join(', ')}], want [${want.join(', ')}]`,
    );
  }
}

// The first, the last and some in between, evenly spaced.
function spotCheckSample(hosts: readonly Host[]): Host[] {
  const count = Math.min(SPOT_CHECKS, hosts.length);
  const step = count > 1 ? (hosts.length - 1) / (count - 1) : 0;
  return Array.from({ length: count }, (_, i) => hosts[Math.round(i * step)]).filter(
    (host): host is Host => host !== undefined,
  );
}
