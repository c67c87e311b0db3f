/**
 * Standalone mode's provenance: what the manifest says. A Gslb is read from
 * one file; its hosts are healthy by declaration (this mode has no health
 * source, every listed target is served) and its addresses come from the
 * `k8gb.io/exposed-ip-addresses` annotation. Kept from the last state the
 * directory handed to the table, so it describes what is served.
 */
import { ANNOTATION_EXPOSED_IPS } from '../gslb/k8gb-naming';
import type { CauseObject } from '../serving/decisions';
import type { GslbProvenance, ProvenanceSource } from '../serving/provenance';
import type { GslbRecord } from '../table/model';
import type { ManifestState } from './manifest-directory';

const DECLARED = 'declared by the manifest: standalone mode has no health source';

export class ManifestProvenance implements ProvenanceSource {
  private state: ManifestState = { gslbs: [], invalidFiles: new Map(), files: new Map() };
  private byId = new Map<string, GslbRecord>();

  /** @param geoTag this cluster's geotag: the cluster a manifest describes. */
  constructor(private readonly geoTag: string) {}

  /** The directory's state as it was handed to the table. */
  update(state: ManifestState): void {
    this.state = state;
    this.byId = new Map(state.gslbs.map((record) => [record.id, record]));
  }

  provenanceOf(gslbId: string): GslbProvenance | null {
    const record = this.byId.get(gslbId);
    if (record === undefined) return null;
    const file = this.state.files.get(gslbId);
    const slash = gslbId.indexOf('/');
    const gslb: CauseObject = {
      kind: 'Gslb',
      namespace: gslbId.slice(0, slash),
      name: gslbId.slice(slash + 1),
      ...(file === undefined ? {} : { file }),
    };
    const invalid = file === undefined ? undefined : this.state.invalidFiles.get(file);
    const detail =
      invalid === undefined
        ? DECLARED
        : `${DECLARED}; the file is invalid now (${invalid.join('; ')}) and its last valid content is served`;
    const local = record.clusters.find((cluster) => cluster.geoTag === this.geoTag);
    return {
      source: 'manifests',
      gslb,
      hosts: record.hosts.map((host) => ({ host, health: 'Healthy', detail, reads: [] })),
      exposed: [
        {
          addresses: local?.addresses ?? [],
          from: `annotation ${ANNOTATION_EXPOSED_IPS}`,
          object: gslb,
        },
      ],
    };
  }
}
