import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseManifest, type ManifestParse } from '../../../src/standalone/parse-manifest';
import { DEFAULT_TTL_SECONDS } from '../../../src/gslb/k8gb-naming';
import type { GslbRecord } from '../../../src/table/model';

const OPTIONS = { defaultTtlSeconds: DEFAULT_TTL_SECONDS, geoTag: 'eu' };
const IPS = 'k8gb.io/exposed-ip-addresses';
const HOSTNAME = 'k8gb.io/hostname';

/** A Gslb document as a plain object, edited per case before it is written as YAML. */
interface GslbDoc {
  apiVersion?: unknown;
  kind: string;
  metadata: { name?: unknown; namespace?: unknown; annotations: Record<string, unknown> };
  spec?: { ingress?: unknown; strategy?: Record<string, unknown> };
}

function gslbDoc(edit: (doc: GslbDoc) => void = () => undefined): GslbDoc {
  const doc: GslbDoc = {
    apiVersion: 'k8gb.io/v1beta1',
    kind: 'Gslb',
    metadata: { name: 'web', namespace: 'shop', annotations: { [IPS]: '192.0.2.10' } },
    spec: {
      ingress: { rules: [{ host: 'app.cloud.example.org' }] },
      strategy: { type: 'roundRobin', dnsTtlSeconds: 60 },
    },
  };
  edit(doc);
  return doc;
}

function yamlOf(...docs: object[]): string {
  return docs.map((d) => stringify(d)).join('---\n');
}

/** The record the unedited gslbDoc() parses to. */
function record(patch: Partial<GslbRecord> = {}): GslbRecord {
  return {
    id: 'shop/web',
    hosts: ['app.cloud.example.org'],
    strategy: 'roundRobin',
    ttlSeconds: 60,
    clusters: [{ geoTag: 'eu', addresses: ['192.0.2.10'] }],
    ...patch,
  };
}

function parseOne(doc: GslbDoc, options = OPTIONS): GslbRecord {
  const result = parseManifest(yamlOf(doc), options);
  if (!result.ok) throw new Error(`unexpected errors: ${result.errors.join('; ')}`);
  expect(result.gslbs).toHaveLength(1);
  return result.gslbs[0] as GslbRecord;
}

function errorsOf(doc: GslbDoc): readonly string[] {
  const result = parseManifest(yamlOf(doc), OPTIONS);
  if (result.ok) throw new Error('expected the manifest to be invalid');
  return result.errors;
}

describe('a k8gb Gslb manifest', () => {
  test('as written for k8gb, with ingress rules, strategy and annotations', () => {
    const text = `
apiVersion: k8gb.io/v1beta1
kind: Gslb
metadata:
  name: playground-failover
  namespace: playground
  annotations:
    k8gb.io/exposed-ip-addresses: "192.0.2.10,192.0.2.11"
spec:
  ingress:
    ingressClassName: nginx
    rules:
      - host: failover.cloud.example.com
        http:
          paths:
            - path: /
              pathType: Prefix
              backend:
                service:
                  name: frontend-podinfo
                  port:
                    name: http
  strategy:
    type: failover
    primaryGeoTag: eu
    dnsTtlSeconds: 5
`;
    expect(parseManifest(text, { defaultTtlSeconds: 30, geoTag: 'us' })).toStrictEqual({
      ok: true,
      gslbs: [
        {
          id: 'playground/playground-failover',
          hosts: ['failover.cloud.example.com'],
          strategy: 'failover',
          ttlSeconds: 5,
          primaryGeoTag: 'eu',
          clusters: [{ geoTag: 'us', addresses: ['192.0.2.10', '192.0.2.11'] }],
        },
      ],
    });
  });

  test.each<[string, GslbRecord]>([
    [
      'ledger.yaml',
      {
        id: 'core/ledger',
        hosts: ['ledger.cloud.example.org'],
        strategy: 'failover',
        ttlSeconds: 15,
        primaryGeoTag: 'eu',
        clusters: [{ geoTag: 'eu', addresses: ['198.51.100.7', '198.51.100.8'] }],
      },
    ],
    [
      'shop.yaml',
      {
        id: 'shop/shop',
        hosts: ['shop.cloud.example.org'],
        strategy: 'roundRobin',
        ttlSeconds: 30,
        clusters: [{ geoTag: 'eu', addresses: ['192.0.2.10', '192.0.2.11', '2001:db8::10'] }],
      },
    ],
  ])('the example examples/gslbs/%s parses to this cluster only', (file, expected) => {
    const text = readFileSync(join(__dirname, '../../../examples/gslbs', file), 'utf8');
    expect(parseManifest(text, OPTIONS)).toStrictEqual({ ok: true, gslbs: [expected] });
  });

  test('the id is namespace/name and the namespace defaults to "default"', () => {
    expect(parseOne(gslbDoc()).id).toBe('shop/web');
    expect(parseOne(gslbDoc((d) => delete d.metadata.namespace)).id).toBe('default/web');
  });
});

