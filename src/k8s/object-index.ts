/**
 * The watched objects, as small records, with the lookups resolution needs:
 * by key, by namespace, and a Service's readiness from its EndpointSlices.
 * Pure and synchronous; the watchers feed it, resolve-gslb.ts reads it.
 */
import type { KubeObject, WatchEvent } from './kube-api';
import {
  keyOf,
  toEndpointSlice,
  toGateway,
  toGslb,
  toIngress,
  toRoute,
  toService,
  type EndpointSliceSource,
  type GatewaySource,
  type GslbSource,
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
] as const;

/** One of WATCHED_KINDS. */
export type WatchedKind = (typeof WATCHED_KINDS)[number];

/** A Service's state for health: missing, or present with or without a ready endpoint. */
export type ServiceState = 'missing' | 'ready' | 'unready';

/** A map keyed by ObjectKey that also finds its values by namespace. */
class NamespacedMap<T extends { readonly key: ObjectKey }> {
  private readonly byKey = new Map<ObjectKey, T>();
  private readonly byNamespace = new Map<string, Map<ObjectKey, T>>();

  get size(): number {
    return this.byKey.size;
  }

  get(key: ObjectKey): T | undefined {
    return this.byKey.get(key);
  }

  inNamespace(namespace: string): Iterable<T> {
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
  readonly gslbs = new NamespacedMap<GslbSource>();
  readonly ingresses = new NamespacedMap<IngressSource>();
  readonly services = new NamespacedMap<ServiceSource>();
  readonly gateways = new NamespacedMap<GatewaySource>();
  readonly httpRoutes = new NamespacedMap<RouteSource>();
  readonly grpcRoutes = new NamespacedMap<RouteSource>();
  private readonly slices = new Map<ObjectKey, EndpointSliceSource>();
  /** `namespace/service` → keys of its slices that have a ready endpoint. */
  private readonly readySlices = new Map<ObjectKey, Set<ObjectKey>>();

  /** Applies one watch event; returns the key of the object it changed. */
  apply(kind: WatchedKind, event: WatchEvent): ObjectKey {
    const { object } = event;
    const key = keyOf(object.metadata.namespace ?? '', object.metadata.name);
    const remove = event.type === 'delete';
    switch (kind) {
      case 'Gslb':
        return update(this.gslbs, key, remove, object, toGslb);
      case 'Ingress':
        return update(this.ingresses, key, remove, object, toIngress);
      case 'Service':
        return update(this.services, key, remove, object, toService);
      case 'Gateway':
        return update(this.gateways, key, remove, object, toGateway);
      case 'HTTPRoute':
        return update(this.httpRoutes, key, remove, object, toRoute);
      case 'GRPCRoute':
        return update(this.grpcRoutes, key, remove, object, toRoute);
      case 'EndpointSlice':
        this.applySlice(key, remove ? null : toEndpointSlice(object));
        return key;
    }
  }

  /** A Service's state as k8gb's health check sees it. */
  serviceState(namespace: string, name: string): ServiceState {
    const key = keyOf(namespace, name);
    if (this.services.get(key) === undefined) return 'missing';
    return (this.readySlices.get(key)?.size ?? 0) > 0 ? 'ready' : 'unready';
  }

  /** The number of EndpointSlices held. */
  get sliceCount(): number {
    return this.slices.size;
  }

  private applySlice(key: ObjectKey, slice: EndpointSliceSource | null): void {
    const previous = this.slices.get(key);
    if (previous !== undefined) {
      const serviceKey = keyOf(previous.namespace, previous.serviceName);
      const ready = this.readySlices.get(serviceKey);
      ready?.delete(key);
      if (ready?.size === 0) this.readySlices.delete(serviceKey);
      this.slices.delete(key);
    }
    if (slice === null) return;
    this.slices.set(key, slice);
    if (!slice.ready || slice.serviceName === '') return;
    const serviceKey = keyOf(slice.namespace, slice.serviceName);
    let ready = this.readySlices.get(serviceKey);
    if (ready === undefined) this.readySlices.set(serviceKey, (ready = new Set()));
    ready.add(key);
  }
}

function update<T extends { readonly key: ObjectKey }>(
  map: NamespacedMap<T>,
  key: ObjectKey,
  remove: boolean,
  object: KubeObject,
  convert: (object: KubeObject) => T,
): ObjectKey {
  if (remove) map.delete(key);
  else map.set(convert(object));
  return key;
}
