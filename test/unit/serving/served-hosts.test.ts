/**
 * What the table answers for a host with its clusters: the clusters holding
 * a served address, once each; the same object for the same list.
 */
import { ServedHosts } from '../../../src/serving/served-hosts';
import type { GslbRecord } from '../../../src/table/model';

const record: GslbRecord = {
  id: 'shop/web',
  hosts: ['web.cloud.example.org'],
  strategy: 'roundRobin',
  ttlSeconds: 30,
  clusters: [
    { geoTag: 'eu', addresses: ['192.0.2.1', '2001:db8::1'] },
    { geoTag: 'us', addresses: ['198.51.100.1'] },
    { geoTag: 'ap', addresses: ['203.0.113.1'], healthy: false },
  ],
};

test('the clusters holding a served address, in record order, each once', () => {
  const hosts = new ServedHosts();
  const served = ['192.0.2.1', '2001:db8::1', '198.51.100.1'];
  expect(hosts.of(served, record)).toEqual({ addresses: served, clusters: ['eu', 'us'] });
});

test('the same list is the same object; another list with the same addresses is another', () => {
  const hosts = new ServedHosts();
  const served = ['198.51.100.1'];
  expect(hosts.of(served, record)).toBe(hosts.of(served, record));
  expect(hosts.of(['198.51.100.1'], record)).not.toBe(hosts.of(served, record));
});

test('a record no longer known names no cluster', () => {
  expect(new ServedHosts().of(['192.0.2.9'], undefined).clusters).toEqual([]);
});

test("a record's probe failures are told, and a new object when they change though the list does not", () => {
  const hosts = new ServedHosts();
  const list = ['198.51.100.1'];
  const failing = (failures: string[]) => ({
    id: 'shop/web',
    hosts: ['app.cloud.example.org'],
    strategy: 'failover' as const,
    ttlSeconds: 30,
    primaryGeoTag: 'us',
    clusters: [
      { geoTag: 'eu', addresses: ['192.0.2.1'], healthy: false, probeFailures: failures },
      { geoTag: 'us', addresses: list },
    ],
  });
  const first = hosts.of(list, failing(['192.0.2.1:80 timeout']));
  expect(first.probeFailures).toEqual(['192.0.2.1:80 timeout']);
  expect(hosts.of(list, failing(['192.0.2.1:80 timeout']))).toBe(first);
  const second = hosts.of(list, failing([]));
  expect(second).not.toBe(first);
  expect(second.probeFailures).toBeUndefined();
});
