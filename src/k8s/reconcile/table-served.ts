/**
 * What the table serves of each Gslb's hosts, for the status: k8gb's
 * `status.healthyRecords` lists, per host, the targets finally served, the
 * peers' included (docs/k8gb-compatibility.md#gslb-status-fields), which only
 * the built table knows. A change of what peers serve therefore changes the
 * status of the Gslbs whose answers moved; which ones is found by comparing
 * the table's address lists by identity (a table build reuses them for
 * unchanged answers), so a build costs one map look-up per host here. Pure.
 */
import { isServed, type Resolution } from './resolution';

/** The addresses the table serves for `host` when Gslb `gslbKey` holds it, else undefined. */
export type ServedLookup = (host: string, gslbKey: string) => readonly string[] | undefined;

/** `resolution` with healthyRecords as the table serves them (hosts the table does not serve left out). */
export function withServed(
  resolution: Resolution,
  gslbKey: string,
  lookup: ServedLookup | undefined,
): Resolution {
  if (lookup === undefined || !isServed(resolution)) return resolution;
  const healthyRecords: Record<string, readonly string[]> = {};
  for (const host of resolution.hosts) {
    const served = lookup(host, gslbKey);
    if (served !== undefined && served.length > 0) healthyRecords[host] = served;
  }
  return { ...resolution, healthyRecords };
}

/** Remembers, per Gslb, the address lists the table served for its hosts. */
export class ServedTracker {
  private readonly seen = new Map<string, readonly (readonly string[] | undefined)[]>();

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
