/**
 * The watched objects, as small records, with the lookups resolution needs:
 * by key, by namespace, and a Service's readiness from its EndpointSlices.
 * Pure and synchronous; the watchers feed it, reconcile/resolve-gslb.ts reads it.
 *
 * It also tells which Gslbs a change can affect, so that a reconcile resolves
 * only those: reads made inside {@link ObjectIndex.recordingReads} are noted
 * as dependency keys, and {@link ObjectIndex.apply} names the keys a change
 * touches. With 10,000 Gslbs a full pass costs the better part of a second,
 * which every EndpointSlice flip and every status echo would otherwise pay.
 */
import type { KubeObject, WatchEvent, WatchedResource } from '../client/kube-api';
import { gslbKeyOfId, isLegacyGslbId, toGslb, toLegacyGslb, type GslbSource } from './gslb-objects';
import {
  keyOf,
  toEndpointSlice,
  toGateway,
  toIngress,
  toRoute,
  toService,
  type EndpointSliceSource,
  type GatewaySource,
  type IngressSource,
  type ObjectKey,
  type RouteSource,
  type ServiceSource,
} from './objects';

/** The kinds Meridian watches. */
export const WATCHED_KINDS = [
  'Gslb',
  'Ingress',
  'Service',
  'EndpointSlice',
  'Gateway',
  'HTTPRoute',
  'GRPCRoute',
  'LegacyGslb',
] as const;

/** One of WATCHED_KINDS. */
export type WatchedKind = (typeof WATCHED_KINDS)[number];

/**
 * Kinds whose CRD most clusters do not have, nor need: k8gb's legacy group
 * is installed only where older k8gb ran. Not being served is their normal
 * state, not a failure (../watch-errors.ts).
 */
export const OPTIONAL_KINDS: ReadonlySet<WatchedKind> = new Set<WatchedKind>(['LegacyGslb']);

