/**
 * End to end: real clients (kdig, dig) → a real CoreDNS running
 * Corefile.example unchanged → its grpc plugin → Meridian as a separate
 * process (dist/main.js), in standalone mode on a temporary directory; a
 * probed Gslb whose targets are real local HTTP servers.
 */
import { waitFor } from '../../harness/eventually';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dig, type DigReply } from '../../harness/dig';
import { gslbYaml } from '../../harness/gslb-yaml';
import { probeTargets } from '../helpers/probe-targets';
import {
  freePort,
  meridianProcessEnv,
  REPO_ROOT,
  startCoreDns,
  startMeridianProcess,
  type Child,
  type CoreDns,
} from '../../harness/processes';

const MANY = Array.from({ length: 80 }, (_, i) => `198.51.100.${i + 1}`);
const ZONE = 'cloud.example.org';

let dir: string;
let grpcPort: number;
let meridianEnv: Record<string, string>;
let meridian: Child;
let coredns: CoreDns;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meridian-e2e-'));
  writeFileSync(
    join(dir, 'web.yaml'),
    gslbYaml('web', `web.${ZONE}`, ['192.0.2.1', '192.0.2.2', '2001:db8::1']),
  );
  writeFileSync(join(dir, 'v6.yaml'), gslbYaml('v6', `v6.${ZONE}`, ['2001:db8::6']));
  writeFileSync(join(dir, 'many.yaml'), gslbYaml('many', `many.${ZONE}`, MANY));
  grpcPort = await freePort();
  meridianEnv = await meridianProcessEnv(dir, {
    EXT_GSLB_CLUSTERS_GEO_TAGS: 'eu,us',
    MERIDIAN_GRPC_LISTEN: `127.0.0.1:${grpcPort}`,
    MERIDIAN_RELOAD_DEBOUNCE_MS: '50',
  });
  meridian = await startMeridianProcess(meridianEnv);
  const corefile = readFileSync(join(REPO_ROOT, 'Corefile.example'), 'utf8');
  coredns = await startCoreDns(
    corefile,
    { MERIDIAN_ZONE: ZONE, MERIDIAN_GRPC_ADDRESS: `127.0.0.1:${grpcPort}` },
    await freePort(),
  );
}, 60_000);

