/**
 * The DNSEndpoint (externaldns.k8s.io/v1alpha1) that carries a zone's
 * delegation to external-dns, exactly as k8gb writes it (docs/delegation.md
 * §external-dns), so that a cluster's external-dns keeps working when k8gb is
 * replaced: named `k8gb-ns-extdns-<zone, dots as dashes>` in Meridian's
 * namespace, labelled `k8gb.io/dnstype=extdns` (and the legacy
 * `k8gb.absa.oss/dnstype=extdns`), no annotations, no owner; endpoints the
 * zone's NS record naming every cluster's name server that the status lists,
 * sorted, then this cluster's glue A record, addresses in discovery order.
 * Meridian adds an AAAA glue endpoint when it has IPv6 glue (k8gb has none;
 * external-dns publishes it when AAAA is among its managed record types).
 * Pure.
 */
import { isIPv6 } from 'node:net';

export const DNS_ENDPOINT_API_VERSION = 'externaldns.k8s.io/v1alpha1';
export const DNS_ENDPOINT_PATH = '/apis/externaldns.k8s.io/v1alpha1';
export const DNS_TYPE_LABELS = ['k8gb.io/dnstype', 'k8gb.absa.oss/dnstype'] as const;
export const DNS_TYPE_EXTDNS = 'extdns';

/** One endpoints[] entry, with k8gb's fields only. */
export interface Endpoint {
  readonly dnsName: string;
  readonly recordType: 'NS' | 'A' | 'AAAA';
  readonly recordTTL: number;
  readonly targets: readonly string[];
}

/** What a delegation DNSEndpoint is made from. */
export interface EndpointInputs {
  readonly zone: string;
  readonly namespace: string;
  /** Every cluster's name server for the zone that the status lists. */
  readonly nameServers: readonly string[];
  /** This cluster's name server and its glue. */
  readonly ownNameServer: string;
  readonly glue: readonly string[];
  readonly ttlSeconds: number;
}

/** k8gb's name of the delegation DNSEndpoint of `zone`. */
export function dnsEndpointName(zone: string): string {
  return `k8gb-ns-extdns-${zone.replaceAll('.', '-')}`;
}

/** The path of the delegation DNSEndpoint of `zone` (or of the collection). */
export function dnsEndpointPath(namespace: string, zone?: string): string {
  const collection = `${DNS_ENDPOINT_PATH}/namespaces/${encodeURIComponent(namespace)}/dnsendpoints`;
  return zone === undefined ? collection : `${collection}/${dnsEndpointName(zone)}`;
}

/** The delegation DNSEndpoint's endpoints. */
export function delegationEndpoints(inputs: EndpointInputs): Endpoint[] {
  const ttl = inputs.ttlSeconds;
  const ipv4 = inputs.glue.filter((address) => !isIPv6(address));
  const ipv6 = inputs.glue.filter((address) => isIPv6(address));
  return [
    {
      dnsName: inputs.zone,
      recordType: 'NS',
      recordTTL: ttl,
      targets: [...new Set(inputs.nameServers)].sort(),
    },
    { dnsName: inputs.ownNameServer, recordType: 'A', recordTTL: ttl, targets: ipv4 },
    ...(ipv6.length === 0
      ? []
      : [
          {
            dnsName: inputs.ownNameServer,
            recordType: 'AAAA' as const,
            recordTTL: ttl,
            targets: ipv6,
          },
        ]),
  ];
}

/** The whole object, for a create or a full update (k8gb replaces labels and annotations). */
export function dnsEndpointObject(
  inputs: EndpointInputs,
  endpoints: readonly Endpoint[],
  resourceVersion?: string,
): Record<string, unknown> {
  return {
    apiVersion: DNS_ENDPOINT_API_VERSION,
    kind: 'DNSEndpoint',
    metadata: {
      name: dnsEndpointName(inputs.zone),
      namespace: inputs.namespace,
      labels: Object.fromEntries(DNS_TYPE_LABELS.map((label) => [label, DNS_TYPE_EXTDNS])),
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
    },
    spec: { endpoints },
  };
}

/**
 * The endpoints without this cluster's: its glue endpoints dropped, its name
 * server taken out of the NS targets (and the NS endpoint dropped when no
 * target is left), everything else kept as found: k8gb's withdrawal of a
 * cluster that is not the last.
 */
export function withoutOwnEndpoints(found: readonly Endpoint[], ownNameServer: string): Endpoint[] {
  return found.flatMap((endpoint) => {
    if (endpoint.dnsName === ownNameServer && endpoint.recordType !== 'NS') return [];
    if (endpoint.recordType !== 'NS') return [endpoint];
    const targets = endpoint.targets.filter((target) => target !== ownNameServer);
    return targets.length === 0 ? [] : [{ ...endpoint, targets }];
  });
}
