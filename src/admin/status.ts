/**
 * `GET /v1/status`: every Gslb with its hosts, strategy, each cluster's
 * state and what is served now per host and type, with the host's last
 * change. Paged by Gslb id (`limit`, `after`, and `next` in the reply), so
 * that a table of 10,000 Gslbs is many bounded replies, never one large one.
 * The sorted ids and the hosts by Gslb are computed once per table build.
 */
import type { ServedTarget } from '../serving/decisions';
import { localTargetsName } from '../gslb/k8gb-naming';
import type { PeerView } from '../peers/peer-view';
import type { GslbRecord } from '../table/model';
import type { RecordSnapshot } from '../table/snapshot';
import type { AdminInputs, AdminReply } from './explain';
import { peerFacts } from './host-clusters';

/** Gslbs per page unless `limit` says otherwise. */
export const STATUS_DEFAULT_LIMIT = 100;
/** Most Gslbs one page holds. */
export const STATUS_MAX_LIMIT = 500;

/** A status request, validated. */
export interface StatusRequest {
  readonly limit: number;
  /** Only Gslbs whose id sorts after this one; null: from the first. */
  readonly after: string | null;
}

/** The last change of a host's answer set, in short (the record is in /v1/explain). */
export interface LastChange {
  readonly time: string;
  readonly type: 'A' | 'AAAA';
  readonly before: readonly string[];
  readonly after: readonly string[];
  /** The kinds of its causes. */
  readonly causes: readonly string[];
}

/** One host of a Gslb in the status page. */
export interface HostStatus {
  readonly host: string;
  /** This cluster publishes `localtargets-<host>`: the host is Healthy here. */
  readonly localHealthy: boolean;
  /** What the table serves for the host now, by type. */
  readonly served: { readonly A: readonly string[]; readonly AAAA: readonly string[] };
  readonly lastChange: LastChange | null;
}

/** Computed once per table build. */
interface Index {
  readonly ids: readonly string[];
  readonly hosts: ReadonlyMap<string, readonly string[]>;
}

/** Builds the status page; one index per snapshot, replaced with it. */
export class StatusPages {
  private readonly indexes = new WeakMap<RecordSnapshot, Index>();

  constructor(private readonly inputs: AdminInputs) {}

  page(request: StatusRequest): AdminReply {
    const snapshot = this.inputs.table();
    if (snapshot === null)
      return {
        status: 503,
        body: { error: 'not ready', reason: 'the record table is not built yet' },
      };
    const built = this.inputs.pipeline.builtFrom();
    const index = this.indexOf(snapshot, built.records);
    const start = request.after === null ? 0 : firstAfter(index.ids, request.after);
    const ids = index.ids.slice(start, start + request.limit);
    const last = ids.at(-1);
    return {
      status: 200,
      body: {
        table: { generation: snapshot.generation, serial: snapshot.serial },
        geoTag: this.inputs.localGeoTag,
        version: this.inputs.version ?? null,
        clusterDrain: this.inputs.pipeline.drainView.clusterRequest(),
        delegation: this.inputs.delegation?.() ?? [],
        peers: [...built.peers.peers].map(([geoTag, status]) => ({ geoTag, ...peerFacts(status) })),
        total: index.ids.length,
        gslbs: ids.map((id) => ({
          ...this.gslbStatus(
            built.records.get(id)!,
            index.hosts.get(id) ?? [],
            snapshot,
            built.peers,
          ),
          drain: this.inputs.pipeline.drainView.stateOf(id)?.phase ?? null,
        })),
        next: start + ids.length < index.ids.length && last !== undefined ? last : null,
      },
    };
  }

  private indexOf(snapshot: RecordSnapshot, records: ReadonlyMap<string, GslbRecord>): Index {
    const known = this.indexes.get(snapshot);
    if (known !== undefined) return known;
    const hosts = new Map<string, string[]>();
    for (const [name, entry] of snapshot.names) {
      if (!records.has(entry.owner)) continue;
      const list = hosts.get(entry.owner);
      if (list === undefined) hosts.set(entry.owner, [name]);
      else list.push(name);
    }
    for (const list of hosts.values()) list.sort();
    const index = { ids: [...records.keys()].sort(), hosts };
    this.indexes.set(snapshot, index);
    return index;
  }

  private gslbStatus(
    record: GslbRecord,
    hosts: readonly string[],
    snapshot: RecordSnapshot,
    peers: PeerView,
  ): Record<string, unknown> {
    const local = this.inputs.localGeoTag;
    const published = hosts.filter((host) => {
      const name = localTargetsName(host);
      return snapshot.names.get(name)?.owner === name;
    });
    const peerClusters = [...peers.peers].map(([geoTag, status]) => ({
      geoTag,
      role: 'peer',
      ...peerFacts(status),
      answeredHosts: hosts.filter(
        (h) => (peers.hosts.get(h)?.get(geoTag)?.addresses.length ?? 0) > 0,
      ).length,
    }));
    return {
      id: record.id,
      strategy: record.strategy,
      ttlSeconds: record.ttlSeconds,
      clusters: [
        { geoTag: local, role: 'local', healthyHosts: published.length, hosts: hosts.length },
        ...peerClusters,
      ],
      hosts: hosts.map((host) => this.hostStatus(host, snapshot, published.includes(host))),
    };
  }

  private hostStatus(host: string, snapshot: RecordSnapshot, localHealthy: boolean): HostStatus {
    const served = snapshot.names.get(host)?.served ?? [];
    const last = this.inputs.history.lastOf(host);
    const addresses = (targets: readonly ServedTarget[]): string[] => targets.map((t) => t.address);
    return {
      host,
      localHealthy,
      served: {
        A: served.filter((a) => !a.includes(':')),
        AAAA: served.filter((a) => a.includes(':')),
      },
      lastChange:
        last === null
          ? null
          : {
              time: last.time,
              type: last.type,
              before: addresses(last.before),
              after: addresses(last.after),
              causes: last.causes.map((cause) => cause.kind),
            },
    };
  }
}

/** Index of the first id sorting after `after` (binary search). */
function firstAfter(ids: readonly string[], after: string): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (ids[middle]! <= after) low = middle + 1;
    else high = middle;
  }
  return low;
}
