/**
 * Raw Kubernetes objects, as the apiserver sends them, for the unit tests of
 * src/k8s: a Gslb (of either API group) and the Ingresses, Services, EndpointSlices, Gateways and
 * routes it refers to, an ObjectIndex filled with them, and a resolution
 * context with scripted host name lookups. Every builder takes the few fields
 * a test varies and fills in the rest with fixed values.
 */
import type { KubeObject, OwnerReference } from '../../src/k8s/client/kube-api';
import { ObjectIndex, type WatchedKind } from '../../src/k8s/ingest/object-index';
import type { HostnameLookup, ResolveContext } from '../../src/k8s/reconcile/resolution';

/** The namespace most fixtures live in. */
export const NS = 'shop';
/** The load-balanced zone of resolveContext(). */
export const ZONE = 'cloud.example.org';
/** The geotag of resolveContext(). */
export const GEO_TAG = 'eu';
export const GSLB_UID = 'gslb-uid-1';
/** The creation time of the default Gslb, and the claim its records carry. */
export const GSLB_CREATED = '2026-01-01T00:00:00Z';
export const GSLB_CLAIM = Object.freeze({ since: Date.parse(GSLB_CREATED), tiebreak: GSLB_UID });

export const ANNOTATION_HOSTNAME = 'k8gb.io/hostname';
export const ANNOTATION_EXPOSED_IPS = 'k8gb.io/exposed-ip-addresses';
export const ANNOTATION_EXPOSED_HOSTNAMES = 'k8gb.io/exposed-hostnames';
export const MANAGED_BY = 'app.k8gb.io/managed-by';

/** Metadata fields a test may set. */
export interface Meta {
  readonly namespace?: string;
  readonly uid?: string;
  readonly generation?: number;
  readonly resourceVersion?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly ownerReferences?: OwnerReference[];
  readonly creationTimestamp?: string;
}

/** Any object: apiVersion, kind, metadata (namespace NS unless given) and top-level fields. */
export function kubeObject(
  apiVersion: string,
  kind: string,
  name: string,
  meta: Meta = {},
  fields: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name, namespace: NS, ...meta },
    ...fields,
  };
}

/** A controlling owner reference. */
const API_VERSIONS: Readonly<Record<string, string>> = {
  Ingress: 'networking.k8s.io/v1',
  Gslb: 'k8gb.io/v1beta1',
  Deployment: 'apps/v1',
};

export function controller(
  kind: string,
  name: string,
  uid: string,
  apiVersion = API_VERSIONS[kind] ?? 'v1',
): OwnerReference {
  return { apiVersion, kind, name, uid, controller: true };
}

/** Ingress rules: host → Service names of its paths. */
export function rules(hosts: Record<string, string[]>): unknown[] {
  return Object.entries(hosts).map(([host, services]) => ({
    host,
    http: {
      paths: services.map((service) => ({
        path: '/',
        pathType: 'Prefix',
        backend: { service: { name: service, port: { number: 80 } } },
      })),
    },
  }));
}

/** `status.loadBalancer.ingress[]` from `ip` or `hostname` entries. */
export function loadBalancer(
  ...entries: ({ ip: string } | { hostname: string })[]
): Record<string, unknown> {
  return { loadBalancer: { ingress: entries } };
}

export interface GslbFixture extends Meta {
  readonly name?: string;
  readonly strategy?: unknown;
  /** The embedded Ingress spec. */
  readonly ingress?: unknown;
  readonly resourceRef?: unknown;
  readonly serviceHealthPolicy?: unknown;
  readonly status?: unknown;
}

/** A k8gb.io Gslb, by default `shop/web` with uid GSLB_UID and a round-robin strategy. */
export function gslbObject(fixture: GslbFixture = {}): KubeObject {
  const {
    name = 'web',
    strategy,
    ingress,
    resourceRef,
    serviceHealthPolicy,
    status,
    ...meta
  } = fixture;
  const spec: Record<string, unknown> = {
    strategy: strategy === undefined ? { type: 'roundRobin', dnsTtlSeconds: 30 } : strategy,
  };
  if (ingress !== undefined) spec['ingress'] = ingress;
  if (resourceRef !== undefined) spec['resourceRef'] = resourceRef;
  if (serviceHealthPolicy !== undefined) spec['serviceHealthPolicy'] = serviceHealthPolicy;
  return kubeObject(
    'k8gb.io/v1beta1',
    'Gslb',
    name,
    { uid: GSLB_UID, generation: 1, creationTimestamp: GSLB_CREATED, ...meta },
    status === undefined ? { spec } : { spec, status },
  );
}

/** The uid of legacyGslbObject() unless given. */
export const LEGACY_UID = 'legacy-uid-1';

/**
 * A Gslb of k8gb's older group `k8gb.absa.oss` (same schema but for
 * serviceHealthPolicy, which a test may still set to show it is not read),
 * by default `shop/web` with uid LEGACY_UID.
 */
