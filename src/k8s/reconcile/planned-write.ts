/**
 * Writes planned by a reconcile pass, as data: the pass stays pure and the
 * source sends them through its write queue.
 */
import type { KubeBodyType } from '../client/kube-api';

/** Events at most this long; the apiserver rejects longer messages. */
const MAX_EVENT_MESSAGE = 1024;

/** A request the source should send. */
export interface PlannedWrite {
  /** Coalescing key: a newer write with the same key replaces a queued one. */
  readonly key: string;
  readonly kind: 'status' | 'event' | 'ingress' | 'gslb';
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly bodyType?: KubeBodyType;
  /** Called with the reply body after a 2xx. */
  readonly onSuccess?: (body: unknown) => void;
}

/** A Kubernetes Event to create, about one object. */
export interface PlannedEvent {
  readonly involved: {
    readonly apiVersion: string;
    readonly kind: string;
    readonly namespace: string;
    readonly name: string;
    readonly uid: string;
  };
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** The write that creates `event` (core v1 Events, which every cluster serves). */
export function eventWrite(event: PlannedEvent, now: Date): PlannedWrite {
  const time = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const { involved } = event;
  return {
    key: `event ${involved.uid} ${event.reason}`,
    kind: 'event',
    method: 'POST',
    path: `/api/v1/namespaces/${encodeURIComponent(involved.namespace)}/events`,
    body: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${involved.name}.`, namespace: involved.namespace },
      involvedObject: involved,
      type: event.type,
      reason: event.reason,
      message: event.message.slice(0, MAX_EVENT_MESSAGE),
      source: { component: 'meridian' },
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
    },
  };
}
