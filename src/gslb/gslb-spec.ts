/**
 * The parts of a k8gb Gslb object that every source reads the same way:
 * strategy, TTL, weights and address lists. Pure: no I/O. Field errors are
 * thrown as {@link InvalidGslb} with a message that names the field, so that a
 * source can show it to the user (a file error, or a status condition).
 */
import { canonicalAddress, isServableAddress } from '../dns/addresses';
import {
  isGeoTag,
  MAX_GEOTAG_LENGTH,
  MAX_WEIGHT,
  MIN_WEIGHT,
  STRATEGY_TYPES,
  type StrategyType,
} from './k8gb-naming';

/** The CRD's bound on `spec.strategy.fallbackGeoTags`. */
const MAX_FALLBACKS = 32;
/** RFC 2181 §8: a TTL is at most 2^31 - 1. */
const MAX_TTL = 2_147_483_647;

/**
 * The strategy's parameters from `spec.strategy`. All optional, so that a
 * record without them behaves as before they existed.
 */
export interface StrategyParameters {
  /** failover: the geotag that serves alone while healthy (k8gb). */
  readonly primaryGeoTag?: string | undefined;
  /** failover: where to go, in this order, while the primary is down (Meridian). */
  readonly fallbackGeoTags?: readonly string[] | undefined;
  /**
   * roundRobin: geotag → weight 0..1000 (k8gb's `spec.strategy.weight`).
   * With at least one entry each answer holds the targets of one cluster,
   * drawn in proportion to these weights; a geotag without an entry weighs 0.
   */
  readonly weights?: Readonly<Record<string, number>> | undefined;
  /** Serve every known target, though unhealthy, when none is healthy (Meridian). */
  readonly failOpen?: boolean | undefined;
}

/** A JSON object. */
export type Json = Record<string, unknown>;

/** A Gslb field is invalid; the message says which and why. */
export class InvalidGslb extends Error {}

/** The strategy fields the answer needs. */
export interface ParsedStrategy {
  readonly type: StrategyType;
  readonly ttlSeconds: number;
  /**
   * primaryGeoTag, fallbackGeoTags, weight (as `weights`) and failOpen, each
   * present only when set: spread it into a GslbRecord.
   */
  readonly parameters: StrategyParameters;
}

/**
 * Validates `spec.strategy` as k8gb's controller does, and Meridian's fields
 * as the CRD does (so that a standalone manifest is held to the same rules as
 * an object the API server admitted); throws InvalidGslb. A `null`
 * primaryGeoTag, fallbackGeoTags or failOpen counts as absent, as in a JSON
 * merge patch (Meridian's Ingress sync removes primaryGeoTag that way).
 */
export function parseStrategy(value: unknown, defaultTtl: number): ParsedStrategy {
  if (!isObject(value)) throw new InvalidGslb('spec.strategy is required');
  const type = STRATEGY_TYPES.find((t) => t === value['type']);
  if (type === undefined) {
    throw new InvalidGslb(
      `spec.strategy.type must be one of ${STRATEGY_TYPES.join(', ')}, found ${JSON.stringify(value['type'])}`,
    );
  }
  const ttl = value['dnsTtlSeconds'];
  if (ttl !== undefined && !isIntegerIn(ttl, 0, MAX_TTL)) {
    throw new InvalidGslb(
      `spec.strategy.dnsTtlSeconds must be an integer from 0 to ${MAX_TTL}, found ${JSON.stringify(ttl)}`,
    );
  }
  // k8gb replaces a missing or zero TTL with the default.
  return {
    type,
    ttlSeconds: ttl === undefined || ttl === 0 ? defaultTtl : (ttl as number),
    parameters: parseParameters(value, type),
  };
}

