/**
 * geoip: the healthy targets in the client's datacenter, else all healthy
 * targets (docs/k8gb-compatibility.md#geoip: a client the database does not know, or a
 * datacenter with no target, gets every target). The order is fixed, as in
 * k8gb.
 *
 * The client is the EDNS Client Subnet of the query. Behind CoreDNS's grpc
 * plugin Meridian sees no source address (the plugin sends only the DNS
 * message), so a query without the option, or with SOURCE PREFIX-LENGTH 0
 * (RFC 7871 §7.1.2: "do not use my address"), gets every target, with scope
 * 0. CoreDNS's `rewrite edns0 subnet` adds the option from the client's
 * address.
 *
 * Scope (RFC 7871 §7.2.1, the prefix the answer depends on):
 * - 0 when the answer is the same for every client: no ECS, no locator, no
 *   target with a datacenter, or every target in one datacenter;
 * - the locator's prefix for a located client, whether or not a target is in
 *   its datacenter (a client elsewhere in the address space may get another
 *   answer);
 * - the query's SOURCE PREFIX-LENGTH for a client the locator does not know:
 *   without the database's network size, the answer is vouched for exactly
 *   the subnet asked about, never wider.
 *
 * Per-datacenter sections are built with the table; a query costs one locator
 * call and two map lookups. Each (datacenter, scope) pair allocates its
 * Selection once, on first use, at most 129 per datacenter.
 */
import type { ClientSubnet } from '../../dns/query';
import type { GeoLocator } from '../geo-locator';
import type { ClusterRecords, RRSetSelector, Selection, SelectorPlan } from '../selector';
import { fixedPlan, fixedSelection, mergeClusters, type RecordList } from './records';

/** Longest prefix of any family (IPv6). */
const MAX_SCOPE = 128;

/** The geoip plan for the healthy clusters that have records of one type. */
export function geoipPlan(
  available: readonly ClusterRecords[],
  locator: GeoLocator | null,
): SelectorPlan {
  const all = mergeClusters(available);
  if (locator === null) return fixedPlan(all);
  const byDatacenter = groupByDatacenter(all, locator);
  const only = [...byDatacenter.values()][0];
  const sameForEveryClient =
    byDatacenter.size === 0 || (byDatacenter.size === 1 && only?.length === all.records.length);
  if (sameForEveryClient) return fixedPlan(all);
  const everything = new ScopedSection(all.records);
  const sections = new Map(
    [...byDatacenter].map(([datacenter, records]) => [datacenter, new ScopedSection(records)]),
  );
  const selector = new GeoSelector(locator, everything, sections);
  // Scoped sections are shared by the hosts of a Gslb; the selector has no cursor.
  return { recordCount: all.records.length, addresses: all.addresses, create: () => selector };
}

/** Targets by datacenter, each in the merged order; targets without one are in no group. */
function groupByDatacenter(all: RecordList, locator: GeoLocator): Map<string, Buffer[]> {
  const groups = new Map<string, Buffer[]>();
  all.addresses.forEach((address, i) => {
    const datacenter = locator.locateTarget(address);
    const record = all.records[i];
    if (datacenter === null || record === undefined) return;
    const group = groups.get(datacenter);
    if (group === undefined) groups.set(datacenter, [record]);
    else group.push(record);
  });
  return groups;
}

/** One answer section and its Selection per scope, made on first use. */
class ScopedSection {
  private readonly byScope = new Map<number, Selection>();
  private readonly unscoped: Selection;

  constructor(records: readonly Buffer[]) {
    this.unscoped = fixedSelection(records, 0);
  }

  at(scope: number): Selection {
    if (!(scope > 0)) return this.unscoped;
    const bounded = scope >= MAX_SCOPE ? MAX_SCOPE : Math.floor(scope);
    let selection = this.byScope.get(bounded);
    if (selection === undefined) {
      selection = { section: this.unscoped.section, scope: bounded };
      this.byScope.set(bounded, selection);
    }
    return selection;
  }
}

class GeoSelector implements RRSetSelector {
  private readonly locator: GeoLocator;
  private readonly everything: ScopedSection;
  private readonly sections: ReadonlyMap<string, ScopedSection>;

  constructor(
    locator: GeoLocator,
    everything: ScopedSection,
    sections: ReadonlyMap<string, ScopedSection>,
  ) {
    this.locator = locator;
    this.everything = everything;
    this.sections = sections;
  }

  select(clientSubnet: ClientSubnet | null): Selection {
    if (clientSubnet === null || clientSubnet.sourcePrefixLength === 0) {
      return this.everything.at(0);
    }
    const match = this.locator.locate(clientSubnet);
    if (match === null) return this.everything.at(clientSubnet.sourcePrefixLength);
    const section = this.sections.get(match.datacenter) ?? this.everything;
    return section.at(match.scopePrefixLength);
  }
}
