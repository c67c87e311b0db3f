/**
 * roundRobin without weights across clusters: every healthy target of every
 * cluster, the order rotating per query, A and AAAA each on their own.
 */
import { APP, ask, cluster, multiCluster, served, tableWith } from '../../helpers/table-fixtures';

describe('roundRobin over several clusters', () => {
  test('every healthy target of every cluster, rotating by one per query', () => {
    const { snapshot } = tableWith([
      multiCluster('roundRobin', [
        cluster('eu', ['192.0.2.1', '192.0.2.2']),
        cluster('us', ['198.51.100.1']),
      ]),
    ]);
    const answers = Array.from({ length: 4 }, () => served(snapshot, APP));
    expect(answers).toEqual([
      ['192.0.2.1', '192.0.2.2', '198.51.100.1'],
      ['192.0.2.2', '198.51.100.1', '192.0.2.1'],
      ['198.51.100.1', '192.0.2.1', '192.0.2.2'],
      ['192.0.2.1', '192.0.2.2', '198.51.100.1'],
    ]);
  });

  test('AAAA rotates over every cluster too, with its own cursor', () => {
    const { snapshot } = tableWith([
      multiCluster('roundRobin', [
        cluster('eu', ['192.0.2.1', '2001:db8:1::1']),
        cluster('us', ['2001:db8:2::1', '198.51.100.1', '2001:db8:2::2']),
      ]),
    ]);
    const aaaa = Array.from({ length: 3 }, () => served(snapshot, APP, 'AAAA'));
    expect(aaaa).toEqual([
      ['2001:db8:1::1', '2001:db8:2::1', '2001:db8:2::2'],
      ['2001:db8:2::1', '2001:db8:2::2', '2001:db8:1::1'],
      ['2001:db8:2::2', '2001:db8:1::1', '2001:db8:2::1'],
    ]);
    // A has not moved while AAAA was asked.
    expect(served(snapshot, APP, 'A')).toEqual(['192.0.2.1', '198.51.100.1']);
    expect(served(snapshot, APP, 'A')).toEqual(['198.51.100.1', '192.0.2.1']);
    expect(snapshot.recordCount).toBe(5);
  });

  test('AAAA records of every cluster keep their 28-byte boundaries in every rotation', () => {
    const v6 = Array.from({ length: 7 }, (_, i) => `2001:db8:${(i % 3) + 1}::${i + 1}`);
    const { snapshot } = tableWith([
      multiCluster('roundRobin', [
        cluster('eu', v6.slice(0, 3)),
        cluster('us', v6.slice(3, 5)),
        cluster('ap', v6.slice(5)),
      ]),
    ]);
    for (let start = 0; start < v6.length; start++) {
      const reply = ask(snapshot, APP, 'AAAA');
      expect(reply.answers.map((r) => [r.type, 'data' in r ? r.data : ''])).toEqual(
        [...v6.slice(start), ...v6.slice(0, start)].map((a) => ['AAAA', a]),
      );
    }
  });

  test.each<[string, boolean, boolean, string[]]>([
    // k8gb's round-robin outcomes for two clusters
    // (docs/k8gb-compatibility.md#two-cluster-outcomes), any point of view.
    ['both healthy: both clusters', true, true, ['192.0.2.1', '198.51.100.1']],
    ['us down: eu only', true, false, ['192.0.2.1']],
    ['eu down: us only', false, true, ['198.51.100.1']],
  ])('%s', (_label, eu, us, expected) => {
    const { snapshot } = tableWith([
      multiCluster('roundRobin', [
        cluster('eu', ['192.0.2.1'], eu),
        cluster('us', ['198.51.100.1'], us),
      ]),
    ]);
    expect(served(snapshot, APP).sort()).toEqual(expected);
    expect(snapshot.recordCount).toBe(expected.length);
  });

  test('both down: NOERROR, no data, the zone SOA', () => {
    const { snapshot } = tableWith([
      multiCluster('roundRobin', [
        cluster('eu', ['192.0.2.1'], false),
        cluster('us', ['198.51.100.1'], false),
      ]),
    ]);
    const reply = ask(snapshot, APP, 'A');
    expect(reply.rcode).toBe('NOERROR');
    expect(reply.flags.aa).toBe(true);
    expect(reply.answers).toEqual([]);
    expect(reply.authorities.map((r) => `${r.name} ${r.type}`)).toEqual(['cloud.example.org SOA']);
    expect(snapshot.recordCount).toBe(0);
  });

  test('a target two clusters list is served once', () => {
    const { snapshot } = tableWith([
      multiCluster('roundRobin', [
        cluster('eu', ['192.0.2.1', '192.0.2.9']),
        cluster('us', ['192.0.2.9', '198.51.100.1']),
      ]),
    ]);
    expect(served(snapshot, APP)).toEqual(['192.0.2.1', '192.0.2.9', '198.51.100.1']);
  });

  test('a healthy cluster without targets takes no part', () => {
    const { snapshot } = tableWith([
      multiCluster('roundRobin', [cluster('eu', []), cluster('us', ['198.51.100.1'])]),
    ]);
    expect(served(snapshot, APP)).toEqual(['198.51.100.1']);
  });
});
