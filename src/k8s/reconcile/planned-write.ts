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
  /** Called when the reply is 404 (the write is done all the same). */
  readonly onNotFound?: () => void;
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
  const write: PlannedWrite = {
    key: `event ${event.involved.uid} ${event.reason}`,
    kind: 'event',
    method: 'POST',
    path: eventPath(event),
    body: eventBody(event, 1, now.getTime(), now.getTime()),
  };
  PLANNED_EVENTS.set(write, event);
  return write;
}

/** The Event each write of eventWrite creates; beside the write, which stays plain data. */
const PLANNED_EVENTS = new WeakMap<PlannedWrite, PlannedEvent>();

/** The Event `write` creates, when eventWrite made it (the correlator reads it, outbox.ts). */
export function plannedEvent(write: PlannedWrite): PlannedEvent | undefined {
  return PLANNED_EVENTS.get(write);
}

/**
 * Where an Event about `involved` lives: its namespace, or `default` for a
 * cluster-scoped object (namespace ''), the one the apiserver accepts then.
 */
function eventNamespace(involved: PlannedEvent['involved']): string {
  return involved.namespace === '' ? 'default' : involved.namespace;
}

/** The Events collection of the object's namespace, or one Event in it. */
export function eventPath(event: PlannedEvent, name?: string): string {
  const collection = `/api/v1/namespaces/${encodeURIComponent(eventNamespace(event.involved))}/events`;
  return name === undefined ? collection : `${collection}/${encodeURIComponent(name)}`;
}

/** The Event seen `count` times, first and last at these times (ms). */
export function eventBody(
  event: PlannedEvent,
  count: number,
  firstMs: number,
  lastMs: number,
): Record<string, unknown> {
  const { involved } = event;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${involved.name}.`, namespace: eventNamespace(involved) },
    involvedObject: involved.namespace === '' ? withoutNamespace(involved) : involved,
    type: event.type,
    reason: event.reason,
    message: event.message.slice(0, MAX_EVENT_MESSAGE),
    source: { component: 'meridian' },
    firstTimestamp: timestamp(firstMs),
    lastTimestamp: timestamp(lastMs),
    count,
  };
}

function withoutNamespace(
  involved: PlannedEvent['involved'],
): Omit<PlannedEvent['involved'], 'namespace'> {
  return {
    apiVersion: involved.apiVersion,
    kind: involved.kind,
    name: involved.name,
    uid: involved.uid,
  };
}

/** What a repeat changes of the Event (client-go's patch): count, last time and message. */
export function eventRepeat(
  message: string,
  count: number,
  lastMs: number,
): Record<string, unknown> {
  return { count, lastTimestamp: timestamp(lastMs), message: message.slice(0, MAX_EVENT_MESSAGE) };
}

/** RFC 3339 with second precision, as Event times are. */
function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