function parseParameters(strategy: Json, type: StrategyType): StrategyParameters {
  const weights = strategy['weight'];
  if (weights !== undefined) checkWeights(weights, type);
  const primary = parsePrimary(strategy['primaryGeoTag']);
  const fallbacks = parseFallbacks(strategy['fallbackGeoTags'], type, primary);
  const failOpen = parseFailOpen(strategy['failOpen']);
  return {
    ...(primary === undefined ? {} : { primaryGeoTag: primary }),
    ...(fallbacks === undefined ? {} : { fallbackGeoTags: fallbacks }),
    ...(weights === undefined ? {} : { weights: { ...(weights as Record<string, number>) } }),
    ...(failOpen === undefined ? {} : { failOpen }),
  };
}

// Free text, unchecked, as in k8gb; '' means none (k8gb then serves all).
function parsePrimary(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new InvalidGslb(
      `spec.strategy.primaryGeoTag must be a string, found ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function parseFailOpen(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    throw new InvalidGslb(
      `spec.strategy.failOpen must be true or false, found ${JSON.stringify(value)}`,
    );
  }
  return value;
}

const FALLBACKS = 'spec.strategy.fallbackGeoTags';

function parseFallbacks(
  value: unknown,
  type: StrategyType,
  primary: string | undefined,
): readonly string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new InvalidGslb(`${FALLBACKS} must be a list of geotags`);
  if (value.length === 0) return undefined;
  if (type !== 'failover') throw new InvalidGslb(`${FALLBACKS} is only allowed with type failover`);
  if (value.length > MAX_FALLBACKS) {
    throw new InvalidGslb(`${FALLBACKS} lists ${value.length} geotags; at most ${MAX_FALLBACKS}`);
  }
  const tags: string[] = [];
  value.forEach((tag: unknown, index) => tags.push(checkFallback(tag, index, primary, tags)));
  return tags;
}

function checkFallback(
  tag: unknown,
  index: number,
  primary: string | undefined,
  earlier: readonly string[],
): string {
  if (typeof tag !== 'string' || !isGeoTag(tag) || tag.length > MAX_GEOTAG_LENGTH) {
    throw new InvalidGslb(
      `${FALLBACKS}[${index}]: invalid geotag ${JSON.stringify(tag)} (letters, digits and dashes, at most ${MAX_GEOTAG_LENGTH})`,
    );
  }
  if (tag === primary) throw new InvalidGslb(`${FALLBACKS} must not repeat primaryGeoTag ${tag}`);
  if (earlier.includes(tag)) throw new InvalidGslb(`${FALLBACKS} lists ${tag} twice`);
  return tag;
}

function checkWeights(weight: unknown, type: StrategyType): void {
  if (type !== 'roundRobin')
    throw new InvalidGslb('spec.strategy.weight is only allowed with type roundRobin');
  if (!isObject(weight)) throw new InvalidGslb('spec.strategy.weight must map geotags to integers');
  for (const [tag, w] of Object.entries(weight)) {
    if (!isGeoTag(tag))
      throw new InvalidGslb(`spec.strategy.weight: invalid geotag ${JSON.stringify(tag)}`);
    if (!isIntegerIn(w, MIN_WEIGHT, MAX_WEIGHT)) {
      throw new InvalidGslb(
        `spec.strategy.weight.${tag} must be an integer from ${MIN_WEIGHT} to ${MAX_WEIGHT}`,
      );
    }
  }
}

/**
 * A comma-separated address list (k8gb's exposed-ip-addresses format), in
 * canonical form; throws InvalidGslb naming `what` for anything that is not an
 * IP address.
 */
export function parseAddressList(value: string, what: string): string[] {
  const addresses = value
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  const bad = addresses.filter((a) => !isServableAddress(a));
  if (bad.length > 0)
    throw new InvalidGslb(`${what}: not IP addresses: ${bad.join(', ')}${scopedNote(bad)}`);
  return addresses.map(canonicalAddress);
}

/** Why a zone-scoped IPv6 address (`fe80::1%eth0`, which looks like one) is refused. */
export function scopedNote(bad: readonly string[]): string {
  return bad.some((a) => a.includes('%'))
    ? ' (a zone-scoped IPv6 address names a link of one machine and cannot be served)'
    : '';
}

export function isIntegerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

export function objectOr<T extends Json | null>(value: unknown, fallback: T): Json | T {
  return isObject(value) ? value : fallback;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
