/**
 * The Answering condition: True only when every host is answered with
 * addresses, naming the clusters; False with the hosts that get none; absent
 * while the table has not said.
 */
import { answeringCondition } from '../../../../src/k8s/reconcile/answering-condition';
import type { Resolution } from '../../../../src/k8s/reconcile/resolution';

function resolution(
  hosts: string[],
  answeredFrom: Record<string, string[]> | undefined,
): Resolution {
  return {
    reason: 'Serving',
    message: '',
    records: [],
    health: {},
    healthyRecords: {},
    exposedIps: [],
    servers: [],
    hosts,
    keepLastGood: false,
    ...(answeredFrom === undefined ? {} : { answeredFrom }),
  };
}

test('every host answered: True, each host with its clusters', () => {
  expect(
    answeringCondition(resolution(['a.x', 'b.x'], { 'a.x': ['eu', 'us'], 'b.x': [] })),
  ).toEqual({
    status: 'True',
    reason: 'Answered',
    message: 'every host is answered with addresses: a.x from eu, us; b.x from no known cluster',
  });
});

test('no host answered: False, NoAddresses, naming the hosts', () => {
  expect(answeringCondition(resolution(['a.x', 'b.x'], {}))).toMatchObject({
    status: 'False',
    reason: 'NoAddresses',
    message: expect.stringContaining('a.x, b.x') as unknown,
  });
});

test('some hosts answered: False, both lists', () => {
  expect(answeringCondition(resolution(['a.x', 'b.x'], { 'a.x': ['eu'] }))).toEqual({
    status: 'False',
    reason: 'SomeHostsUnanswered',
    message: 'answered: a.x from eu; answered with no address: b.x',
  });
});

test('no host in a zone: False; the table not asked: no condition', () => {
  expect(answeringCondition(resolution([], {}))?.reason).toBe('NoHosts');
  expect(answeringCondition(resolution(['a.x'], undefined))).toBeNull();
});

test('a long list is cut to what an Event reader takes in', () => {
  const hosts = Array.from({ length: 500 }, (_, i) => `host-${i}.cloud.example.org`);
  const message = answeringCondition(resolution(hosts, {}))!.message;
  expect(message.length).toBe(1_024);
  expect(message.endsWith('…')).toBe(true);
});

test("this cluster's targets withdrawn by their probe are named, once each", () => {
  const failing = { 'a.x': ['192.0.2.1:443 status 503'], 'b.x': ['192.0.2.1:443 status 503'] };
  expect(
    answeringCondition({
      ...resolution(['a.x', 'b.x'], { 'a.x': ['us'], 'b.x': ['us'] }),
      probeFailures: failing,
    }),
  ).toEqual({
    status: 'True',
    reason: 'Answered',
    message:
      'every host is answered with addresses: a.x from us; b.x from us; failing their probe here: 192.0.2.1:443 status 503',
  });
});