describe('hosts', () => {
  test.each<[string, (d: GslbDoc) => void, string[]]>([
    ['one ingress rule', () => undefined, ['app.cloud.example.org']],
    [
      'several ingress rules, in order',
      (d) => {
        d.spec = {
          ...d.spec,
          ingress: { rules: [{ host: 'b.cloud.example.org' }, { host: 'a.cloud.example.org' }] },
        };
      },
      ['b.cloud.example.org', 'a.cloud.example.org'],
    ],
    [
      'the hostname annotation alone',
      (d) => {
        delete d.spec?.ingress;
        d.metadata.annotations[HOSTNAME] = 'api.cloud.example.org';
      },
      ['api.cloud.example.org'],
    ],
    [
      'rules and annotation together, after the rules',
      (d) => {
        d.metadata.annotations[HOSTNAME] = 'api.cloud.example.org';
      },
      ['app.cloud.example.org', 'api.cloud.example.org'],
    ],
    [
      'duplicates after lower-casing, trimming and dropping the trailing dot',
      (d) => {
        d.spec = {
          ...d.spec,
          ingress: {
            rules: [{ host: 'App.Cloud.Example.ORG.' }, { host: ' b.cloud.example.org ' }],
          },
        };
        d.metadata.annotations[HOSTNAME] = 'app.cloud.example.org';
      },
      ['app.cloud.example.org', 'b.cloud.example.org'],
    ],
    [
      'a rule without host (default backend) is skipped',
      (d) => {
        d.spec = {
          ...d.spec,
          ingress: { rules: [{ http: { paths: [] } }, { host: 'app.cloud.example.org' }] },
        };
      },
      ['app.cloud.example.org'],
    ],
  ])('%s', (_label, edit, hosts) => {
    expect(parseOne(gslbDoc(edit)).hosts).toEqual(hosts);
  });
});

describe('targets from k8gb.io/exposed-ip-addresses', () => {
  test.each<[string, string[]]>([
    ['192.0.2.10', ['192.0.2.10']],
    ['192.0.2.10,192.0.2.11', ['192.0.2.10', '192.0.2.11']],
    [' 192.0.2.10 ,\t2001:db8::10 ', ['192.0.2.10', '2001:db8::10']],
    ['2001:DB8::A', ['2001:db8::a']],
    ['2001:db8:0:0:0:0:0:1', ['2001:db8::1']],
    ['2001:db8::1,2001:DB8:0:0:0:0:0:1', ['2001:db8::1', '2001:db8::1']],
    ['192.0.2.10,,192.0.2.11,', ['192.0.2.10', '192.0.2.11']],
  ])('%j', (value, addresses) => {
    const gslb = parseOne(gslbDoc((d) => (d.metadata.annotations[IPS] = value)));
    expect(gslb.clusters).toEqual([{ geoTag: 'eu', addresses }]);
  });
});

