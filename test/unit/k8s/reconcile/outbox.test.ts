/**
 * The outbox between the planned writes and the write queue, against the fake
 * apiserver: an Event is created, its repeats merge-patch the Event the create
 * answered (count, lastTimestamp, message), a patch answered 404 creates it
 * again, a repeat queued while the create runs waits for its name, an Event
 * beyond the rate bound is dropped and counted, and other writes go as planned.
 */
import { EventCorrelator } from '../../../../src/k8s/reconcile/event-correlator';
import { Outbox } from '../../../../src/k8s/reconcile/outbox';
import {
  eventWrite,
  type PlannedEvent,
  type PlannedWrite,
} from '../../../../src/k8s/reconcile/planned-write';
import { WriteQueue } from '../../../../src/k8s/reconcile/write-queue';
import type { KubeReply } from '../../../../src/k8s/client/kube-api';
import { FakeKubeApi } from '../../../helpers/fake-kube-api';
import { capturingLogger } from '../../../helpers/telemetry';

const EVENTS = '/api/v1/namespaces/shop/events';
const T0 = Date.parse('2026-03-01T12:00:00Z');

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

let api: FakeKubeApi;
let queue: WriteQueue;
let clock: number;
let dropped: string[];
let outbox: Outbox;

/** The apiserver's answer to a create: the Event with the name it generated. */
const created = (name: string): KubeReply => ({ status: 201, body: { metadata: { name } } });

function makeOutbox(correlator?: EventCorrelator): Outbox {
  return new Outbox({
    api,
    log: capturingLogger().logger,
    queue,
    now: () => new Date(clock),
    onEventDropped: (type) => dropped.push(type),
    ...(correlator === undefined ? {} : { correlator }),
  });
}

/** Sends the Event as the reconciler plans it, `afterMs` after the last, and waits for the queue. */
async function occurs(event: PlannedEvent = EVENT, afterMs = 1_000): Promise<void> {
  clock += afterMs;
  outbox.send(eventWrite(event, new Date(clock)));
  await queue.idle(1_000);
}

const requests = (): string[] =>
  api.requests.map((r) => `${r.method} ${r.path} ${r.bodyType ?? 'json'}`);

beforeEach(() => {
  api = new FakeKubeApi();
  queue = new WriteQueue({ concurrency: 8, maxPending: 100, maxAttempts: 3, onResult: () => {} });
  clock = T0;
  dropped = [];
  outbox = makeOutbox();
});

afterEach(() => queue.stop());

test('a repeat merge-patches the Event the create answered: count 2, 3, the first time kept', async () => {
  api.reply('POST', EVENTS, created('web.18a'));
  await occurs();
  await occurs();
  await occurs();
  expect(requests()).toEqual([
    `POST ${EVENTS} json`,
    `PATCH ${EVENTS}/web.18a merge-patch`,
    `PATCH ${EVENTS}/web.18a merge-patch`,
  ]);
  expect(api.requests[0]?.body).toMatchObject({
    involvedObject: EVENT.involved,
    reason: 'ResourceNotFound',
    count: 1,
    firstTimestamp: '2026-03-01T12:00:01Z',
    lastTimestamp: '2026-03-01T12:00:01Z',
  });
  expect(api.requests.slice(1).map((r) => r.body)).toEqual([
    { count: 2, lastTimestamp: '2026-03-01T12:00:02Z', message: EVENT.message },
    { count: 3, lastTimestamp: '2026-03-01T12:00:03Z', message: EVENT.message },
  ]);
});

