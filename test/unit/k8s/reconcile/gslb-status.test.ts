/**
 * The status Meridian writes on a Gslb: k8gb's fields
 * (docs/k8gb-compatibility.md#gslb-status-fields), observedGeneration and a Ready condition whose
 * lastTransitionTime moves only when Ready flips; and the merge patch, which is null when nothing
 * changed and removes hosts that are gone explicitly.
 */
import { desiredStatus, statusUpdate } from '../../../../src/k8s/reconcile/gslb-status';
import { canonicalJson } from '../../../../src/k8s/ingest/json-fields';
import { toGslb } from '../../../../src/k8s/ingest/gslb-objects';
import type { Resolution } from '../../../../src/k8s/reconcile/resolution';
import { gslbObject } from '../../../helpers/kube-objects';

const NOW = new Date('2026-03-01T12:34:56.789Z');
const NOW_TEXT = '2026-03-01T12:34:56Z';
const EARLIER = '2026-01-01T00:00:00Z';

const SERVING: Resolution = {
  reason: 'Serving',
  message: '2 hosts: 1 Healthy, 1 Unhealthy',
  records: [],
  health: { 'a.cloud.example.org': 'Healthy', 'b.cloud.example.org': 'Unhealthy' },
  healthyRecords: { 'a.cloud.example.org': ['192.0.2.1', '2001:db8::1'] },
  exposedIps: ['192.0.2.1', '2001:db8::1'],
  servers: [
    { host: 'a.cloud.example.org', services: [{ name: 'web', namespace: 'shop' }] },
    { host: 'b.cloud.example.org', services: [{ name: 'api', namespace: 'shop' }] },
  ],
  hosts: ['a.cloud.example.org', 'b.cloud.example.org'],
  keepLastGood: false,
};

const NOT_FOUND: Resolution = {
  ...SERVING,
  reason: 'ResourceNotFound',
  message: 'Ingress shop/front not found',
  health: {},
  healthyRecords: {},
  exposedIps: [],
  servers: [],
  hosts: [],
};

/** A Gslb whose status carries a Ready condition (or none). */
function gslbWith(ready?: { status: string; lastTransitionTime?: string }, generation = 3) {
  return toGslb(
    gslbObject({
      generation,
      ...(ready === undefined ? {} : { status: { conditions: [{ type: 'Ready', ...ready }] } }),
    }),
  );
}

describe('desiredStatus', () => {
  test('k8gb fields, observedGeneration and a Ready=True condition for a served Gslb', () => {
    expect(desiredStatus(gslbWith(), SERVING, 'eu', () => NOW)).toEqual({
      serviceHealth: SERVING.health,
      healthyRecords: SERVING.healthyRecords,
      geoTag: 'eu',
      hosts: 'a.cloud.example.org, b.cloud.example.org',
      loadBalancer: { exposedIps: ['192.0.2.1', '2001:db8::1'] },
      servers: SERVING.servers,
      observedGeneration: 3,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Serving',
          message: '2 hosts: 1 Healthy, 1 Unhealthy',
          observedGeneration: 3,
          lastTransitionTime: NOW_TEXT,
        },
      ],
    });
  });

  test('Ready=False with the reason and message of a problem; empty k8gb fields', () => {
    expect(desiredStatus(gslbWith(undefined, 7), NOT_FOUND, 'us', () => NOW)).toEqual({
      serviceHealth: {},
      healthyRecords: {},
      geoTag: 'us',
      hosts: '',
      loadBalancer: { exposedIps: [] },
      servers: [],
      observedGeneration: 7,
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'ResourceNotFound',
          message: 'Ingress shop/front not found',
          observedGeneration: 7,
          lastTransitionTime: NOW_TEXT,
        },
      ],
    });
  });

  test.each<
    [string, { status: string; lastTransitionTime?: string } | undefined, Resolution, string]
  >([
    ['no condition yet', undefined, SERVING, NOW_TEXT],
    [
      'True before, True now: kept',
      { status: 'True', lastTransitionTime: EARLIER },
      SERVING,
      EARLIER,
    ],
    [
      'False before, False now: kept',
      { status: 'False', lastTransitionTime: EARLIER },
      NOT_FOUND,
      EARLIER,
    ],
    [
      'False before, True now: new',
      { status: 'False', lastTransitionTime: EARLIER },
      SERVING,
      NOW_TEXT,
    ],
    [
      'True before, False now: new',
      { status: 'True', lastTransitionTime: EARLIER },
      NOT_FOUND,
      NOW_TEXT,
    ],
    [
      'Unknown before, True now: new',
      { status: 'Unknown', lastTransitionTime: EARLIER },
      SERVING,
      NOW_TEXT,
    ],
    [
      'same status without a time: new',
      { status: 'True', lastTransitionTime: '' },
      SERVING,
      NOW_TEXT,
    ],
    ['same status, time missing: new', { status: 'True' }, SERVING, NOW_TEXT],
  ])('lastTransitionTime: %s', (_case, previous, resolution, expected) => {
    const status = desiredStatus(gslbWith(previous), resolution, 'eu', () => NOW);
    expect((status['conditions'] as { lastTransitionTime: string }[])[0]?.lastTransitionTime).toBe(
      expected,
    );
  });

  test('the clock is read only for a transition, and has second precision', () => {
    const now = jest.fn(() => new Date('2026-03-01T00:00:00.999Z'));
    desiredStatus(gslbWith({ status: 'True', lastTransitionTime: EARLIER }), SERVING, 'eu', now);
    expect(now).not.toHaveBeenCalled();
    const status = desiredStatus(gslbWith(), SERVING, 'eu', now);
    expect(now).toHaveBeenCalledTimes(1);
    expect((status['conditions'] as { lastTransitionTime: string }[])[0]?.lastTransitionTime).toBe(
      '2026-03-01T00:00:00Z',
    );
  });
});

