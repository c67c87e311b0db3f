/**
 * `meridian drain` on a manifest: the annotation set and removed in one Gslb,
 * every other line kept (comments, the other document), and the result read
 * back by the manifest parser as the drain it declares.
 */
import { parseManifest } from '../../../src/standalone/parse-manifest';
import { editManifestDrain } from '../../../src/standalone/manifest-drain';

const TEXT = `# the shop's Gslbs
apiVersion: k8gb.io/v1beta1
kind: Gslb
metadata:
  name: web # the storefront
  namespace: shop
  annotations:
    k8gb.io/exposed-ip-addresses: 192.0.2.1
spec:
  ingress:
    rules:
      - host: web.cloud.example.org
  strategy:
    type: roundRobin
---
apiVersion: k8gb.io/v1beta1
kind: Gslb
metadata:
  name: api
  namespace: shop
  annotations:
    k8gb.io/exposed-ip-addresses: 192.0.2.2
spec:
  ingress:
    rules:
      - host: api.cloud.example.org
  strategy:
    type: roundRobin
`;

const parse = (text: string) => {
  const parsed = parseManifest(text, { defaultTtlSeconds: 30, geoTag: 'eu' });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.gslbs;
};

test('drain and undrain one Gslb of a manifest, as a small diff the parser reads back', () => {
  const drained = editManifestDrain(TEXT, {
    namespace: 'shop',
    name: 'web',
    drainedAt: '2026-12-07T10:00:00.000Z',
    by: 'alice',
  });
  const added = drained.split('\n').filter((line) => !TEXT.split('\n').includes(line));
  expect(added).toEqual([
    '    meridian.dev/drain: 2026-12-07T10:00:00.000Z',
    '    meridian.dev/drain-by: alice',
  ]);
  expect(drained).toContain('# the storefront');
  const [web, api] = parse(drained);
  expect(web?.drain).toEqual({
    sinceMs: Date.parse('2026-12-07T10:00:00Z'),
    requestedBy: 'alice',
    declaredOn: { kind: 'Gslb', namespace: 'shop', name: 'web' },
  });
  expect(api?.drain).toBeUndefined();

  const undrained = editManifestDrain(drained, {
    namespace: 'shop',
    name: 'web',
    drainedAt: null,
    by: 'bob',
  });
  expect(undrained).not.toContain('meridian.dev/drain:');
  const [back] = parse(undrained);
  expect(back?.drain).toBeUndefined();
  expect(back?.drainChangedBy).toBe('bob');
});

test('a Gslb that is not in the manifest, or a file that is not YAML, is an error, not an edit', () => {
  const edit = { namespace: 'shop', name: 'cart', drainedAt: null, by: 'alice' };
  expect(() => editManifestDrain(TEXT, edit)).toThrow('no Gslb shop/cart in the manifest');
  expect(() => editManifestDrain('a: [', edit)).toThrow('not valid YAML');
});

test('a drain annotation that is neither a time nor a boolean makes that Gslb invalid, not drained', () => {
  const bad = TEXT.replace(
    'k8gb.io/exposed-ip-addresses: 192.0.2.1',
    'k8gb.io/exposed-ip-addresses: 192.0.2.1\n    meridian.dev/drain: soon',
  );
  const parsed = parseManifest(bad, { defaultTtlSeconds: 30, geoTag: 'eu' });
  expect(parsed.ok).toBe(false);
  expect(parsed.ok ? [] : parsed.errors).toEqual([
    expect.stringContaining('annotation meridian.dev/drain is "soon"'),
  ]);
});
