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

/** Whether queries may be answered yet; read per query. */
export interface ServingGate {
  readonly open: boolean;
}

const ALWAYS_OPEN: ServingGate = Object.freeze({ open: true });

/**
 * Creates the responder over `holder`, recording into `metrics`. Until
 * `gate` opens (the app opens it once the table holds what the peers serve)
 * every query is answered "not ready", as before the first table: a resolver
 * then asks another server instead of caching a partial answer.
 */
export function createResponder(
  holder: TableHolder,
  metrics: Metrics,
  gate: ServingGate = ALWAYS_OPEN,
  now: () => number = performance.now.bind(performance),
): Responder {
  return (transport, message) => {
    const started = now();
    const snapshot = holder.current();
    if (snapshot === null || !gate.open) return NOT_READY;
    const result = answerMessage(snapshot, message);
    if (result.kind === 'answered') {
      metrics.recordQuery(transport, result.qtype, result.rcode, (now() - started) / 1000);
    } else {
      metrics.recordBadRequest(transport);
    }
    return result;
  };
}
