/**
 * Merging the peers' view into the Gslb records the table is built from:
 * peers' served targets are appended after the Gslb's own clusters, a Gslb
 * whose hosts get different answers is split so every host gets its own, and
 * the records' output builds a table whose answers hold the peer targets.
 */
import {
  peerTargetsOf,
  withPeerTargets,
  type PeerHostEntry,
  type PeerView,
} from '../../../src/peers/peer-view';
import { buildSnapshot } from '../../../src/table/build-snapshot';
import type { GslbRecord } from '../../../src/table/model';

const entry = (addresses: string[], state: 'up' | 'down' = 'up'): PeerHostEntry => ({
  addresses,
  state,
  lastSuccessMs: 1,
});

function view(hosts: Record<string, Record<string, PeerHostEntry>>): PeerView {
  return {
    peers: new Map(),
    hosts: new Map(
      Object.entries(hosts).map(([host, peers]) => [host, new Map(Object.entries(peers))]),
    ),
  };
}

const GSLB: GslbRecord = {
  id: 'shop/app',
  hosts: ['app.cloud.example.org', 'www.cloud.example.org'],
  strategy: 'roundRobin',
  ttlSeconds: 30,
  clusters: [{ geoTag: 'eu', addresses: ['10.0.0.1'] }],
};

test('peerTargetsOf lists peers with served addresses, in view order', () => {
  const v = view({
    'app.cloud.example.org': {
      us: entry(['10.1.0.1']),
      asia: entry([], 'down'),
      za: entry(['10.3.0.1']),
    },
  });
  expect(peerTargetsOf(v, 'app.cloud.example.org')).toEqual([
    { geoTag: 'us', addresses: ['10.1.0.1'] },
    { geoTag: 'za', addresses: ['10.3.0.1'] },
  ]);
  expect(peerTargetsOf(v, 'other.cloud.example.org')).toEqual([]);
});

test('the same peer targets for every host: one record with the peers after the own cluster', () => {
  const v = view({
    'app.cloud.example.org': { us: entry(['10.1.0.1', '2001:db8::1']) },
    'www.cloud.example.org': { us: entry(['10.1.0.1', '2001:db8::1']) },
  });
  expect(withPeerTargets([GSLB], v)).toEqual([
    {
      ...GSLB,
      clusters: [
        { geoTag: 'eu', addresses: ['10.0.0.1'] },
        { geoTag: 'us', addresses: ['10.1.0.1', '2001:db8::1'] },
      ],
    },
  ]);
});

test('different peer targets per host: the Gslb is split by host, under the same id', () => {
  const v = view({
    'app.cloud.example.org': { us: entry(['10.1.0.1']) },
    'www.cloud.example.org': { us: entry(['10.1.0.2']) },
  });
  const merged = withPeerTargets([GSLB], v);
  expect(merged.map((g) => [g.id, g.hosts, g.clusters.map((c) => c.addresses)])).toEqual([
    ['shop/app', ['app.cloud.example.org'], [['10.0.0.1'], ['10.1.0.1']]],
    ['shop/app', ['www.cloud.example.org'], [['10.0.0.1'], ['10.1.0.2']]],
  ]);
  // The split builds without conflicts, and each host answers its own peers' targets.
  const { snapshot, problems } = buildSnapshot({
    zones: [
      {
        name: 'cloud.example.org',
        parent: 'example.org',
        negativeTtlSeconds: 30,
        nameServers: ['gslb-ns-eu-cloud.example.org'],
        nameServerTtlSeconds: 30,
      },
    ],
    gslbs: merged,
    localGeoTag: 'eu',
    serial: 1,
    generation: 1,
  });
  expect(problems).toEqual([]);
  expect(snapshot.hostCount).toBe(2);
  // Two A records per host (own + peer) plus one localtargets record per host.
  expect(snapshot.recordCount).toBe(6);
});

test('no peer report, or only down peers and empty answers: the Gslbs are returned unchanged', () => {
  expect(withPeerTargets([GSLB], view({}))).toEqual([GSLB]);
  const none = view({
    'app.cloud.example.org': { us: entry([], 'down') },
    'www.cloud.example.org': { us: entry([]) },
  });
  expect(withPeerTargets([GSLB], none)[0]).toBe(GSLB);
  const noHosts = { ...GSLB, hosts: [] };
  expect(withPeerTargets([noHosts], none)).toEqual([noHosts]);
});

test('a peer never replaces a cluster the Gslb already has', () => {
  const v = view({
    'app.cloud.example.org': { eu: entry(['10.9.9.9']), us: entry(['10.1.0.1']) },
    'www.cloud.example.org': { eu: entry(['10.9.9.9']), us: entry(['10.1.0.1']) },
  });
  expect(withPeerTargets([GSLB], v)[0]?.clusters).toEqual([
    { geoTag: 'eu', addresses: ['10.0.0.1'] },
    { geoTag: 'us', addresses: ['10.1.0.1'] },
  ]);
});
