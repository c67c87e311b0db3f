/**
 * `meridian drill` against a simulated world on a virtual clock: three
 * clusters' admin listeners (an injected fetch), DNS servers that switch
 * from eu to us some time after the drain and back after the undrain (an
 * injected query), and the apiserver taking the drain annotation. Shown: the
 * timings and their TTL part, the verdict against the objective, a report
 * that validates against docs/drill-report.schema.json, the refusals that
 * drain nothing, and the undrain that always runs (an interrupt, a server that
 * never switches, an apiserver that refuses it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { CliIo } from '../../../src/cli/admin-client';
import { runAdminCommand } from '../../../src/cli/admin-commands';
import { durationMs, serversOf } from '../../../src/cli/drill';
import type { DrillReport } from '../../../src/cli/drill-report';
import type { QueryOutcome } from '../../../src/dns/client-message';
import type { KubeApi } from '../../../src/k8s/client/kube-api';

const T0 = Date.parse('2026-12-07T10:00:00Z');
const TTL_MS = 8_000;
const HOST = 'web.example.com';
const TARGETS: Record<string, string> = { eu: '10.0.0.1', us: '10.0.1.1', ap: '10.0.2.1' };
const SCHEMA: unknown = JSON.parse(
  readFileSync(join(__dirname, '..', '..', '..', 'docs', 'drill-report.schema.json'), 'utf8'),
);
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(SCHEMA as object);

interface WorldOptions {
  /** Per server: ms after the old TTL until it stops naming eu (Infinity: never). */
  readonly lagMs?: readonly number[];
  /** Per server: ms after the undrain until it names eu again. */
  readonly backMs?: readonly number[];
  /** Clusters whose explain shows them healthy with targets. */
  readonly healthy?: readonly string[];
  /** The status of every PATCH that removes the drain. */
  readonly undrainStatus?: number;
  /** Aborts the drill at this virtual ms after the drain. */
  readonly interruptAfterMs?: number;
  /** eu's explain never shows the drain (the kubeconfig reached another cluster). */
  readonly euIgnoresDrain?: boolean;
  /** eu is in this drain phase before the drill. */
  readonly phaseBefore?: string;
}

function world(options: WorldOptions = {}) {
  let now = T0;
  let drainedAt: number | null = null;
  let undrainedAt: number | null = null;
  const patches: unknown[] = [];
  const files: Record<string, string> = {};
  const out: string[] = [];
  const interrupt = new AbortController();
  const lag = options.lagMs ?? [0, 600];
  const back = options.backMs ?? [0, 700];
  const healthy = options.healthy ?? ['eu', 'us', 'ap'];
  const api: KubeApi = {
    watch: () => {
      throw new Error('not used');
    },
    request: (_method, _path, body) => {
      patches.push(body);
      const drain = (body as { metadata: { annotations: Record<string, string | null> } }).metadata
        .annotations['meridian.dev/drain'];
      if (drain === null) {
        if (options.undrainStatus !== undefined)
          return Promise.resolve({ status: options.undrainStatus, body: { message: 'denied' } });
        undrainedAt = now;
      } else drainedAt = Date.parse(drain!);
      return Promise.resolve({ status: 200, body: {} });
    },
    describe: () => 'test',
  };
  const withdrawn = (): boolean => drainedAt !== null && now >= drainedAt + TTL_MS;
  const answerOf = (server: number): string => {
    if (drainedAt === null || now < drainedAt + TTL_MS + lag[server]!) return 'eu';
    if (undrainedAt !== null && now >= undrainedAt + back[server]!) return 'eu';
    return 'us';
  };
  const history = (): unknown[] => {
    if (drainedAt === null) return [];
    const record = (at: number, before: string, after: string, extra = {}) => ({
      time: new Date(at).toISOString(),
      host: HOST,
      type: 'A',
      before: [{ address: TARGETS[before], clusters: [before] }],
      after: [{ address: TARGETS[after], clusters: [after] }],
      causes: [{ kind: 'drain', requestedBy: 'alice', detail: 'drained' }],
      ...extra,
    });
    const records = [record(drainedAt, 'eu', 'eu', { ttl: { before: 8, after: 5 } })];
    if (withdrawn()) records.push(record(drainedAt + TTL_MS, 'eu', 'us'));
    if (undrainedAt !== null) records.push(record(undrainedAt + 20, 'us', 'eu'));
    return records.reverse();
  };
  const admin = (geoTag: string, path: URL): unknown => {
    if (path.pathname === '/v1/status')
      return {
        table: { generation: 7, serial: 2026120701 },
        geoTag,
        version: '0.1.0',
        peers: [],
        total: 1,
        gslbs: [
          {
            id: 'shop/web',
            strategy: 'failover',
            ttlSeconds: 8,
            clusters: [],
            hosts: [{ host: HOST }],
          },
        ],
        next: null,
      };
    return {
      drain:
        geoTag === 'eu' && drainedAt !== null && options.euIgnoresDrain !== true
          ? { phase: 'ttl-lowered' }
          : geoTag === 'eu' && options.phaseBefore !== undefined
            ? { phase: options.phaseBefore }
            : null,
      clusters: Object.keys(TARGETS).map((tag) => ({
        geoTag: tag,
        role: tag === geoTag ? 'local' : 'peer',
        healthy: healthy.includes(tag) && !(tag === 'eu' && withdrawn() && undrainedAt === null),
        targets: healthy.includes(tag) ? [TARGETS[tag]] : [],
        source:
          tag === geoTag
            ? {
                kind: 'local',
                provenance: {
                  gslb: { kind: 'Gslb', name: 'web', generation: 3, resourceVersion: '42' },
                },
              }
            : { kind: 'peer' },
      })),
      history: geoTag === 'eu' ? history() : [],
    };
  };
  const ports: Record<string, string> = { '9054': 'eu', '9055': 'us', '9056': 'ap' };
  const io: CliIo = {
    fetch: (input) => {
      const url = new URL(input instanceof Request ? input.url : input);
      const body = admin(ports[url.port]!, url);
      return Promise.resolve(new Response(JSON.stringify(body), { status: 200 }));
    },
    readFile: () => Promise.reject(new Error('ENOENT')),
    write: (text) => out.push(text),
    writeError: (text) => out.push(text),
    sleep: (ms) => {
      now += ms;
      if (
        drainedAt !== null &&
        options.interruptAfterMs !== undefined &&
        now >= drainedAt + options.interruptAfterMs
      )
        interrupt.abort();
      return Promise.resolve();
    },
    signal: interrupt.signal,
    env: {},
    connectKube: () => Promise.resolve(api),
    writeFile: (path, text) => {
      files[path] = text;
      return Promise.resolve();
    },
    now: () => now,
    userName: 'alice',
    query: (server): Promise<QueryOutcome> => {
      const tag = answerOf(server.port - 5301);
      return Promise.resolve({
        ok: true,
        rcode: 'NOERROR',
        addresses: [TARGETS[tag]!],
        transport: 'udp',
      });
    },
  };
  const report = (): DrillReport => JSON.parse(files['out/drill-report.json']!) as DrillReport;
  return { io, patches, files, out, report, drainedAt: () => drainedAt };
}

