/**
 * Weighted roundRobin: each answer holds ONE cluster's targets, the cluster
 * drawn in proportion to its weight among the healthy clusters with targets
 * of the queried type. Draws come from an injected random source, so counts
 * are exact for a deterministic one and converge for a seeded one.
 */
import fc from 'fast-check';
import type { ClusterTargets, GslbRecord } from '../../../src/table/model';
import type { RecordSnapshot } from '../../../src/table/snapshot';
import type { Selection } from '../../../src/table/selector';
import {
  APP,
  cluster,
  evenlySpread,
  multiCluster,
  served,
  tableWith,
} from '../../helpers/table-fixtures';
import { seededRandom } from '../../../harness/random';

const EU = ['192.0.2.1', '192.0.2.2'];
const US = ['198.51.100.1'];
const AP = ['203.0.113.1', '203.0.113.2', '203.0.113.3'];
const CLUSTER_OF = new Map<string, string>([
  ...EU.map((a) => [a, 'eu'] as const),
  ...US.map((a) => [a, 'us'] as const),
  ...AP.map((a) => [a, 'ap'] as const),
]);

function weighted(
  clusters: ClusterTargets[],
  weights: Record<string, number>,
  random: () => number,
): RecordSnapshot {
  const record: GslbRecord = multiCluster('roundRobin', clusters, { weights });
  const { snapshot, problems } = tableWith([record], { random });
  expect(problems).toEqual([]);
  return snapshot;
}

/** The cluster an answer came from, failing the test if it mixes clusters. */
function clusterOf(addresses: readonly string[]): string {
  const clusters = new Set(addresses.map((a) => CLUSTER_OF.get(a) ?? `unknown ${a}`));
  expect(clusters.size).toBe(1);
  return [...clusters][0] ?? '';
}

/** Answers per cluster over `n` queries through the whole answer path. */
function countAnswers(snapshot: RecordSnapshot, n: number, type = 'A'): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const tag = clusterOf(served(snapshot, APP, type));
    counts[tag] = (counts[tag] ?? 0) + 1;
  }
  return counts;
}

/** The IPv4 address of the first record of a selection (pointer, type, class, TTL, length, data). */
function firstAddress(selection: Selection): string {
  return Array.from(selection.section.bytes.subarray(12, 16)).join('.');
}

describe('exact shares with an evenly spread random source', () => {
  test.each<[string, number, Record<string, number>, Record<string, number>]>([
    ['1 : 3', 1000, { eu: 1, us: 3 }, { eu: 250, us: 750 }],
    ['500 : 300 : 200', 1000, { eu: 500, us: 300, ap: 200 }, { eu: 500, us: 300, ap: 200 }],
    ['1000 : 1', 1001, { eu: 1000, us: 1 }, { eu: 1000, us: 1 }],
    ['equal weights', 300, { eu: 7, us: 7, ap: 7 }, { eu: 100, us: 100, ap: 100 }],
  ])('%s over %i queries', (_label, n, weights, expected) => {
    const snapshot = weighted(
      [cluster('eu', EU), cluster('us', US), cluster('ap', AP)].filter(
        (c) => weights[c.geoTag] !== undefined,
      ),
      weights,
      evenlySpread(n),
    );
    expect(countAnswers(snapshot, n)).toEqual(expected);
  });

  test('a draw picks cluster i for points in [sum of weights before i, sum up to i)', () => {
    // eu owns [0, 1) of the total 4, us owns [1, 4).
    const draws = [0, 0.2499999, 0.25, 0.9999999];
    let next = 0;
    const snapshot = weighted([cluster('eu', EU), cluster('us', US)], { eu: 1, us: 3 }, () => {
      const value = draws[next] ?? 0;
      next++;
      return value;
    });
    expect(draws.map(() => clusterOf(served(snapshot, APP)))).toEqual(['eu', 'eu', 'us', 'us']);
  });

  test("inside the drawn cluster the order rotates, so its targets share that cluster's traffic", () => {
    const snapshot = weighted(
      [cluster('eu', EU), cluster('us', US)],
      { eu: 1, us: 1 },
      evenlySpread(2),
    );
    const answers = Array.from({ length: 6 }, () => served(snapshot, APP));
    expect(answers).toEqual([
      ['192.0.2.1', '192.0.2.2'],
      ['198.51.100.1'],
      ['192.0.2.2', '192.0.2.1'],
      ['198.51.100.1'],
      ['192.0.2.1', '192.0.2.2'],
      ['198.51.100.1'],
    ]);
  });

  test('dashed geotags (us-east-1) are weighted like any other', () => {
    const snapshot = weighted(
      [cluster('eu-west-1', EU), cluster('us-east-1', US)],
      { 'eu-west-1': 1, 'us-east-1': 4 },
      evenlySpread(500),
    );
    expect(countAnswers(snapshot, 500)).toEqual({ eu: 100, us: 400 });
  });
});

