/**
 * Where this cluster's part of a Gslb came from, as its source read it: the
 * Gslb object, per host its health and the objects that health was read
 * from, and the exposed addresses with what said them. An explanation of an
 * answer ends at these facts, so that an auditor can go from "this address
 * was served" to the object, version and field that made it so. Types only:
 * each source implements ProvenanceSource (the manifest directory now, the
 * Kubernetes source later) and the admin listener reads it.
 */
import type { CauseObject } from './decisions';

/** A host's health in this cluster, in k8gb's words (`status.serviceHealth`). */
export type HostHealth = 'Healthy' | 'Unhealthy' | 'NotFound';

/** One host of the Gslb as the source judged it. */
export interface HostProvenance {
  readonly host: string;
  readonly health: HostHealth;
  /** Why, in a sentence (e.g. "2 of 3 endpoints ready", "declared by the manifest"). */
  readonly detail: string;
  /** The objects the health was read from: Services and EndpointSlices (none in standalone mode). */
  readonly reads: readonly CauseObject[];
}

/** Addresses the cluster exposes for the Gslb, and what said them. */
export interface ExposedAddresses {
  readonly addresses: readonly string[];
  /**
   * The field or setting they came from, e.g. `annotation k8gb.io/exposed-ip-addresses`,
   * `CLUSTER_EXPOSED_IPS`, `Ingress status.loadBalancer`, `exposed host name lb.example.com`.
   */
  readonly from: string;
  /** The object holding that field, when there is one. */
  readonly object?: CauseObject;
}

/** This cluster's part of one Gslb, as its source read it. */
export interface GslbProvenance {
  /** Which source read it. */
  readonly source: 'manifests' | 'kubernetes';
  /** The Gslb (kind `Gslb`, namespace, name, and the version or file it was read at). */
  readonly gslb: CauseObject;
  readonly hosts: readonly HostProvenance[];
  readonly exposed: readonly ExposedAddresses[];
}

/**
 * Implemented by each source. Called on an admin request, so it must be
 * synchronous, cheap and in memory: it describes what the source last handed
 * to the table, never what it would read now.
 */
export interface ProvenanceSource {
  /** This cluster's part of the Gslb `gslbId` (`namespace/name`), or null when the source cannot say. */
  provenanceOf(gslbId: string): GslbProvenance | null;
}