/** The collections behind each watched kind. */
export const RESOURCES: Readonly<Record<WatchedKind, WatchedResource>> = {
  Gslb: { group: 'k8gb.io', version: 'v1beta1', plural: 'gslbs' },
  Ingress: { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses' },
  Service: { group: '', version: 'v1', plural: 'services' },
  EndpointSlice: { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' },
  Gateway: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways' },
  HTTPRoute: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' },
  GRPCRoute: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'grpcroutes' },
  // k8gb's older group: served only where k8gb's legacy CRD is still installed.
  LegacyGslb: { group: 'k8gb.absa.oss', version: 'v1beta1', plural: 'gslbs' },
};

/**
 * What a resolution read, and what a change touches, in one vocabulary:
 * `Kind|namespace/name` for one object (`LegacyGslb|…` for a k8gb.absa.oss
 * Gslb), `Kind|namespace/*` for a scan of a
 * namespace (a label selector), `Endpoints|namespace/service` for a
 * Service's readiness, `Hostname|name` for an exposed host name, and
 * `Table|id` for what the table could not serve of a Gslb's hosts (by GslbSource.id).
 */
export type Dependency = string;

/** What a Gslb's resolution depends on first: its own object, under its group's kind. */
export function selfDependency(gslb: GslbSource): Dependency {
  return `${gslb.group === 'k8gb.io' ? 'Gslb' : 'LegacyGslb'}|${gslb.key}`;
}

/** The reads being recorded, if any; shared by an index and its maps. */
interface ReadLog {
  current: Set<Dependency> | null;
}

/** A Service's state for health: missing, or present with or without a ready endpoint. */
export type ServiceState = 'missing' | 'ready' | 'unready';

/** A map keyed by ObjectKey that also finds its values by namespace. */
class NamespacedMap<T extends { readonly key: ObjectKey }> {
  private readonly byKey = new Map<ObjectKey, T>();
  private readonly byNamespace = new Map<string, Map<ObjectKey, T>>();

  constructor(
    private readonly kind: WatchedKind,
    private readonly reads: ReadLog,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  get(key: ObjectKey): T | undefined {
    this.reads.current?.add(`${this.kind}|${key}`);
    return this.byKey.get(key);
  }

  inNamespace(namespace: string): Iterable<T> {
    this.reads.current?.add(`${this.kind}|${namespace}/*`);
    return this.byNamespace.get(namespace)?.values() ?? [];
  }

  values(): Iterable<T> {
    return this.byKey.values();
  }

  set(value: T): void {
    this.byKey.set(value.key, value);
    const namespace = value.key.slice(0, value.key.indexOf('/'));
    let bucket = this.byNamespace.get(namespace);
    if (bucket === undefined) this.byNamespace.set(namespace, (bucket = new Map<ObjectKey, T>()));
    bucket.set(value.key, value);
  }

  delete(key: ObjectKey): void {
    if (!this.byKey.delete(key)) return;
    const namespace = key.slice(0, key.indexOf('/'));
    const bucket = this.byNamespace.get(namespace);
    bucket?.delete(key);
    if (bucket?.size === 0) this.byNamespace.delete(namespace);
  }
}

/** Everything watched, reduced. */
export class ObjectIndex {
  private readonly reads: ReadLog = { current: null };
  readonly gslbs = new NamespacedMap<GslbSource>('Gslb', this.reads);
  readonly ingresses = new NamespacedMap<IngressSource>('Ingress', this.reads);
  readonly services = new NamespacedMap<ServiceSource>('Service', this.reads);
  readonly gateways = new NamespacedMap<GatewaySource>('Gateway', this.reads);
  readonly httpRoutes = new NamespacedMap<RouteSource>('HTTPRoute', this.reads);
  readonly grpcRoutes = new NamespacedMap<RouteSource>('GRPCRoute', this.reads);
  /** k8gb.absa.oss Gslbs, by the same namespace/name keys as `gslbs`. */
  readonly legacyGslbs = new NamespacedMap<GslbSource>('LegacyGslb', this.reads);
  /** Every kind but EndpointSlice: its map and its reduction. */
  private readonly tables: Readonly<Record<Exclude<WatchedKind, 'EndpointSlice'>, Table>> = {
    Gslb: table(this.gslbs, toGslb),
    Ingress: table(this.ingresses, toIngress),
    Service: table(this.services, toService),
    Gateway: table(this.gateways, toGateway),
    HTTPRoute: table(this.httpRoutes, toRoute),
    GRPCRoute: table(this.grpcRoutes, toRoute),
    LegacyGslb: table(this.legacyGslbs, toLegacyGslb),
  };
  private readonly slices = new Map<ObjectKey, EndpointSliceSource>();
  /** `namespace/service` → keys of its slices that have a ready endpoint. */
  private readonly readySlices = new Map<ObjectKey, Set<ObjectKey>>();

  /**
   * Applies one watch event; returns the key of the object it changed. Adds
   * to `touched` the dependencies whose answer may have changed.
   */
  apply(kind: WatchedKind, event: WatchEvent, touched?: Set<Dependency>): ObjectKey {
    const { object } = event;
    const namespace = object.metadata.namespace ?? '';
    const key = keyOf(namespace, object.metadata.name);
    const remove = event.type === 'delete';
    if (kind === 'EndpointSlice') {
      this.applySlice(key, remove ? null : toEndpointSlice(object), touched);
      return key;
    }
    touched?.add(`${kind}|${key}`).add(`${kind}|${namespace}/*`);
    const table = this.tables[kind];
    if (remove) table.delete(key);
    else table.set(object);
    return key;
  }

  /** The Gslb of either group with id `id` (GslbSource.id). */
  gslbById(id: string): GslbSource | undefined {
    return isLegacyGslbId(id) ? this.legacyGslbs.get(gslbKeyOfId(id)) : this.gslbs.get(id);
  }

  /** Every Gslb of both groups. */
  *allGslbs(): Generator<GslbSource> {
    yield* this.gslbs.values();
    yield* this.legacyGslbs.values();
  }

  /**
   * Runs `read` and returns what it read as dependencies, besides its
   * result. Not reentrant: resolution is synchronous and never nests.
   */
  recordingReads<T>(read: () => T): { result: T; reads: Set<Dependency> } {
    const reads = new Set<Dependency>();
    this.reads.current = reads;
    try {
      return { result: read(), reads };
    } finally {
      this.reads.current = null;
    }
  }

  /** Notes a read of something outside the index (a host name) while recording. */
  noteRead(dependency: Dependency): void {
    this.reads.current?.add(dependency);
  }

  /** A Service's state as k8gb's health check sees it. */
  serviceState(namespace: string, name: string): ServiceState {
    const key = keyOf(namespace, name);
    this.reads.current?.add(`Service|${key}`).add(`Endpoints|${key}`);
    if (this.services.get(key) === undefined) return 'missing';
    return (this.readySlices.get(key)?.size ?? 0) > 0 ? 'ready' : 'unready';
  }

  /** The EndpointSlices of a Service that have a ready endpoint, by name; records no read. */
  readySlicesOf(namespace: string, name: string): string[] {
    return [...(this.readySlices.get(keyOf(namespace, name)) ?? [])].map((key) =>
      key.slice(key.indexOf('/') + 1),
    );
  }

  /** The number of EndpointSlices held. */
  get sliceCount(): number {
    return this.slices.size;
  }

  /**
   * Only a Service whose readiness flips is touched: a second ready slice,
   * or a slice changing without changing readiness, affects no answer.
   */
  private applySlice(
    key: ObjectKey,
    slice: EndpointSliceSource | null,
    touched: Set<Dependency> | undefined,
  ): void {
    const previous = this.slices.get(key);
    const services = [previous, slice].flatMap((s) =>
      s === undefined || s === null ? [] : [keyOf(s.namespace, s.serviceName)],
    );
    const readyBefore = services.map((service) => this.readySlices.has(service));
    if (previous !== undefined) {
      const serviceKey = keyOf(previous.namespace, previous.serviceName);
      const ready = this.readySlices.get(serviceKey);
      ready?.delete(key);
      if (ready?.size === 0) this.readySlices.delete(serviceKey);
      this.slices.delete(key);
    }
    if (slice !== null) {
      this.slices.set(key, slice);
      if (slice.ready && slice.serviceName !== '') {
        const serviceKey = keyOf(slice.namespace, slice.serviceName);
        let ready = this.readySlices.get(serviceKey);
        if (ready === undefined) this.readySlices.set(serviceKey, (ready = new Set()));
        ready.add(key);
      }
    }
    services.forEach((service, i) => {
      if (this.readySlices.has(service) !== readyBefore[i]) touched?.add(`Endpoints|${service}`);
    });
  }
}

/** How a watch event reaches the map of its kind. */
interface Table {
  set(object: KubeObject): void;
  delete(key: ObjectKey): void;
}

function table<T extends { readonly key: ObjectKey }>(
  map: NamespacedMap<T>,
  convert: (object: KubeObject) => T,
): Table {
  return { set: (object) => map.set(convert(object)), delete: (key) => map.delete(key) };
}
