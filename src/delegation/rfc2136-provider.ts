/**
 * The RFC 2136 provider of the ZoneDelegation controller: one signed update
 * per write, the same as standalone mode sends (delegation-plan.ts), so a
 * write touches this cluster's own NS record and glue and nothing else, and a
 * withdrawal removes only those, whether or not this cluster is the last: the
 * other clusters' records are theirs to remove.
 */
import type { TsigKey } from '../dns/tsig';
import { delegationUpdates, withdrawalUpdates, type ZoneDelegationUpdate } from './delegation-plan';
import type { DelegationProvider, DelegationTarget, ProviderOutcome } from './delegation-provider';
import type { sendUpdate, UpdateOutcome, UpdateServer } from './dns-update-client';

/** One update's time limit. */
const UPDATE_TIMEOUT_MS = 5_000;

/** What the provider needs. */
export interface Rfc2136ProviderOptions {
  readonly server: UpdateServer;
  readonly key: TsigKey | null;
  readonly geoTag: string;
  readonly gluePrefix: string;
  readonly send: typeof sendUpdate;
  readonly now: () => number;
}

/** The provider that sends updates to `options.server`. */
export function rfc2136Provider(options: Rfc2136ProviderOptions): DelegationProvider {
  const zoneOf = (
    target: DelegationTarget,
  ): { name: string; parent: string; nameServerTtlSeconds: number } => ({
    name: target.zone,
    parent: target.parent,
    nameServerTtlSeconds: target.ttlSeconds,
  });
  const send = async (
    update: ZoneDelegationUpdate,
    signal: AbortSignal,
    done: string,
  ): Promise<ProviderOutcome> =>
    outcomeOf(
      await options.send(options.server, update.parent, update.changes, {
        key: options.key,
        timeoutMs: UPDATE_TIMEOUT_MS,
        signal,
        nowSeconds: () => Math.floor(options.now() / 1000),
      }),
      done,
    );
  const naming = { geoTag: options.geoTag, gluePrefix: options.gluePrefix };
  return {
    name: 'rfc2136',
    write: (target, signal) => {
      const [update] = delegationUpdates({ ...naming, zones: [zoneOf(target)], glue: target.glue });
      return send(
        update!,
        signal,
        `NS ${target.nameServer} and its glue written into ${target.parent}`,
      );
    },
    withdraw: (target, _last, signal) => {
      const [update] = withdrawalUpdates({ ...naming, zones: [zoneOf(target)] });
      return send(
        update!,
        signal,
        `NS ${target.nameServer} and its glue removed from ${target.parent}`,
      );
    },
  };
}

function outcomeOf(outcome: UpdateOutcome, done: string): ProviderOutcome {
  if (outcome.ok) return { ok: true, detail: done };
  const reason = {
    refused: 'UpdateRefused',
    unsigned: 'ReplyNotSigned',
    network: 'ParentUnreachable',
    timeout: 'ParentUnreachable',
  }[outcome.failure];
  return { ok: false, reason, detail: `${outcome.failure}: ${outcome.detail}` };
}
