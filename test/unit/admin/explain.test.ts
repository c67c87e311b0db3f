/**
 * /v1/explain on tables built by the real builder: the answer comes from
 * the real answer path (with the client's subnet as ECS, and the reply's
 * scope), each strategy's retelling agrees with the table (`consistent`),
 * clusters say where their health came from, and names no Gslb serves get
 * a 404 that says why.
 */
import { Drains } from '../../../src/serving/drains';
import { DecisionHistory } from '../../../src/admin/decision-history';
import { explain, type AdminInputs } from '../../../src/admin/explain';
import { answerNow } from '../../../src/admin/answer-now';
import { inspectedClient } from '../../../src/dns/inspect';
import type { ClientSubnet } from '../../../src/dns/query';
import type { PeerStatus, PeerView } from '../../../src/peers/peer-view';
import { EMPTY_PEER_VIEW } from '../../../src/peers/peer-view';
import type { DecisionRecord } from '../../../src/serving/decisions';
import type { GslbProvenance } from '../../../src/serving/provenance';
import type { BuildProblem } from '../../../src/table/build-snapshot';
import {
  clientSubnetAddress,
  type GeoLocator,
  type GeoMatch,
} from '../../../src/table/geo-locator';
import type { GslbRecord } from '../../../src/table/model';
import type { RecordSnapshot } from '../../../src/table/snapshot';
import { APP, cluster, multiCluster, tableWith } from '../../helpers/table-fixtures';

/** Clients in 10.1/16 are in dc1, in 10.2/16 in dc2; targets by their first octet. */
class TwoDatacenters implements GeoLocator {
  locate(subnet: ClientSubnet): GeoMatch | null {
    const address = clientSubnetAddress(subnet);
    if (address.startsWith('10.1.')) return { datacenter: 'dc1', scopePrefixLength: 16 };
    if (address.startsWith('10.2.')) return { datacenter: 'dc2', scopePrefixLength: 16 };
    return null;
  }
  locateTarget(address: string): string | null {
    if (address.startsWith('192.')) return 'dc1';
    if (address.startsWith('198.')) return 'dc2';
    return null;
  }
}

const UP: PeerStatus = {
  state: 'up',
  lastSuccessMs: Date.UTC(2026, 0, 1),
  failedPolls: 0,
  lastError: null,
  server: { host: '203.0.113.53', port: 53 },
};
const DOWN: PeerStatus = {
  state: 'down',
  lastSuccessMs: Date.UTC(2026, 0, 1),
  failedPolls: 3,
  lastError: 'timeout',
  server: { host: '2001:db8::53', port: 5353 },
};

function peersOf(
  statuses: Record<string, PeerStatus>,
  answers: Record<string, string[]> = {},
): PeerView {
  const entries = new Map(
    Object.entries(answers).map(([geoTag, addresses]) => [
      geoTag,
      {
        addresses,
        state: statuses[geoTag]?.state ?? 'up',
        lastSuccessMs: Date.UTC(2026, 0, 1, 0, 0, 5),
      },
    ]),
  );
  return { peers: new Map(Object.entries(statuses)), hosts: new Map([[APP, entries]]) };
}

interface Setup {
  readonly records: GslbRecord[];
  readonly peers?: PeerView;
  readonly locator?: GeoLocator | null;
  readonly problems?: BuildProblem[];
  readonly provenance?: GslbProvenance | null;
}

function inputsFor(
  setup: Setup,
): AdminInputs & { snapshot: RecordSnapshot; history: DecisionHistory } {
  const locator = setup.locator ?? null;
  const { snapshot } = tableWith(setup.records, {
    localGeoTag: 'eu',
    ...(locator === null ? {} : { geoLocator: locator }),
  });
  const history = new DecisionHistory();
  return {
    snapshot,
    table: () => snapshot,
    pipeline: {
      drainView: new Drains({ drainTtlSeconds: 5, localGeoTag: 'eu' }),
      builtFrom: () => ({
        records: new Map(setup.records.map((r) => [r.id, r])),
        peers: setup.peers ?? EMPTY_PEER_VIEW,
        locator,
      }),
      problems: () => setup.problems ?? [],
    },
    history,
    provenanceOf: () => setup.provenance ?? null,
    localGeoTag: 'eu',
  };
}

