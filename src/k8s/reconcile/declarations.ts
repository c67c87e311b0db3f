/**
 * What a Gslb declares, as k8gb reads it (docs/k8gb-compatibility.md#ways-to-declare-a-gslb): an
 * embedded Ingress (spec.ingress) or a resourceRef to an Ingress, a LoadBalancer Service or an
 * HTTPRoute/GRPCRoute, by name or by label selector. Each yields the hosts with their backend
 * Services, and where the addresses its objects report come from (load-balancer status, the parent
 * Gateway).
 */
import { InvalidGslb } from '../../gslb/gslb-spec';
import { ANNOTATION_HOSTNAME } from '../../gslb/k8gb-naming';
import type { ObjectIndex } from '../ingest/object-index';
import type { GslbSource, LabelSelector, ResourceRef } from '../ingest/gslb-objects';
import { ingressServers, keyOf, type RouteSource } from '../ingest/objects';
import { checkedAddress, loadBalancerTargets, resolved } from './exposed-addresses';
import { NotServed, type ResolveContext, type ServerStatus } from './resolution';

/** Hosts and backends a declaration yields, and where its addresses come from. */
export interface Declaration {
  readonly servers: readonly ServerStatus[];
  readonly statusAddresses: () => string[];
}

/** The declaration of `gslb`: a resourceRef wins over an embedded Ingress, as in k8gb. */
export function declarationOf(
  gslb: GslbSource,
  index: ObjectIndex,
  ctx: ResolveContext,
): Declaration {
  const ref = gslb.resourceRef;
  if (ref !== null && (ref.name !== '' || ref.selector !== null))
    return referenced(gslb, ref, index, ctx);
  if (gslb.embeddedIngress !== null) return embedded(gslb, index, ctx);
  throw new InvalidGslb('set spec.ingress or spec.resourceRef (a name or a label selector)');
}

/**
 * An embedded Ingress: hosts from the Gslb, addresses from the same-named Ingress it controls:
 * the one Meridian made for it, or for a legacy Gslb the one k8gb made (read, never written).
 */
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
