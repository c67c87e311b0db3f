/**
 * Decision records, through the real table pipeline and builder: a change of
 * what some query of a host can be answered with is one record per host and
 * type, with before and after, the clusters of each address, and every cause
 * of the build that can explain it; a rotation, a weighted draw or a rebuild
 * of the same content is none; for geoip a target moved by a database reload
 * is a change. One cause that moves 10,000 hosts is 10,000 records sharing
 * its id, and what the differ remembers stays one entry per served host and
 * type.
 */
import type { PeerHostEntry, PeerStatus, PeerView } from '../../../src/peers/peer-view';
import type { CauseInput, DecisionRecord } from '../../../src/serving/decisions';
import { TablePipeline } from '../../../src/serving/table-pipeline';
import type { GeoLocator } from '../../../src/table/geo-locator';
import type { ClusterTargets, GslbRecord } from '../../../src/table/model';
import { TableHolder } from '../../../src/table/table-holder';
import { ask, cluster, ZONE } from '../../helpers/table-fixtures';
import { capturingLogger } from '../../helpers/telemetry';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const HOST = 'app.cloud.example.org';

interface Rig {
  readonly pipeline: TablePipeline;
  readonly holder: TableHolder;
  readonly records: DecisionRecord[];
  /** Sets the records with `causes` and builds at once; the first call opens the answers. */
  serve(gslbs: GslbRecord[], causes?: CauseInput[]): DecisionRecord[];
}

function rig(open = true): Rig {
  const holder = new TableHolder();
  let ids = 0;
  const pipeline = new TablePipeline({
    zones: [ZONE],
    localGeoTag: 'eu',
    holder,
    metrics: { recordBuild: () => undefined, recordInternalError: () => undefined },
    logger: capturingLogger().logger,
    now: () => NOW,
    batchMs: 20,
    replica: 'meridian-0',
    newId: () => `cause-${++ids}`,
    timers: { setTimeout: () => 0, clearTimeout: () => undefined },
  });
  const records: DecisionRecord[] = [];
  pipeline.onDecisions((batch) => records.push(...batch));
  let first = true;
  return {
    pipeline,
    holder,
    records,
    serve(gslbs, causes = []) {
      const seen = records.length;
      pipeline.setRecords(gslbs, causes);
      pipeline.flush();
      // As after the warm start: the first table is what answers open with.
      if (first && open) pipeline.openAnswers();
      first = false;
      return records.slice(seen);
    },
  };
}

function record(
  id: string,
  strategy: GslbRecord['strategy'],
  clusters: ClusterTargets[],
  extra: Partial<GslbRecord> = {},
): GslbRecord {
  return { id, hosts: [HOST], strategy, ttlSeconds: 30, clusters, ...extra };
}

const changed = (id: string): CauseInput => ({
  kind: 'gslb-changed',
  gslbs: [id],
  object: { kind: 'Gslb', namespace: 'shop', name: id.split('/')[1] ?? id, generation: 2 },
});

test('a cluster going unhealthy in round robin: one A record with before, after and the clusters of each address', () => {
  const r = rig();
  r.serve([
    record('shop/web', 'roundRobin', [cluster('eu', ['192.0.2.1']), cluster('us', ['192.0.2.2'])]),
  ]);
  const [change, ...more] = r.serve(
    [
      record('shop/web', 'roundRobin', [
        cluster('eu', ['192.0.2.1']),
        cluster('us', ['192.0.2.2'], false),
      ]),
    ],
    [changed('shop/web')],
  );
  expect(more).toEqual([]);
  expect(change).toEqual({
    time: '2026-12-06T12:00:00.000Z',
    host: HOST,
    type: 'A',
    gslb: 'shop/web',
    strategy: 'roundRobin',
    before: [
      { address: '192.0.2.1', clusters: ['eu'] },
      { address: '192.0.2.2', clusters: ['us'] },
    ],
    after: [{ address: '192.0.2.1', clusters: ['eu'] }],
    causes: [
      {
        id: 'cause-1',
        kind: 'gslb-changed',
        object: { kind: 'Gslb', namespace: 'shop', name: 'web', generation: 2 },
      },
    ],
    generation: 2,
    serial: r.holder.current()!.serial,
    geoTag: 'eu',
    replica: 'meridian-0',
  });
});

