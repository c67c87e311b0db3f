/**
 * The zones of a table: each zone's prepared apex records (SOA with the
 * build's serial, NS), and the names that exist between a host and its zone.
 * Pure.
 */
import { encodeRecordTail } from '../dns/wire';
import type { ZoneSpec } from './model';
import type { NameEntry, ZoneEntry } from './snapshot';
import { withPointer } from './target-encoding';

/** SOA timers as k8gb's CoreDNS plugin serves them (docs/k8gb-compatibility.md#soa-and-apex-records). */
const SOA_TIMERS = Object.freeze({ refresh: 7200, retry: 1800, expire: 86400 });

/** A zone's entry, its SOA carrying `serial`. */
export function prepareZone(spec: ZoneSpec, serial: number): ZoneEntry {
  const mname = spec.nameServers[0] ?? `ns1.dns.${spec.name}`;
  const soaTail = encodeRecordTail({
    type: 'SOA',
    ttl: spec.negativeTtlSeconds,
    mname,
    rname: `hostmaster.${spec.name}`,
    serial,
    ...SOA_TIMERS,
    minimum: spec.negativeTtlSeconds,
  });
  const nsRecords = spec.nameServers.map((host) =>
    withPointer(encodeRecordTail({ type: 'NS', ttl: spec.nameServerTtlSeconds, host })),
  );
  return {
    name: spec.name,
    labelCount: spec.name.split('.').length,
    soaTail,
    nameServers: { bytes: Buffer.concat(nsRecords), count: nsRecords.length },
  };
}

const NOTHING_SERVED: readonly string[] = Object.freeze([]);

/** The entry of a name that exists without records of its own (an apex, an empty non-terminal). */
export function emptyName(zone: ZoneEntry, apex: boolean): NameEntry {
  return { zone, apex, a: null, aaaa: null, owner: '', served: NOTHING_SERVED };
}

/**
 * Adds the names between `host` and its zone. A name between a host and its
 * zone exists (RFC 8020): it answers NODATA, not NXDOMAIN, or resolvers would
 * prune the host below it from their caches.
 */
export function addEmptyNonTerminals(
  host: string,
  zone: ZoneEntry,
  names: Map<string, NameEntry>,
): void {
  let name = host;
  for (;;) {
    const dot = name.indexOf('.');
    if (dot === -1) return;
    name = name.slice(dot + 1);
    if (name.length <= zone.name.length) return;
    if (!names.has(name)) names.set(name, emptyName(zone, false));
  }
}
