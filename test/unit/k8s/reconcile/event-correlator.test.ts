/**
 * The Event correlator, with client-go's defaults (tools/record/events_cache.go):
 * identical Events are one Event whose count grows, the 10th distinct message
 * of one reason (within 600 s of the last) starts the combined Event, a token
 * bucket per object and type (25, then one per 300 s) drops the rest, and
 * every map is an LRU.
 */
import {
  COMBINED_PREFIX,
  EventCorrelator,
  type CorrelatedEvent,
} from '../../../../src/k8s/reconcile/event-correlator';
import type { PlannedEvent } from '../../../../src/k8s/reconcile/planned-write';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const SECOND = 1_000;

const EVENT: PlannedEvent = {
  involved: {
    apiVersion: 'k8gb.io/v1beta1',
    kind: 'Gslb',
    namespace: 'shop',
    name: 'web',
    uid: 'u-1',
  },
  type: 'Warning',
  reason: 'ResourceNotFound',
  message: 'Ingress shop/front not found',
};

const about = (name: string, uid = `uid-${name}`): PlannedEvent => ({
  ...EVENT,
  involved: { ...EVENT.involved, name, uid },
});

/** Correlates `event` and fails when it was dropped. */
function sent(correlator: EventCorrelator, event: PlannedEvent, at: number): CorrelatedEvent {
  const correlated = correlator.correlate(event, at);
  if (correlated === null) throw new Error(`${event.message} was dropped`);
  return correlated;
}

describe('identical Events', () => {
  test('a repeat is the same Event with count 2, 3…, its first time kept', () => {
    const correlator = new EventCorrelator();
    const seen = [0, 1, 2].map((i) => sent(correlator, EVENT, T0 + i * SECOND));
    expect(seen.map((s) => s.count)).toEqual([1, 2, 3]);
    expect(new Set(seen.map((s) => s.key)).size).toBe(1);
    expect(seen.map((s) => s.firstTimestampMs)).toEqual([T0, T0, T0]);
    expect(seen.map((s) => s.lastTimestampMs)).toEqual([T0, T0 + SECOND, T0 + 2 * SECOND]);
    expect(seen.map((s) => s.event)).toEqual([EVENT, EVENT, EVENT]);
  });

  test('the name a create answered is what later repeats patch', () => {
    const correlator = new EventCorrelator();
    const first = sent(correlator, EVENT, T0);
    expect(correlator.nameOf(first.key)).toBeUndefined();
    correlator.created(first, 'web.18a1b2c3');
    const second = sent(correlator, EVENT, T0 + SECOND);
    expect(second).toMatchObject({ key: first.key, count: 2 });
    expect(correlator.nameOf(second.key)).toBe('web.18a1b2c3');
  });

  test.each<[string, PlannedEvent]>([
    ['another message', { ...EVENT, message: 'Ingress shop/back not found' }],
    ['another reason', { ...EVENT, reason: 'NoHostInZone' }],
    ['another type', { ...EVENT, type: 'Normal' }],
    [
      'another uid (the object recreated)',
      { ...EVENT, involved: { ...EVENT.involved, uid: 'u-2' } },
    ],
    ['another object', about('api', 'u-1')],
  ])('%s is another Event', (_case, other) => {
    const correlator = new EventCorrelator();
    const first = sent(correlator, EVENT, T0);
    const second = sent(correlator, other, T0);
    expect(second.count).toBe(1);
    expect(second.key).not.toBe(first.key);
  });
});

