/**
 * k8gb's names, in one place: the API group, strategy types, annotations and
 * labels it reads and writes, the geotag syntax, the weight bounds, the
 * `localtargets-` prefix peers poll and the glue names of the zone's name
 * servers. Every Meridian part that must match k8gb on the wire or in the
 * CRD takes the name from here (docs/k8gb-compatibility.md). Pure; imports
 * nothing.
 */

/** The group and group/version of the Gslb and ZoneDelegation CRDs. */
export const GSLB_API_GROUP = 'k8gb.io';
export const GSLB_API_VERSION = 'k8gb.io/v1beta1';

/**
 * k8gb's older group, same kind and plural (`gslbs.k8gb.absa.oss`): still
 * served by k8gb's legacy runtime, read by Meridian read-only.
 */
export const LEGACY_GSLB_API_GROUP = 'k8gb.absa.oss';
export const LEGACY_GSLB_API_VERSION = 'k8gb.absa.oss/v1beta1';

/** Labels of k8gb's migration of a legacy Gslb: asked for, and done (value `"true"`). */
export const LABEL_MIGRATION_REQUESTED = 'k8gb.io/migration-requested';
export const LABEL_MIGRATED = 'k8gb.io/migrated-to-k8gb-io';

/** Strategy types of the Gslb CRD (`spec.strategy.type`), case-sensitive as in k8gb. */
export const STRATEGY_TYPES = ['roundRobin', 'failover', 'geoip'] as const;

/** One of STRATEGY_TYPES. */
export type StrategyType = (typeof STRATEGY_TYPES)[number];

/** TTL of a Gslb that sets none or 0 (k8gb writes 30 back to the object). */
export const DEFAULT_TTL_SECONDS = 30;

/** Bounds of one `spec.strategy.weight` value. */
export const MIN_WEIGHT = 0;
export const MAX_WEIGHT = 1000;

/** Geotags as k8gb's CLUSTER_GEO_TAG and weight keys allow them: letters, digits and dashes. */
export const GEOTAG_PATTERN = /^[A-Za-z0-9-]+$/;

/** Longest geotag the CRD accepts in `fallbackGeoTags` (a DNS label, since it names a glue record). */
export const MAX_GEOTAG_LENGTH = 63;

/** True when `value` is a geotag by k8gb's rule. */
export function isGeoTag(value: string): boolean {
  return GEOTAG_PATTERN.test(value);
}

/** Annotations k8gb reads on a Gslb. */
export const ANNOTATION_HOSTNAME = 'k8gb.io/hostname';
export const ANNOTATION_EXPOSED_IPS = 'k8gb.io/exposed-ip-addresses';
export const ANNOTATION_EXPOSED_HOSTNAMES = 'k8gb.io/exposed-hostnames';

/** Annotations of k8gb's deprecated Ingress-driven Gslbs. */
export const ANNOTATION_STRATEGY = 'k8gb.io/strategy';
export const ANNOTATION_PRIMARY_GEOTAG = 'k8gb.io/primary-geotag';
export const ANNOTATION_DNS_TTL_SECONDS = 'k8gb.io/dns-ttl-seconds';

/** Label k8gb puts on the Ingresses it creates for embedded specs, and its value. */
export const MANAGED_BY_LABEL = 'app.k8gb.io/managed-by';
export const MANAGED_BY_VALUE = 'gslb';

/** The prefix of the name that carries one cluster's own targets of a host, which peers poll. */
export const LOCAL_TARGETS_PREFIX = 'localtargets-';

/** `localtargets-<host>`: where this cluster publishes, and peers read, a host's local targets. */
export function localTargetsName(host: string): string {
  return `${LOCAL_TARGETS_PREFIX}${host}`;
}

/**
 * The name of cluster `geoTag`'s name server for `zone` under `parent`, as
 * k8gb names its glue (k8gb-io/k8gb:controllers/resolver/ns_names.go):
 * `<prefix><geotag>-<zone minus ".<parent>", dots as dashes>.<parent>`, so
 * `cloud.example.org` under `example.org` gives `gslb-ns-eu-cloud.example.org`.
 * Lower case: DNS names are case-insensitive, and a geotag written `EU` names
 * `…-eu-…`.
 */
export function nameServerName(
  gluePrefix: string,
  geoTag: string,
  zone: string,
  parent: string,
): string {
  const dashed = zone.slice(0, -(parent.length + 1)).replaceAll('.', '-');
  return `${gluePrefix}${geoTag}-${dashed}.${parent}`.toLowerCase();
}
