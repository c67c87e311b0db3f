/**
 * Rebuilding with BuildReuse: an unchanged sealed record keeps its
 * prepared answers and its names' selectors (round-robin position included);
 * a changed record, a recreated one, an unsealed one, or other build
 * settings (a reloaded geo database among them) prepare afresh; every table
 * built with reuse answers exactly as one built without.
 */
import fc from 'fast-check';
import { BuildReuse } from '../../../src/table/build-reuse';
import { buildSnapshot, type BuildInput } from '../../../src/table/build-snapshot';
import { isSealed, sealRecord, type GslbRecord } from '../../../src/table/model';
import type { RecordSnapshot } from '../../../src/table/snapshot';
import { ask, cluster, gslb, served, ZONE } from '../../helpers/table-fixtures';

const WEB = sealRecord(
  gslb('shop/web', ['web.cloud.example.org'], ['192.0.2.1', '192.0.2.2', '192.0.2.3']),
);
const API = sealRecord(gslb('shop/api', ['api.cloud.example.org'], ['198.51.100.1']));

function build(gslbs: GslbRecord[], options: Partial<BuildInput> = {}): RecordSnapshot {
  return buildSnapshot({
    zones: [ZONE],
    gslbs,
    localGeoTag: 'eu',
    serial: 2026112201,
    generation: 1,
    ...options,
  }).snapshot;
}

const addresses = (snapshot: RecordSnapshot, name: string): string[] => served(snapshot, name, 'A');

test('the same record objects keep their selectors, and the round-robin position carries over', () => {
  const reuse = new BuildReuse();
  const first = build([WEB, API], { reuse });
  expect(addresses(first, 'web.cloud.example.org')).toEqual([
    '192.0.2.1',
    '192.0.2.2',
    '192.0.2.3',
  ]);
  const second = build([WEB, API], { reuse, serial: 2026112202 });
  const entry = (s: RecordSnapshot, name: string) => s.names.get(name)!;
  expect(entry(second, 'web.cloud.example.org').a).toBe(entry(first, 'web.cloud.example.org').a);
  expect(entry(second, 'localtargets-web.cloud.example.org').a).toBe(
    entry(first, 'localtargets-web.cloud.example.org').a,
  );
  // The next query continues the rotation instead of starting over.
  expect(addresses(second, 'web.cloud.example.org')).toEqual([
    '192.0.2.2',
    '192.0.2.3',
    '192.0.2.1',
  ]);
  // The new build's SOA serial is its own even though the records are reused.
  expect(ask(second, 'cloud.example.org', 'SOA').answers[0]).toMatchObject({
    data: { serial: 2026112202 },
  });
});

test('an equal but new record object, or a build without reuse, prepares afresh', () => {
  const reuse = new BuildReuse();
  const first = build([WEB], { reuse });
  const copy = build([{ ...WEB }], { reuse });
  const without = build([WEB]);
  const selector = (s: RecordSnapshot) => s.names.get('web.cloud.example.org')!.a;
  expect(selector(copy)).not.toBe(selector(first));
  expect(selector(without)).not.toBe(selector(first));
});

test('another random source, locator or local geotag prepares afresh', () => {
  const reuse = new BuildReuse();
  const random = () => 0.5;
  const first = build([WEB], { reuse, random });
  const selector = (s: RecordSnapshot) => s.names.get('web.cloud.example.org')!.a;
  expect(selector(build([WEB], { reuse, random }))).toBe(selector(first));
  expect(selector(build([WEB], { reuse, random: () => 0.5 }))).not.toBe(selector(first));
  const tagged = build([WEB], { reuse, random, localGeoTag: 'us' });
  expect(tagged.names.has('localtargets-web.cloud.example.org')).toBe(false);
});

