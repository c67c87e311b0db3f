/**
 * Small record tables for unit tests, built through the real builder.
 */
import { buildSnapshot, type BuildResult } from '../../src/table/build-snapshot';
import type { GslbRecord, StrategyType, ZoneSpec } from '../../src/table/model';

/** The zone every fixture uses. */
export const ZONE: ZoneSpec = {
  name: 'cloud.example.org',
  parent: 'example.org',
  negativeTtlSeconds: 30,
  nameServers: ['gslb-ns-eu-cloud.example.org', 'gslb-ns-us-cloud.example.org'],
  nameServerTtlSeconds: 30,
};

/** Returns a Gslb record with one local cluster. */
export function gslb(
  id: string,
  hosts: string[],
  addresses: string[],
  options: { ttl?: number; strategy?: StrategyType } = {},
): GslbRecord {
  return {
    id,
    hosts,
    strategy: options.strategy ?? 'roundRobin',
    ttlSeconds: options.ttl ?? 30,
    clusters: [{ geoTag: 'eu', addresses }],
  };
}

/** Builds a table from Gslb records in ZONE (plus any extra zones). */
export function table(
  gslbs: GslbRecord[],
  zones: ZoneSpec[] = [ZONE],
  serial = 2026112201,
): BuildResult {
  return buildSnapshot({ zones, gslbs, serial, generation: 1 });
}
