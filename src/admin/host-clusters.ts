/**
 * Every cluster that takes part in one host's answer, with its targets, its
 * health and where that health came from: this cluster's from its source
 * (ProvenanceSource), a peer's from the peers' view (its state, polls and
 * last error, and what it answered for `localtargets-<host>`).
 *
 * The pipeline's records are by Gslb id, and one Gslb may have been built as
 * several records under that id (hosts that got other peer targets, or that
 * are healthy here while others are not). When the record at hand does not
 * hold the host, its clusters are put together as the merge does: the
 * Gslb's own clusters, this cluster's health read from whether the table
 * publishes `localtargets-<host>`, then the peers' targets for the host.
 */
import { localTargetsName } from '../gslb/k8gb-naming';
import { peerTargetsOf, type PeerStatus, type PeerView } from '../peers/peer-view';
import type { GslbProvenance } from '../serving/provenance';
import type { ClusterTargets, GslbRecord } from '../table/model';
import type { RecordSnapshot } from '../table/snapshot';

/** A peer's state as an explanation shows it. */
export interface PeerFacts {
  readonly state: 'up' | 'down';
  /** ISO time of the peer's last answered poll, or null. */
  readonly lastSuccess: string | null;
  readonly failedPolls: number;
  readonly lastError: string | null;
  /** The server polled (`IP:PORT`), or null while none is known. */
  readonly server: string | null;
}

/** Where a cluster's targets and health came from. */
export type ClusterSource =
  | {
      readonly kind: 'local';
      /** What the source says of the Gslb; null when it cannot say (Kubernetes, for now). */
      readonly provenance: GslbProvenance | null;
    }
  | {
      readonly kind: 'peer';
      readonly peer: PeerFacts | null;
      /** What the peer answered for `localtargets-<host>`, and when it last did. */
      readonly answered: {
        readonly addresses: readonly string[];
        readonly lastSuccess: string | null;
      };
    };

/** One cluster of a host. */
export interface HostCluster {
  readonly geoTag: string;
  /** Every target, A and AAAA. */
  readonly addresses: readonly string[];
  readonly healthy: boolean;
  readonly unhealthyBecause?: string;
  readonly source: ClusterSource;
}

/** What the clusters of a host are read from. */
export interface HostClusterInputs {
  readonly record: GslbRecord;
  readonly host: string;
  readonly peers: PeerView;
  readonly snapshot: RecordSnapshot;
  readonly localGeoTag: string;
  readonly provenance: GslbProvenance | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The peer's state as shown. */
export function peerFacts(status: PeerStatus | undefined): PeerFacts | null {
  if (status === undefined) return null;
  return {
    state: status.state,
    lastSuccess: iso(status.lastSuccessMs),
    failedPolls: status.failedPolls,
    lastError: status.lastError,
    server:
      status.server === null
        ? null
        : status.server.host.includes(':')
          ? `[${status.server.host}]:${status.server.port}`
          : `${status.server.host}:${status.server.port}`,
  };
}

/** The host's clusters: those the table was built from, then every other known peer. */
export function clustersOfHost(inputs: HostClusterInputs): HostCluster[] {
  const built = builtClusters(inputs);
  const seen = new Set(built.map((c) => c.geoTag));
  const clusters = built.map((c) => describe(c, inputs));
  // Peers that gave nothing for the host (down, not answered yet) are out of
  // the answer; they are listed so that the explanation says why.
  for (const [geoTag, status] of inputs.peers.peers) {
    if (seen.has(geoTag) || geoTag === inputs.localGeoTag) continue;
    clusters.push(describe({ geoTag, addresses: [], healthy: false }, inputs, status));
  }
  return clusters;
}

function builtClusters(inputs: HostClusterInputs): readonly ClusterTargets[] {
  const { record, host, peers, snapshot, localGeoTag } = inputs;
  if (record.hosts.includes(host)) return record.clusters;
  const own = record.clusters.filter((c) => c.geoTag === localGeoTag || !peers.peers.has(c.geoTag));
  const published = snapshot.names.get(localTargetsName(host))?.owner === localTargetsName(host);
  const ownTags = new Set(own.map((c) => c.geoTag));
  return [
    ...own.map((c) => (c.geoTag === localGeoTag ? { ...c, healthy: published } : c)),
    ...peerTargetsOf(peers, host).filter((c) => !ownTags.has(c.geoTag)),
  ];
}

function describe(
  cluster: ClusterTargets,
  inputs: HostClusterInputs,
  status = inputs.peers.peers.get(cluster.geoTag),
): HostCluster {
  const healthy = cluster.healthy !== false;
  const isLocal = cluster.geoTag === inputs.localGeoTag || status === undefined;
  if (isLocal) {
    return {
      geoTag: cluster.geoTag,
      addresses: cluster.addresses,
      healthy,
      ...(healthy ? {} : { unhealthyBecause: localReason(inputs) }),
      source: { kind: 'local', provenance: inputs.provenance },
    };
  }
  return describePeer(cluster, inputs, status);
}

function describePeer(
  cluster: ClusterTargets,
  inputs: HostClusterInputs,
  status: PeerStatus,
): HostCluster {
  const healthy = cluster.healthy !== false;
  const entry = inputs.peers.hosts.get(inputs.host)?.get(cluster.geoTag);
  return {
    geoTag: cluster.geoTag,
    addresses: cluster.addresses,
    healthy: healthy && status.state === 'up' && cluster.addresses.length > 0,
    ...(status.state === 'down'
      ? { unhealthyBecause: peerDownReason(status) }
      : cluster.addresses.length === 0
        ? { unhealthyBecause: 'peer up, but it publishes no targets for this host' }
        : {}),
    source: {
      kind: 'peer',
      peer: peerFacts(status),
      answered: {
        addresses: entry?.addresses ?? [],
        lastSuccess: iso(entry?.lastSuccessMs ?? null),
      },
    },
  };
}

function localReason(inputs: HostClusterInputs): string {
  const host = inputs.provenance?.hosts.find((h) => h.host === inputs.host);
  return host === undefined ? 'not Healthy in this cluster' : `${host.health}: ${host.detail}`;
}

function peerDownReason(status: PeerStatus): string {
  const polls = `${status.failedPolls} failed poll${status.failedPolls === 1 ? '' : 's'}`;
  const error = status.lastError === null ? '' : `, last error: ${status.lastError}`;
  const since =
    status.lastSuccessMs === null
      ? 'never answered'
      : `last answered ${new Date(status.lastSuccessMs).toISOString()}`;
  return `peer down (${polls}${error}; ${since})`;
}