afterAll(async () => {
  await coredns?.stop();
  await meridian?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ask = (tool: 'kdig' | 'dig', ...args: string[]): Promise<DigReply> =>
  dig(tool, ['@127.0.0.1', '-p', String(coredns.dnsPort), ...args]);
const data = (reply: DigReply): string[] => reply.answer.map((r) => r.data).sort();

test('A: every target, authoritative, TTL from the Gslb', async () => {
  const reply = await ask('kdig', `web.${ZONE}`, 'A');
  expect(reply.status).toBe('NOERROR');
  expect(reply.flags).toEqual(expect.arrayContaining(['qr', 'aa']));
  expect(data(reply)).toEqual(['192.0.2.1', '192.0.2.2']);
  expect(reply.answer.every((r) => r.ttl === 30 && r.type === 'A')).toBe(true);
});

test('AAAA from IPv6 targets', async () => {
  expect(data(await ask('kdig', `web.${ZONE}`, 'AAAA'))).toEqual(['2001:db8::1']);
});

test('SOA at the apex, with the serial of the served table', async () => {
  const reply = await ask('kdig', ZONE, 'SOA');
  expect(reply.status).toBe('NOERROR');
  const [mname, rname, serial, ...timers] = reply.answer[0]?.data.split(' ') ?? [];
  expect([mname, rname, timers.join(' ')]).toEqual([
    `gslb-ns-eu-${ZONE}.`,
    `hostmaster.${ZONE}.`,
    '7200 1800 86400 30',
  ]);
  expect(Number(serial)).toBeGreaterThan(1_700_000_000);
});

test('NS at the apex: the glue names of every geotag', async () => {
  expect(data(await ask('kdig', ZONE, 'NS'))).toEqual([
    `gslb-ns-eu-${ZONE}.`,
    `gslb-ns-us-${ZONE}.`,
  ]);
});

test('NXDOMAIN with SOA in authority', async () => {
  const reply = await ask('kdig', `nothing.${ZONE}`, 'A');
  expect(reply.status).toBe('NXDOMAIN');
  expect(reply.authority.map((r) => `${r.name} ${r.type}`)).toEqual([`${ZONE}. SOA`]);
});

test('NODATA with SOA: A asked of an IPv6-only name', async () => {
  const reply = await ask('kdig', `v6.${ZONE}`, 'A');
  expect(reply.status).toBe('NOERROR');
  expect(reply.answer).toEqual([]);
  expect(reply.authority.map((r) => r.type)).toEqual(['SOA']);
});

test('a mixed-case name is answered and echoed as asked (dig keeps case)', async () => {
  const reply = await ask('dig', `WeB.Cloud.EXAMPLE.org`, 'A', '+norec');
  expect(reply.status).toBe('NOERROR');
  expect(reply.question).toMatch(/^WeB\.Cloud\.EXAMPLE\.org\.\s+IN\s+A$/);
  expect(reply.answer).toHaveLength(2);
});

test('EDNS0 with the DO bit: answered, OPT present, DO echoed', async () => {
  const reply = await ask('kdig', `web.${ZONE}`, 'A', '+dnssec');
  expect(reply.status).toBe('NOERROR');
  expect(reply.edns).toMatch(/flags: do/);
  expect(reply.answer).toHaveLength(2);
});

test('EDNS0 with a client-subnet option: answered, subnet echoed with scope 0', async () => {
  const reply = await ask('kdig', `web.${ZONE}`, 'A', '+subnet=203.0.113.0/24');
  expect(reply.status).toBe('NOERROR');
  expect(reply.edns).toContain('CLIENT-SUBNET: 203.0.113.0/24/0');
  expect(reply.answer).toHaveLength(2);
});

test('queries over TCP', async () => {
  const reply = await ask('kdig', `web.${ZONE}`, 'AAAA', '+tcp');
  expect(reply.raw).toContain('(TCP)');
  expect(data(reply)).toEqual(['2001:db8::1']);
});

test('a large RRset: CoreDNS truncates the UDP answer, and the TCP retry returns every target', async () => {
  const udp = await ask('kdig', `many.${ZONE}`, 'A', '+notcp', '+noedns', '+ignore');
  expect(udp.flags).toContain('tc');
  expect(udp.answer.length).toBeLessThan(MANY.length);
  const retried = await ask('dig', `many.${ZONE}`, 'A', '+noedns');
  expect(retried.raw).toContain('(TCP)');
  expect(data(retried)).toEqual([...MANY].sort());
});

describe('with the optional `rewrite edns0 subnet append 24 56` line enabled', () => {
  let withRewrite: CoreDns;
  beforeAll(async () => {
    const corefile = readFileSync(join(REPO_ROOT, 'Corefile.example'), 'utf8').replace(
      '# rewrite edns0 subnet append 24 56',
      'rewrite edns0 subnet append 24 56',
    );
    expect(corefile).toContain('\n    rewrite edns0 subnet append 24 56\n');
    withRewrite = await startCoreDns(
      corefile,
      { MERIDIAN_ZONE: ZONE, MERIDIAN_GRPC_ADDRESS: `127.0.0.1:${grpcPort}` },
      await freePort(),
    );
  }, 30_000);
  afterAll(async () => {
    await withRewrite?.stop();
  });
  const askRewrite = (...args: string[]): Promise<DigReply> =>
    dig('kdig', ['@127.0.0.1', '-p', String(withRewrite.dnsPort), ...args]);

  test('the client address reaches Meridian as a client subnet (echoed back with scope 0)', async () => {
    const reply = await askRewrite(`web.${ZONE}`, 'A', '+noedns');
    expect(reply.edns).toContain('CLIENT-SUBNET: 127.0.0.0/24/0');
    expect(reply.answer).toHaveLength(2);
  });

  test("a client's own subnet option is kept (append does not overwrite it)", async () => {
    const reply = await askRewrite(`web.${ZONE}`, 'A', '+subnet=203.0.113.0/24');
    expect(reply.edns).toContain('CLIENT-SUBNET: 203.0.113.0/24/0');
  });

  test('caveat (CoreDNS behaviour): a client without EDNS is then sized as a 4096-byte EDNS client', async () => {
    const reply = await askRewrite(`many.${ZONE}`, 'A', '+notcp', '+noedns', '+ignore');
    expect(reply.flags).not.toContain('tc');
    expect(reply.answer).toHaveLength(MANY.length);
  });
});

test('outside the zone, CoreDNS itself answers REFUSED (no server block)', async () => {
  expect((await ask('kdig', 'www.example.net', 'A')).status).toBe('REFUSED');
});

test('a change to the standalone directory is visible through CoreDNS within 1 s', async () => {
  writeFileSync(join(dir, 'fresh.yaml'), gslbYaml('fresh', `fresh.${ZONE}`, ['192.0.2.77']));
  const elapsed = await waitFor(
    async () => data(await ask('kdig', `fresh.${ZONE}`, 'A')).join() === '192.0.2.77',
    1_000,
    'fresh.cloud.example.org through CoreDNS',
  );
  process.stdout.write(`directory change visible through CoreDNS after ${elapsed.toFixed(0)} ms\n`);
});

test("a probed two-target Gslb: one target's server stopped leaves the answer within interval × fall + 1 s, and is back within interval × rise + 1 s", async () => {
  const targets = ['127.0.2.1', '127.0.2.2'];
  const servers = await probeTargets();
  const { port, serve, stop } = servers;
  const probe = [
    '  probe:',
    '    type: http',
    `    port: ${port}`,
    '    path: /ping',
    '    intervalSeconds: 1',
    '    timeoutSeconds: 1',
    '    fall: 2',
    '    rise: 2',
  ];
  const answered = async (): Promise<string> =>
    data(await ask('kdig', `probed.${ZONE}`, 'A')).join();
  try {
    for (const address of targets) await serve(address);
    writeFileSync(
      join(dir, 'probed.yaml'),
      gslbYaml('probed', `probed.${ZONE}`, targets, probe.join('\n')),
    );
    await waitFor(async () => (await answered()) === targets.join(), 5_000, 'both probed targets');
    await stop(targets[1]!);
    const down = await waitFor(
      async () => (await answered()) === targets[0],
      3_000,
      'the stopped target withdrawn',
    );
    await serve(targets[1]!);
    const up = await waitFor(
      async () => (await answered()) === targets.join(),
      3_000,
      'the target back',
    );
    process.stdout.write(
      `probed target through CoreDNS: withdrawn after ${down.toFixed(0)} ms (bound 3000), back after ${up.toFixed(0)} ms (bound 3000)\n`,
    );
  } finally {
    await servers.close();
  }
}, 30_000);

test('Meridian restarted behind a running CoreDNS: answers resume on their own', async () => {
  const samples: number[] = [];
  for (let round = 0; round < 3; round++) {
    await meridian.stop('SIGTERM');
    const down = performance.now();
    meridian = await startMeridianProcess(meridianEnv);
    const startedMs = performance.now() - down;
    await waitFor(
      async () => (await ask('kdig', `web.${ZONE}`, 'A').catch(() => null))?.status === 'NOERROR',
      15_000,
      'answers after restart',
    );
    const resumedMs = performance.now() - down;
    samples.push(resumedMs);
    process.stdout.write(
      `restart ${round + 1}: Meridian ready ${startedMs.toFixed(0)} ms after the old process exited; CoreDNS answering after ${resumedMs.toFixed(0)} ms\n`,
    );
  }
  mkdirSync(join(REPO_ROOT, 'bench-results'), { recursive: true });
  writeFileSync(
    join(REPO_ROOT, 'bench-results', 'restart.json'),
    JSON.stringify({ samplesMs: samples }),
  );
  expect(samples).toHaveLength(3);
}, 60_000);
