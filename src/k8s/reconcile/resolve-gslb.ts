/**
 * One Gslb, resolved against the watched objects as k8gb's controller does
 * it: which hosts it serves and with which backends (k8gb-reference §2), each
 * host's local health (§4.1), the exposed addresses by precedence (§4.2), the
 * records to serve and the status to write. Pure: names that need DNS are
 * looked up through a callback that answers from a cache.
 */
import { isIP } from 'node:net';
import { canonicalAddress } from '../../dns/addresses';
import { canonicalName, checkName } from '../../dns/names';
import { InvalidGslb, parseAddressList, parseStrategy } from '../../gslb/gslb-spec';
import {
  ANNOTATION_EXPOSED_HOSTNAMES,
  ANNOTATION_EXPOSED_IPS,
  ANNOTATION_HOSTNAME,
} from '../../gslb/k8gb-naming';
import type { GslbRecord } from '../../table/model';
import type { ObjectIndex } from '../ingest/object-index';
import {
  ingressServers,
  keyOf,
  type GslbSource,
  type LabelSelector,
  type LoadBalancerAddress,
  type ResourceRef,
  type RouteSource,
} from '../ingest/objects';

/** Local health of a host, k8gb's three values. */
export type HostHealth = 'Healthy' | 'Unhealthy' | 'NotFound';

/** Why a Gslb is or is not served; the `reason` of its Ready condition. */
export type ReadyReason =
  | 'Serving'
  | 'InvalidSpec'
  | 'UnsupportedResource'
  | 'ResourceNotFound'
  | 'AmbiguousResourceRef'
  | 'NoHostInZone'
  | 'ExposedAddressesUnresolved'
  | 'HostsNotServed';

/** The answer of the hostname cache: addresses, not known yet, or a failure. */
export type HostnameLookup =
  | { readonly state: 'resolved'; readonly addresses: readonly string[] }
  | { readonly state: 'pending' }
  | { readonly state: 'failed'; readonly error: string };

/** Configuration and caches resolution reads. */
export interface ResolveContext {
  readonly geoTag: string;
  readonly defaultTtlSeconds: number;
  /** CLUSTER_EXPOSED_IPS, canonical. */
  readonly clusterExposedIps: readonly string[];
  /** True when `host` lies in a configured zone. */
  readonly inZone: (host: string) => boolean;
  readonly lookupHostname: (name: string) => HostnameLookup;
}

/** `status.servers[]` as k8gb writes it. */
export interface ServerStatus {
  readonly host: string;
  readonly services: readonly { readonly name: string; readonly namespace: string }[];
}

/** A resolved Gslb. */
export interface Resolution {
  readonly reason: ReadyReason;
  readonly message: string;
  /** What to serve; empty when not served. */
  readonly records: readonly GslbRecord[];
  readonly health: Readonly<Record<string, HostHealth>>;
  readonly healthyRecords: Readonly<Record<string, readonly string[]>>;
  readonly exposedIps: readonly string[];
  readonly servers: readonly ServerStatus[];
  /** In-zone hosts. */
  readonly hosts: readonly string[];
  /**
   * True for a problem in the Gslb itself or in resolving its exposed host
   * names: whatever it served before keeps serving until it is fixed.
   */
  readonly keepLastGood: boolean;
  /**
   * True while an exposed host name is still being looked up for the first
   * time: not news, so no status or Event is written until it settles.
   */
  readonly pending?: boolean;
}

/** Thrown inside resolution; becomes a not-Ready Resolution. */
class NotServed extends Error {
  constructor(
    readonly reason: Exclude<ReadyReason, 'Serving'>,
    message: string,
    readonly pending = false,
  ) {
    super(message);
  }
}

/** Hosts and backends a declaration yields, and where its addresses come from. */
interface Declaration {
  readonly servers: readonly ServerStatus[];
  readonly statusAddresses: () => string[];
}

/** Resolves `gslb`; never throws on bad input. */
export function resolveGslb(gslb: GslbSource, index: ObjectIndex, ctx: ResolveContext): Resolution {
  try {
    return resolveOrThrow(gslb, index, ctx);
  } catch (err) {
    if (err instanceof InvalidGslb) return notServed('InvalidSpec', err.message, true);
    if (err instanceof NotServed) {
      const resolution = notServed(
        err.reason,
        err.message,
        err.reason === 'ExposedAddressesUnresolved',
      );
      return err.pending ? { ...resolution, pending: true } : resolution;
    }
    throw err;
  }
}

