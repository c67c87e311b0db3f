/**
 * What changed between two peer views, as causes: up and down with the
 * peer's failed polls and last error, and a peer that stays up with other
 * targets for some hosts (named, so that only their records list it).
 */
import type { PeerStatus, PeerView } from '../../../src/peers/peer-view';
import { peerCauses } from '../../../src/serving/peer-causes';

function status(
  state: 'up' | 'down',
  failedPolls = 0,
  lastError: string | null = null,
): PeerStatus {
  return { state, lastSuccessMs: 1_000, failedPolls, lastError, server: null };
}

function view(
  peers: Record<string, PeerStatus>,
  hosts: Record<string, Record<string, string[]>>,
): PeerView {
  return {
    peers: new Map(Object.entries(peers)),
    hosts: new Map(
      Object.entries(hosts).map(([host, byPeer]) => [
        host,
        new Map(
          Object.entries(byPeer).map(([geoTag, addresses]) => [
            geoTag,
            { addresses, state: peers[geoTag]?.state ?? 'down', lastSuccessMs: 1_000 },
          ]),
        ),
      ]),
    ),
  };
}

test('a peer going down, and one coming up, with what their last polls said', () => {
  const before = view(
    { us: status('up'), ap: status('down', 4, 'timeout: no reply') },
    { a: { us: ['192.0.2.1'], ap: [] } },
  );
  const after = view(
    { us: status('down', 2, 'servfail: servfail'), ap: status('up') },
    { a: { us: [], ap: ['192.0.2.9'] } },
  );
  expect(peerCauses(before, after)).toEqual([
    {
      kind: 'peer-down',
      peer: {
        geoTag: 'us',
        state: 'down',
        failedPolls: 2,
        lastError: 'servfail: servfail',
        lastSuccessMs: 1_000,
      },
    },
    {
      kind: 'peer-up',
      peer: { geoTag: 'ap', state: 'up', failedPolls: 0, lastError: null, lastSuccessMs: 1_000 },
    },
  ]);
});

test('a peer that stays up with other targets names the hosts that changed; the same view is no cause', () => {
  const peers = { us: status('up') };
  const before = view(peers, {
    a: { us: ['192.0.2.1'] },
    b: { us: ['192.0.2.2'] },
    c: { us: ['192.0.2.3'] },
  });
  const after = view(peers, {
    a: { us: ['192.0.2.1'] },
    b: { us: ['192.0.2.7'] },
    d: { us: ['192.0.2.4'] },
  });
  expect(peerCauses(before, after)).toEqual([
    {
      kind: 'peer-targets-changed',
      peer: { geoTag: 'us', state: 'up', failedPolls: 0, lastError: null, lastSuccessMs: 1_000 },
      hosts: ['b', 'd', 'c'],
      detail: '3 hosts',
    },
  ]);
  expect(peerCauses(after, after)).toEqual([]);
});

test('a peer seen for the first time is a cause only once it is up', () => {
  const empty = view({}, {});
  expect(peerCauses(empty, view({ us: status('down', 1, 'no address known') }, {}))).toEqual([]);
  expect(peerCauses(empty, view({ us: status('up') }, {})).map((c) => c.kind)).toEqual(['peer-up']);
});
