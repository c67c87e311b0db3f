/**
 * Events as planned writes: a core v1 Event about one object, coalesced per
 * object and reason, timestamps with second precision, message capped at the
 * apiserver's limit; the Event a write creates, for the correlator; what a
 * repeat patches.
 */
import {
  eventPath,
  eventRepeat,
  eventWrite,
  plannedEvent,
  type PlannedEvent,
} from '../../../../src/k8s/reconcile/planned-write';

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

describe('eventWrite', () => {
  test('a POST of a v1 Event to the namespace of the object', () => {
    expect(eventWrite(EVENT, new Date('2026-03-01T12:34:56.789Z'))).toEqual({
      key: 'event u-1 ResourceNotFound',
      kind: 'event',
      method: 'POST',
      path: '/api/v1/namespaces/shop/events',
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: 'web.', namespace: 'shop' },
        involvedObject: EVENT.involved,
        type: 'Warning',
        reason: 'ResourceNotFound',
        message: 'Ingress shop/front not found',
        source: { component: 'meridian' },
        firstTimestamp: '2026-03-01T12:34:56Z',
        lastTimestamp: '2026-03-01T12:34:56Z',
        count: 1,
      },
    });
  });

  test('events of different reasons or objects have different keys', () => {
    const now = new Date(0);
    const keys = [
      eventWrite(EVENT, now).key,
      eventWrite({ ...EVENT, reason: 'Serving', type: 'Normal' }, now).key,
      eventWrite({ ...EVENT, involved: { ...EVENT.involved, uid: 'u-2' } }, now).key,
    ];
    expect(keys).toEqual([
      'event u-1 ResourceNotFound',
      'event u-1 Serving',
      'event u-2 ResourceNotFound',
    ]);
  });

  test.each<[number, number]>([
    [0, 0],
    [1023, 1023],
    [1024, 1024],
    [1025, 1024],
    [5000, 1024],
  ])('a message of %d characters is sent with %d', (length, sent) => {
    const message = Array.from({ length }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    const body = eventWrite({ ...EVENT, message }, new Date(0)).body as { message: string };
    expect(body.message).toHaveLength(sent);
    expect(body.message).toBe(message.slice(0, 1024));
  });

  test('a whole-second time keeps its form', () => {
    const body = eventWrite(EVENT, new Date('2026-03-01T00:00:00.000Z')).body as {
      firstTimestamp: string;
    };
    expect(body.firstTimestamp).toBe('2026-03-01T00:00:00Z');
  });
});

describe('for the correlator', () => {
  test('an Event write tells the Event it creates; a copy or another write does not', () => {
    const write = eventWrite(EVENT, new Date(0));
    expect(plannedEvent(write)).toBe(EVENT);
    expect(plannedEvent({ ...write })).toBeUndefined();
  });

  test('a repeat patches count, lastTimestamp and message, of the Event by name', () => {
    expect(eventRepeat('m'.repeat(1100), 3, Date.parse('2026-03-01T12:00:09.500Z'))).toEqual({
      count: 3,
      lastTimestamp: '2026-03-01T12:00:09Z',
      message: 'm'.repeat(1024),
    });
    expect(eventPath(EVENT, 'web.18a')).toBe('/api/v1/namespaces/shop/events/web.18a');
  });
});
