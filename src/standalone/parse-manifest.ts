/**
 * Turns the text of one manifest file into Gslb records. Pure: no I/O. A file
 * is valid only as a whole, so that a half-valid edit never half-applies; the
 * caller keeps serving the file's last valid content instead.
 */
import { parseAllDocuments } from 'yaml';
import { canonicalName, checkName } from '../dns/names';
import { drainRequestedBy, parseDrain } from '../gslb/drain-annotation';
import { ANNOTATION_EXPOSED_IPS, ANNOTATION_HOSTNAME, GSLB_API_VERSION } from '../gslb/k8gb-naming';
import {
  InvalidGslb as Invalid,
  isObject,
  objectOr,
  parseAddressList,
  parseStrategy,
  type Json,
} from '../gslb/gslb-spec';
import { parseProbe } from '../gslb/probe-spec';
import type { Claim } from '../table/host-claims';
import type { GslbRecord } from '../table/model';

/** The outcome of parsing one file. */
export type ManifestParse =
  | { readonly ok: true; readonly gslbs: readonly GslbRecord[] }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Options that come from configuration. */
export interface ParseOptions {
  readonly defaultTtlSeconds: number;
  readonly geoTag: string;
  /**
   * When the Gslb `id` was first seen (ms since the epoch), for the claim on
   * its hosts; a `metadata.creationTimestamp` in the manifest wins. Absent:
   * records carry no claim.
   */
  readonly claimSince?: (id: string) => number;
}

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
    const id = `${namespace}/${name}`;
    const claim = claimOf(id, metadata['creationTimestamp'], options);
    const drain = drainOf(annotations, namespace, name);
    const probe = parseProbe(spec['probe']);
    return {
      id,
      ...(claim === undefined ? {} : { claim }),
      ...drain,
      hosts: parseHosts(spec, annotations),
      strategy: strategy.type,
      ttlSeconds: strategy.ttlSeconds,
      ...strategy.parameters,
      ...(probe === undefined ? {} : { probe }),
      // One cluster: a manifest describes this cluster's targets, healthy by
      // declaration, or by their probe when the Gslb declares one.
      clusters: [
        { geoTag: options.geoTag, addresses: parseAddresses(annotations[ANNOTATION_EXPOSED_IPS]) },
      ],
    };
  } catch (err) {
    if (!(err instanceof Invalid)) throw err;
    return `Gslb ${namespace}/${name === '' ? '?' : name}: ${err.message}`;
  }
}

// The claim keeps a host with the Gslb that had it first, across re-reads
// (the directory remembers) and restarts (a declared creationTimestamp, or the
// file's birth time, which an edit does not change).
function claimOf(id: string, created: unknown, options: ParseOptions): Claim | undefined {
  const declared = typeof created === 'string' ? Date.parse(created) : NaN;
  if (Number.isFinite(declared)) return { since: declared, tiebreak: '' };
  return options.claimSince === undefined
    ? undefined
    : { since: options.claimSince(id), tiebreak: '' };
}

// A drain declared in the manifest (gslb/drain-annotation.ts); `true` counts
// from first sight, a time from that time, across restarts too.
function drainOf(
  annotations: Json,
  namespace: string,
  name: string,
): Pick<GslbRecord, 'drain' | 'drainChangedBy'> {
  const texts = Object.fromEntries(
    Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  const parsed = parseDrain(texts);
  if ('invalid' in parsed) throw new Invalid(parsed.invalid);
  const named = drainRequestedBy(texts);
  if (!parsed.drained) return named === null ? {} : { drainChangedBy: named };
  const by = named ?? 'manifest';
  return {
    drain: {
      sinceMs: parsed.sinceMs ?? NaN,
      requestedBy: by,
      declaredOn: { kind: 'Gslb', namespace, name },
    },
    drainChangedBy: by,
  };
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
  const addresses = parseAddressList(value, `annotation ${ANNOTATION_EXPOSED_IPS}`);
  if (addresses.length === 0)
    throw new Invalid(`annotation ${ANNOTATION_EXPOSED_IPS} lists no address`);
  return addresses;
}
