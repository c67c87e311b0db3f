/**
 * Decision records as one Normal AnswerChanged Event per Gslb per build,
 * naming each changed host and type, before and after with their clusters,
 * and the causes; a Gslb that is gone gets none; a long message is cut.
 */
import { ANSWER_CHANGED, decisionEvents } from '../../../../src/k8s/reconcile/decision-events';
import type { DecisionRecord } from '../../../../src/serving/decisions';
import { gslbObject, indexOf } from '../../../helpers/kube-objects';

function record(host: string, gslb: string, extra: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    time: '2026-12-06T12:00:00.000Z',
    host,
    type: 'A',
    gslb,
    strategy: 'failover',
    before: [{ address: '192.0.2.1', clusters: ['eu'] }],
    after: [{ address: '192.0.2.2', clusters: ['us'] }],
    causes: [
      {
        id: 'c1',
        kind: 'peer-down',
        peer: {
          geoTag: 'eu',
          state: 'down',
          failedPolls: 2,
          lastError: 'timeout: no reply',
          lastSuccessMs: 1,
        },
      },
    ],
    generation: 7,
    serial: 2026120601,
    geoTag: 'us',
    replica: 'meridian-0',
    ...extra,
  };
}

test('one Event per Gslb, naming every changed host and type with its causes', () => {
  const index = indexOf(['Gslb', gslbObject({ name: 'web', uid: 'uid-web' })]);
  const events = decisionEvents(
    [
      record('a.cloud.example.org', 'shop/web'),
      record('a.cloud.example.org', 'shop/web', {
        type: 'AAAA',
        before: [],
        after: [{ address: '2001:db8::2', clusters: ['us'] }],
        causes: [
          {
            id: 'c2',
            kind: 'gslb-changed',
            object: { kind: 'Gslb', namespace: 'shop', name: 'web', resourceVersion: '77' },
          },
        ],
      }),
      record('b.cloud.example.org', 'shop/gone'),
    ],
    index,
  );
  expect(events).toEqual([
    {
      involved: {
        apiVersion: 'k8gb.io/v1beta1',
        kind: 'Gslb',
        namespace: 'shop',
        name: 'web',
        uid: 'uid-web',
      },
      type: 'Normal',
      reason: ANSWER_CHANGED,
      message:
        'a.cloud.example.org A: 192.0.2.1 [eu] → 192.0.2.2 [us] (peer-down eu after 2 failed polls: timeout: no reply); ' +
        'a.cloud.example.org AAAA: nothing → 2001:db8::2 [us] (gslb-changed Gslb shop/web@77)',
    },
  ]);
});

test('a message longer than an Event may hold is cut', () => {
  const index = indexOf(['Gslb', gslbObject({ name: 'web', uid: 'uid-web' })]);
  const many = Array.from({ length: 50 }, (_, i) => record(`h${i}.cloud.example.org`, 'shop/web'));
  const [event] = decisionEvents(many, index);
  expect(event?.message.length).toBe(1_000);
  expect(event?.message.endsWith('…')).toBe(true);
});