type Body = Record<string, unknown> & {
  answer: {
    addresses: string[];
    ttl: number | null;
    clientSubnetScope: number | null;
    rcode: string;
  };
  clusters: {
    geoTag: string;
    inAnswer: boolean;
    reason: string;
    role: string;
    source: Record<string, unknown>;
  }[];
  consistent: boolean;
  why: string;
  history: DecisionRecord[];
};

function ask(
  inputs: AdminInputs,
  name: string,
  client: string | null = null,
  type: 'A' | 'AAAA' = 'A',
) {
  const reply = explain(inputs, {
    name,
    type,
    client: client === null ? null : inspectedClient(client),
  });
  return { status: reply.status, body: reply.body as Body };
}

describe('the answer now, through the answer path', () => {
  test('without a client: no ECS in the query, none in the reply; the TTL of the records', () => {
    const inputs = inputsFor({
      records: [multiCluster('roundRobin', [cluster('eu', ['192.0.2.1'])])],
    });
    const { answer, clientSubnet } = answerNow(inputs.snapshot, APP, 'A', null);
    expect(clientSubnet).toBeNull();
    expect(answer).toEqual({
      rcode: 'NOERROR',
      authoritative: true,
      addresses: ['192.0.2.1'],
      ttl: 30,
      clientSubnetScope: null,
    });
  });

  test('a client is sent as its /24 (or /56); a strategy that ignores it answers scope 0', () => {
    const inputs = inputsFor({
      records: [multiCluster('roundRobin', [cluster('eu', ['192.0.2.1'])])],
    });
    const { answer, clientSubnet } = answerNow(
      inputs.snapshot,
      APP,
      'A',
      inspectedClient('10.1.2.3'),
    );
    expect(clientSubnet?.sourcePrefixLength).toBe(24);
    expect(answer.clientSubnetScope).toBe(0);
    const v6 = answerNow(inputs.snapshot, APP, 'A', inspectedClient('2001:db8:1:2::7'));
    expect(v6.clientSubnet?.sourcePrefixLength).toBe(56);
    expect(inspectedClient('2001:db8:1:2ff::7')?.subnet).toBe('2001:db8:1:200::/56');
  });

  test('geoip answers with the scope of the database network holding the client', () => {
    const records = [
      multiCluster('geoip', [cluster('eu', ['192.0.2.1']), cluster('us', ['198.51.100.1'])]),
    ];
    const inputs = inputsFor({ records, locator: new TwoDatacenters() });
    const { answer } = answerNow(inputs.snapshot, APP, 'A', inspectedClient('10.2.0.9'));
    expect(answer.addresses).toEqual(['198.51.100.1']);
    expect(answer.clientSubnetScope).toBe(16);
  });

  test('a negative answer: the TTL of the SOA', () => {
    const inputs = inputsFor({
      records: [multiCluster('roundRobin', [cluster('eu', ['192.0.2.1'])])],
    });
    const { answer } = answerNow(inputs.snapshot, APP, 'AAAA', null);
    expect(answer.addresses).toEqual([]);
    expect(answer.ttl).toBe(30);
  });
});