describe('strategy', () => {
  test.each<[string, Record<string, unknown>, number, Partial<GslbRecord>]>([
    ['dnsTtlSeconds absent: the default', { type: 'roundRobin' }, 30, { ttlSeconds: 30 }],
    [
      'dnsTtlSeconds 0: the default (as k8gb)',
      { type: 'roundRobin', dnsTtlSeconds: 0 },
      30,
      { ttlSeconds: 30 },
    ],
    ['the default comes from the options', { type: 'roundRobin' }, 45, { ttlSeconds: 45 }],
    ['dnsTtlSeconds 1', { type: 'roundRobin', dnsTtlSeconds: 1 }, 30, { ttlSeconds: 1 }],
    ['dnsTtlSeconds 3600', { type: 'roundRobin', dnsTtlSeconds: 3600 }, 30, { ttlSeconds: 3600 }],
    [
      'failover',
      { type: 'failover', primaryGeoTag: 'eu' },
      30,
      { strategy: 'failover', ttlSeconds: 30, primaryGeoTag: 'eu' },
    ],
    [
      'failover with ordered fallbacks, dashed geotags, and failOpen',
      {
        type: 'failover',
        primaryGeoTag: 'eu-west-1',
        fallbackGeoTags: ['us-east-1', 'ap-south-1'],
        failOpen: true,
      },
      30,
      {
        strategy: 'failover',
        ttlSeconds: 30,
        primaryGeoTag: 'eu-west-1',
        fallbackGeoTags: ['us-east-1', 'ap-south-1'],
        failOpen: true,
      },
    ],
    [
      '32 fallbacks, the CRD limit',
      { type: 'failover', fallbackGeoTags: Array.from({ length: 32 }, (_, i) => `c${i}`) },
      30,
      {
        strategy: 'failover',
        ttlSeconds: 30,
        fallbackGeoTags: Array.from({ length: 32 }, (_, i) => `c${i}`),
      },
    ],
    [
      'fallbacks without a primary',
      { type: 'failover', fallbackGeoTags: ['us'] },
      30,
      { strategy: 'failover', ttlSeconds: 30, fallbackGeoTags: ['us'] },
    ],
    [
      'failOpen false is kept',
      { type: 'geoip', failOpen: false },
      30,
      { strategy: 'geoip', ttlSeconds: 30, failOpen: false },
    ],
    [
      'primaryGeoTag with roundRobin is kept (k8gb allows it; roundRobin ignores it)',
      { type: 'roundRobin', primaryGeoTag: 'eu' },
      30,
      { ttlSeconds: 30, primaryGeoTag: 'eu' },
    ],
    [
      'empty and null optional fields count as absent',
      {
        type: 'failover',
        primaryGeoTag: '',
        fallbackGeoTags: [],
        failOpen: null,
      },
      30,
      { strategy: 'failover', ttlSeconds: 30 },
    ],
    [
      'null primaryGeoTag (a merge patch removing it) and null fallbacks count as absent',
      { type: 'roundRobin', primaryGeoTag: null, fallbackGeoTags: null },
      30,
      { ttlSeconds: 30 },
    ],
    [
      'an empty fallback list is allowed with any type, as in the CRD',
      { type: 'roundRobin', fallbackGeoTags: [] },
      30,
      { ttlSeconds: 30 },
    ],
    ['geoip', { type: 'geoip', dnsTtlSeconds: 10 }, 30, { strategy: 'geoip', ttlSeconds: 10 }],
    [
      'roundRobin with weights, geotags with dashes, 0 and 1000',
      {
        type: 'roundRobin',
        dnsTtlSeconds: 60,
        weight: { 'eu-west-1': 0, 'us-east-1': 1000, za: 5 },
      },
      30,
      { weights: { 'eu-west-1': 0, 'us-east-1': 1000, za: 5 } },
    ],
  ])('%s', (_label, strategy, defaultTtlSeconds, patch) => {
    const doc = gslbDoc((d) => (d.spec = { ...d.spec, strategy }));
    expect(parseOne(doc, { ...OPTIONS, defaultTtlSeconds })).toStrictEqual(record(patch));
  });

  const TYPES = 'spec.strategy.type must be one of roundRobin, failover, geoip';
  test.each<[string, Record<string, unknown> | undefined, string]>([
    ['unknown type', { type: 'random' }, `${TYPES}, found "random"`],
    ['type in the wrong case', { type: 'RoundRobin' }, `${TYPES}, found "RoundRobin"`],
    ['no type', { dnsTtlSeconds: 30 }, `${TYPES}, found undefined`],
    ['no strategy', undefined, 'spec.strategy is required'],
    [
      'negative TTL',
      { type: 'roundRobin', dnsTtlSeconds: -1 },
      'spec.strategy.dnsTtlSeconds must be an integer from 0 to 2147483647, found -1',
    ],
    [
      'TTL above 2^31 - 1 (RFC 2181 §8)',
      { type: 'roundRobin', dnsTtlSeconds: 2_147_483_648 },
      'spec.strategy.dnsTtlSeconds must be an integer from 0 to 2147483647, found 2147483648',
    ],
    [
      'fractional TTL',
      { type: 'roundRobin', dnsTtlSeconds: 1.5 },
      'spec.strategy.dnsTtlSeconds must be an integer from 0 to 2147483647, found 1.5',
    ],
    [
      'TTL as a string',
      { type: 'roundRobin', dnsTtlSeconds: '30' },
      'spec.strategy.dnsTtlSeconds must be an integer from 0 to 2147483647, found "30"',
    ],
    [
      'weight with failover',
      { type: 'failover', weight: { eu: 1 } },
      'spec.strategy.weight is only allowed with type roundRobin',
    ],
    [
      'weight with geoip',
      { type: 'geoip', weight: { eu: 1 } },
      'spec.strategy.weight is only allowed with type roundRobin',
    ],
    [
      'weight above 1000',
      { type: 'roundRobin', weight: { eu: 1001 } },
      'spec.strategy.weight.eu must be an integer from 0 to 1000',
    ],
    [
      'negative weight',
      { type: 'roundRobin', weight: { 'us-east': -1 } },
      'spec.strategy.weight.us-east must be an integer from 0 to 1000',
    ],
    [
      'fractional weight',
      { type: 'roundRobin', weight: { eu: 2.5 } },
      'spec.strategy.weight.eu must be an integer from 0 to 1000',
    ],
    [
      'weight as a percentage string',
      { type: 'roundRobin', weight: { eu: '50%' } },
      'spec.strategy.weight.eu must be an integer from 0 to 1000',
    ],
    [
      'weight geotag with an underscore',
      { type: 'roundRobin', weight: { eu_west: 1 } },
      'spec.strategy.weight: invalid geotag "eu_west"',
    ],
    [
      'weight as a list',
      { type: 'roundRobin', weight: [1, 2] },
      'spec.strategy.weight must map geotags to integers',
    ],
    [
      'fallbackGeoTags with roundRobin',
      { type: 'roundRobin', fallbackGeoTags: ['us'] },
      'spec.strategy.fallbackGeoTags is only allowed with type failover',
    ],
    [
      'fallbackGeoTags with geoip',
      { type: 'geoip', fallbackGeoTags: ['us'] },
      'spec.strategy.fallbackGeoTags is only allowed with type failover',
    ],
    [
      'fallbackGeoTags as a string',
      { type: 'failover', fallbackGeoTags: 'us,ap' },
      'spec.strategy.fallbackGeoTags must be a list of geotags',
    ],
    [
      'a fallback geotag with an underscore',
      { type: 'failover', fallbackGeoTags: ['us', 'ap_south'] },
      'spec.strategy.fallbackGeoTags[1]: invalid geotag "ap_south" (letters, digits and dashes, at most 63)',
    ],
    [
      'a fallback geotag of 64 characters',
      { type: 'failover', fallbackGeoTags: ['a'.repeat(64)] },
      `spec.strategy.fallbackGeoTags[0]: invalid geotag "${'a'.repeat(64)}" (letters, digits and dashes, at most 63)`,
    ],
    [
      'a fallback geotag that is a number',
      { type: 'failover', fallbackGeoTags: [7] },
      'spec.strategy.fallbackGeoTags[0]: invalid geotag 7 (letters, digits and dashes, at most 63)',
    ],
    [
      'a fallback that repeats the primary',
      { type: 'failover', primaryGeoTag: 'eu', fallbackGeoTags: ['us', 'eu'] },
      'spec.strategy.fallbackGeoTags must not repeat primaryGeoTag eu',
    ],
    [
      'a fallback listed twice',
      { type: 'failover', fallbackGeoTags: ['us', 'ap', 'us'] },
      'spec.strategy.fallbackGeoTags lists us twice',
    ],
    [
      '33 fallbacks (the CRD allows 32)',
      { type: 'failover', fallbackGeoTags: Array.from({ length: 33 }, (_, i) => `c${i}`) },
      'spec.strategy.fallbackGeoTags lists 33 geotags; at most 32',
    ],
    [
      'failOpen as a string',
      { type: 'roundRobin', failOpen: 'yes' },
      'spec.strategy.failOpen must be true or false, found "yes"',
    ],
    [
      'primaryGeoTag as a number',
      { type: 'failover', primaryGeoTag: 1 },
      'spec.strategy.primaryGeoTag must be a string, found 1',
    ],
  ])('%s is an error', (_label, strategy, reason) => {
    const doc = gslbDoc((d) => {
      d.spec = { ...d.spec };
      if (strategy === undefined) delete d.spec.strategy;
      else d.spec.strategy = strategy;
    });
    expect(errorsOf(doc)).toEqual([`Gslb shop/web: ${reason}`]);
  });
});

