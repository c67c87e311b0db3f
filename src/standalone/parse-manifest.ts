/**
 * Turns the text of one manifest file into Gslb records. Pure: no I/O. A file
 * is valid only as a whole, so that a half-valid edit never half-applies; the
 * caller keeps serving the file's last valid content instead.
 */
import { isIP } from 'node:net';
import { parseAllDocuments } from 'yaml';
import { canonicalName, checkName } from '../config/load-config';
import { STRATEGY_TYPES, type GslbRecord, type StrategyType } from '../table/model';

/** The group/version Meridian reads, as k8gb defines it. */
export const GSLB_API_VERSION = 'k8gb.io/v1beta1';

const ANNOTATION_HOSTNAME = 'k8gb.io/hostname';
const ANNOTATION_EXPOSED_IPS = 'k8gb.io/exposed-ip-addresses';
const MAX_WEIGHT = 1000;
/** RFC 2181 §8: a TTL is at most 2^31 - 1. */
const MAX_TTL = 2_147_483_647;

/** The outcome of parsing one file. */
export type ManifestParse =
  | { readonly ok: true; readonly gslbs: readonly GslbRecord[] }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Options that come from configuration. */
export interface ParseOptions {
  readonly defaultTtlSeconds: number;
  readonly geoTag: string;
}

type Json = Record<string, unknown>;

