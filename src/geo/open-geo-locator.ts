/**
 * The geoip database as configured (MERIDIAN_GEOIP_*): opened once at start,
 * where a failure stops the start, then watched; each reload is logged and
 * announced so that the table is built again (targets are located when the
 * table is built).
 */
import type { GeoIpSettings } from '../config/load-config';
import { MeridianError, messageOf } from '../errors';
import type { Logger } from '../telemetry/logger';
import { GeoDatabaseError, openMaxmindLocator, type MaxmindLocator } from './maxmind-locator';

/** Opens the configured database, or returns null when none is configured. */
export async function openGeoLocator(
  config: { readonly geoIp: GeoIpSettings; readonly reloadDebounceMs: number },
  logger: Logger,
  onReload: () => void,
): Promise<MaxmindLocator | null> {
  const { databasePath, fields, checkIntervalMs } = config.geoIp;
  if (databasePath === null) return null;
  const log = logger.child({ path: databasePath });
  try {
    const locator = await openMaxmindLocator({
      path: databasePath,
      fields,
      pollIntervalMs: checkIntervalMs,
      debounceMs: config.reloadDebounceMs,
      onReload: (info) => {
        log.info({ database: info }, 'geoip database reloaded');
        onReload();
      },
      onError: (error) =>
        log.warn(
          { problem: error.problem, err: error.message, code: 'MERIDIAN_ERR_GEOIP' },
          'geoip database not reloaded; the last good one keeps serving',
        ),
    });
    log.info({ database: locator.database() }, 'geoip database loaded');
    return locator;
  } catch (err) {
    const message = err instanceof GeoDatabaseError ? err.message : messageOf(err);
    throw new MeridianError('MERIDIAN_ERR_GEOIP', `cannot load ${databasePath}: ${message}`, {
      cause: err,
    });
  }
}
