/**
 * One Gslb, resolved against the watched objects as k8gb's controller does it: its hosts and
 * backends come from its declaration (declarations.ts,
 * docs/k8gb-compatibility.md#ways-to-declare-a-gslb) and its addresses by precedence
 * (exposed-addresses.ts, #exposed-addresses); here each host's local health is decided
 * (#local-health) and the records to serve and the status fields are built. A legacy
 * (k8gb.absa.oss) Gslb goes the same way, unless legacy-gslb.ts sets it aside. Pure: names that
 * need DNS are looked up through a callback that answers from a cache.
 */
import { canonicalName, checkName } from '../../dns/names';
import { InvalidGslb, parseStrategy } from '../../gslb/gslb-spec';
import { parseProbe } from '../../gslb/probe-spec';
import type { GslbRecord } from '../../table/model';
import type { ObjectIndex } from '../ingest/object-index';
import type { GslbSource } from '../ingest/gslb-objects';
import { declarationOf } from './declarations';
import { exposedAddresses } from './exposed-addresses';
import { refuseLegacy, withLegacyNotice } from './legacy-gslb';
import {
  NotServed,
  type HostHealth,
  type ReadyReason,
  type Resolution,
  type ResolveContext,
  type ServerStatus,
} from './resolution';

/** Resolves `gslb`; never throws on bad input. */
export function resolveGslb(gslb: GslbSource, index: ObjectIndex, ctx: ResolveContext): Resolution {
  try {
    refuseLegacy(gslb, index);
    return withLegacyNotice(gslb, resolveOrThrow(gslb, index, ctx));
  } catch (err) {
    if (err instanceof InvalidGslb) return notServed('InvalidSpec', err.message, true);
    if (err instanceof NotServed) {
      const resolution = notServed(
        err.reason,
        err.message,
        err.reason === 'ExposedAddressesUnresolved',
      );
      return err.pending ? { ...resolution, pending: true } : resolution;
    }
    // Whatever a tenant wrote, it costs this Gslb only: it keeps what it served.
    const message = `cannot be resolved: ${err instanceof Error ? err.message : String(err)}`;
    return { ...notServed('ResolutionFailed', message, true), failed: true };
  }
}

function notServed(
  reason: Exclude<ReadyReason, 'Serving'>,
  message: string,
  keepLastGood: boolean,
): Resolution {
  return {
    reason,
    message,
    records: [],
    health: {},
    healthyRecords: {},
    exposedIps: [],
    servers: [],
    hosts: [],
    keepLastGood,
  };
}

