/**
 * Event hygiene as client-go's correlator does it (tools/record/events_cache.go,
 * with the defaults every controller-runtime manager, k8gb's too, uses):
 *
 * - identical Events (the same involved object, uid included, type, reason and
 *   message) are one Event whose `count` and `lastTimestamp` grow: a repeat
 *   patches the Event created first;
 * - similar Events (the same object, type and reason, other messages): from
 *   the 10th distinct message within an idle window of 600 s, they go to one
 *   Event whose message is prefixed "(combined from similar events): ";
 * - a token bucket per involved object and type (25 at once, then one every
 *   300 s) drops the Events beyond it. A dropped repeat still counts: the next
 *   one written carries its count, as in client-go.
 *
 * Every map is an LRU of 4,096 entries. Pure: the time is an argument.
 */
import type { PlannedEvent } from './planned-write';

/** Options of {@link EventCorrelator}; client-go's defaults. */
export interface EventCorrelatorOptions {
  /** Entries of each map (client-go: 4096). */
  readonly maxEntries?: number;
  /** Distinct messages of one reason before they are combined (client-go: 10). */
  readonly aggregateMaxEvents?: number;
  /** Idle time after which similar Events start counting afresh (client-go: 600 s). */
  readonly aggregateIdleMs?: number;
  /** Events of one object and type at once (client-go: 25). */
  readonly burst?: number;
  /** Time to earn one more (client-go: a rate of 1/300 per second). */
  readonly refillMs?: number;
}

/** An Event to write: the `count`-th occurrence of the Event cached under `key`. */
export interface CorrelatedEvent {
  /** Repeats of one Event share it: the write queue's key and the cache's. */
  readonly key: string;
  /** As planned, or the combined Event. */
  readonly event: PlannedEvent;
  readonly count: number;
  readonly firstTimestampMs: number;
  readonly lastTimestampMs: number;
}

export const COMBINED_PREFIX = '(combined from similar events): ';

const DEFAULTS: Required<EventCorrelatorOptions> = {
  maxEntries: 4096,
  aggregateMaxEvents: 10,
  aggregateIdleMs: 600_000,
  burst: 25,
  refillMs: 300_000,
};

interface Similar {
  /** Distinct messages, oldest first. */
  readonly messages: Set<string>;
  lastMs: number;
}

interface Observation {
  count: number;
  readonly firstMs: number;
  /** The Event's name, once a create answered it. */
  name: string | undefined;
}

interface Bucket {
  tokens: number;
  lastMs: number;
}

export class EventCorrelator {
  private readonly options: Required<EventCorrelatorOptions>;
  private readonly similar: Lru<Similar>;
  private readonly observations: Lru<Observation>;
  private readonly buckets: Lru<Bucket>;

  constructor(options: EventCorrelatorOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
    this.similar = new Lru(this.options.maxEntries);
    this.observations = new Lru(this.options.maxEntries);
    this.buckets = new Lru(this.options.maxEntries);
  }

  /** The Event to write for `event` seen at `nowMs`, or null when the rate bound drops it. */
  correlate(event: PlannedEvent, nowMs: number): CorrelatedEvent | null {
    const { key, event: written } = this.aggregate(event, nowMs);
    const seen = this.observations.get(key);
    const observation: Observation = {
      count: (seen?.count ?? 0) + 1,
      firstMs: seen?.firstMs ?? nowMs,
      name: seen?.name,
    };
    this.observations.set(key, observation);
    if (!this.take(event, nowMs)) return null;
    return {
      key,
      event: written,
      count: observation.count,
      firstTimestampMs: observation.firstMs,
      lastTimestampMs: nowMs,
    };
  }

  /** The name of the Event written for `key`, once known. */
  nameOf(key: string): string | undefined {
    return this.observations.get(key)?.name;
  }

  /** The apiserver created `sent` as `name`: its repeats patch that Event. */
  created(sent: CorrelatedEvent, name: string): void {
    const observation = this.observations.get(sent.key);
    if (observation !== undefined) observation.name = name;
    else
      this.observations.set(sent.key, { count: sent.count, firstMs: sent.firstTimestampMs, name });
  }

  /** Entries of each map, for tests and diagnostics. */
  sizes(): { similar: number; observations: number; buckets: number } {
    return {
      similar: this.similar.size,
      observations: this.observations.size,
      buckets: this.buckets.size,
    };
  }

  /** client-go's EventAggregate: the event as is, or the combined one from the 10th message on. */
  private aggregate(event: PlannedEvent, nowMs: number): { key: string; event: PlannedEvent } {
    const { involved, type, reason, message } = event;
    const similarKey = `similar ${JSON.stringify([...objectKey(involved), type, reason])}`;
    let record = this.similar.get(similarKey);
    if (record === undefined || nowMs - record.lastMs > this.options.aggregateIdleMs)
      record = { messages: new Set(), lastMs: nowMs };
    record.messages.add(message);
    record.lastMs = nowMs;
    this.similar.set(similarKey, record);
    const key = `event ${JSON.stringify([...objectKey(involved), type, reason, message])}`;
    if (record.messages.size < this.options.aggregateMaxEvents) return { key, event };
    // Never more than the threshold: the oldest message makes room.
    record.messages.delete(record.messages.values().next().value as string);
    return { key: similarKey, event: { ...event, message: `${COMBINED_PREFIX}${message}` } };
  }

  /** client-go's spam filter: a token of the object's and type's bucket, if one is left. */
  private take(event: PlannedEvent, nowMs: number): boolean {
    const key = JSON.stringify([...objectKey(event.involved), event.type]);
    const { burst, refillMs } = this.options;
    const bucket = this.buckets.get(key) ?? { tokens: burst, lastMs: nowMs };
    bucket.tokens = Math.min(burst, bucket.tokens + Math.max(0, nowMs - bucket.lastMs) / refillMs);
    bucket.lastMs = Math.max(bucket.lastMs, nowMs);
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

function objectKey(involved: PlannedEvent['involved']): string[] {
  return [involved.apiVersion, involved.kind, involved.namespace, involved.name, involved.uid];
}

/** A map of at most `max` entries; the least recently used goes first. */
class Lru<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}
