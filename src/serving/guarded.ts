/**
 * Runs a listener of the pipeline so that its failure stays its own: counted
 * and logged, never a failed build nor a thrown timer callback.
 */
import { messageOf } from '../errors';
import type { Logger } from '../telemetry/logger';
import type { Metrics } from '../telemetry/metrics';

/** What {@link guarded} reports a failure to. */
export interface FailureSink {
  readonly metrics: Pick<Metrics, 'recordInternalError'>;
  readonly logger: Logger;
}

/** Calls `run`; a throw is counted as an internal table error and logged with `message` and `fields`. */
export function guarded(
  sink: FailureSink,
  message: string,
  run: () => void,
  fields: Readonly<Record<string, unknown>> = {},
): void {
  try {
    run();
  } catch (err) {
    sink.metrics.recordInternalError('table');
    sink.logger.error({ err: messageOf(err), ...fields, code: 'MERIDIAN_ERR_INTERNAL' }, message);
  }
}
