/**
 * What the table answers for a host, with the clusters the addresses come
 * from, for the Gslb status (healthyRecords, the Answering condition). One
 * object per served address list, kept as long as the list: a build reuses
 * an unchanged Gslb's lists, so callers tell a change by identity. Pure.
 */
import type { GslbRecord } from '../table/model';

/** What the table answers for a host, and from which clusters (geotags, in record order). */
export interface ServedHost {
  readonly addresses: readonly string[];
  readonly clusters: readonly string[];
  /** This cluster's targets withdrawn by their probe (`address:port error`), for the status. */
  readonly probeFailures?: readonly string[];
}

export class ServedHosts {
  /** Gone with the list: bounded by the tables still referenced. */
  private readonly byList = new WeakMap<readonly string[], ServedHost>();

  /** `served` (a table entry's list) of `record`, with its clusters. */
  of(served: readonly string[], record: GslbRecord | undefined): ServedHost {
    let host = this.byList.get(served);
    const probeFailures = (record?.clusters ?? []).flatMap((c) => c.probeFailures ?? []);
    // A probe failure may change while the list does not (the cluster is not in the answer).
    if (host === undefined || (host.probeFailures ?? []).join() !== probeFailures.join()) {
      host = {
        addresses: served,
        clusters: clustersServing(record, served),
        ...(probeFailures.length === 0 ? {} : { probeFailures }),
      };
      this.byList.set(served, host);
    }
    return host;
  }
}

/** The clusters of `record` that hold one of the `served` addresses. */
function clustersServing(record: GslbRecord | undefined, served: readonly string[]): string[] {
  const addresses = new Set(served);
  const clusters = (record?.clusters ?? []).filter((c) =>
    c.addresses.some((a) => addresses.has(a)),
  );
  return [...new Set(clusters.map((c) => c.geoTag))];
}
