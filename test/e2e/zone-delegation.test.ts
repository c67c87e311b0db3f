/**
 * ZoneDelegations written by Meridian, end to end: two clusters (each its
 * own kube-apiserver + etcd and Meridian in Kubernetes mode, authenticated as
 * its service account) and a real BIND 9 holding the parent zone, which takes
 * RFC 2136 updates signed with one TSIG key and is both clusters' edge DNS.
 * Each cluster bootstraps its ZoneDelegation from DNS_ZONES and writes its NS
 * record and glue: eu's from MERIDIAN_DELEGATION_GLUE (IPv4 and IPv6), us's
 * from its DNS Service's load-balancer status. Shown here: BIND serves both
 * clusters' NS and glue (AAAA included); each status lists both clusters, as
 * k8gb fills it, with a Delegated condition and an Event; a glue record
 * deleted behind Meridian's back is put back; a wrong key is refused by BIND
 * and said in the status; deleting one cluster's ZoneDelegation (doFinalize)
 * removes that cluster's records only.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../harness/eventually';
import {
  create,
  expectOk,
  patch,
  read,
  setLoadBalancer,
  startKubeMeridian,
  ZONE,
  type KubeMeridian,
} from '../../harness/kube-meridian';
import { MERIDIAN_NAMESPACE } from '../../harness/service-account';
import { startUpdatableBind, type UpdatableBind } from '../helpers/bind-updates';

const PARENT = 'example.org';
const ZD_NAME = 'cloud-example-org';
const EU_NS = `gslb-ns-eu-cloud.${PARENT}`;
const US_NS = `gslb-ns-us-cloud.${PARENT}`;
const EU_GLUE = ['192.0.2.53', '2001:db8::53'];
const US_GLUE = '198.51.100.54';
const WAIT_MS = 20_000;

interface ZoneDelegationSeen {
  metadata: { finalizers?: string[]; uid: string };
  spec: {
    doFinalize?: boolean;
    loadBalancedZone: string;
    parentZone: string;
    dnsZoneNegTTL: number;
  };
  status?: {
    dnsServers?: { name: string; address: string }[];
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

let edge: UpdatableBind;
let dir: string;
let eu: KubeMeridian;
let us: KubeMeridian;

function writeKey(name: string, secret: Buffer): string {
  const path = join(dir, `${name}.key`);
  writeFileSync(
    path,
    `key "${edge.key.name}" {\n\talgorithm hmac-sha256;\n\tsecret "${secret.toString('base64')}";\n};\n`,
  );
  return path;
}

function delegating(geoTag: string, keyFile: string): Record<string, string> {
  return {
    CLUSTER_GEO_TAG: geoTag,
    EXT_GSLB_CLUSTERS_GEO_TAGS: 'eu,us',
    EDGE_DNS_SERVERS: edge.bind.server,
    MERIDIAN_PEER_STARTUP_SECONDS: '1',
    MERIDIAN_DELEGATION: 'rfc2136',
    MERIDIAN_DELEGATION_SERVER: edge.bind.server,
    MERIDIAN_DELEGATION_TSIG_KEY_FILE: keyFile,
    MERIDIAN_DELEGATION_INTERVAL_SECONDS: '1',
  };
}

const zoneDelegation = (env: KubeMeridian) =>
  read<ZoneDelegationSeen>(env.cluster, 'ZoneDelegation', '', ZD_NAME);

const delegated = (zd: ZoneDelegationSeen | null) =>
  zd?.status?.conditions?.find((c) => c.type === 'Delegated');

beforeAll(async () => {
  edge = await startUpdatableBind(PARENT, ZONE);
  dir = mkdtempSync(join(tmpdir(), 'meridian-zone-delegation-'));
  const key = writeKey('good', edge.key.secret);
  eu = await startKubeMeridian({
    meridianEnv: { ...delegating('eu', key), MERIDIAN_DELEGATION_GLUE: EU_GLUE.join(',') },
  });
  us = await startKubeMeridian({
    meridianEnv: {
      ...delegating('us', writeKey('us', edge.key.secret)),
      MERIDIAN_DNS_SERVICE: 'dns',
    },
  });
  await create(us.cluster, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'dns', namespace: MERIDIAN_NAMESPACE },
    spec: { type: 'LoadBalancer', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] },
  } as never);
  await setLoadBalancer(us.cluster, 'Service', MERIDIAN_NAMESPACE, 'dns', [{ ip: US_GLUE }]);
}, 180_000);

afterAll(async () => {
  await us?.stop();
  await eu?.stop();
  await edge?.bind.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

test('both clusters bootstrap their ZoneDelegation and write their NS and glue, IPv6 glue included', async () => {
  await eventually(
    () => edge.records(ZONE, 'NS'),
    (ns) => ns.length === 2,
    WAIT_MS,
  );
  expect(await edge.records(ZONE, 'NS')).toEqual([`${EU_NS}.`, `${US_NS}.`]);
  expect(await edge.records(EU_NS, 'A')).toEqual(['192.0.2.53']);
  expect(await edge.records(EU_NS, 'AAAA')).toEqual(['2001:db8::53']);
  expect(await edge.records(US_NS, 'A')).toEqual([US_GLUE]);

  for (const env of [eu, us]) {
    // Each status lists both clusters once the peer's glue resolves at the edge (k8gb's order).
    const zd = await eventually(
      () => zoneDelegation(env),
      (z) => (z?.status?.dnsServers?.length ?? 0) === 3 && delegated(z)?.status === 'True',
      WAIT_MS,
    );
    expect(zd!.spec).toEqual({
      loadBalancedZone: ZONE,
      parentZone: PARENT,
      dnsZoneNegTTL: 30,
      doFinalize: false,
    });
    expect(zd!.metadata.finalizers).toEqual(['k8gb.io/finalizer']);
    expect(zd!.status!.dnsServers).toEqual([
      { name: EU_NS, address: '192.0.2.53' },
      { name: EU_NS, address: '2001:db8::53' },
      { name: US_NS, address: US_GLUE },
    ]);
    expect(delegated(zd)).toMatchObject({ reason: 'Written' });
    const events = expectOk(await env.cluster.request('GET', '/api/v1/namespaces/default/events'));
    const about = (
      events.json as { items: { involvedObject: { uid: string }; reason: string }[] }
    ).items
      .filter((e) => e.involvedObject.uid === zd!.metadata.uid)
      .map((e) => e.reason);
    expect(about).toContain('DelegationWritten');
  }
}, 60_000);

test('a glue record deleted behind Meridian’s back is put back', async () => {
  expect(await edge.update([{ op: 'delete-rrset', name: US_NS, type: 'A' }])).toEqual({ ok: true });
  expect(await edge.records(US_NS, 'A')).toEqual([]);
  await eventually(
    () => edge.records(US_NS, 'A'),
    (a) => a.length === 1,
    WAIT_MS,
  );
  expect(await edge.records(US_NS, 'A')).toEqual([US_GLUE]);
}, 30_000);

test('a wrong key is refused by BIND and said in the status; the right one writes again', async () => {
  const keyFile = us.meridianEnv['MERIDIAN_DELEGATION_TSIG_KEY_FILE']!;
  await us.meridian.stop();
  writeKey('us', randomBytes(32));
  await us.restartMeridian();
  await edge.update([{ op: 'delete-rrset', name: US_NS, type: 'A' }]);
  const refused = await eventually(
    () => zoneDelegation(us),
    (z) => delegated(z)?.status === 'False',
    WAIT_MS,
  );
  expect(delegated(refused)).toMatchObject({ reason: 'UpdateRefused' });
  expect(delegated(refused)!.message).toMatch(/NOTAUTH|BADSIG|BADKEY/);
  expect(await edge.records(US_NS, 'A')).toEqual([]);

  await us.meridian.stop();
  writeKey('us', edge.key.secret);
  expect(us.meridianEnv['MERIDIAN_DELEGATION_TSIG_KEY_FILE']).toBe(keyFile);
  await us.restartMeridian();
  await eventually(
    () => zoneDelegation(us),
    (z) => delegated(z)?.status === 'True',
    WAIT_MS,
  );
  expect(await edge.records(US_NS, 'A')).toEqual([US_GLUE]);
}, 90_000);

test("deleting one cluster's ZoneDelegation removes that cluster's records only", async () => {
  await patch(eu.cluster, 'ZoneDelegation', '', ZD_NAME, { spec: { doFinalize: true } });
  expectOk(await eu.cluster.request('DELETE', `/apis/k8gb.io/v1beta1/zonedelegations/${ZD_NAME}`));
  await eventually(
    () => zoneDelegation(eu),
    (z) => z === null,
    WAIT_MS,
  );
  expect(await edge.records(ZONE, 'NS')).toEqual([`${US_NS}.`]);
  expect(await edge.records(EU_NS, 'A')).toEqual([]);
  expect(await edge.records(EU_NS, 'AAAA')).toEqual([]);
  expect(await edge.records(US_NS, 'A')).toEqual([US_GLUE]);
  // us keeps its delegation and, now that eu's glue is gone from the edge, lists itself only.
  const zd = await eventually(
    () => zoneDelegation(us),
    (z) => z?.status?.dnsServers?.length === 1,
    WAIT_MS,
  );
  expect(zd!.status!.dnsServers).toEqual([{ name: US_NS, address: US_GLUE }]);
}, 60_000);
