/**
 * What the peers report, as an immutable snapshot the table build reads, and
 * the pure merge of that snapshot into the Gslb records handed to the build.
 */
import {
  isSealed,
  sealRecord,
  type ClusterTargets,
  type GslbRecord,
  type SealedRecord,
} from '../table/model';
import type { DnsServer } from './dns-client';
import type { PeerState } from './peer-health';

/** One peer's report for one host. */
export interface PeerHostEntry {
  /**
   * The addresses served for this peer: its last answers (A then AAAA,
   * canonical, sorted) while the peer is up; always empty while it is down.
   */
  readonly addresses: readonly string[];
  readonly state: PeerState;
  /** Wall-clock ms of the last answer for this host, or null if none yet. */
  readonly lastSuccessMs: number | null;
  /** The peer answers NODATA for the host: drained there on purpose, not failed. */
  readonly withdrawn?: boolean;
}

/** One peer's state as a whole. */
export interface PeerStatus {
  readonly state: PeerState;
  /** Wall-clock ms of the last poll in which the peer answered, or null. */
  readonly lastSuccessMs: number | null;
  /** Consecutive polls that got no answer. */
  readonly failedPolls: number;
  /** Why the last failed poll failed, or null when the last poll answered. */
  readonly lastError: string | null;
  /** The server polled, or null while no address is known. */
  readonly server: DnsServer | null;
}

/** Everything the peers report, at one moment. */
export interface PeerView {
  /** Every peer by geotag, in configuration order. */
  readonly peers: ReadonlyMap<string, PeerStatus>;
  /** Every polled host → every peer's entry, peers in configuration order. */
  readonly hosts: ReadonlyMap<string, ReadonlyMap<string, PeerHostEntry>>;
}

/** The view before any poll. */
export const EMPTY_PEER_VIEW: PeerView = Object.freeze({
  peers: new Map<string, PeerStatus>(),
  hosts: new Map<string, ReadonlyMap<string, PeerHostEntry>>(),
});

/** The peers' served targets of `host`, one ClusterTargets per peer with addresses. */
export function peerTargetsOf(view: PeerView, host: string): ClusterTargets[] {
  const entries = view.hosts.get(host);
  if (entries === undefined) return [];
  const targets: ClusterTargets[] = [];
  for (const [geoTag, entry] of entries)
    if (entry.addresses.length > 0) targets.push({ geoTag, addresses: entry.addresses });
  return targets;
}

/** Merged records kept per sealed source record, so that unchanged ones keep their identity. */
export type PeerMergeMemo = WeakMap<
  SealedRecord,
  { readonly key: string; readonly records: readonly SealedRecord[] }
>;

/**
 * Adds the peers' targets to every Gslb, after its own clusters (a cluster
 * already present, the local one, is never overridden by a peer of the same
 * geotag). Peers report per host, a Gslb groups hosts: a Gslb whose hosts get
 * different peer targets is split into one record per group of hosts with the
 * same targets, under the same id, so every host gets exactly its peers'
 * answer. Pure; returns `gslbs` itself when no peer reports anything. Merged
 * records are sealed. With a `memo`, a sealed Gslb whose peer targets are as
 * in an earlier call gets the same merged record objects back, so the table
 * build can reuse what it prepared for them.
 */
export function withPeerTargets(
  gslbs: readonly GslbRecord[],
  view: PeerView,
  memo?: PeerMergeMemo,
): readonly GslbRecord[] {
  if (view.hosts.size === 0) return gslbs;
  return gslbs.flatMap((gslb): readonly GslbRecord[] => {
    const groups = hostGroups(gslb, view);
    const only = groups.size <= 1 ? [...groups.values()][0] : undefined;
    if (groups.size === 0 || only?.peers.length === 0) return [gslb];
    const key = JSON.stringify([...groups]);
    const sealed = isSealed(gslb) ? gslb : null;
    const known = sealed === null ? undefined : memo?.get(sealed);
    if (known !== undefined && known.key === key) return known.records;
    const records = [...groups.values()].map((group) =>
      sealRecord({ ...gslb, hosts: group.hosts, clusters: [...gslb.clusters, ...group.peers] }),
    );
    if (sealed !== null) memo?.set(sealed, { key, records });
    return records;
  });
}

/** The Gslb's hosts grouped by the peer targets each gets (peers of its own geotags left out). */
function hostGroups(
  gslb: GslbRecord,
  view: PeerView,
): Map<string, { hosts: string[]; peers: ClusterTargets[] }> {
  const groups = new Map<string, { hosts: string[]; peers: ClusterTargets[] }>();
  const own = new Set(gslb.clusters.map((c) => c.geoTag));
  for (const host of gslb.hosts) {
    const peers = peerTargetsOf(view, host).filter((t) => !own.has(t.geoTag));
    const key = JSON.stringify(peers);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { hosts: [host], peers });
    else group.hosts.push(host);
  }
  return groups;
}