/** Parses every YAML document in `text`; documents of other kinds are ignored. */
export function parseManifest(text: string, options: ParseOptions): ManifestParse {
  const errors: string[] = [];
  const gslbs: GslbRecord[] = [];
  const documents = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [documents];
  list.forEach((document, index) => {
    const where = list.length > 1 ? `document ${index + 1}: ` : '';
    if (document.errors.length > 0) {
      errors.push(...document.errors.map((e) => `${where}YAML: ${e.message.split('\n')[0] ?? ''}`));
      return;
    }
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    if (!isObject(value)) {
      errors.push(`${where}expected a Kubernetes object, found ${typeof value}`);
      return;
    }
    if (value['kind'] !== 'Gslb') return;
    const parsed = parseGslb(value, options);
    if (typeof parsed === 'string') errors.push(`${where}${parsed}`);
    else gslbs.push(parsed);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, gslbs };
}

/** Thrown by the field parsers below; parseGslb turns it into the file's error. */
class Invalid extends Error {}

function parseGslb(object: Json, options: ParseOptions): GslbRecord | string {
  const metadata: Json = objectOr<Json>(object['metadata'], {});
  const name = typeof metadata['name'] === 'string' ? metadata['name'] : '';
  const namespace = typeof metadata['namespace'] === 'string' ? metadata['namespace'] : 'default';
  try {
    if (object['apiVersion'] !== GSLB_API_VERSION) {
      throw new Invalid(
        `apiVersion must be ${GSLB_API_VERSION}, found ${JSON.stringify(object['apiVersion'])}`,
      );
    }
    if (name === '') throw new Invalid('metadata.name is required');
    const annotations: Json = objectOr<Json>(metadata['annotations'], {});
    const spec = objectOr(object['spec'], null);
    if (spec === null) throw new Invalid('spec is required');
    const strategy = parseStrategy(spec['strategy'], options.defaultTtlSeconds);
    return {
      id: `${namespace}/${name}`,
      hosts: parseHosts(spec, annotations),
      strategy: strategy.type,
      ttlSeconds: strategy.ttlSeconds,
      clusters: [
        { geoTag: options.geoTag, addresses: parseAddresses(annotations[ANNOTATION_EXPOSED_IPS]) },
      ],
    };
  } catch (err) {
    if (!(err instanceof Invalid)) throw err;
    return `Gslb ${namespace}/${name === '' ? '?' : name}: ${err.message}`;
  }
}

interface ParsedStrategy {
  readonly type: StrategyType;
  readonly ttlSeconds: number;
}

function parseStrategy(value: unknown, defaultTtl: number): ParsedStrategy {
  if (!isObject(value)) throw new Invalid('spec.strategy is required');
  const type = STRATEGY_TYPES.find((t) => t === value['type']);
  if (type === undefined) {
    throw new Invalid(
      `spec.strategy.type must be one of ${STRATEGY_TYPES.join(', ')}, found ${JSON.stringify(value['type'])}`,
    );
  }
  const ttl = value['dnsTtlSeconds'];
  if (ttl !== undefined && !isIntegerIn(ttl, 0, MAX_TTL)) {
    throw new Invalid(
      `spec.strategy.dnsTtlSeconds must be an integer from 0 to ${MAX_TTL}, found ${JSON.stringify(ttl)}`,
    );
  }
  if (value['weight'] !== undefined) checkWeights(value['weight'], type);
  // k8gb replaces a missing or zero TTL with the default.
  return { type, ttlSeconds: ttl === undefined || ttl === 0 ? defaultTtl : (ttl as number) };
}

function checkWeights(weight: unknown, type: StrategyType): void {
  if (type !== 'roundRobin')
    throw new Invalid('spec.strategy.weight is only allowed with type roundRobin');
  if (!isObject(weight)) throw new Invalid('spec.strategy.weight must map geotags to integers');
  for (const [tag, w] of Object.entries(weight)) {
    if (!/^[A-Za-z0-9-]+$/.test(tag))
      throw new Invalid(`spec.strategy.weight: invalid geotag ${JSON.stringify(tag)}`);
    if (!isIntegerIn(w, 0, MAX_WEIGHT)) {
      throw new Invalid(`spec.strategy.weight.${tag} must be an integer from 0 to ${MAX_WEIGHT}`);
    }
  }
}

function parseHosts(spec: Json, annotations: Json): string[] {
  const hosts = [...ingressHosts(spec['ingress'])];
  const annotated = annotations[ANNOTATION_HOSTNAME];
  if (annotated !== undefined) {
    if (typeof annotated !== 'string')
      throw new Invalid(`annotation ${ANNOTATION_HOSTNAME} must be a string`);
    hosts.push(annotated);
  }
  if (hosts.length === 0) {
    throw new Invalid(
      `no host: set spec.ingress.rules[].host or the ${ANNOTATION_HOSTNAME} annotation`,
    );
  }
  const canonical = [...new Set(hosts.map((h) => canonicalName(h.trim())))];
  const problem = canonical.map(checkName).find((p) => p !== null);
  if (problem !== undefined) throw new Invalid(`host ${problem}`);
  return canonical;
}

function ingressHosts(ingress: unknown): string[] {
  if (ingress === undefined) return [];
  if (!isObject(ingress)) throw new Invalid('spec.ingress must be an object');
  const rules = ingress['rules'] ?? [];
  if (!Array.isArray(rules)) throw new Invalid('spec.ingress.rules must be a list');
  const hosts: string[] = [];
  for (const [index, rule] of rules.entries()) {
    if (!isObject(rule) || rule['host'] === undefined) continue;
    if (typeof rule['host'] !== 'string')
      throw new Invalid(`spec.ingress.rules[${index}].host must be a string`);
    hosts.push(rule['host']);
  }
  return hosts;
}

function parseAddresses(value: unknown): string[] {
  if (value === undefined) {
    throw new Invalid(
      `annotation ${ANNOTATION_EXPOSED_IPS} is required in standalone mode (the targets to serve)`,
    );
  }
  if (typeof value !== 'string')
    throw new Invalid(`annotation ${ANNOTATION_EXPOSED_IPS} must be a string`);
  const addresses = value
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  const bad = addresses.filter((a) => isIP(a) === 0);
  if (bad.length > 0)
    throw new Invalid(`annotation ${ANNOTATION_EXPOSED_IPS}: not IP addresses: ${bad.join(', ')}`);
  if (addresses.length === 0)
    throw new Invalid(`annotation ${ANNOTATION_EXPOSED_IPS} lists no address`);
  return addresses.map(canonicalAddress);
}

// One spelling per address, so `2001:db8::1` and `2001:DB8:0:0:0:0:0:1` are
// recognised as the same target. The URL parser applies RFC 5952.
function canonicalAddress(address: string): string {
  if (isIP(address) !== 6) return address;
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

function isIntegerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function objectOr<T extends Json | null>(value: unknown, fallback: T): Json | T {
  return isObject(value) ? value : fallback;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