describe('similar Events (one reason, other messages)', () => {
  const message = (i: number): PlannedEvent => ({ ...EVENT, message: `problem ${i}` });

  test('the 10th distinct message becomes the combined Event, which later ones repeat', () => {
    const correlator = new EventCorrelator();
    const nine = Array.from({ length: 9 }, (_, i) => sent(correlator, message(i + 1), T0));
    expect(nine.map((s) => [s.event.message, s.count])).toEqual(
      nine.map((_, i) => [`problem ${i + 1}`, 1]),
    );
    expect(new Set(nine.map((s) => s.key)).size).toBe(9);

    const tenth = sent(correlator, message(10), T0 + SECOND);
    expect(tenth.event).toEqual({ ...EVENT, message: `${COMBINED_PREFIX}problem 10` });
    expect(tenth.count).toBe(1);
    expect(nine.map((s) => s.key)).not.toContain(tenth.key);

    const eleventh = sent(correlator, message(11), T0 + 2 * SECOND);
    expect(eleventh).toMatchObject({
      key: tenth.key,
      count: 2,
      firstTimestampMs: T0 + SECOND,
      event: { message: `${COMBINED_PREFIX}problem 11` },
    });
    // A message still among the last nine distinct ones is its own Event again.
    const ninthAgain = sent(correlator, message(9), T0 + 3 * SECOND);
    expect(ninthAgain).toMatchObject({ key: nine[8]!.key, count: 2 });
    expect(ninthAgain.event.message).toBe('problem 9');
  });

  test('they start afresh after 600 s without one; the window is idle time, not fixed', () => {
    const idle = new EventCorrelator();
    for (let i = 1; i <= 9; i++) sent(idle, message(i), T0);
    expect(sent(idle, message(10), T0 + 600 * SECOND + 1).event.message).toBe('problem 10');

    const busy = new EventCorrelator();
    for (let i = 1; i <= 9; i++) sent(busy, message(i), T0 + i * 500 * SECOND);
    expect(sent(busy, message(10), T0 + 10 * 500 * SECOND).event.message).toBe(
      `${COMBINED_PREFIX}problem 10`,
    );
  });

  test('other reasons and other objects are counted apart', () => {
    const correlator = new EventCorrelator();
    for (let i = 1; i <= 9; i++) sent(correlator, message(i), T0);
    expect(sent(correlator, { ...message(10), reason: 'Other' }, T0).event.message).toBe(
      'problem 10',
    );
    expect(sent(correlator, { ...about('api'), message: 'problem 10' }, T0).event.message).toBe(
      'problem 10',
    );
  });
});

describe('the rate bound per object and type', () => {
  test('26 in a burst: 25 sent, the 26th dropped, one more 300 s later; a dropped repeat still counts', () => {
    const correlator = new EventCorrelator();
    const burst = Array.from({ length: 26 }, (_, i) => correlator.correlate(EVENT, T0 + i));
    expect(burst.filter((s) => s !== null)).toHaveLength(25);
    expect(burst[25]).toBeNull();
    expect(correlator.correlate(EVENT, T0 + 299 * SECOND)).toBeNull();
    // 300 s after the burst one token is back (the failed tries took none).
    const later = correlator.correlate(EVENT, T0 + 25 + 300 * SECOND);
    expect(later?.count).toBe(28);
    expect(correlator.correlate(EVENT, T0 + 26 + 300 * SECOND)).toBeNull();
  });

  test('another object, or another type of the same object, is not limited by the first', () => {
    const correlator = new EventCorrelator();
    for (let i = 0; i < 25; i++) sent(correlator, { ...EVENT, message: `m ${i}` }, T0);
    expect(correlator.correlate(EVENT, T0)).toBeNull();
    expect(correlator.correlate(about('api'), T0)?.count).toBe(1);
    expect(
      correlator.correlate({ ...EVENT, type: 'Normal', reason: 'Serving' }, T0),
    ).not.toBeNull();
  });

  test('the bucket fills up to the burst, no more', () => {
    const correlator = new EventCorrelator();
    sent(correlator, EVENT, T0);
    const dayLater = T0 + 86_400 * SECOND;
    const results = Array.from({ length: 26 }, () => correlator.correlate(EVENT, dayLater));
    expect(results.filter((s) => s !== null)).toHaveLength(25);
  });
});

describe('bounds', () => {
  test('every map keeps at most maxEntries, the least recently used forgotten', () => {
    const correlator = new EventCorrelator({ maxEntries: 3 });
    const first = sent(correlator, about('a'), T0);
    correlator.created(first, 'a.1');
    for (const name of ['b', 'c', 'd', 'e']) sent(correlator, about(name), T0);
    expect(correlator.sizes()).toEqual({ similar: 3, observations: 3, buckets: 3 });
    // Forgotten: a repeat is a new Event again.
    const again = sent(correlator, about('a'), T0 + SECOND);
    expect(again.count).toBe(1);
    expect(correlator.nameOf(again.key)).toBeUndefined();
  });

  test('client-go defaults: 4096 entries each', () => {
    const correlator = new EventCorrelator();
    for (let i = 0; i < 5_000; i++) sent(correlator, about(`g${i}`), T0);
    expect(correlator.sizes()).toEqual({ similar: 4096, observations: 4096, buckets: 4096 });
  });

  test('an Event recorded as created after its entry was forgotten is remembered with its count', () => {
    const correlator = new EventCorrelator({ maxEntries: 1 });
    const first = sent(correlator, about('a'), T0);
    sent(correlator, about('b'), T0);
    correlator.created(first, 'a.1');
    const again = sent(correlator, about('a'), T0 + SECOND);
    expect(again.count).toBe(2);
    expect(correlator.nameOf(again.key)).toBe('a.1');
  });
});
