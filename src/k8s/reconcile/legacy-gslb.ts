/**
 * What is particular to a Gslb of k8gb's older group k8gb.absa.oss
 * (docs/k8gb-compatibility.md#api-groups). It resolves and is answered like a
 * k8gb.io Gslb, read-only: Meridian writes its status and Events, never its
 * spec or metadata, never an Ingress for it, and never migrates it (k8gb's
 * migrator creates the k8gb.io object; here the user does, and is told how).
 * It steps aside, not served and marked LegacyIgnored, when a k8gb.io Gslb of
 * the same namespace/name exists (so that no name is written or answered
 * twice, and the newer API wins) or when k8gb's migration labels mark it, as
 * k8gb's legacy runtime stops there too. Pure.
 */
import {
  LABEL_MIGRATED,
  LABEL_MIGRATION_REQUESTED,
  LEGACY_GSLB_API_GROUP,
} from '../../gslb/k8gb-naming';
import type { GslbSource } from '../ingest/gslb-objects';
import type { ObjectIndex } from '../ingest/object-index';
import type { PlannedEvent } from './planned-write';
import { isServed, NotServed, type Resolution } from './resolution';

/** True for a Gslb read from k8gb.absa.oss. */
export function isLegacy(gslb: GslbSource): boolean {
  return gslb.group === LEGACY_GSLB_API_GROUP;
}

/** How to migrate, in the Ready message and the LegacyDeprecated Event of a served legacy Gslb. */
export function legacyDeprecation(gslb: GslbSource): string {
  return `Legacy Gslb ${gslb.key} uses deprecated API group ${LEGACY_GSLB_API_GROUP}; Meridian serves it read-only. Create it as a k8gb.io/v1beta1 Gslb (same spec) to migrate; the k8gb.io one then takes over.`;
}

/**
 * Throws LegacyIgnored when a legacy Gslb is not to be served. The k8gb.io
 * Gslb is looked up through the index, so that its creation or deletion
 * resolves this one again.
 */
export function refuseLegacy(gslb: GslbSource, index: ObjectIndex): void {
  if (!isLegacy(gslb)) return;
  if (index.gslbs.get(gslb.key) !== undefined)
    throw new NotServed(
      'LegacyIgnored',
      `Legacy Gslb ignored: k8gb.io Gslb ${gslb.key} exists. Edit the k8gb.io object instead.`,
    );
  if (gslb.migrationMark === 'migrated')
    throw new NotServed(
      'LegacyIgnored',
      `Legacy Gslb ignored: it is marked migrated (${LABEL_MIGRATED}: "true"); the k8gb.io Gslb ${gslb.key} is the one to create or edit.`,
    );
  if (gslb.migrationMark === 'migration-requested')
    throw new NotServed(
      'LegacyIgnored',
      `Legacy Gslb ignored: migration requested (${LABEL_MIGRATION_REQUESTED}: "true"), which Meridian does not perform. Create it as a k8gb.io/v1beta1 Gslb ${gslb.key} (same spec), or remove the label to have it served again.`,
    );
}

/** A served legacy Gslb's Ready message says it is deprecated and how to migrate. */
export function withLegacyNotice(gslb: GslbSource, resolution: Resolution): Resolution {
  if (!isLegacy(gslb) || !isServed(resolution)) return resolution;
  return { ...resolution, message: `${resolution.message}. ${legacyDeprecation(gslb)}` };
}

/** The Warning that tells how to migrate, for a legacy Gslb whose outcome changed and that is served. */
export function deprecationEvent(
  gslb: GslbSource,
  resolution: Resolution,
  involved: PlannedEvent['involved'],
): PlannedEvent | null {
  if (!isLegacy(gslb) || !isServed(resolution)) return null;
  return {
    involved,
    type: 'Warning',
    reason: 'LegacyDeprecated',
    message: legacyDeprecation(gslb),
  };
}