function resolveOrThrow(gslb: GslbSource, index: ObjectIndex, ctx: ResolveContext): Resolution {
  const strategy = parseStrategy(gslb.strategy, ctx.defaultTtlSeconds);
  const policy = parsePolicy(gslb.serviceHealthPolicy);
  const probe = parseProbe(gslb.probe);
  const declaration = declarationOf(gslb, index, ctx);
  const servers = mergeServers(declaration.servers).filter((s) => ctx.inZone(s.host));
  if (servers.length === 0) {
    const all = declaration.servers.map((s) => s.host).join(', ') || 'none';
    throw new NotServed('NoHostInZone', `no host lies in a zone of DNS_ZONES (hosts: ${all})`);
  }
  const exposedIps = exposedAddresses(gslb, declaration.statusAddresses, ctx);
  const health: Record<string, HostHealth> = {};
  const healthyRecords: Record<string, string[]> = {};
  const healthy: string[] = [];
  const unhealthy: string[] = [];
  for (const server of servers) {
    const state = hostHealth(server, index, policy);
    health[server.host] = state;
    if (state === 'Healthy' && exposedIps.length > 0) {
      healthy.push(server.host);
      healthyRecords[server.host] = exposedIps;
    } else unhealthy.push(server.host);
  }
  // Unhealthy hosts carry their addresses marked unhealthy: never served or
  // published as local targets, except by a Gslb that asks to fail open.
  const record = (hosts: string[], isHealthy: boolean): GslbRecord => ({
    id: gslb.id,
    hosts,
    strategy: strategy.type,
    ttlSeconds: strategy.ttlSeconds,
    ...strategy.parameters,
    // The older Gslb keeps a host two of them name; an unknown creation time claims last.
    claim: {
      since: Number.isFinite(gslb.createdMs) ? gslb.createdMs : Number.MAX_SAFE_INTEGER,
      tiebreak: gslb.uid,
    },
    ...(gslb.drain.request === null ? {} : { drain: gslb.drain.request }),
    ...(gslb.drain.changedBy === '' ? {} : { drainChangedBy: gslb.drain.changedBy }),
    ...(probe === undefined ? {} : { probe }),
    clusters:
      exposedIps.length === 0
        ? []
        : [
            isHealthy
              ? { geoTag: ctx.geoTag, addresses: exposedIps }
              : { geoTag: ctx.geoTag, addresses: exposedIps, healthy: false },
          ],
  });
  const records: GslbRecord[] = [];
  if (healthy.length > 0) records.push(record(healthy, true));
  if (unhealthy.length > 0) records.push(record(unhealthy, false));
  const anyHealthy = Object.values(health).includes('Healthy');
  return {
    reason: anyHealthy ? 'Serving' : 'NoHealthyHosts',
    message: anyHealthy
      ? healthSummary(health)
      : `no host has a ready backend in this cluster (${healthSummary(health)}); only peers' targets are answered`,
    records,
    health,
    healthyRecords,
    exposedIps,
    servers,
    hosts: servers.map((s) => s.host),
    keepLastGood: false,
  };
}

/** Servers by canonical host: one name spelled two ways (case, trailing dot) is one host. */
function mergeServers(servers: readonly ServerStatus[]): ServerStatus[] {
  const byHost = new Map<string, Map<string, ServerStatus['services'][number]>>();
  for (const server of servers) {
    const host = canonicalHost(server.host);
    const services = byHost.get(host) ?? new Map<string, ServerStatus['services'][number]>();
    byHost.set(host, services);
    for (const service of server.services)
      services.set(`${service.namespace}/${service.name}`, service);
  }
  return [...byHost].map(([host, services]) => ({ host, services: [...services.values()] }));
}

function healthSummary(health: Readonly<Record<string, HostHealth>>): string {
  const counts = new Map<HostHealth, number>();
  for (const state of Object.values(health)) counts.set(state, (counts.get(state) ?? 0) + 1);
  const parts = [...counts].map(([state, n]) => `${n} ${state}`);
  const total = Object.keys(health).length;
  return `${total} host${total === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

function parsePolicy(value: unknown): 'Any' | 'All' {
  if (value === undefined || value === 'Any') return 'Any';
  if (value === 'All') return 'All';
  throw new InvalidGslb(
    `spec.serviceHealthPolicy must be Any or All, found ${JSON.stringify(value)}`,
  );
}

function canonicalHost(host: string): string {
  const name = canonicalName(host.trim());
  const problem = checkName(name);
  if (problem !== null) throw new InvalidGslb(`host ${problem}`);
  return name;
}

/** k8gb's aggregation of the host's backend Services (docs/k8gb-compatibility.md#local-health). */
function hostHealth(server: ServerStatus, index: ObjectIndex, policy: 'Any' | 'All'): HostHealth {
  if (server.services.length === 0) return 'NotFound';
  const states = server.services.map((s) => index.serviceState(s.namespace, s.name));
  if (policy === 'All') {
    if (states.includes('missing')) return 'NotFound';
    return states.includes('unready') ? 'Unhealthy' : 'Healthy';
  }
  if (states.includes('ready')) return 'Healthy';
  return states.includes('unready') ? 'Unhealthy' : 'NotFound';
}