describe('invalid Gslbs', () => {
  test.each<[string, (d: GslbDoc) => void, string]>([
    [
      'legacy apiVersion k8gb.absa.oss/v1beta1',
      (d) => (d.apiVersion = 'k8gb.absa.oss/v1beta1'),
      'Gslb shop/web: apiVersion must be k8gb.io/v1beta1, found "k8gb.absa.oss/v1beta1"',
    ],
    [
      'another version',
      (d) => (d.apiVersion = 'k8gb.io/v1'),
      'Gslb shop/web: apiVersion must be k8gb.io/v1beta1, found "k8gb.io/v1"',
    ],
    [
      'no apiVersion',
      (d) => delete d.apiVersion,
      'Gslb shop/web: apiVersion must be k8gb.io/v1beta1, found undefined',
    ],
    ['no name', (d) => delete d.metadata.name, 'Gslb shop/?: metadata.name is required'],
    ['no spec', (d) => delete d.spec, 'Gslb shop/web: spec is required'],
    [
      'no host anywhere',
      (d) => (d.spec = { ...d.spec, ingress: { rules: [] } }),
      'Gslb shop/web: no host: set spec.ingress.rules[].host or the k8gb.io/hostname annotation',
    ],
    [
      'ingress rules not a list',
      (d) => (d.spec = { ...d.spec, ingress: { rules: 'app.cloud.example.org' } }),
      'Gslb shop/web: spec.ingress.rules must be a list',
    ],
    [
      'a host that is not a string',
      (d) => (d.spec = { ...d.spec, ingress: { rules: [{ host: 42 }] } }),
      'Gslb shop/web: spec.ingress.rules[0].host must be a string',
    ],
    [
      'an invalid host name',
      (d) => (d.metadata.annotations[HOSTNAME] = 'bad_host.cloud.example.org'),
      'Gslb shop/web: host bad_host.cloud.example.org has an invalid label "bad_host"',
    ],
    [
      'no exposed-ip-addresses annotation',
      (d) => delete d.metadata.annotations[IPS],
      'Gslb shop/web: annotation k8gb.io/exposed-ip-addresses is required in standalone mode (the targets to serve)',
    ],
    [
      'targets that are not IP addresses',
      (d) => (d.metadata.annotations[IPS] = '192.0.2.10, lb.example.org, 300.1.1.1'),
      'Gslb shop/web: annotation k8gb.io/exposed-ip-addresses: not IP addresses: lb.example.org, 300.1.1.1',
    ],
    [
      'an empty target list',
      (d) => (d.metadata.annotations[IPS] = ' , '),
      'Gslb shop/web: annotation k8gb.io/exposed-ip-addresses lists no address',
    ],
  ])('%s', (_label, edit, error) => {
    expect(errorsOf(gslbDoc(edit))).toEqual([error]);
  });
});