describe('each strategy, retold and checked against the table', () => {
  test('failover with a peer: the local primary serves, the peer waits', () => {
    const records = [
      multiCluster('failover', [cluster('eu', ['192.0.2.1']), cluster('us', ['198.51.100.1'])], {
        primaryGeoTag: 'eu',
        fallbackGeoTags: ['us'],
      }),
    ];
    const provenance: GslbProvenance = {
      source: 'manifests',
      gslb: { kind: 'Gslb', namespace: 'shop', name: 'web', file: '/m/web.yaml' },
      hosts: [{ host: APP, health: 'Healthy', detail: 'declared', reads: [] }],
      exposed: [],
    };
    const inputs = inputsFor({
      records,
      peers: peersOf({ us: UP }, { us: ['198.51.100.1'] }),
      provenance,
    });
    const { status, body } = ask(inputs, APP, '10.1.0.1');
    expect(status).toBe(200);
    expect(body.answer.addresses).toEqual(['192.0.2.1']);
    expect(body.why).toBe('the primary eu is healthy: it serves alone');
    expect(body.consistent).toBe(true);
    expect(body.clusters.map((c) => [c.geoTag, c.role, c.inAnswer, c.reason])).toEqual([
      ['eu', 'local', true, 'primary: healthy'],
      ['us', 'peer', false, 'fallback #1: healthy, but eu comes first (order eu → us)'],
    ]);
    expect(body.clusters[0]?.source).toEqual({ kind: 'local', provenance });
    expect(body.clusters[1]?.source).toEqual({
      kind: 'peer',
      peer: {
        state: 'up',
        lastSuccess: '2026-01-01T00:00:00.000Z',
        failedPolls: 0,
        lastError: null,
        server: '203.0.113.53:53',
      },
      answered: { addresses: ['198.51.100.1'], lastSuccess: '2026-01-01T00:00:05.000Z' },
    });
    expect(body['gslb']).toMatchObject({
      id: 'shop/web',
      strategy: 'failover',
      primaryGeoTag: 'eu',
    });
    expect(body['table']).toEqual({ generation: 1, serial: 2026112201 });
  });

  test('failover with the primary peer down: the fallback serves, the peer listed with why', () => {
    const records = [
      multiCluster('failover', [cluster('eu', ['192.0.2.1'])], {
        primaryGeoTag: 'us',
        fallbackGeoTags: ['eu'],
      }),
    ];
    const inputs = inputsFor({ records, peers: peersOf({ us: DOWN }) });
    const { body } = ask(inputs, APP);
    expect(body.consistent).toBe(true);
    expect(body.clusters.map((c) => [c.geoTag, c.inAnswer, c.reason])).toEqual([
      ['eu', true, 'fallback #1: healthy'],
      [
        'us',
        false,
        'primary: peer down (3 failed polls, last error: timeout; last answered 2026-01-01T00:00:00.000Z)',
      ],
    ]);
    expect(body.clusters[1]?.source).toMatchObject({
      kind: 'peer',
      peer: { server: '[2001:db8::53]:5353' },
    });
  });

  test('weighted roundRobin: the answer is one draw among the servable targets', () => {
    const records = [
      multiCluster('roundRobin', [cluster('eu', ['192.0.2.1']), cluster('us', ['198.51.100.1'])], {
        weights: { eu: 1, us: 3 },
      }),
    ];
    const { body } = ask(inputsFor({ records }), APP);
    expect(body.consistent).toBe(true);
    expect(body.clusters.map((c) => c.reason)).toEqual([
      'weight 1 of 4: 25.0 % of answers',
      'weight 3 of 4: 75.0 % of answers',
    ]);
    expect(body['servable']).toEqual(['192.0.2.1', '198.51.100.1']);
  });

  test('roundRobin with an unhealthy local cluster: its source says why', () => {
    const records = [
      multiCluster('roundRobin', [
        cluster('eu', ['192.0.2.1'], false),
        cluster('us', ['198.51.100.1']),
      ]),
    ];
    const provenance: GslbProvenance = {
      source: 'kubernetes',
      gslb: { kind: 'Gslb', namespace: 'shop', name: 'web' },
      hosts: [{ host: APP, health: 'Unhealthy', detail: 'no ready endpoint', reads: [] }],
      exposed: [],
    };
    const { body } = ask(inputsFor({ records, provenance }), APP);
    expect(body.clusters.map((c) => [c.geoTag, c.inAnswer, c.reason])).toEqual([
      ['eu', false, 'Unhealthy: no ready endpoint'],
      ['us', true, 'healthy'],
    ]);
    expect(body.consistent).toBe(true);
  });

  test('geoip: the client located, the targets of its datacenter, the location in the reply', () => {
    const records = [
      multiCluster('geoip', [cluster('eu', ['192.0.2.1']), cluster('us', ['198.51.100.1'])]),
    ];
    const { body } = ask(inputsFor({ records, locator: new TwoDatacenters() }), APP, '10.1.7.7');
    expect(body.answer).toMatchObject({ addresses: ['192.0.2.1'], clientSubnetScope: 16 });
    expect(body['clientLocation']).toEqual({ datacenter: 'dc1', scopePrefixLength: 16 });
    expect(body.why).toBe('client in datacenter dc1: the healthy targets in dc1');
    expect(body.clusters.map((c) => [c.geoTag, c.inAnswer, c.reason])).toEqual([
      ['eu', true, 'targets in dc1'],
      ['us', false, 'no target in dc1'],
    ]);
    expect(body.consistent).toBe(true);
  });

  test('AAAA: only targets of the type count', () => {
    const records = [multiCluster('roundRobin', [cluster('eu', ['192.0.2.1', '2001:db8::1'])])];
    const { body } = ask(inputsFor({ records }), APP, null, 'AAAA');
    expect(body.answer.addresses).toEqual(['2001:db8::1']);
    expect(body.clusters[0]).toMatchObject({ targets: ['2001:db8::1'], inAnswer: true });
  });

  test('the host decision records of the type asked, newest first', () => {
    const records = [multiCluster('roundRobin', [cluster('eu', ['192.0.2.1'])])];
    const inputs = inputsFor({ records });
    const record = (type: 'A' | 'AAAA', generation: number): DecisionRecord => ({
      time: '2026-01-01T00:00:00.000Z',
      host: APP,
      type,
      gslb: 'shop/web',
      strategy: 'roundRobin',
      before: [],
      after: [{ address: '192.0.2.1', clusters: ['eu'] }],
      causes: [],
      generation,
      serial: 1,
      geoTag: 'eu',
      replica: 'r',
    });
    inputs.history.listener([record('A', 1), record('AAAA', 2), record('A', 3)]);
    expect(ask(inputs, APP).body.history.map((r) => r.generation)).toEqual([3, 1]);
  });
});

