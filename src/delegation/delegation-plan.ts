/**
 * What this cluster writes into each zone's parent: the NS record naming its
 * own name server (`<glue prefix><geotag>-<zone, dashed>.<parent>`, as k8gb
 * names it) and that name server's glue, A for IPv4 and AAAA for IPv6 (k8gb
 * writes no AAAA glue). One update per parent zone, applied atomically by the
 * server: the glue RRsets of its own name server replaced, its own NS record
 * added; no change names another cluster's records, so a cluster cannot
 * remove a peer from the parent zone, whatever state it is in. Pure.
 */
import type { UpdateChange } from '../dns/update-message';
import { nameServerName } from '../gslb/k8gb-naming';
import type { ZoneSpec } from '../table/model';

/** The update of one load-balanced zone's delegation. */
export interface ZoneDelegationUpdate {
  /** The zone the update is sent to. */
  readonly parent: string;
  /** The load-balanced zone delegated. */
  readonly zone: string;
  /** This cluster's name server for it. */
  readonly nameServer: string;
  readonly changes: readonly UpdateChange[];
}

/** What the plan is made from. */
export interface DelegationInputs {
  readonly zones: readonly Pick<ZoneSpec, 'name' | 'parent' | 'nameServerTtlSeconds'>[];
  readonly geoTag: string;
  readonly gluePrefix: string;
  readonly glue: readonly string[];
}

/** The updates that put this cluster's delegation of every zone in place. */
export function delegationUpdates(inputs: DelegationInputs): ZoneDelegationUpdate[] {
  return inputs.zones.map((zone) => {
    const nameServer = nameServerName(inputs.gluePrefix, inputs.geoTag, zone.name, zone.parent);
    const ttl = zone.nameServerTtlSeconds;
    return {
      parent: zone.parent,
      zone: zone.name,
      nameServer,
      changes: [
        { op: 'add', name: zone.name, type: 'NS', ttl, data: nameServer },
        { op: 'delete-rrset', name: nameServer, type: 'A' },
        { op: 'delete-rrset', name: nameServer, type: 'AAAA' },
        ...inputs.glue.map((address): UpdateChange => ({
          op: 'add',
          name: nameServer,
          type: address.includes(':') ? 'AAAA' : 'A',
          ttl,
          data: address,
        })),
      ],
    };
  });
}

/** The updates that withdraw this cluster's delegation: its own NS record and glue, nothing else. */
export function withdrawalUpdates(inputs: Omit<DelegationInputs, 'glue'>): ZoneDelegationUpdate[] {
  return inputs.zones.map((zone) => {
    const nameServer = nameServerName(inputs.gluePrefix, inputs.geoTag, zone.name, zone.parent);
    return {
      parent: zone.parent,
      zone: zone.name,
      nameServer,
      changes: [
        { op: 'delete', name: zone.name, type: 'NS', data: nameServer },
        { op: 'delete-rrset', name: nameServer, type: 'A' },
        { op: 'delete-rrset', name: nameServer, type: 'AAAA' },
      ],
    };
  });
}