describe('files', () => {
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: {} };

  test('several documents; other kinds and empty documents are ignored', () => {
    const second = gslbDoc((d) => {
      d.metadata.name = 'api';
      d.metadata.annotations = { [IPS]: '2001:db8::1', [HOSTNAME]: 'api.cloud.example.org' };
      delete d.spec?.ingress;
    });
    const text = `---\n${yamlOf(gslbDoc(), configMap, second)}---\n`;
    expect(parseManifest(text, OPTIONS)).toStrictEqual({
      ok: true,
      gslbs: [
        record(),
        record({
          id: 'shop/api',
          hosts: ['api.cloud.example.org'],
          clusters: [{ geoTag: 'eu', addresses: ['2001:db8::1'] }],
        }),
      ],
    });
  });

  test.each<[string, string, ManifestParse]>([
    ['empty', '', { ok: true, gslbs: [] }],
    ['comments only', '# nothing here\n', { ok: true, gslbs: [] }],
    ['only another kind', yamlOf(configMap), { ok: true, gslbs: [] }],
    [
      'a Gslb of another API group is still a Gslb, and wrong',
      yamlOf({ ...configMap, kind: 'Gslb' }),
      { ok: false, errors: ['Gslb default/x: apiVersion must be k8gb.io/v1beta1, found "v1"'] },
    ],
    [
      'a scalar',
      'just words\n',
      { ok: false, errors: ['expected a Kubernetes object, found string'] },
    ],
  ])('%s', (_label, text, expected) => {
    expect(parseManifest(text, OPTIONS)).toStrictEqual(expected);
  });

  test('one valid and one invalid Gslb: the file is invalid as a whole', () => {
    const bad = gslbDoc((d) => {
      d.metadata.name = 'bad';
      d.spec = { ...d.spec, strategy: { type: 'weighted' } };
    });
    expect(parseManifest(yamlOf(gslbDoc(), configMap, bad), OPTIONS)).toStrictEqual({
      ok: false,
      errors: [
        'document 3: Gslb shop/bad: spec.strategy.type must be one of roundRobin, failover, geoip, found "weighted"',
      ],
    });
  });

  test.each<[string, string]>([
    ['an unclosed flow sequence', 'apiVersion: k8gb.io/v1beta1\nkind: Gslb\nmetadata: [unclosed\n'],
    ['bad indentation', 'kind: Gslb\nmetadata:\n  name: a\n name: b\n'],
    ['a duplicate key', 'kind: Gslb\nkind: Gslb\n'],
  ])('YAML error (%s) makes the file invalid', (_label, text) => {
    const result = parseManifest(text, OPTIONS);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.length).toBeGreaterThan(0);
    for (const error of result.errors) expect(error).toMatch(/^YAML: \S/);
  });

  test('a YAML error in the second document names it and invalidates the file', () => {
    const result = parseManifest(`${yamlOf(gslbDoc())}---\nkind: [\n`, OPTIONS);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.length).toBeGreaterThan(0);
    for (const error of result.errors) expect(error).toMatch(/^document 2: YAML: \S/);
  });
});