describe('a name no Gslb serves', () => {
  const records = [multiCluster('roundRobin', [cluster('eu', ['192.0.2.1'])])];

  test.each([
    ['nothing.cloud.example.org', 'no Gslb serves this name: NXDOMAIN'],
    ['elsewhere.example.com', 'outside every zone of DNS_ZONES: REFUSED'],
    ['cloud.example.org', 'the apex of a zone: SOA and NS, no Gslb'],
    [
      `localtargets-${APP}`,
      `what peers poll: this cluster's targets of ${APP} while it is Healthy here; explain that host`,
    ],
  ])('%s: 404 with why', (name, reason) => {
    const { status, body } = ask(inputsFor({ records }), name);
    expect(status).toBe(404);
    expect(body).toMatchObject({ error: 'unknown host', name, reason });
  });

  test('a host a Gslb names but that is not served: the build problem', () => {
    const problems: BuildProblem[] = [
      { gslb: 'shop/other', host: 'taken.cloud.example.org', reason: 'claimed by shop/web' },
    ];
    const { body } = ask(inputsFor({ records, problems }), 'taken.cloud.example.org');
    expect(body['reason']).toBe(
      'Gslb shop/other names it but it is not served: claimed by shop/web',
    );
  });

  test('before the first build: 503', () => {
    const inputs = { ...inputsFor({ records }), table: () => null };
    expect(ask(inputs, APP).status).toBe(503);
  });
});