test('rotations, weighted draws and a rebuild of the same content are no change', () => {
  const r = rig();
  const weighted = (): GslbRecord =>
    record(
      'shop/web',
      'roundRobin',
      [cluster('eu', ['192.0.2.1', '192.0.2.3']), cluster('us', ['192.0.2.2'])],
      {
        weights: { eu: 30, us: 70 },
      },
    );
  r.serve([weighted()]);
  for (let i = 0; i < 20; i++) ask(r.holder.current()!, HOST, 'A');
  // New objects with the same content, and other weights: the same set can be drawn from.
  expect(r.serve([weighted()], [changed('shop/web')])).toEqual([]);
  expect(r.serve([{ ...weighted(), weights: { eu: 90, us: 10 } }], [changed('shop/web')])).toEqual(
    [],
  );
});

test('failover: the primary going down moves the answer to the fallback, and back', () => {
  const r = rig();
  const failover = (euHealthy: boolean): GslbRecord =>
    record(
      'shop/pay',
      'failover',
      [cluster('eu', ['192.0.2.1'], euHealthy), cluster('us', ['192.0.2.2'])],
      {
        primaryGeoTag: 'eu',
      },
    );
  r.serve([failover(true)]);
  const down = r.serve([failover(false)], [changed('shop/pay')]);
  expect(down.map((d) => [d.type, d.before, d.after])).toEqual([
    [
      'A',
      [{ address: '192.0.2.1', clusters: ['eu'] }],
      [{ address: '192.0.2.2', clusters: ['us'] }],
    ],
  ]);
  const up = r.serve([failover(true)], [changed('shop/pay')]);
  expect(up.map((d) => d.after)).toEqual([[{ address: '192.0.2.1', clusters: ['eu'] }]]);
});

test('A and AAAA are separate records; a host no longer served has an empty after', () => {
  const r = rig();
  r.serve([record('shop/web', 'roundRobin', [cluster('eu', ['192.0.2.1', '2001:db8::1'])])]);
  const v6gone = r.serve(
    [record('shop/web', 'roundRobin', [cluster('eu', ['192.0.2.1'])])],
    [changed('shop/web')],
  );
  expect(v6gone.map((d) => [d.host, d.type, d.after])).toEqual([[HOST, 'AAAA', []]]);
  const deleted = r.serve([], [{ kind: 'gslb-deleted', gslbs: ['shop/web'] }]);
  expect(deleted.map((d) => [d.host, d.type, d.gslb, d.after, d.causes[0]?.kind])).toEqual([
    [HOST, 'A', 'shop/web', [], 'gslb-deleted'],
  ]);
});

test('several causes in one build are all listed where they apply, and only there', () => {
  const r = rig();
  const other = {
    ...record('shop/api', 'roundRobin', [cluster('eu', ['192.0.2.9'])]),
    hosts: ['api.cloud.example.org'],
  };
  r.serve([record('shop/web', 'roundRobin', [cluster('eu', ['192.0.2.1'])]), other]);
  const batch = r.serve(
    [
      record('shop/web', 'roundRobin', [cluster('eu', ['192.0.2.5'])]),
      { ...other, clusters: [cluster('eu', ['192.0.2.8'])] },
    ],
    [changed('shop/web'), { kind: 'resync' }, changed('shop/api')],
  );
  const byGslb = (records: DecisionRecord[]): [string, string[]][] =>
    records.map((d): [string, string[]] => [d.gslb, d.causes.map((c) => c.kind)]).sort();
  expect(byGslb(batch)).toEqual([
    ['shop/api', ['resync', 'gslb-changed']],
    ['shop/web', ['gslb-changed', 'resync']],
  ]);
  // A change no cause announced is still recorded, as unknown.
  const silent = r.serve([record('shop/web', 'roundRobin', [cluster('eu', ['192.0.2.6'])]), other]);
  expect(byGslb(silent)).toEqual([
    ['shop/api', ['unknown']],
    ['shop/web', ['unknown']],
  ]);
});

function peerStatus(
  state: 'up' | 'down',
  failedPolls = 0,
  lastError: string | null = null,
): PeerStatus {
  return { state, lastSuccessMs: NOW - 5_000, failedPolls, lastError, server: null };
}

function view(state: 'up' | 'down', addresses: string[], hosts: string[] = [HOST]): PeerView {
  const entry: PeerHostEntry = {
    addresses: state === 'up' ? addresses : [],
    state,
    lastSuccessMs: NOW,
  };
  return {
    peers: new Map([
      [
        'us',
        peerStatus(
          state,
          state === 'down' ? 2 : 0,
          state === 'down' ? 'timeout: no reply within 1500 ms' : null,
        ),
      ],
    ]),
    hosts: new Map(hosts.map((host) => [host, new Map([['us', entry]])])),
  };
}

