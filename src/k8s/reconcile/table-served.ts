/**
 * What the table serves of each Gslb's hosts, for the status: k8gb's
 * `status.healthyRecords` lists, per host, the targets finally served, the
 * peers' included (docs/k8gb-compatibility.md#gslb-status-fields), which only
 * the built table knows. A change of what peers serve therefore changes the
 * status of the Gslbs whose answers moved; which ones is found by comparing
 * the table's address lists by identity (a table build reuses them for
 * unchanged answers), so a build costs one map look-up per host here. Pure.
 */
import type { ServedHost } from '../../serving/served-hosts';
import { isServed, type Resolution } from './resolution';

/**
 * What the table serves for `host` (addresses and their clusters) when Gslb
 * `gslbKey` holds it, else undefined; the same object while unchanged.
 */
export type ServedLookup = (host: string, gslbKey: string) => ServedHost | undefined;

/** `resolution` with healthyRecords as the table serves them (hosts the table does not serve left out). */
export function withServed(
  resolution: Resolution,
  gslbKey: string,
  lookup: ServedLookup | undefined,
): Resolution {
  if (lookup === undefined) return resolution;
  const healthyRecords: Record<string, readonly string[]> = {};
  const answeredFrom: Record<string, readonly string[]> = {};
  const probeFailures: Record<string, readonly string[]> = {};
  for (const host of resolution.hosts) {
    const served = lookup(host, gslbKey);
    const failing = served?.probeFailures ?? [];
    if (failing.length > 0) probeFailures[host] = failing;
    if (served === undefined || served.addresses.length === 0) continue;
    healthyRecords[host] = served.addresses;
    answeredFrom[host] = served.clusters;
  }
  // A Gslb not served as resolved may still be answered with its last good records.
  const probed = Object.keys(probeFailures).length === 0 ? {} : { probeFailures };
  if (!isServed(resolution)) return { ...resolution, answeredFrom, ...probed };
  return { ...resolution, healthyRecords, answeredFrom, ...probed };
}

/** Remembers, per Gslb, the address lists the table served for its hosts. */
export class ServedTracker {
  private readonly seen = new Map<string, readonly (ServedHost | undefined)[]>();

  /** Records what the table serves for `hosts` of `gslbKey`; true when it changed. */
  update(gslbKey: string, hosts: readonly string[], lookup: ServedLookup): boolean {
    const now = hosts.map((host) => lookup(host, gslbKey));
    const before = this.seen.get(gslbKey);
    this.seen.set(gslbKey, now);
    return (
      before === undefined || before.length !== now.length || before.some((v, i) => v !== now[i])
    );
  }

  forget(gslbKey: string): void {
    this.seen.delete(gslbKey);
  }
}
