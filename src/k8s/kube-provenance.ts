/**
 * Kubernetes mode's provenance: for a Gslb, the object (at its generation),
 * each host's health as the last pass resolved it and the Services it was
 * read from, with the EndpointSlices that make each Service ready now, and
 * the exposed addresses with the field or setting they came from (k8gb's
 * precedence, docs/k8gb-compatibility.md#exposed-addresses). Read on an admin
 * request from what the source holds in memory; the health is the last
 * pass's, the slices the index's (the next pass follows any change within
 * the debounce).
 */
import { ANNOTATION_EXPOSED_HOSTNAMES, ANNOTATION_EXPOSED_IPS } from '../gslb/k8gb-naming';
import type { CauseObject } from '../serving/decisions';
import type {
  ExposedAddresses,
  GslbProvenance,
  HostProvenance,
  ProvenanceSource,
} from '../serving/provenance';
import type { GslbSource } from './ingest/gslb-objects';
import type { ObjectIndex } from './ingest/object-index';
import type { Resolution, ServerStatus } from './reconcile/resolution';

export class KubeProvenance implements ProvenanceSource {
  /**
   * @param index the source's objects
   * @param resolutions every Gslb's resolution as of the last pass, or null before it
   * @param clusterExposedIps CLUSTER_EXPOSED_IPS
   */
  constructor(
    private readonly index: ObjectIndex,
    private readonly resolutions: () => ReadonlyMap<string, Resolution> | null,
    private readonly clusterExposedIps: readonly string[],
  ) {}

  provenanceOf(gslbId: string): GslbProvenance | null {
    const gslb = this.index.gslbById(gslbId);
    const resolution = this.resolutions()?.get(gslbId);
    if (gslb === undefined || resolution === undefined) return null;
    const object: CauseObject = {
      kind: 'Gslb',
      namespace: gslb.namespace,
      name: gslb.name,
      generation: gslb.generation,
    };
    return {
      source: 'kubernetes',
      gslb: object,
      hosts: resolution.servers.map((server) => this.hostOf(server, resolution)),
      exposed: [this.exposedOf(gslb, resolution, object)],
    };
  }

  private hostOf(server: ServerStatus, resolution: Resolution): HostProvenance {
    const health = resolution.health[server.host] ?? 'NotFound';
    const reads: CauseObject[] = [];
    const states = server.services.map(({ namespace, name }) => {
      reads.push({ kind: 'Service', namespace, name });
      const slices = this.index.readySlicesOf(namespace, name);
      for (const slice of slices) reads.push({ kind: 'EndpointSlice', namespace, name: slice });
      const state = this.index.serviceState(namespace, name);
      return slices.length === 0
        ? `Service ${namespace}/${name} ${state === 'missing' ? 'not found' : 'has no ready endpoint'}`
        : `Service ${namespace}/${name} ready (EndpointSlices ${slices.join(', ')})`;
    });
    const detail =
      states.length === 0
        ? 'no backend Service declared for the host'
        : `${states.join('; ')}; Gslb ${resolution.reason}: ${resolution.message}`;
    return { host: server.host, health, detail, reads };
  }

  private exposedOf(
    gslb: GslbSource,
    resolution: Resolution,
    object: CauseObject,
  ): ExposedAddresses {
    const addresses = resolution.exposedIps;
    const hostnames = gslb.annotations[ANNOTATION_EXPOSED_HOSTNAMES];
    if (hostnames !== undefined && hostnames.trim() !== '')
      return {
        addresses,
        from: `annotation ${ANNOTATION_EXPOSED_HOSTNAMES} (${hostnames})`,
        object,
      };
    if (gslb.annotations[ANNOTATION_EXPOSED_IPS] !== undefined)
      return { addresses, from: `annotation ${ANNOTATION_EXPOSED_IPS}`, object };
    if (this.clusterExposedIps.length > 0) return { addresses, from: 'CLUSTER_EXPOSED_IPS' };
    const ref = gslb.resourceRef;
    if (ref !== null)
      return {
        addresses,
        from: `status.loadBalancer of the resourceRef ${ref.kind} ${ref.name === '' ? '(by label selector)' : ref.name}`,
        ...(ref.name === ''
          ? {}
          : {
              object: {
                kind: ref.kind,
                namespace: ref.namespace || gslb.namespace,
                name: ref.name,
              },
            }),
      };
    return {
      addresses,
      from: 'status.loadBalancer of the embedded Ingress',
      object: { kind: 'Ingress', namespace: gslb.namespace, name: gslb.name },
    };
  }
}