test("a peer going down: its targets leave the answer, and the record names the peer's failed polls and last error", () => {
  const r = rig();
  r.pipeline.setPeerView(view('up', ['198.51.100.1']));
  r.serve([record('shop/web', 'roundRobin', [cluster('eu', ['192.0.2.1'])])]);
  r.pipeline.setPeerView(view('down', []));
  r.pipeline.flush();
  expect(
    r.records.map((d) => [
      d.before.map((t) => t.clusters),
      d.after.map((t) => t.address),
      d.causes,
    ]),
  ).toEqual([
    [
      [['eu'], ['us']],
      ['192.0.2.1'],
      [
        {
          id: expect.stringMatching(/^cause-/),
          kind: 'peer-down',
          peer: {
            geoTag: 'us',
            state: 'down',
            failedPolls: 2,
            lastError: 'timeout: no reply within 1500 ms',
            lastSuccessMs: NOW - 5_000,
          },
        },
      ],
    ],
  ]);
});

test('geoip: a database reload that moves a target to another datacenter is a change for geoip Gslbs only', () => {
  let usSite = 'us-east';
  const locator: GeoLocator = {
    locate: () => null,
    locateTarget: (address) => (address === '192.0.2.2' ? usSite : 'eu-west'),
  };
  const r = rig();
  r.pipeline.setGeoLocator(locator);
  const geo = record('shop/geo', 'geoip', [
    cluster('eu', ['192.0.2.1']),
    cluster('us', ['192.0.2.2']),
  ]);
  const rr = {
    ...record('shop/rr', 'roundRobin', [cluster('eu', ['192.0.2.3'])]),
    hosts: ['rr.cloud.example.org'],
  };
  r.serve([geo, rr]);
  expect(r.records).toEqual([]);
  usSite = 'eu-west';
  r.pipeline.geoLocatorChanged();
  r.pipeline.flush();
  expect(r.records.map((d) => [d.gslb, d.before, d.after, d.causes.map((c) => c.kind)])).toEqual([
    [
      'shop/geo',
      [
        { address: '192.0.2.1', clusters: ['eu'], datacenter: 'eu-west' },
        { address: '192.0.2.2', clusters: ['us'], datacenter: 'us-east' },
      ],
      [
        { address: '192.0.2.1', clusters: ['eu'], datacenter: 'eu-west' },
        { address: '192.0.2.2', clusters: ['us'], datacenter: 'eu-west' },
      ],
      ['geo-database-reloaded'],
    ],
  ]);
});

test('before the answers open (the warm start) changes are remembered, not recorded', () => {
  const r = rig(false);
  r.serve([record('shop/web', 'roundRobin', [cluster('eu', ['192.0.2.1'])])]);
  r.serve(
    [record('shop/web', 'roundRobin', [cluster('eu', ['192.0.2.2'])])],
    [changed('shop/web')],
  );
  expect(r.records).toEqual([]);
  r.pipeline.openAnswers();
  // The same table again: nothing changed since what was remembered.
  expect(r.serve([record('shop/web', 'roundRobin', [cluster('eu', ['192.0.2.2'])])])).toEqual([]);
  expect(r.serve([record('shop/web', 'roundRobin', [cluster('eu', ['192.0.2.3'])])])).toHaveLength(
    1,
  );
});

test('one cause that moves 10,000 hosts is 10,000 records with one cause id; the differ keeps one entry per host and type', () => {
  const r = rig();
  const hosts = Array.from({ length: 10_000 }, (_, i) => `h${i}.cloud.example.org`);
  const gslbs = (): GslbRecord[] =>
    hosts.map((host, i) => ({
      id: `ns/g${i}`,
      hosts: [host],
      strategy: 'roundRobin',
      ttlSeconds: 30,
      clusters: [cluster('eu', ['192.0.2.1'])],
    }));
  r.pipeline.setPeerView(view('up', ['198.51.100.1'], hosts));
  r.serve(gslbs());
  r.pipeline.setPeerView(view('down', [], hosts));
  r.pipeline.flush();
  expect(r.records).toHaveLength(10_000);
  expect(new Set(r.records.map((d) => d.causes[0]?.id)).size).toBe(1);
  // Down and up again, twice: the remembered state does not grow.
  for (const state of ['up', 'down', 'up', 'down'] as const) {
    r.pipeline.setPeerView(view(state, ['198.51.100.1'], hosts));
    r.pipeline.flush();
  }
  expect(r.records).toHaveLength(50_000);
  expect(r.pipeline.decisionStateSize).toBe(10_000);
});
