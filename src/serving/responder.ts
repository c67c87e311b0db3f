/**
 * Answers one message for any transport and counts it: takes the current
 * snapshot, answers synchronously, records the outcome in metrics. The only
 * shared step between the gRPC service and the plain DNS listener.
 */
import { answerMessage, type Answered, type Unanswerable } from '../table/answer';
import type { TableHolder } from '../table/table-holder';
import type { Metrics, Transport } from '../telemetry/metrics';

/** Returned before the first table is built. */
export interface NotReady {
  readonly kind: 'not-ready';
}

/** Answers messages from the current table. */
export type Responder = (
  transport: Transport,
  message: Buffer,
) => Answered | Unanswerable | NotReady;

const NOT_READY: NotReady = Object.freeze({ kind: 'not-ready' });

/** Creates the responder over `holder`, recording into `metrics`. */
export function createResponder(
  holder: TableHolder,
  metrics: Metrics,
  now: () => number = performance.now.bind(performance),
): Responder {
  return (transport, message) => {
    const started = now();
    const snapshot = holder.current();
    if (snapshot === null) return NOT_READY;
    const result = answerMessage(snapshot, message);
    if (result.kind === 'answered') {
      metrics.recordQuery(transport, result.qtype, result.rcode, (now() - started) / 1000);
    } else {
      metrics.recordBadRequest(transport);
    }
    return result;
  };
}