/** `value` with the keys of every object in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversedKeys(v)]),
  );
}

describe('statusUpdate', () => {
  const desired = desiredStatus(gslbWith(), SERVING, 'eu', () => NOW);

  test('null when the object already has the status, whatever the key order', () => {
    const reordered = reversedKeys(desired);
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(desired));
    const gslb = toGslb(gslbObject({ generation: 3, status: reordered }));
    expect(statusUpdate(gslb, desired)).toBeNull();
  });

  test('the full status as a merge patch when it differs', () => {
    const gslb = gslbWith();
    expect(statusUpdate(gslb, desired)).toEqual({
      json: canonicalJson(desired),
      patch: { status: desired },
    });
  });

  test('hosts that are gone are removed with null from serviceHealth and healthyRecords', () => {
    const gslb = toGslb(
      gslbObject({
        status: {
          serviceHealth: {
            'a.cloud.example.org': 'Unhealthy',
            'old.cloud.example.org': 'Healthy',
          },
          healthyRecords: {
            'old.cloud.example.org': ['192.0.2.9'],
            'older.cloud.example.org': ['192.0.2.8'],
          },
        },
      }),
    );
    const update = statusUpdate(gslb, desired);
    expect(update?.patch).toEqual({
      status: {
        ...desired,
        serviceHealth: {
          'a.cloud.example.org': 'Healthy',
          'b.cloud.example.org': 'Unhealthy',
          'old.cloud.example.org': null,
          'older.cloud.example.org': null,
        },
        healthyRecords: {
          'a.cloud.example.org': ['192.0.2.1', '2001:db8::1'],
          'old.cloud.example.org': null,
          'older.cloud.example.org': null,
        },
      },
    });
    // The JSON is that of the status itself, without the nulls.
    expect(update?.json).toBe(canonicalJson(desired));
    // The desired status is not modified.
    expect(desired['serviceHealth']).toEqual(SERVING.health);
  });

  test('a host still present in one map is nulled only in the other', () => {
    const gslb = toGslb(
      gslbObject({
        status: {
          serviceHealth: { 'b.cloud.example.org': 'Healthy' },
          healthyRecords: { 'b.cloud.example.org': ['192.0.2.1'] },
        },
      }),
    );
    const patch = statusUpdate(gslb, desired)?.patch as { status: Record<string, unknown> };
    expect(patch.status['serviceHealth']).toEqual({
      'a.cloud.example.org': 'Healthy',
      'b.cloud.example.org': 'Unhealthy',
    });
    expect(patch.status['healthyRecords']).toEqual({
      'a.cloud.example.org': ['192.0.2.1', '2001:db8::1'],
      'b.cloud.example.org': null,
    });
  });
});