function notServed(
  reason: Exclude<ReadyReason, 'Serving'>,
  message: string,
  keepLastGood: boolean,
): Resolution {
  return {
    reason,
    message,
    records: [],
    health: {},
    healthyRecords: {},
    exposedIps: [],
    servers: [],
    hosts: [],
    keepLastGood,
  };
}

function resolveOrThrow(gslb: GslbSource, index: ObjectIndex, ctx: ResolveContext): Resolution {
  const strategy = parseStrategy(gslb.strategy, ctx.defaultTtlSeconds);
  const policy = parsePolicy(gslb.serviceHealthPolicy);
  const declaration = declarationOf(gslb, index, ctx);
  const servers = mergeServers(declaration.servers).filter((s) => ctx.inZone(s.host));
  if (servers.length === 0) {
    const all = declaration.servers.map((s) => s.host).join(', ') || 'none';
    throw new NotServed('NoHostInZone', `no host lies in a zone of DNS_ZONES (hosts: ${all})`);
  }
  const exposedIps = exposedAddresses(gslb, declaration, ctx);
  const health: Record<string, HostHealth> = {};
  const healthyRecords: Record<string, string[]> = {};
  const healthy: string[] = [];
  const unhealthy: string[] = [];
  for (const server of servers) {
    const state = hostHealth(server, index, policy);
    health[server.host] = state;
    if (state === 'Healthy' && exposedIps.length > 0) {
      healthy.push(server.host);
      healthyRecords[server.host] = exposedIps;
    } else unhealthy.push(server.host);
  }
  // Unhealthy hosts carry their addresses marked unhealthy: never served or
  // published as local targets, except by a Gslb that asks to fail open.
  const record = (hosts: string[], isHealthy: boolean): GslbRecord => ({
    id: gslb.key,
    hosts,
    strategy: strategy.type,
    ttlSeconds: strategy.ttlSeconds,
    ...strategy.parameters,
    clusters:
      exposedIps.length === 0
        ? []
        : [
            isHealthy
              ? { geoTag: ctx.geoTag, addresses: exposedIps }
              : { geoTag: ctx.geoTag, addresses: exposedIps, healthy: false },
          ],
  });
  const records: GslbRecord[] = [];
  if (healthy.length > 0) records.push(record(healthy, true));
  if (unhealthy.length > 0) records.push(record(unhealthy, false));
  return {
    reason: 'Serving',
    message: healthSummary(health),
    records,
    health,
    healthyRecords,
    exposedIps,
    servers,
    hosts: servers.map((s) => s.host),
    keepLastGood: false,
  };
}

/** Servers by canonical host: one name spelled two ways (case, trailing dot) is one host. */
function mergeServers(servers: readonly ServerStatus[]): ServerStatus[] {
  const byHost = new Map<string, Map<string, ServerStatus['services'][number]>>();
  for (const server of servers) {
    const host = canonicalHost(server.host);
    const services = byHost.get(host) ?? new Map<string, ServerStatus['services'][number]>();
    byHost.set(host, services);
    for (const service of server.services)
      services.set(`${service.namespace}/${service.name}`, service);
  }
  return [...byHost].map(([host, services]) => ({ host, services: [...services.values()] }));
}