const ARGS = [
  'drill',
  '--gslb',
  'shop/web',
  '--fail',
  'eu',
  '--servers',
  '127.0.0.1:5301,127.0.0.2:5302',
  '--admin',
  'http://127.0.0.1:9054,http://127.0.0.1:9055,http://127.0.0.1:9056',
  '--hold',
  '10s',
  '--objective',
  '30s',
  '--report',
  'out',
];

test('a drill on the primary: each server timed out and back, the TTL part from eu’s records, a report that validates', async () => {
  const w = world();
  expect(await runAdminCommand(ARGS, w.io)).toBe(0);
  const report = w.report();
  expect(validate(report)).toBe(true);
  expect(report).toMatchObject({
    outcome: 'pass',
    failedCluster: 'eu',
    standingClusters: ['ap', 'us'],
    findings: [],
  });
  const [first, second] = report.servers;
  // Sampled every 100 ms: the first answer without eu comes within one sample of the switch.
  expect(first!.failover!.seconds).toBeGreaterThanOrEqual(8);
  expect(first!.failover!.seconds).toBeLessThanOrEqual(8.1);
  expect(first!.failover!.meridianSeconds).toBe(8);
  expect(second!.failover!.seconds).toBeGreaterThanOrEqual(8.6);
  expect(second!.failover!.seconds).toBeLessThanOrEqual(8.7);
  expect(second!.failover!.propagationSeconds).toBeCloseTo(second!.failover!.seconds - 8, 3);
  expect(second!.failback!.seconds).toBeGreaterThanOrEqual(0.7);
  expect(second!.failback!.seconds).toBeLessThanOrEqual(0.8);
  expect(first!.before).toEqual(['eu']);
  expect(second!.segments.map((s) => s.clusters.join())).toEqual(['eu', 'us', 'eu']);
  expect(report.clusters.map((c) => [c.geoTag, c.version, c.gslbGeneration])).toEqual([
    ['eu', '0.1.0', 3],
    ['us', '0.1.0', 3],
    ['ap', '0.1.0', 3],
  ]);
  expect(
    report.decisions.find((d) => d.geoTag === 'eu')!.records.map((r) => r.causes[0]!.requestedBy),
  ).toEqual(['alice', 'alice', 'alice']);
  // Drained, then undrained, once each.
  expect(w.patches).toHaveLength(2);
  expect(w.files['out/drill-report.md']).toContain('PASS');
  expect(w.files['out/drill-report.md']).toContain('DORA Art. 11(6)');
  expect(w.files['out/drill-report.md']).toContain('| 127.0.0.2:5302 | eu |');
  const svg = w.files['out/drill-report.svg']!;
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg).toContain('127.0.0.2:5302');
  expect(svg).toContain('old TTL expires');
});

