/**
 * Small record tables for unit tests, built through the real builder, and a
 * way to ask them questions through the real answer path.
 */
import { answerMessage } from '../../src/table/answer';
import { buildSnapshot, type BuildInput, type BuildResult } from '../../src/table/build-snapshot';
import type { StrategyParameters } from '../../src/gslb/gslb-spec';
import type { StrategyType } from '../../src/gslb/k8gb-naming';
import type { ClusterTargets, GslbRecord, ZoneSpec } from '../../src/table/model';
import type { RecordSnapshot } from '../../src/table/snapshot';
import {
  addressesOf,
  decodeReply,
  query,
  type DecodedReply,
  type QueryOptions,
} from '../../harness/dns-case';

/** The zone every fixture uses. */
export const ZONE: ZoneSpec = {
  name: 'cloud.example.org',
  parent: 'example.org',
  negativeTtlSeconds: 30,
  nameServers: ['gslb-ns-eu-cloud.example.org', 'gslb-ns-us-cloud.example.org'],
  nameServerTtlSeconds: 30,
};

/** The host multi-cluster fixtures serve. */
export const APP = 'app.cloud.example.org';

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

/** One cluster's targets; healthy unless `healthy` is false. */
export function cluster(geoTag: string, addresses: string[], healthy = true): ClusterTargets {
  return healthy ? { geoTag, addresses } : { geoTag, addresses, healthy: false };
}

/** A Gslb `shop/web` serving APP from several clusters, TTL 30. */
export function multiCluster(
  strategy: StrategyType,
  clusters: ClusterTargets[],
  parameters: StrategyParameters = {},
): GslbRecord {
  return { id: 'shop/web', hosts: [APP], strategy, ttlSeconds: 30, ...parameters, clusters };
}

/** Builds a table in ZONE with the optional inputs of a build. */
export function tableWith(
  gslbs: GslbRecord[],
  options: Pick<BuildInput, 'localGeoTag' | 'random' | 'geoLocator'> = {},
): BuildResult {
  return buildSnapshot({ zones: [ZONE], gslbs, serial: 2026112201, generation: 1, ...options });
}

/** Asks `snapshot` one question through the answer path; decodes the reply with dns-packet. */
export function ask(
  snapshot: RecordSnapshot,
  name: string,
  type: string,
  options: QueryOptions = {},
): DecodedReply {
  const result = answerMessage(snapshot, query(name, type, options));
  if (result.kind !== 'answered') throw new Error(`unanswerable: ${result.reason}`);
  return decodeReply(result.reply);
}

/** The addresses answered for `name`/`type`, in answer order. */
export function served(
  snapshot: RecordSnapshot,
  name: string,
  type = 'A',
  options: QueryOptions = {},
): string[] {
  return addressesOf(ask(snapshot, name, type, options).answers);
}

/**
 * The midpoints of `n` equal slices of [0, 1), in order, then again: over any
 * `n` consecutive draws each slice is hit once, so the share of a weighted
 * choice is exact whenever `n` times the share is a whole number.
 */
export function evenlySpread(n: number): () => number {
  let i = 0;
  return () => {
    const value = (i + 0.5) / n;
    i = i + 1 === n ? 0 : i + 1;
    return value;
  };
}
