/**
 * Kubernetes objects reduced, at the edge, to the few fields Meridian reads.
 * A watch cache of these is a fraction of the size of the objects (an
 * EndpointSlice becomes one boolean), which is what keeps 10,000s of objects
 * in bounded memory. Pure: no I/O. Field shapes are checked here (through
 * the readers of json-fields.ts), so the rest of the source never sees
 * malformed JSON. Gslbs, of both API groups, are reduced in gslb-objects.ts.
 */
import { isObject } from '../../gslb/gslb-spec';
import { drainDeclarationOf, type DrainDeclaration } from './drain-declaration';
import type { KubeObject } from '../client/kube-api';
import { at, canonicalJson, list, strings, text } from './json-fields';

/** `namespace/name` */
export type ObjectKey = string;

/** The key of a namespaced object. */
export function keyOf(namespace: string, name: string): ObjectKey {
  return `${namespace}/${name}`;
}

/** One entry of `status.loadBalancer.ingress[]`. */
export interface LoadBalancerAddress {
  readonly ip: string | null;
  readonly hostname: string | null;
}

/** A host of an Ingress or route and the Services behind it. */
export interface ServerSource {
  readonly host: string;
  readonly services: readonly string[];
}

/** What Meridian reads from an Ingress. */
export interface IngressSource {
  readonly key: ObjectKey;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** uid of the controlling owner, if any. */
  readonly controllerUid: string | null;
  /** uid of the controlling owner when that is a `k8gb.io` Gslb (one Meridian may have made it for). */
  readonly ownerGslbUid: string | null;
  readonly servers: readonly ServerSource[];
  readonly addresses: readonly LoadBalancerAddress[];
  /** The spec as canonical JSON, to tell whether an owned Ingress drifted. */
  readonly specJson: string;
}

/** What Meridian reads from a Service. */
export interface ServiceSource {
  readonly key: ObjectKey;
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly addresses: readonly LoadBalancerAddress[];
  /** The drain it declares: read on the cluster's DNS Service only (MERIDIAN_DNS_SERVICE). */
  readonly drain: DrainDeclaration;
}

/** What Meridian reads from an EndpointSlice: its Service and whether any endpoint is ready. */
export interface EndpointSliceSource {
  readonly key: ObjectKey;
  readonly namespace: string;
  /** Label `kubernetes.io/service-name`; '' when absent. */
  readonly serviceName: string;
  readonly ready: boolean;
}

/** What Meridian reads from a Gateway. */
export interface GatewaySource {
  readonly key: ObjectKey;
  readonly addresses: readonly { readonly type: string; readonly value: string }[];
}

/** A parentRef or backendRef of a route, namespace filled in. */
export interface RouteRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** What Meridian reads from an HTTPRoute or GRPCRoute. */
export interface RouteSource {
  readonly key: ObjectKey;
  readonly kind: 'HTTPRoute' | 'GRPCRoute';
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly hostnames: readonly string[];
  readonly parents: readonly RouteRef[];
  readonly backends: readonly RouteRef[];
}

/** Label that links an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function namespaceOf(object: KubeObject): string {
  return object.metadata.namespace ?? '';
}

function loadBalancerAddresses(status: unknown): LoadBalancerAddress[] {
  return list(at(status, 'loadBalancer', 'ingress'))
    .filter(isObject)
    .map((entry) => ({
      ip: typeof entry['ip'] === 'string' ? entry['ip'] : null,
      hostname: typeof entry['hostname'] === 'string' ? entry['hostname'] : null,
    }));
}

/** The uid of the controlling owner (of `kind`, in `group` when given), or null. */
export function controllerUid(object: KubeObject, kind?: string, group?: string): string | null {
  const owner = (object.metadata.ownerReferences ?? []).find(
    (o) =>
      o.controller === true &&
      (kind === undefined || o.kind === kind) &&
      (group === undefined || o.apiVersion.startsWith(`${group}/`)),
  );
  return owner?.uid ?? null;
}

