/**
 * The writes a pass planned, on their way to the write queue. Every write but
 * an Event goes as planned. An Event goes through the correlator
 * (event-correlator.ts): the first of its kind is created (POST), a repeat
 * patches the Event created first (a merge patch of count, lastTimestamp and
 * message, by the name the create answered), and an Event beyond its
 * object's rate bound is dropped and counted. A patch answered 404 (the Event
 * expired, the apiserver keeps them for an hour) creates it again, as
 * client-go does.
 *
 * Repeats of one Event share a queue key, so they run one after the other:
 * a repeat queued while the create is in flight patches what it created, and
 * one queued before the create ran replaces it (created with the count).
 */
import type { Logger } from '../../telemetry/logger';
import type { KubeApi } from '../client/kube-api';
import { EventCorrelator, type CorrelatedEvent } from './event-correlator';
import {
  eventBody,
  eventPath,
  eventRepeat,
  plannedEvent,
  type PlannedWrite,
} from './planned-write';
import { sendWrite } from './send-write';
import type { QueuedWrite } from './write-queue';

/** Options of {@link Outbox}. */
export interface OutboxOptions {
  readonly api: KubeApi;
  readonly log: Logger;
  readonly queue: { push(write: QueuedWrite): void };
  readonly now: () => Date;
  /** Counts an Event the rate bound dropped, by type. */
  readonly onEventDropped: (type: string) => void;
  readonly correlator?: EventCorrelator;
}

export class Outbox {
  private readonly correlator: EventCorrelator;

  constructor(private readonly options: OutboxOptions) {
    this.correlator = options.correlator ?? new EventCorrelator();
  }

  /** Queues `write`: an Event correlated (or dropped), anything else as planned. */
  send(write: PlannedWrite): void {
    const { api, log, queue } = this.options;
    const event = plannedEvent(write);
    if (event === undefined) {
      queue.push({ key: write.key, kind: write.kind, run: () => sendWrite(api, write, log) });
      return;
    }
    const correlated = this.correlator.correlate(event, this.options.now().getTime());
    if (correlated === null) {
      this.options.onEventDropped(event.type);
      return;
    }
    queue.push({ key: correlated.key, kind: 'event', run: () => this.sendEvent(correlated) });
  }

  private async sendEvent(correlated: CorrelatedEvent): Promise<'done' | 'retry'> {
    const name = this.correlator.nameOf(correlated.key);
    if (name === undefined) return this.create(correlated);
    let gone = false;
    const { event, count, lastTimestampMs } = correlated;
    const outcome = await sendWrite(
      this.options.api,
      {
        key: correlated.key,
        kind: 'event',
        method: 'PATCH',
        path: eventPath(event, name),
        body: eventRepeat(event.message, count, lastTimestampMs),
        bodyType: 'merge-patch',
        onNotFound: () => (gone = true),
      },
      this.options.log,
    );
    return gone ? this.create(correlated) : outcome;
  }

  private create(correlated: CorrelatedEvent): Promise<'done' | 'retry'> {
    const { event, count, firstTimestampMs, lastTimestampMs } = correlated;
    return sendWrite(
      this.options.api,
      {
        key: correlated.key,
        kind: 'event',
        method: 'POST',
        path: eventPath(event),
        body: eventBody(event, count, firstTimestampMs, lastTimestampMs),
        onSuccess: (body) => {
          const name = (body as { metadata?: { name?: unknown } } | undefined)?.metadata?.name;
          if (typeof name === 'string') this.correlator.created(correlated, name);
        },
      },
      this.options.log,
    );
  }
}
