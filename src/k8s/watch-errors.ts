/**
 * How the failures of the watchers are reported: counted in
 * meridian_kube_watch_errors_total and logged with MERIDIAN_ERR_KUBE, a
 * failure that repeats while it is retried logged at warn once, then at
 * debug, until the watcher makes progress or the message changes.
 *
 * A list answered 404 means the collection is not served (its CRD is not
 * installed): the watcher treats it as empty and looks for it again. For a
 * kind in OPTIONAL_KINDS that is the normal state of most clusters (k8gb's
 * legacy CRD, which only clusters coming from older k8gb have), so it is
 * logged at info, once, and not counted: otherwise every such cluster would
 * count an error every few seconds, for ever, and alert on nothing.
 */
import type { KubeMetrics } from '../telemetry/kube-metrics';
import type { Logger } from '../telemetry/logger';
import type { KubeRequestError } from './client/kube-api';
import { OPTIONAL_KINDS, type WatchedKind } from './ingest/object-index';

export class WatchErrors {
  /** The last error per kind: a failure repeating while retrying is logged once. */
  private readonly last = new Map<WatchedKind, string>();

  constructor(
    private readonly log: Logger,
    private readonly metrics: Pick<KubeMetrics, 'recordWatchError'>,
  ) {}

  /** The watcher of `kind` delivered something: its next failure is news again. */
  progress(kind: WatchedKind): void {
    this.last.delete(kind);
  }

  report(kind: WatchedKind, error: KubeRequestError): void {
    const notServed = error.statusCode === 404;
    const expected = notServed && OPTIONAL_KINDS.has(kind);
    if (!expected) this.metrics.recordWatchError(kind);
    const repeated = this.last.get(kind) === error.message;
    this.last.set(kind, error.message);
    const fields = {
      resource: kind,
      status: error.statusCode,
      err: error.message,
      code: 'MERIDIAN_ERR_KUBE',
    };
    const level = repeated ? 'debug' : expected ? 'info' : 'warn';
    if (notServed)
      this.log[level](
        fields,
        `${kind} is not served by the apiserver (CRD not installed?); treated as empty, looked for again`,
      );
    else this.log[level](fields, 'watch failed; retrying with backoff');
  }
}