export function legacyGslbObject(fixture: GslbFixture = {}): KubeObject {
  return { ...gslbObject({ uid: LEGACY_UID, ...fixture }), apiVersion: 'k8gb.absa.oss/v1beta1' };
}

export interface IngressFixture extends Meta {
  /** host → Service names; ignored when `spec` is given. */
  readonly hosts?: Record<string, string[]>;
  readonly spec?: unknown;
  readonly status?: unknown;
}

/** A networking.k8s.io/v1 Ingress. */
export function ingressObject(name: string, fixture: IngressFixture = {}): KubeObject {
  const { hosts = {}, spec, status, ...meta } = fixture;
  return kubeObject(
    'networking.k8s.io/v1',
    'Ingress',
    name,
    { uid: `ingress-uid-${name}`, ...meta },
    {
      spec: spec ?? { rules: rules(hosts) },
      ...(status === undefined ? {} : { status }),
    },
  );
}

export interface ServiceFixture extends Meta {
  readonly type?: string;
  readonly status?: unknown;
}

/** A core v1 Service, ClusterIP unless `type` says otherwise. */
export function serviceObject(name: string, fixture: ServiceFixture = {}): KubeObject {
  const { type, status, ...meta } = fixture;
  return kubeObject(
    'v1',
    'Service',
    name,
    { uid: `service-uid-${name}`, ...meta },
    {
      spec: type === undefined ? {} : { type },
      ...(status === undefined ? {} : { status }),
    },
  );
}

/** An EndpointSlice of `service` with one endpoint, ready or not; `service` null means no label. */
export function sliceObject(
  name: string,
  service: string | null,
  ready: boolean,
  meta: Meta = {},
): KubeObject {
  return kubeObject(
    'discovery.k8s.io/v1',
    'EndpointSlice',
    name,
    {
      labels: service === null ? {} : { 'kubernetes.io/service-name': service },
      ...meta,
    },
    {
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready } }],
    },
  );
}

/** A gateway.networking.k8s.io/v1 Gateway with `status.addresses`. */
export function gatewayObject(
  name: string,
  addresses: { type?: string; value: string }[],
  meta: Meta = {},
): KubeObject {
  return kubeObject(
    'gateway.networking.k8s.io/v1',
    'Gateway',
    name,
    { uid: `gateway-uid-${name}`, ...meta },
    { spec: { gatewayClassName: 'test' }, status: { addresses } },
  );
}

export interface RouteFixture extends Meta {
  readonly hostnames?: unknown[];
  readonly parentRefs?: unknown[];
  readonly backendRefs?: unknown[];
}

/** An HTTPRoute or GRPCRoute with one rule, by default under Gateway `gw` with backend `web`. */
export function routeObject(
  kind: 'HTTPRoute' | 'GRPCRoute',
  name: string,
  fixture: RouteFixture = {},
): KubeObject {
  const {
    hostnames = [`${name}.${ZONE}`],
    parentRefs = [{ name: 'gw' }],
    backendRefs = [{ name: 'web', port: 80 }],
    ...meta
  } = fixture;
  return kubeObject(
    'gateway.networking.k8s.io/v1',
    kind,
    name,
    { uid: `route-uid-${name}`, ...meta },
    { spec: { hostnames, parentRefs, rules: [{ backendRefs }] } },
  );
}

/** An ObjectIndex with every object added. */
export function indexOf(...entries: [WatchedKind, KubeObject][]): ObjectIndex {
  const index = new ObjectIndex();
  for (const [kind, object] of entries) index.apply(kind, { type: 'add', object });
  return index;
}

/** A Service and one EndpointSlice making it ready (or not). */
export function backend(name: string, ready = true, namespace = NS): [WatchedKind, KubeObject][] {
  return [
    ['Service', serviceObject(name, { namespace })],
    ['EndpointSlice', sliceObject(`${name}-abcde`, name, ready, { namespace })],
  ];
}

/**
 * A resolution context: geotag GEO_TAG, default TTL 30, hosts in ZONE, and
 * host names answered from `names` (anything else is pending). Every lookup
 * is recorded in `looked`.
 */
export function resolveContext(
  options: {
    names?: Record<string, HostnameLookup>;
    clusterExposedIps?: string[];
    looked?: string[];
  } = {},
): ResolveContext {
  const names = options.names ?? {};
  return {
    geoTag: GEO_TAG,
    defaultTtlSeconds: 30,
    clusterExposedIps: options.clusterExposedIps ?? [],
    inZone: (host) => host === ZONE || host.endsWith(`.${ZONE}`),
    lookupHostname: (name) => {
      options.looked?.push(name);
      return names[name] ?? { state: 'pending' };
    },
  };
}

/** A resolved lookup. */
export function resolvedTo(...addresses: string[]): HostnameLookup {
  return { state: 'resolved', addresses };
}