test('a patch answered 404 (the Event expired) creates it again with its count; repeats patch the new one', async () => {
  api.reply('POST', EVENTS, created('web.1'), created('web.2'));
  api.reply('PATCH', `${EVENTS}/web.1`, { status: 404, body: { reason: 'NotFound' } });
  await occurs();
  await occurs();
  await occurs();
  expect(requests()).toEqual([
    `POST ${EVENTS} json`,
    `PATCH ${EVENTS}/web.1 merge-patch`,
    `POST ${EVENTS} json`,
    `PATCH ${EVENTS}/web.2 merge-patch`,
  ]);
  expect(api.requests[2]?.body).toMatchObject({
    count: 2,
    firstTimestamp: '2026-03-01T12:00:01Z',
    lastTimestamp: '2026-03-01T12:00:02Z',
  });
  expect(api.requests[3]?.body).toMatchObject({ count: 3 });
});

test('a repeat sent while the create is in flight waits for it and patches what it created', async () => {
  let answer: (reply: KubeReply) => void = () => {};
  api.respond('POST', EVENTS, () => new Promise<KubeReply>((resolve) => (answer = resolve)));
  outbox.send(eventWrite(EVENT, new Date(clock)));
  clock += 1_000;
  outbox.send(eventWrite(EVENT, new Date(clock)));
  expect(requests()).toEqual([`POST ${EVENTS} json`]);
  answer(created('web.18a'));
  await queue.idle(1_000);
  expect(requests()).toEqual([`POST ${EVENTS} json`, `PATCH ${EVENTS}/web.18a merge-patch`]);
  expect(api.requests[1]?.body).toMatchObject({ count: 2 });
});

test('a create that failed for good leaves a repeat to create the Event, with the count', async () => {
  api.reply('POST', EVENTS, { status: 403, body: { message: 'forbidden' } }, created('web.1'));
  await occurs();
  await occurs();
  expect(requests()).toEqual([`POST ${EVENTS} json`, `POST ${EVENTS} json`]);
  expect(api.requests[1]?.body).toMatchObject({ count: 2 });
});

test('the 10th distinct message of one reason is created as the combined Event, then patched', async () => {
  let n = 0;
  api.respond('POST', EVENTS, () => created(`web.${++n}`));
  for (let i = 1; i <= 11; i++) await occurs({ ...EVENT, message: `problem ${i}` });
  expect(requests().slice(9)).toEqual([
    `POST ${EVENTS} json`,
    `PATCH ${EVENTS}/web.10 merge-patch`,
  ]);
  expect(api.requests[9]?.body).toMatchObject({
    message: '(combined from similar events): problem 10',
    count: 1,
  });
  expect(api.requests[10]?.body).toMatchObject({
    message: '(combined from similar events): problem 11',
    count: 2,
  });
});

test('an Event beyond the rate bound is not sent and is counted, by type', async () => {
  outbox = makeOutbox(new EventCorrelator({ burst: 2 }));
  api.reply('POST', EVENTS, created('web.1'));
  for (let i = 0; i < 4; i++) await occurs();
  await occurs({ ...EVENT, type: 'Normal', reason: 'Serving', message: 'serving' });
  expect(requests()).toEqual([
    `POST ${EVENTS} json`,
    `PATCH ${EVENTS}/web.1 merge-patch`,
    `POST ${EVENTS} json`,
  ]);
  expect(dropped).toEqual(['Warning', 'Warning']);
});

test('a message longer than the apiserver takes is cut in creates and patches alike', async () => {
  api.reply('POST', EVENTS, created('web.1'));
  const long = { ...EVENT, message: 'x'.repeat(2_000) };
  await occurs(long);
  await occurs(long);
  const messages = api.requests.map((r) => (r.body as { message: string }).message);
  expect(messages.map((m) => m.length)).toEqual([1024, 1024]);
});

test('other writes go as planned', async () => {
  const write: PlannedWrite = {
    key: 'status shop/web',
    kind: 'status',
    method: 'PATCH',
    path: '/apis/k8gb.io/v1beta1/namespaces/shop/gslbs/web/status',
    body: { status: {} },
    bodyType: 'merge-patch',
  };
  outbox.send(write);
  await queue.idle(1_000);
  expect(api.requests).toEqual([
    { method: 'PATCH', path: write.path, body: write.body, bodyType: 'merge-patch' },
  ]);
});