describe('claims', () => {
  const yaml = (created?: string): string =>
    [
      'apiVersion: k8gb.io/v1beta1',
      'kind: Gslb',
      'metadata:',
      '  name: web',
      '  namespace: shop',
      ...(created === undefined ? [] : [`  creationTimestamp: "${created}"`]),
      '  annotations:',
      '    k8gb.io/exposed-ip-addresses: 192.0.2.1',
      'spec:',
      '  ingress:',
      '    rules:',
      '      - host: web.cloud.example.org',
      '  strategy:',
      '    type: roundRobin',
    ].join('\n');
  const claimOf = (text: string, claimSince?: (id: string) => number): unknown => {
    const parsed = parseManifest(text, {
      defaultTtlSeconds: 30,
      geoTag: 'eu',
      ...(claimSince === undefined ? {} : { claimSince }),
    });
    return parsed.ok ? parsed.gslbs[0]?.claim : parsed.errors;
  };

  test('the first sighting the directory reports is the claim', () => {
    const asked: string[] = [];
    expect(claimOf(yaml(), (id) => (asked.push(id), 1234))).toEqual({ since: 1234, tiebreak: '' });
    expect(asked).toEqual(['shop/web']);
  });

  test('a declared creationTimestamp wins; an unreadable one does not', () => {
    expect(claimOf(yaml('2025-05-01T00:00:00Z'), () => 1234)).toEqual({
      since: Date.parse('2025-05-01T00:00:00Z'),
      tiebreak: '',
    });
    expect(claimOf(yaml('yesterday'), () => 1234)).toEqual({ since: 1234, tiebreak: '' });
  });

  test('without a sighting nor a timestamp, no claim', () => {
    expect(claimOf(yaml())).toBeUndefined();
  });
});
