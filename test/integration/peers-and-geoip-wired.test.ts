/**
 * The composition root wires peers and the geoip database into the table:
 * two Meridians in one process, each with its own plain DNS listener, poll
 * each other (MERIDIAN_PEERS) for `localtargets-<host>` and serve both
 * clusters' targets; a peer that stops publishing drops out; a geoip Gslb
 * answers from the client's datacenter per a MaxMind database read through
 * MERIDIAN_GEOIP_DATABASE, and a replaced database is picked up without a
 * restart; a Meridian whose peer is far away answers nothing until it has
 * polled it, then what the peer serves from its first answer on. The
 * three-cluster behaviour through CoreDNS is in test/e2e/multi-cluster.test.ts.
 */
import { waitFor } from '../../harness/eventually';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, type Harness } from '../helpers/app-harness';
import { gslbYaml } from '../../harness/gslb-yaml';
import { startDelayRelay } from '../helpers/delay-relay';
import { createDnsClient } from '../helpers/grpc-client';
import { addressesOf, decodeReply, query } from '../../harness/dns-case';
import { writeGeoDatabase } from '../helpers/geo-database';
import { served } from '../helpers/table-fixtures';

const HOST = 'app.cloud.example.org';
const EU_TARGET = '192.0.2.1';
const US_TARGET = '198.51.100.1';
const PEER_ENV = {
  MERIDIAN_DNS_LISTEN: '127.0.0.1:0',
  MERIDIAN_PEER_POLL_INTERVAL_SECONDS: '0.5',
  MERIDIAN_PEER_QUERY_TIMEOUT_MS: '200',
  MERIDIAN_PEER_DOWN_AFTER: '2',
  MERIDIAN_PEER_UP_AFTER: '1',
};

let us: Harness;
let eu: Harness;
let geoDir: string;

function answer(harness: Harness, clientSubnet?: string): string[] {
  const snapshot = harness.app.table.current();
  if (snapshot === null) return [];
  const options = clientSubnet === undefined ? {} : { edns: { clientSubnet } };
  return served(snapshot, HOST, 'A', options).sort();
}

beforeAll(async () => {
  geoDir = mkdtempSync(join(tmpdir(), 'meridian-geo-'));
  writeGeoDatabase(join(geoDir, 'geo.mmdb'), [
    { network: '10.1.0.0/16', datacenter: 'eu' },
    { network: '10.2.0.0/16', datacenter: 'us' },
    { network: `${EU_TARGET}/32`, datacenter: 'eu' },
    { network: `${US_TARGET}/32`, datacenter: 'us' },
  ]);
  us = await startHarness(
    { 'app.yaml': gslbYaml('app', HOST, [US_TARGET]) },
    { ...PEER_ENV, CLUSTER_GEO_TAG: 'us' },
  );
  eu = await startHarness(
    { 'app.yaml': gslbYaml('app', HOST, [EU_TARGET]) },
    {
      ...PEER_ENV,
      CLUSTER_GEO_TAG: 'eu',
      MERIDIAN_PEERS: `us=127.0.0.1:${us.app.dnsPorts?.udp}`,
      MERIDIAN_GEOIP_DATABASE: join(geoDir, 'geo.mmdb'),
    },
  );
}, 60_000);

afterAll(async () => {
  await eu?.stop();
  await us?.stop();
  rmSync(geoDir, { recursive: true, force: true });
});

test("a peer's local targets are served beside this cluster's, and drop out when it stops publishing them", async () => {
  await waitFor(() => answer(eu).length === 2, 5_000, "the peer's target");
  expect(answer(eu)).toEqual([EU_TARGET, US_TARGET]);
  // us does not poll eu: it serves only its own.
  expect(answer(us)).toEqual([US_TARGET]);

  us.writeManifest('app.yaml', gslbYaml('app', 'other.cloud.example.org', [US_TARGET]));
  await waitFor(() => answer(eu).length === 1, 5_000, "the peer's target to go");
  expect(answer(eu)).toEqual([EU_TARGET]);
  us.writeManifest('app.yaml', gslbYaml('app', HOST, [US_TARGET]));
  await waitFor(() => answer(eu).length === 2, 5_000, "the peer's target back");
}, 30_000);

test("geoip answers the client's datacenter from the configured database, and follows a replaced one", async () => {
  eu.writeManifest(
    'app.yaml',
    gslbYaml('app', HOST, [EU_TARGET]).replace('type: roundRobin', 'type: geoip'),
  );
  await waitFor(() => answer(eu, '10.2.3.0/24').length === 1, 5_000, 'geoip answers');
  expect(answer(eu, '10.2.3.0/24')).toEqual([US_TARGET]);
  expect(answer(eu, '10.1.3.0/24')).toEqual([EU_TARGET]);
  expect(answer(eu, '203.0.113.0/24')).toEqual([EU_TARGET, US_TARGET]);
  expect(answer(eu)).toEqual([EU_TARGET, US_TARGET]);

  // The sites swap: the targets' datacenters are looked up again in a new table.
  writeGeoDatabase(join(geoDir, 'geo.mmdb'), [
    { network: '10.1.0.0/16', datacenter: 'us' },
    { network: '10.2.0.0/16', datacenter: 'eu' },
    { network: `${EU_TARGET}/32`, datacenter: 'eu' },
    { network: `${US_TARGET}/32`, datacenter: 'us' },
  ]);
  await waitFor(
    () => answer(eu, '10.2.3.0/24').join() === EU_TARGET,
    10_000,
    'the replaced database',
  );
  expect(answer(eu, '10.1.3.0/24')).toEqual([US_TARGET]);
}, 30_000);

test('an unreadable geoip database stops the start with MERIDIAN_ERR_GEOIP', async () => {
  await expect(
    startHarness(
      { 'app.yaml': gslbYaml('app', HOST, [EU_TARGET]) },
      { MERIDIAN_GEOIP_DATABASE: join(geoDir, 'missing.mmdb') },
    ),
  ).rejects.toMatchObject({ code: 'MERIDIAN_ERR_GEOIP' });
});

test('behind a 300 ms peer link, the first answer a starting Meridian gives already follows the peer', async () => {
  const relay = await startDelayRelay({ host: '127.0.0.1', port: us.app.dnsPorts?.udp ?? 0 }, 300);
  const failover = gslbYaml('app', HOST, ['203.0.113.1'], '    primaryGeoTag: us').replace(
    'type: roundRobin',
    'type: failover',
  );
  const started = performance.now();
  const ap = await startHarness(
    { 'app.yaml': failover },
    {
      ...PEER_ENV,
      MERIDIAN_PEER_POLL_INTERVAL_SECONDS: '2',
      MERIDIAN_PEER_QUERY_TIMEOUT_MS: '1500',
      CLUSTER_GEO_TAG: 'ap',
      MERIDIAN_PEERS: `us=127.0.0.1:${relay.port}`,
    },
  );
  try {
    // A poll across the link takes a round trip of 600 ms: start() waited for it.
    expect(performance.now() - started).toBeGreaterThanOrEqual(550);
    expect(relay.forwarded()).toBeGreaterThan(0);
    const client = createDnsClient(ap.grpcAddress);
    try {
      const result = await client.query(query(HOST, 'A'));
      if (!result.ok) throw new Error(`gRPC ${result.code}: ${result.details}`);
      expect(addressesOf(decodeReply(result.msg).answers)).toEqual([US_TARGET]);
    } finally {
      client.close();
    }
  } finally {
    await ap.stop();
    await relay.close();
  }
}, 30_000);
