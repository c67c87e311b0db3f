/**
 * The delegation's wiring. Standalone mode with MERIDIAN_DELEGATION=rfc2136:
 * the writer of every configured zone's NS record and glue. Kubernetes mode
 * with `rfc2136` or `external-dns`: the ZoneDelegation controller with that
 * provider (start-zone-delegations.ts). The TSIG key file is read once at
 * start-up (a bad file stops the start, with its problem). With `none`,
 * nothing.
 */
import { readFile } from 'node:fs/promises';
import type { Config } from './config/load-config';
import { delegationUpdates } from './delegation/delegation-plan';
import { DelegationWriter, type ZoneWriteState } from './delegation/delegation-writer';
import { sendUpdate } from './delegation/dns-update-client';
import { parseTsigKeyFile } from './delegation/tsig-key-file';
import type { TsigKey } from './dns/tsig';
import { MeridianError } from './errors';
import type { Logger } from './telemetry/logger';
import { startZoneDelegations, type ZoneDelegationDeps } from './start-zone-delegations';

/** What app.ts stops on shutdown. */
export interface RunningDelegation {
  /** Every zone's delegation as last written (none when it is written elsewhere). */
  status(): readonly ZoneWriteState[];
  /** A peer's name-server addresses as the ZoneDelegations' status lists them (Kubernetes mode). */
  peerAddresses?(geoTag: string): readonly string[];
  stop(): Promise<void>;
}

/**
 * Reads the key and starts the writer (nothing when the delegation is
 * written elsewhere); its stop joins `closeAll`, for a start that fails later.
 */
export async function startDelegation(
  config: Config,
  deps: ZoneDelegationDeps,
  closeAll: (() => Promise<void>)[],
): Promise<RunningDelegation> {
  const settings = config.delegation;
  if (settings.provider === 'none') return { status: () => [], stop: () => Promise.resolve() };
  const logger = deps.logger.child({ component: 'delegation' });
  const key = settings.provider === 'rfc2136' ? await readKey(config, logger) : null;
  if (config.manifestsDir === '') {
    const controller = await startZoneDelegations(config, { ...deps, logger }, key);
    closeAll.push(() => controller.stop());
    return controller;
  }
  if (settings.server === null) return { status: () => [], stop: () => Promise.resolve() };
  const writer = new DelegationWriter({
    updates: delegationUpdates({
      zones: config.zones,
      geoTag: config.clusterGeoTag,
      gluePrefix: config.gluePrefix,
      glue: settings.glue,
    }),
    server: settings.server,
    key,
    intervalMs: settings.intervalMs,
    logger,
    send: sendUpdate,
    now: deps.now,
  });
  writer.start();
  closeAll.push(() => writer.stop());
  return writer;
}

async function readKey(config: Config, logger: Logger): Promise<TsigKey | null> {
  const path = config.delegation.tsigKeyFile;
  if (path === null) {
    logger.warn(
      { code: 'MERIDIAN_ERR_DELEGATION' },
      'MERIDIAN_DELEGATION_TSIG_KEY_FILE is empty: delegation updates are sent unsigned',
    );
    return null;
  }
  try {
    return parseTsigKeyFile(await readFile(path, 'utf8'));
  } catch (err) {
    throw new MeridianError(
      'MERIDIAN_ERR_CONFIG',
      `MERIDIAN_DELEGATION_TSIG_KEY_FILE ${path}: ${(err as Error).message}`,
    );
  }
}
