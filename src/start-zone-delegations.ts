/**
 * The ZoneDelegation controller's wiring (Kubernetes mode): its own
 * apiserver connection, the provider chosen by MERIDIAN_DELEGATION, this
 * cluster's glue (MERIDIAN_DELEGATION_GLUE, else the load-balancer addresses
 * of the DNS Service, read on every pass so that a new address is written
 * without a restart) and the peers' glue as the edge DNS resolves it, A and
 * AAAA (k8gb asks A only).
 */
import type { Config } from './config/load-config';
import type { AddressType } from './dns/client-message';
import { canonicalAddress, isServableAddress } from './dns/addresses';
import { rfc2136Provider } from './delegation/rfc2136-provider';
import { sendUpdate } from './delegation/dns-update-client';
import type { TsigKey } from './dns/tsig';
import type { KubeApi } from './k8s/client/kube-api';
import { externalDnsProvider } from './k8s/delegation/external-dns-provider';
import type { GlueReading } from './k8s/delegation/reconcile-zone-delegation';
import { ZoneDelegationController } from './k8s/delegation/zone-delegation-controller';
import { at, list, text } from './k8s/ingest/json-fields';
import { createDnsClient, type DnsServer, type QueryFn } from './peers/dns-client';
import { askInOrder } from './peers/peer-discovery';
import { edgeServersOf } from './start-peers';
import type { Logger } from './telemetry/logger';

/** What the controller's wiring needs. */
export interface ZoneDelegationDeps {
  readonly logger: Logger;
  readonly now: () => number;
  readonly instanceName: string;
  readonly connectKube?: (kubeconfigPath: string | null) => Promise<KubeApi>;
}

/** Starts the controller; its stop() ends the watch, the passes and the Lease. */
export async function startZoneDelegations(
  config: Config,
  deps: ZoneDelegationDeps,
  key: TsigKey | null,
): Promise<ZoneDelegationController> {
  if (deps.connectKube === undefined) throw new Error('Kubernetes mode needs a Kubernetes client');
  const api = await deps.connectKube(config.kubeconfigPath);
  const settings = config.delegation;
  const provider =
    settings.provider === 'external-dns' || settings.server === null
      ? externalDnsProvider(api, config.podNamespace)
      : rfc2136Provider({
          server: settings.server,
          key,
          geoTag: config.clusterGeoTag,
          gluePrefix: config.gluePrefix,
          send: sendUpdate,
          now: deps.now,
        });
  const edge = edgeServersOf(config, deps.logger);
  const query = createDnsClient(config.peers.queryTimeoutMs);
  const controller = new ZoneDelegationController({
    api,
    namespace: config.podNamespace,
    identity: config.podName === '' ? deps.instanceName : config.podName,
    geoTag: config.clusterGeoTag,
    gluePrefix: config.gluePrefix,
    nsTtlSeconds: config.zones[0]?.nameServerTtlSeconds ?? 30,
    peerGeoTags: config.peerGeoTags,
    servedZones: new Set(config.zones.map((zone) => zone.name)),
    bootstrap: config.zones,
    provider,
    readGlue: () => readGlue(api, config),
    resolveGlue: (name, signal) => resolveAtEdge(query, edge, name, signal),
    intervalMs: settings.intervalMs,
    logger: deps.logger,
    now: deps.now,
  });
  controller.start();
  return controller;
}

/** This cluster's glue: the setting, else the DNS Service's load-balancer addresses. */
export async function readGlue(api: KubeApi, config: Config): Promise<GlueReading> {
  const { glue } = config.delegation;
  if (glue.length > 0) return { addresses: glue, source: 'MERIDIAN_DELEGATION_GLUE' };
  const name = config.dnsServiceName;
  if (name === null)
    return { addresses: [], source: 'set MERIDIAN_DELEGATION_GLUE or MERIDIAN_DNS_SERVICE' };
  const path = `/api/v1/namespaces/${encodeURIComponent(config.podNamespace)}/services/${encodeURIComponent(name)}`;
  const reply = await api.request('GET', path).catch((err: unknown) => ({
    status: 0,
    body: { message: (err as Error).message },
  }));
  if (reply.status !== 200)
    return {
      addresses: [],
      source: `Service ${config.podNamespace}/${name}: HTTP ${reply.status}`,
    };
  const addresses = list(at(reply.body, 'status', 'loadBalancer', 'ingress'))
    .map((entry) => text(at(entry, 'ip')))
    .filter(isServableAddress)
    .map(canonicalAddress);
  return {
    addresses: [...new Set(addresses)],
    source: `Service ${config.podNamespace}/${name} has no load-balancer address yet`,
  };
}

const TYPES: readonly AddressType[] = ['A', 'AAAA'];

/** A name's A and AAAA at the first edge server that answers; null when none could tell. */
export async function resolveAtEdge(
  query: QueryFn,
  servers: readonly DnsServer[],
  name: string,
  signal: AbortSignal,
): Promise<readonly string[] | null> {
  const found: string[] = [];
  for (const type of TYPES) {
    const { outcome } = await askInOrder(query, servers, name, type, signal);
    if (!outcome.ok) return null;
    found.push(...outcome.addresses);
  }
  return found;
}
