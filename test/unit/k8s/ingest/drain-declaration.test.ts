/**
 * The drain an object declares: its time and who asked, from the
 * annotations or from `metadata.managedFields`; and whatever a tenant writes
 * there (a typo, 10,000 characters, managed fields of the wrong shape or
 * 20,000 entries long) is no crash and no drain it did not ask for.
 */
import fc from 'fast-check';
import type { KubeObject } from '../../../../src/k8s/client/kube-api';
import { drainDeclarationOf, NOT_DRAINED } from '../../../../src/k8s/ingest/drain-declaration';

function object(annotations: Record<string, unknown>, managedFields?: unknown): KubeObject {
  return {
    apiVersion: 'k8gb.io/v1beta1',
    kind: 'Gslb',
    metadata: {
      name: 'web',
      namespace: 'shop',
      resourceVersion: '42',
      annotations,
      ...(managedFields === undefined ? {} : { managedFields }),
    },
  } as KubeObject;
}

const drainedBy = (manager: string, time: string) => ({
  manager,
  operation: 'Update',
  time,
  fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:meridian.dev/drain': {} } } },
});

test('a time and drain-by: drained since then, by that name, on this object', () => {
  expect(
    drainDeclarationOf(
      object({ 'meridian.dev/drain': '2026-12-07T10:00:00Z', 'meridian.dev/drain-by': 'alice' }),
      'Gslb',
    ),
  ).toEqual({
    request: {
      sinceMs: Date.parse('2026-12-07T10:00:00Z'),
      requestedBy: 'alice',
      declaredOn: { kind: 'Gslb', namespace: 'shop', name: 'web', resourceVersion: '42' },
    },
    changedBy: 'alice',
    problem: null,
  });
});

test('`true`: the time and the manager of the managed-fields entry that wrote the annotation', () => {
  const declared = drainDeclarationOf(
    object({ 'meridian.dev/drain': 'true' }, [
      { manager: 'kubectl-edit', operation: 'Update', time: '2026-12-07T11:00:00Z', fieldsV1: {} },
      drainedBy('argocd-controller', '2026-12-07T10:30:00Z'),
    ]),
    'Gslb',
  );
  expect(declared.request).toMatchObject({
    sinceMs: Date.parse('2026-12-07T10:30:00Z'),
    requestedBy: 'argocd-controller',
  });
  // The undrain's records name the object's last manager.
  expect(declared.changedBy).toBe('kubectl-edit');
});

test('`true` with no managed fields: an unknown time (first sight) and an unknown asker', () => {
  const declared = drainDeclarationOf(object({ 'meridian.dev/drain': 'true' }), 'Gslb');
  expect(declared.request?.sinceMs).toBeNaN();
  expect(declared.request?.requestedBy).toBe('unknown');
});

test('a typo is no drain, and says why in a bounded message', () => {
  const declared = drainDeclarationOf(object({ 'meridian.dev/drain': 'y'.repeat(10_000) }), 'Gslb');
  expect(declared.request).toBeNull();
  expect(declared.problem).toMatch(/^annotation meridian.dev\/drain is "y{64}", neither/);
  expect(drainDeclarationOf(object({ 'meridian.dev/drain': 'false' }), 'Gslb')).toBe(NOT_DRAINED);
  expect(drainDeclarationOf(object({}), 'Gslb')).toBe(NOT_DRAINED);
});

test('who asked is bounded to 128 characters, from the annotation and from managed fields', () => {
  const long = 'm'.repeat(10_000);
  expect(
    drainDeclarationOf(
      object({ 'meridian.dev/drain': 'true', 'meridian.dev/drain-by': long }),
      'Gslb',
    ).request?.requestedBy,
  ).toHaveLength(128);
  expect(
    drainDeclarationOf(
      object({ 'meridian.dev/drain': 'true' }, [drainedBy(long, '2026-12-07T10:30:00Z')]),
      'Gslb',
    ).request?.requestedBy,
  ).toHaveLength(128);
});

test('20,000 managed-fields entries: read in bounded time, the newest owner wins', () => {
  const entries = Array.from({ length: 20_000 }, (_, i) =>
    drainedBy(`m${i}`, new Date(Date.parse('2026-01-01T00:00:00Z') + i * 1000).toISOString()),
  );
  const declared = drainDeclarationOf(object({ 'meridian.dev/drain': 'true' }, entries), 'Gslb');
  expect(declared.request?.requestedBy).toBe('m19999');
});

test('managed fields of any shape and annotations of any value: never a throw, a drain only when asked for', () => {
  const json = fc.jsonValue({ maxDepth: 4 });
  const entry = fc.oneof(
    json,
    fc.record({
      manager: fc.oneof(fc.string(), json),
      time: fc.oneof(
        fc.string(),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        json,
      ),
      fieldsV1: fc.oneof(
        json,
        fc.constant({ 'f:metadata': { 'f:annotations': { 'f:meridian.dev/drain': {} } } }),
      ),
    }),
  );
  fc.assert(
    fc.property(
      fc.dictionary(fc.constantFrom('meridian.dev/drain', 'meridian.dev/drain-by', 'other'), json),
      fc.oneof(json, fc.array(entry, { maxLength: 8 })),
      (annotations, managedFields) => {
        const declared = drainDeclarationOf(object(annotations, managedFields), 'Gslb');
        const value = annotations['meridian.dev/drain'];
        const asked =
          typeof value === 'string' &&
          (value.trim().toLowerCase() === 'true' || !Number.isNaN(Date.parse(value.trim())));
        if (declared.request !== null) {
          expect(asked).toBe(true);
          expect(declared.request.requestedBy.length).toBeLessThanOrEqual(128);
        }
        expect(declared.changedBy.length).toBeLessThanOrEqual(128);
      },
    ),
    { numRuns: 500 },
  );
});
