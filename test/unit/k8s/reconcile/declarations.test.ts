/**
 * Kubernetes label selector semantics, as resourceRef selectors use them.
 * What a selector selects in a cluster (namespace, exactly one match) is
 * covered through resolveGslb in resolve-gslb.test.ts.
 */
import type { LabelSelector } from '../../../../src/k8s/ingest/gslb-objects';
import { matchesSelector } from '../../../../src/k8s/reconcile/declarations';

describe('matchesSelector (Kubernetes label selector semantics)', () => {
  const selector = (
    matchLabels: Record<string, string>,
    ...matchExpressions: { key: string; operator: string; values?: string[] }[]
  ): LabelSelector => ({
    matchLabels,
    matchExpressions: matchExpressions.map((e) => ({ values: [], ...e })),
  });
  const LABELS = { app: 'web', tier: 'front', empty: '' };

  test.each<[string, LabelSelector, boolean]>([
    ['empty selector', selector({}), true],
    ['matchLabels equal', selector({ app: 'web' }), true],
    ['matchLabels, all of them', selector({ app: 'web', tier: 'front' }), true],
    ['matchLabels, one differs', selector({ app: 'web', tier: 'back' }), false],
    ['matchLabels, key absent', selector({ zone: 'a' }), false],
    ['matchLabels, empty value matches an empty label', selector({ empty: '' }), true],
    [
      'In, value listed',
      selector({}, { key: 'tier', operator: 'In', values: ['back', 'front'] }),
      true,
    ],
    [
      'In, value not listed',
      selector({}, { key: 'tier', operator: 'In', values: ['back'] }),
      false,
    ],
    ['In, key absent', selector({}, { key: 'zone', operator: 'In', values: ['a'] }), false],
    [
      'NotIn, value listed',
      selector({}, { key: 'tier', operator: 'NotIn', values: ['front'] }),
      false,
    ],
    [
      'NotIn, value not listed',
      selector({}, { key: 'tier', operator: 'NotIn', values: ['back'] }),
      true,
    ],
    ['NotIn, key absent', selector({}, { key: 'zone', operator: 'NotIn', values: ['a'] }), true],
    ['Exists, present', selector({}, { key: 'app', operator: 'Exists' }), true],
    ['Exists, present with empty value', selector({}, { key: 'empty', operator: 'Exists' }), true],
    ['Exists, absent', selector({}, { key: 'zone', operator: 'Exists' }), false],
    ['DoesNotExist, absent', selector({}, { key: 'zone', operator: 'DoesNotExist' }), true],
    ['DoesNotExist, present', selector({}, { key: 'app', operator: 'DoesNotExist' }), false],
    [
      'labels and expressions must all hold',
      selector(
        { app: 'web' },
        { key: 'tier', operator: 'Exists' },
        { key: 'zone', operator: 'DoesNotExist' },
      ),
      true,
    ],
    [
      'one failing expression fails the selector',
      selector(
        { app: 'web' },
        { key: 'tier', operator: 'Exists' },
        { key: 'app', operator: 'NotIn', values: ['web'] },
      ),
      false,
    ],
  ])('%s → %s', (_case, sel, expected) => {
    expect(matchesSelector(LABELS, sel)).toBe(expected);
  });

  test.each(['in', 'Equals', '', 'Gt'])('operator %j throws an invalid-spec error', (operator) => {
    expect(() => matchesSelector(LABELS, selector({}, { key: 'app', operator }))).toThrow(
      `resourceRef selector: unknown operator ${JSON.stringify(operator)}`,
    );
  });
});