describe('shares converge for any weights (seeded random source)', () => {
  test('property: each share stays within 6 standard deviations of weight / total', () => {
    const N = 4000;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        (seed, eu, us, ap) => {
          const weights = { eu, us, ap };
          const snapshot = weighted(
            [cluster('eu', EU), cluster('us', US), cluster('ap', AP)],
            weights,
            seededRandom(seed),
          );
          const selector = snapshot.names.get(APP)?.a;
          if (!selector) throw new Error('no A selector');
          const counts = { eu: 0, us: 0, ap: 0 };
          for (let i = 0; i < N; i++) {
            counts[CLUSTER_OF.get(firstAddress(selector.select(null))) as 'eu' | 'us' | 'ap']++;
          }
          const total = eu + us + ap;
          for (const tag of ['eu', 'us', 'ap'] as const) {
            const p = weights[tag] / total;
            const tolerance = 6 * Math.sqrt((p * (1 - p)) / N);
            expect(Math.abs(counts[tag] / N - p)).toBeLessThanOrEqual(tolerance);
          }
          // A zero weight never draws while another cluster is healthy.
          if (ap === 0) expect(counts.ap).toBe(0);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('zero and missing weights', () => {
  test.each<[string, ClusterTargets[], Record<string, number>, Record<string, number>]>([
    [
      'a zero-weight cluster serves nothing while a weighted one is healthy',
      [cluster('eu', EU), cluster('us', US)],
      { eu: 0, us: 5 },
      { us: 400 },
    ],
    [
      'a cluster without a weight entry counts as weight 0',
      [cluster('eu', EU), cluster('us', US), cluster('ap', AP)],
      { us: 5 },
      { us: 400 },
    ],
    [
      'every weighted cluster down: the zero-weight one serves',
      [cluster('eu', EU), cluster('us', US, false)],
      { eu: 0, us: 5 },
      { eu: 400 },
    ],
    [
      'an unhealthy weighted cluster is out of the draw, the others keep their ratio',
      [cluster('eu', EU), cluster('us', US, false), cluster('ap', AP)],
      { eu: 1, us: 50, ap: 3 },
      { eu: 100, ap: 300 },
    ],
  ])('%s', (_label, clusters, weights, expected) => {
    const snapshot = weighted(clusters, weights, evenlySpread(400));
    expect(countAnswers(snapshot, 400)).toEqual(expected);
  });

  test('only zero-weight and unlisted clusters healthy: all of them together, rotating', () => {
    const snapshot = weighted(
      [cluster('eu', ['192.0.2.1']), cluster('us', US, false), cluster('ap', ['203.0.113.1'])],
      { eu: 0, us: 5 },
      () => {
        throw new Error('no draw is needed');
      },
    );
    expect(Array.from({ length: 3 }, () => served(snapshot, APP))).toEqual([
      ['192.0.2.1', '203.0.113.1'],
      ['203.0.113.1', '192.0.2.1'],
      ['192.0.2.1', '203.0.113.1'],
    ]);
    expect(snapshot.recordCount).toBe(2);
  });

  test('an empty weight map is plain roundRobin over every cluster', () => {
    const snapshot = weighted([cluster('eu', ['192.0.2.1']), cluster('us', US)], {}, () => {
      throw new Error('no draw is needed');
    });
    expect(served(snapshot, APP)).toEqual(['192.0.2.1', '198.51.100.1']);
    expect(served(snapshot, APP)).toEqual(['198.51.100.1', '192.0.2.1']);
  });

  test('recordCount counts the weighted clusters only', () => {
    const snapshot = weighted(
      [cluster('eu', EU), cluster('us', US), cluster('ap', AP)],
      { eu: 1, us: 1 },
      evenlySpread(2),
    );
    expect(snapshot.recordCount).toBe(EU.length + US.length);
  });

  test('a weight a source failed to reject is reported and counted as 0', () => {
    const record = multiCluster('roundRobin', [cluster('eu', EU), cluster('us', US)], {
      weights: { eu: 2.5, us: 1, ap: 5000 },
    });
    const { snapshot, problems } = tableWith([record], { random: evenlySpread(10) });
    expect(problems.map((p) => p.reason)).toEqual([
      'weight of "eu" is 2.5, not an integer from 0 to 1000; counted as 0',
      'weight of "ap" is 5000, not an integer from 0 to 1000; counted as 0',
    ]);
    expect(countAnswers(snapshot, 10)).toEqual({ us: 10 });
  });
});

describe('A and AAAA', () => {
  test('each type draws among the clusters that have targets of that type', () => {
    const snapshot = weighted(
      [cluster('eu', [...EU]), cluster('us', [...US, '2001:db8:2::1'])],
      { eu: 3, us: 1 },
      evenlySpread(400),
    );
    const aaaa = Array.from({ length: 400 }, () => served(snapshot, APP, 'AAAA'));
    expect(new Set(aaaa.map((a) => a.join()))).toEqual(new Set(['2001:db8:2::1']));
    expect(countAnswers(snapshot, 400, 'A')).toEqual({ eu: 300, us: 100 });
  });
});

describe('the query path', () => {
  test('answers are precomputed: queries only ever return the prepared selections', () => {
    const snapshot = weighted(
      [cluster('eu', EU), cluster('us', US), cluster('ap', AP)],
      { eu: 1, us: 2, ap: 3 },
      seededRandom(7),
    );
    const selector = snapshot.names.get(APP)?.a;
    if (!selector) throw new Error('no A selector');
    const seen = new Set<Selection>();
    for (let i = 0; i < 1000; i++) seen.add(selector.select(null));
    // One selection per rotation of each cluster: 2 + 1 + 3.
    expect(seen.size).toBe(6);
  });

  test('hosts of one Gslb draw with the same weights but rotate on their own', () => {
    const record: GslbRecord = {
      ...multiCluster('roundRobin', [cluster('eu', EU)], { weights: { eu: 1 } }),
      hosts: ['a.cloud.example.org', 'b.cloud.example.org'],
    };
    const { snapshot } = tableWith([record], { random: seededRandom(1) });
    expect(served(snapshot, 'a.cloud.example.org')).toEqual(EU);
    expect(served(snapshot, 'a.cloud.example.org')).toEqual([...EU].reverse());
    expect(served(snapshot, 'b.cloud.example.org')).toEqual(EU);
  });
});
