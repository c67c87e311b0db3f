/**
 * One pass over one ZoneDelegation, in k8gb's order: the finalizer, the
 * status (this cluster's glue and the peers' as the edge DNS resolves
 * them), the provider's write, or on deletion the withdrawal. Where Meridian
 * is stricter than k8gb:
 * - a peer whose glue cannot be looked up keeps the entries it had (k8gb
 *   drops it): only an answer that the name has no address removes a peer;
 * - a zone this cluster does not serve is never delegated to it, and with no
 *   glue address nothing is written; both said in the `Delegated` condition;
 * - withdrawal removes this cluster's own records only (docs/delegation.md).
 */
import type { DelegationProvider, DelegationTarget } from '../../delegation/delegation-provider';
import { nameServerName } from '../../gslb/k8gb-naming';
import {
  delegatedCondition,
  isLastCluster,
  sameCondition,
  sameEntries,
  statusEntries,
  type DelegatedState,
} from './delegation-status';
import { ZONE_DELEGATION_FINALIZER, type ZoneDelegation } from './zone-delegation-object';
import { finalizersPatch, statusPatch, type DelegationRequest } from './zone-delegation-writes';

/** This cluster's glue, or why there is none. */
export interface GlueReading {
  readonly addresses: readonly string[];
  /** Where the addresses came from, or why none were found. */
  readonly source: string;
}

/** What a pass needs. */
export interface ReconcileDeps {
  readonly geoTag: string;
  readonly gluePrefix: string;
  readonly nsTtlSeconds: number;
  readonly peerGeoTags: readonly string[];
  readonly servedZones: ReadonlySet<string>;
  readonly provider: DelegationProvider;
  /** The addresses of a glue name at the edge DNS; null when no server could tell. */
  readonly resolveGlue: (name: string, signal: AbortSignal) => Promise<readonly string[] | null>;
  /** Sends one request; the HTTP status, or 0 when no answer came. */
  readonly send: (request: DelegationRequest) => Promise<number>;
  readonly now: () => Date;
  readonly signal: AbortSignal;
}

/** What became of the pass: the condition it wrote, and whether to retry soon. */
export interface Reconciled {
  readonly state: DelegatedState;
  readonly retry: boolean;
}

/** Reconciles `delegation` once. */
export async function reconcileZoneDelegation(
  delegation: ZoneDelegation,
  glue: GlueReading,
  deps: ReconcileDeps,
): Promise<Reconciled> {
  const hasFinalizer = delegation.finalizers.includes(ZONE_DELEGATION_FINALIZER);
  if (delegation.deleting) return finalize(delegation, glue, hasFinalizer, deps);
  if (!hasFinalizer) {
    const status = await deps.send(
      finalizersPatch(delegation, [...delegation.finalizers, ZONE_DELEGATION_FINALIZER]),
    );
    // The object changed meanwhile (or is gone): its watch event brings the next pass.
    if (status < 200 || status >= 300)
      return { state: failed('FinalizerNotSet', `HTTP ${status}`), retry: true };
  }
  const plan = await planOf(delegation, glue, deps);
  const state = await writeState(delegation, plan.target, glue, deps);
  await writeStatus(delegation, plan, state, deps);
  return { state, retry: !state.ok && state.reason !== 'ZoneNotServed' };
}

async function writeState(
  delegation: ZoneDelegation,
  target: DelegationTarget,
  glue: GlueReading,
  deps: ReconcileDeps,
): Promise<DelegatedState> {
  if (!deps.servedZones.has(delegation.zone))
    return failed(
      'ZoneNotServed',
      `${delegation.zone} is not among this cluster's zones (DNS_ZONES); it is not delegated here`,
    );
  if (glue.addresses.length === 0)
    return failed('NoGlueAddresses', `no address for ${target.nameServer}: ${glue.source}`);
  const outcome = await deps.provider.write(target, deps.signal);
  if (!outcome.ok) return failed(outcome.reason, outcome.detail);
  return { ok: true, reason: 'Written', message: `${deps.provider.name}: ${outcome.detail}` };
}

async function finalize(
  delegation: ZoneDelegation,
  glue: GlueReading,
  hasFinalizer: boolean,
  deps: ReconcileDeps,
): Promise<Reconciled> {
  const removeFinalizer = async (state: DelegatedState): Promise<Reconciled> => {
    const rest = delegation.finalizers.filter((f) => f !== ZONE_DELEGATION_FINALIZER);
    const status = await deps.send(finalizersPatch(delegation, rest));
    // Gone (404) is done; no answer (0), a conflict or a refusal is tried again.
    const done = (status >= 200 && status < 300) || status === 404;
    return { state, retry: !done };
  };
  const kept: DelegatedState = {
    ok: true,
    reason: 'Kept',
    message: 'deleted with doFinalize false: the delegation stays in the parent zone',
  };
  if (!hasFinalizer) return { state: kept, retry: false };
  if (!delegation.doFinalize) return removeFinalizer(kept);
  const plan = await planOf(delegation, glue, deps);
  const last = isLastCluster(statusEntries(plan.servers), plan.target.nameServer);
  const outcome = await deps.provider.withdraw(plan.target, last, deps.signal);
  if (outcome.ok === true)
    return removeFinalizer({ ok: true, reason: 'Withdrawn', message: outcome.detail });
  const state =
    outcome.ok === 'delay'
      ? { ok: true, reason: 'WaitingForPeers', message: outcome.detail }
      : failed(outcome.reason, outcome.detail);
  await writeStatus(delegation, plan, state, deps);
  return { state, retry: true };
}

/** This cluster's part of the delegation, and status.dnsServers by name server. */
interface Plan {
  readonly target: DelegationTarget;
  readonly servers: ReadonlyMap<string, readonly string[]>;
}

async function planOf(
  delegation: ZoneDelegation,
  glue: GlueReading,
  deps: ReconcileDeps,
): Promise<Plan> {
  const name = (geoTag: string): string =>
    nameServerName(deps.gluePrefix, geoTag, delegation.zone, delegation.parent);
  const own = name(deps.geoTag);
  const servers = new Map<string, readonly string[]>();
  if (glue.addresses.length > 0) servers.set(own, glue.addresses);
  const peers = [...new Set(deps.peerGeoTags.map(name))].filter((peer) => peer !== own);
  const found = await Promise.all(peers.map((peer) => deps.resolveGlue(peer, deps.signal)));
  peers.forEach((peer, i) => {
    // No verdict from the edge: keep what the status said, never drop a peer on missing data.
    const addresses =
      found[i] ?? delegation.servers.filter((e) => e.name === peer).map((e) => e.address);
    if (addresses.length > 0) servers.set(peer, addresses);
  });
  const target = {
    zone: delegation.zone,
    parent: delegation.parent,
    nameServer: own,
    glue: glue.addresses,
    nameServers: [...new Set([own, ...servers.keys()])],
    ttlSeconds: deps.nsTtlSeconds,
  };
  return { target, servers };
}

/** Patches the status when its servers or its condition changed. */
async function writeStatus(
  delegation: ZoneDelegation,
  plan: Plan,
  state: DelegatedState,
  deps: ReconcileDeps,
): Promise<void> {
  const servers = statusEntries(plan.servers);
  const condition = delegatedCondition(delegation, state, deps.now());
  if (sameEntries(servers, delegation.servers) && sameCondition(delegation, condition)) return;
  await deps.send(statusPatch(delegation, servers, condition));
}

function failed(reason: string, message: string): DelegatedState {
  return { ok: false, reason, message };
}
