/**
 * The parts of a k8gb Gslb object that every source reads the same way:
 * strategy, TTL, weights and address lists. Pure: no I/O. Field errors are
 * thrown as {@link InvalidGslb} with a message that names the field, so that a
 * source can show it to the user (a file error, or a status condition).
 */
import { isIP } from 'node:net';
import { STRATEGY_TYPES, type StrategyType } from '../table/model';

/** The group/version Meridian reads, as k8gb defines it. */
export const GSLB_API_VERSION = 'k8gb.io/v1beta1';

/** Annotations k8gb reads on a Gslb. */
export const ANNOTATION_HOSTNAME = 'k8gb.io/hostname';
export const ANNOTATION_EXPOSED_IPS = 'k8gb.io/exposed-ip-addresses';
export const ANNOTATION_EXPOSED_HOSTNAMES = 'k8gb.io/exposed-hostnames';

const MAX_WEIGHT = 1000;
/** RFC 2181 §8: a TTL is at most 2^31 - 1. */
const MAX_TTL = 2_147_483_647;

/** A JSON object. */
export type Json = Record<string, unknown>;

/** A Gslb field is invalid; the message says which and why. */
export class InvalidGslb extends Error {}

/** The strategy fields the answer needs. */
export interface ParsedStrategy {
  readonly type: StrategyType;
  readonly ttlSeconds: number;
}

/** Validates `spec.strategy` as k8gb's controller does; throws InvalidGslb. */
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
  if (value['weight'] !== undefined) checkWeights(value['weight'], type);
  // k8gb replaces a missing or zero TTL with the default.
  return { type, ttlSeconds: ttl === undefined || ttl === 0 ? defaultTtl : (ttl as number) };
}

function checkWeights(weight: unknown, type: StrategyType): void {
  if (type !== 'roundRobin')
    throw new InvalidGslb('spec.strategy.weight is only allowed with type roundRobin');
  if (!isObject(weight)) throw new InvalidGslb('spec.strategy.weight must map geotags to integers');
  for (const [tag, w] of Object.entries(weight)) {
    if (!/^[A-Za-z0-9-]+$/.test(tag))
      throw new InvalidGslb(`spec.strategy.weight: invalid geotag ${JSON.stringify(tag)}`);
    if (!isIntegerIn(w, 0, MAX_WEIGHT)) {
      throw new InvalidGslb(
        `spec.strategy.weight.${tag} must be an integer from 0 to ${MAX_WEIGHT}`,
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
  const bad = addresses.filter((a) => isIP(a) === 0);
  if (bad.length > 0) throw new InvalidGslb(`${what}: not IP addresses: ${bad.join(', ')}`);
  return addresses.map(canonicalAddress);
}

// One spelling per address, so `2001:db8::1` and `2001:DB8:0:0:0:0:0:1` are
// recognised as the same target. The URL parser applies RFC 5952.
export function canonicalAddress(address: string): string {
  if (isIP(address) !== 6) return address;
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
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