test('a record that loses its host to another Gslb and gets it back serves its own targets again', () => {
  const reuse = new BuildReuse();
  const rival = gslb('shop/aaa', ['web.cloud.example.org'], ['203.0.113.9']);
  build([WEB], { reuse });
  const lost = buildSnapshot({
    zones: [ZONE],
    gslbs: [WEB, rival],
    serial: 1,
    generation: 2,
    reuse,
  });
  expect(lost.problems).toEqual([
    {
      gslb: 'shop/web',
      host: 'web.cloud.example.org',
      reason: 'host is already served by Gslb shop/aaa, which claimed it first',
      kind: 'host-conflict',
    },
  ]);
  expect(addresses(lost.snapshot, 'web.cloud.example.org')).toEqual(['203.0.113.9']);
  expect(addresses(build([WEB], { reuse }), 'web.cloud.example.org')).toHaveLength(3);
});

/** A reply with its answer records as a set: reused selectors keep their round-robin position. */
function comparable(reply: ReturnType<typeof ask>): unknown {
  const answers = reply.answers.map((a) => JSON.stringify(a)).sort();
  return { ...reply, answers };
}

test('whatever was built before, a table built with reuse answers like one built without', () => {
  const pool: GslbRecord[] = [
    WEB,
    API,
    sealRecord(
      gslb('shop/web2', ['web.cloud.example.org', 'www.cloud.example.org'], ['192.0.2.9']),
    ),
    sealRecord({
      id: 'shop/multi',
      hosts: ['multi.cloud.example.org'],
      strategy: 'failover',
      ttlSeconds: 60,
      primaryGeoTag: 'us',
      clusters: [cluster('eu', ['192.0.2.20', '2001:db8::20']), cluster('us', ['198.51.100.20'])],
    }),
  ];
  const names = [
    'web.cloud.example.org',
    'www.cloud.example.org',
    'api.cloud.example.org',
    'multi.cloud.example.org',
    'localtargets-web.cloud.example.org',
    'localtargets-multi.cloud.example.org',
  ];
  const subset = fc.subarray(pool.map((_, i) => i));
  fc.assert(
    fc.property(fc.array(subset, { minLength: 1, maxLength: 6 }), (builds) => {
      const reuse = new BuildReuse();
      for (const chosen of builds) {
        const gslbs = chosen.map((i) => pool[i]!);
        // The same record objects as earlier builds, so that prepared answers are reused.
        const reused = build(gslbs, { reuse });
        const plain = build(gslbs);
        for (const name of names)
          for (const type of ['A', 'AAAA'])
            expect(comparable(ask(reused, name, type))).toEqual(comparable(ask(plain, name, type)));
      }
    }),
    { numRuns: 40 },
  );
});

test('sealing freezes a record and what it holds; an unsealed record is prepared afresh each build', () => {
  expect(isSealed(WEB)).toBe(true);
  expect(Object.isFrozen(WEB.clusters[0]?.addresses)).toBe(true);
  expect(() => (WEB.hosts as string[]).push('x.cloud.example.org')).toThrow(TypeError);
  const loose = gslb('shop/loose', ['loose.cloud.example.org'], ['192.0.2.40', '192.0.2.41']);
  expect(isSealed(loose)).toBe(false);
  const reuse = new BuildReuse();
  const first = build([loose], { reuse });
  const second = build([loose], { reuse });
  expect(second.names.get('loose.cloud.example.org')?.a).not.toBe(
    first.names.get('loose.cloud.example.org')?.a,
  );
});

test('a new geo locator version prepares afresh: target datacenters are looked up again', () => {
  const reuse = new BuildReuse();
  const selector = (snapshot: RecordSnapshot): unknown =>
    snapshot.names.get('web.cloud.example.org')?.a;
  const first = build([WEB], { reuse, geoLocatorVersion: 1 });
  expect(selector(build([WEB], { reuse, geoLocatorVersion: 1 }))).toBe(selector(first));
  expect(selector(build([WEB], { reuse, geoLocatorVersion: 2 }))).not.toBe(selector(first));
});