test('a server that never leaves eu: the objective runs out, the drill fails and undrains', async () => {
  const w = world({ lagMs: [0, Infinity] });
  expect(await runAdminCommand(ARGS, w.io)).toBe(1);
  const report = w.report();
  expect(validate(report)).toBe(true);
  expect(report.outcome).toBe('fail');
  expect(report.servers[1]!.failover).toBeNull();
  expect(report.findings.join('\n')).toContain(
    '127.0.0.2:5302 still named eu when the objective of 30.0 s ran out',
  );
  expect(report.undrained).toBe(true);
  expect(w.patches).toHaveLength(2);
});

test('interrupted mid-hold: undrained all the same, and a partial report that says so', async () => {
  const w = world({ interruptAfterMs: 12_000 });
  expect(await runAdminCommand(ARGS, w.io)).toBe(1);
  const report = w.report();
  expect(validate(report)).toBe(true);
  expect(report).toMatchObject({ outcome: 'interrupted', interrupted: true, undrained: true });
  expect(report.findings[0]).toBe('interrupted before the end');
  const last = w.patches.at(-1) as { metadata: { annotations: Record<string, unknown> } };
  expect(last.metadata.annotations['meridian.dev/drain']).toBeNull();
});

test('an apiserver that refuses the undrain: retried, then the report says the cluster is still drained', async () => {
  const w = world({ undrainStatus: 403 });
  expect(await runAdminCommand(ARGS, w.io)).toBe(1);
  const report = w.report();
  expect(report.undrained).toBe(false);
  expect(report.summary).toContain('eu IS STILL DRAINED');
  expect(report.findings.join('\n')).toContain('IS STILL DRAINED: run meridian undrain');
  // The drain, then five undrain attempts.
  expect(w.patches).toHaveLength(6);
});

test('a kubeconfig of another cluster: eu never shows the drain, so the drill undrains and fails', async () => {
  const w = world({ euIgnoresDrain: true });
  expect(await runAdminCommand(ARGS, w.io)).toBe(1);
  const report = w.report();
  expect(report.findings.join('\n')).toContain(
    "eu's Meridian (http://127.0.0.1:9054/) does not show it",
  );
  expect(report.times.undrainedAt).not.toBeNull();
});

test.each([
  [{ healthy: ['eu'] }, 'no cluster but eu serves web.example.com now'],
  [{ phaseBefore: 'returning' }, 'shop/web is in drain phase returning at eu'],
])('refused before anything is drained: %j', async (options, message) => {
  const w = world(options);
  expect(await runAdminCommand(ARGS, w.io)).toBe(1);
  expect(w.out.join('')).toContain(message);
  expect(w.patches).toHaveLength(0);
});

test('refused: an unknown Gslb, a geoTag no cluster has, and bad flags', async () => {
  for (const [args, message] of [
    [['--gslb', 'shop/other'], 'serves no Gslb shop/other'],
    [['--fail', 'mars'], 'no cluster reports A targets of mars'],
    [['--hold', 'soon'], '--hold must be from 0 s to 3600 s'],
    [['--servers', 'dns.example:53'], 'is no IP[:PORT]'],
  ] as const) {
    const w = world();
    const args2 = [...ARGS];
    args2[args2.indexOf(args[0]) + 1] = args[1];
    expect(await runAdminCommand(args2, w.io)).toBe(1);
    expect(w.out.join('')).toContain(message);
    expect(w.patches).toHaveLength(0);
  }
});

test('server lists and durations', () => {
  expect(serversOf('10.0.0.53, [2001:db8::53]:5353,127.0.0.1:1053')).toEqual([
    { host: '10.0.0.53', port: 53 },
    { host: '2001:db8::53', port: 5353 },
    { host: '127.0.0.1', port: 1053 },
  ]);
  expect(() => serversOf('10.0.0.1:0')).toThrow('is no IP[:PORT]');
  expect(() => serversOf(Array.from({ length: 33 }, () => '10.0.0.1').join(','))).toThrow(
    'at most 32',
  );
  expect(durationMs('90s', '--objective', 1)).toBe(90_000);
  expect(durationMs('2m', '--objective', 1)).toBe(120_000);
  expect(durationMs('0', '--hold', 0)).toBe(0);
  expect(() => durationMs('0', '--objective', 1)).toThrow('--objective must be from 1 s');
  expect(() => durationMs('2h', '--hold', 0)).toThrow();
});

test('the sample report in docs/ (from a real run of the three-cluster test) still validates', () => {
  const sample: unknown = JSON.parse(
    readFileSync(
      join(__dirname, '..', '..', '..', 'docs', 'drill-sample', 'drill-report.json'),
      'utf8',
    ),
  );
  expect(validate(sample) ? [] : validate.errors).toEqual([]);
  expect(sample).toMatchObject({ format: 'meridian-drill-report/v1', outcome: 'pass' });
});