/** Hosts and backend Services of Ingress rules, as k8gb reads them (defaultBackend ignored). */
export function ingressServers(spec: unknown): ServerSource[] {
  const byHost = new Map<string, Set<string>>();
  for (const rule of list(at(spec, 'rules')).filter(isObject)) {
    const host = text(rule['host']);
    if (host === '') continue;
    const services = byHost.get(host) ?? new Set<string>();
    byHost.set(host, services);
    for (const path of list(at(rule, 'http', 'paths'))) {
      const service = text(at(path, 'backend', 'service', 'name'));
      if (service !== '') services.add(service);
    }
  }
  return [...byHost].map(([host, services]) => ({ host, services: [...services] }));
}

export function toIngress(object: KubeObject): IngressSource {
  const namespace = namespaceOf(object);
  return {
    key: keyOf(namespace, object.metadata.name),
    namespace,
    name: object.metadata.name,
    uid: object.metadata.uid ?? '',
    resourceVersion: object.metadata.resourceVersion ?? '',
    labels: strings(object.metadata.labels),
    annotations: strings(object.metadata.annotations),
    controllerUid: controllerUid(object),
    ownerGslbUid: controllerUid(object, 'Gslb', 'k8gb.io'),
    servers: ingressServers(object['spec']),
    addresses: loadBalancerAddresses(object['status']),
    specJson: canonicalJson(object['spec'] ?? {}),
  };
}

export function toService(object: KubeObject): ServiceSource {
  const namespace = namespaceOf(object);
  return {
    key: keyOf(namespace, object.metadata.name),
    namespace,
    name: object.metadata.name,
    type: text(at(object, 'spec', 'type')) || 'ClusterIP',
    labels: strings(object.metadata.labels),
    addresses: loadBalancerAddresses(object['status']),
    drain: drainDeclarationOf(object, 'Service'),
  };
}

/** k8gb: ready when some endpoint has an address and `conditions.ready` is unset or true. */
export function toEndpointSlice(object: KubeObject): EndpointSliceSource {
  const namespace = namespaceOf(object);
  const ready = list(object['endpoints'])
    .filter(isObject)
    .some(
      (endpoint) =>
        list(endpoint['addresses']).length > 0 && at(endpoint, 'conditions', 'ready') !== false,
    );
  return {
    key: keyOf(namespace, object.metadata.name),
    namespace,
    serviceName: text(object.metadata.labels?.[SERVICE_NAME_LABEL]),
    ready,
  };
}

export function toGateway(object: KubeObject): GatewaySource {
  return {
    key: keyOf(namespaceOf(object), object.metadata.name),
    addresses: list(at(object, 'status', 'addresses'))
      .filter(isObject)
      .map((a) => ({ type: text(a['type']), value: text(a['value']) })),
  };
}

/** Defaults of Gateway API references: parents are Gateways, backends core Services. */
const PARENT_DEFAULT = { group: 'gateway.networking.k8s.io', kind: 'Gateway' };
const BACKEND_DEFAULT = { group: '', kind: 'Service' };

function routeRefs(value: unknown, namespace: string, defaults: typeof PARENT_DEFAULT): RouteRef[] {
  return list(value)
    .filter(isObject)
    .map((ref) => ({
      group: typeof ref['group'] === 'string' ? ref['group'] : defaults.group,
      kind: text(ref['kind']) || defaults.kind,
      namespace: text(ref['namespace']) || namespace,
      name: text(ref['name']),
    }));
}

export function toRoute(object: KubeObject): RouteSource {
  const namespace = namespaceOf(object);
  const spec = object['spec'];
  const backends = list(at(spec, 'rules')).flatMap((rule) =>
    routeRefs(at(rule, 'backendRefs'), namespace, BACKEND_DEFAULT),
  );
  return {
    key: keyOf(namespace, object.metadata.name),
    kind: object.kind === 'GRPCRoute' ? 'GRPCRoute' : 'HTTPRoute',
    namespace,
    name: object.metadata.name,
    labels: strings(object.metadata.labels),
    hostnames: list(at(spec, 'hostnames'))
      .map(text)
      .filter((h) => h !== ''),
    parents: routeRefs(at(spec, 'parentRefs'), namespace, PARENT_DEFAULT),
    backends,
  };
}