function healthSummary(health: Readonly<Record<string, HostHealth>>): string {
  const counts = new Map<HostHealth, number>();
  for (const state of Object.values(health)) counts.set(state, (counts.get(state) ?? 0) + 1);
  const parts = [...counts].map(([state, n]) => `${n} ${state}`);
  const total = Object.keys(health).length;
  return `${total} host${total === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

function parsePolicy(value: unknown): 'Any' | 'All' {
  if (value === undefined || value === 'Any') return 'Any';
  if (value === 'All') return 'All';
  throw new InvalidGslb(
    `spec.serviceHealthPolicy must be Any or All, found ${JSON.stringify(value)}`,
  );
}

function canonicalHost(host: string): string {
  const name = canonicalName(host.trim());
  const problem = checkName(name);
  if (problem !== null) throw new InvalidGslb(`host ${problem}`);
  return name;
}

/** k8gb's aggregation of the host's backend Services (k8gb-reference §4.1). */
function hostHealth(server: ServerStatus, index: ObjectIndex, policy: 'Any' | 'All'): HostHealth {
  if (server.services.length === 0) return 'NotFound';
  const states = server.services.map((s) => index.serviceState(s.namespace, s.name));
  if (policy === 'All') {
    if (states.includes('missing')) return 'NotFound';
    return states.includes('unready') ? 'Unhealthy' : 'Healthy';
  }
  if (states.includes('ready')) return 'Healthy';
  return states.includes('unready') ? 'Unhealthy' : 'NotFound';
}

function declarationOf(gslb: GslbSource, index: ObjectIndex, ctx: ResolveContext): Declaration {
  const ref = gslb.resourceRef;
  if (ref !== null && (ref.name !== '' || ref.selector !== null))
    return referenced(gslb, ref, index, ctx);
  if (gslb.embeddedIngress !== null) return embedded(gslb, index, ctx);
  throw new InvalidGslb('set spec.ingress or spec.resourceRef (a name or a label selector)');
}

/** An embedded Ingress: hosts from the Gslb, addresses from the Ingress Meridian made for it. */
function embedded(gslb: GslbSource, index: ObjectIndex, ctx: ResolveContext): Declaration {
  const servers = ingressServers(gslb.embeddedIngress).map((s) => ({
    host: s.host,
    services: s.services.map((name) => ({ name, namespace: gslb.namespace })),
  }));
  if (servers.length === 0) throw new InvalidGslb('spec.ingress.rules name no host');
  const owned = index.ingresses.get(gslb.key);
  const mine = owned !== undefined && owned.controllerUid === gslb.uid;
  return {
    servers,
    statusAddresses: () => (mine ? loadBalancerTargets(owned.addresses, ctx) : []),
  };
}

const SUPPORTED =
  'networking.k8s.io/v1 Ingress, v1 Service, gateway.networking.k8s.io/v1 HTTPRoute or GRPCRoute';

function referenced(
  gslb: GslbSource,
  ref: ResourceRef,
  index: ObjectIndex,
  ctx: ResolveContext,
): Declaration {
  const kind = `${ref.apiVersion} ${ref.kind}`;
  switch (kind) {
    case 'networking.k8s.io/v1 Ingress': {
      const ingress = pickOne(ref, index.ingresses, 'Ingress');
      return {
        servers: ingress.servers.map((s) => ({
          host: s.host,
          services: s.services.map((name) => ({ name, namespace: ingress.namespace })),
        })),
        statusAddresses: () => loadBalancerTargets(ingress.addresses, ctx),
      };
    }
    case 'v1 Service':
      return serviceDeclaration(gslb, ref, index, ctx);
    case 'gateway.networking.k8s.io/v1 HTTPRoute':
      return routeDeclaration(pickOne(ref, index.httpRoutes, 'HTTPRoute'), index, ctx);
    case 'gateway.networking.k8s.io/v1 GRPCRoute':
      return routeDeclaration(pickOne(ref, index.grpcRoutes, 'GRPCRoute'), index, ctx);
    default:
      throw new NotServed(
        'UnsupportedResource',
        `resourceRef APIVersion:${ref.apiVersion}, Kind:${ref.kind} not supported (use ${SUPPORTED})`,
      );
  }
}

function serviceDeclaration(
  gslb: GslbSource,
  ref: ResourceRef,
  index: ObjectIndex,
  ctx: ResolveContext,
): Declaration {
  const host = gslb.annotations[ANNOTATION_HOSTNAME];
  if (host === undefined || host.trim() === '')
    throw new InvalidGslb(`a Service resourceRef needs the ${ANNOTATION_HOSTNAME} annotation`);
  const service = pickOne(ref, index.services, 'Service');
  if (service.type !== 'LoadBalancer')
    throw new NotServed(
      'UnsupportedResource',
      `Service ${service.key} is of type ${service.type}; only LoadBalancer is supported`,
    );
  return {
    servers: [{ host, services: [{ name: service.name, namespace: service.namespace }] }],
    statusAddresses: () => loadBalancerTargets(service.addresses, ctx),
  };
}

function routeDeclaration(
  route: RouteSource,
  index: ObjectIndex,
  ctx: ResolveContext,
): Declaration {
  const gateways = route.parents.filter((p) => p.kind === 'Gateway');
  if (gateways.length !== 1)
    throw new NotServed(
      'UnsupportedResource',
      `${route.kind} ${route.key} must have exactly one parentRef of kind Gateway, found ${gateways.length}`,
    );
  const parent = gateways[0]!;
  // k8gb takes every backendRef as a Service name, whatever its kind.
  const services = route.backends.map((b) => ({ name: b.name, namespace: b.namespace }));
  return {
    servers: route.hostnames.map((host) => ({ host, services })),
    statusAddresses: () => {
      const gateway = index.gateways.get(keyOf(parent.namespace, parent.name));
      if (gateway === undefined)
        throw new NotServed(
          'ResourceNotFound',
          `Gateway ${parent.namespace}/${parent.name} (parent of ${route.kind} ${route.key}) not found`,
        );
      return gateway.addresses.flatMap((a) => {
        if (a.type === '' || a.type === 'IPAddress') return [checkedAddress(a.value)];
        if (a.type === 'Hostname') return resolved(a.value, ctx);
        throw new NotServed(
          'UnsupportedResource',
          `Gateway ${gateway.key} address type ${a.type} is not supported (IPAddress or Hostname)`,
        );
      });
    },
  };
}

interface Lookup<T> {
  get(key: string): T | undefined;
  inNamespace(namespace: string): Iterable<T>;
}

/** The one object a reference names or selects (k8gb: exactly one must match). */
function pickOne<T extends { key: string; labels?: Readonly<Record<string, string>> }>(
  ref: ResourceRef,
  objects: Lookup<T>,
  what: string,
): T {
  if (ref.name !== '') {
    const found = objects.get(keyOf(ref.namespace, ref.name));
    if (found === undefined)
      throw new NotServed('ResourceNotFound', `${what} ${ref.namespace}/${ref.name} not found`);
    return found;
  }
  const selector = ref.selector!;
  checkSelector(selector);
  const matches = [...objects.inNamespace(ref.namespace)].filter((o) =>
    matchesSelector(o.labels ?? {}, selector),
  );
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0)
    throw new NotServed(
      'ResourceNotFound',
      `no ${what} in namespace ${ref.namespace} matches the resourceRef selector`,
    );
  throw new NotServed(
    'AmbiguousResourceRef',
    `${matches.length} ${what}s in namespace ${ref.namespace} match the resourceRef selector (${matches
      .map((m) => m.key)
      .sort()
      .join(', ')}); it must match exactly one`,
  );
}

const SELECTOR_OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** Rejects what the apiserver's own selector validation rejects, before anything is listed. */
function checkSelector(selector: LabelSelector): void {
  for (const e of selector.matchExpressions) {
    if (!SELECTOR_OPERATORS.has(e.operator))
      throw new InvalidGslb(`resourceRef selector: unknown operator ${JSON.stringify(e.operator)}`);
    const wantsValues = e.operator === 'In' || e.operator === 'NotIn';
    if (wantsValues !== e.values.length > 0)
      throw new InvalidGslb(
        `resourceRef selector: ${e.operator} on ${JSON.stringify(e.key)} ${wantsValues ? 'needs values' : 'takes no values'}`,
      );
  }
}

/** Kubernetes label selector semantics. */
export function matchesSelector(
  labels: Readonly<Record<string, string>>,
  selector: LabelSelector,
): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels)) if (labels[k] !== v) return false;
  return selector.matchExpressions.every((e) => {
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        return value !== undefined && e.values.includes(value);
      case 'NotIn':
        return value === undefined || !e.values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        throw new InvalidGslb(
          `resourceRef selector: unknown operator ${JSON.stringify(e.operator)}`,
        );
    }
  });
}

/** k8gb's precedence (§4.2); IPv6 addresses are kept. */
function exposedAddresses(
  gslb: GslbSource,
  declaration: Declaration,
  ctx: ResolveContext,
): string[] {
  const hostnames = gslb.annotations[ANNOTATION_EXPOSED_HOSTNAMES];
  if (hostnames !== undefined) {
    const names = hostnames
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '');
    return unique(names.flatMap((name) => resolved(name, ctx)));
  }
  const ips = gslb.annotations[ANNOTATION_EXPOSED_IPS];
  if (ips !== undefined)
    return unique(parseAddressList(ips, `annotation ${ANNOTATION_EXPOSED_IPS}`));
  if (ctx.clusterExposedIps.length > 0) return [...ctx.clusterExposedIps];
  return unique(declaration.statusAddresses());
}

function loadBalancerTargets(
  addresses: readonly LoadBalancerAddress[],
  ctx: ResolveContext,
): string[] {
  return addresses.flatMap((a) => {
    if (a.ip !== null) return [checkedAddress(a.ip)];
    return a.hostname === null ? [] : resolved(a.hostname, ctx);
  });
}

function checkedAddress(value: string): string {
  if (isIP(value) === 0)
    throw new NotServed(
      'ExposedAddressesUnresolved',
      `${JSON.stringify(value)} is not an IP address`,
    );
  return canonicalAddress(value);
}

function resolved(name: string, ctx: ResolveContext): readonly string[] {
  const lookup = ctx.lookupHostname(canonicalName(name));
  if (lookup.state === 'resolved') return lookup.addresses;
  if (lookup.state === 'pending')
    throw new NotServed(
      'ExposedAddressesUnresolved',
      `resolving ${name} through the edge DNS servers`,
      true,
    );
  throw new NotServed('ExposedAddressesUnresolved', `cannot resolve ${name}: ${lookup.error}`);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
