/**
 * The external-dns delegation provider end to end: Meridian in Kubernetes
 * mode (MERIDIAN_DELEGATION=external-dns, on a real kube-apiserver + etcd)
 * writes the delegation DNSEndpoint of its zone; a real external-dns
 * (scripts/build-external-dns.sh), run with the settings k8gb's chart gives
 * it (`--source=crd`, its label filter, managed types A/CNAME/NS, policy
 * sync, TXT owner and prefix per cluster) and its rfc2136 provider, publishes
 * it into a real BIND 9 that takes updates signed with a TSIG key. Shown
 * here: the DNSEndpoint is the one k8gb writes for that zone, field for
 * field; BIND serves the NS record and the glue; deleting the ZoneDelegation
 * of the last cluster (doFinalize) deletes the DNSEndpoint, and external-dns
 * removes the records.
 */
import { dirname, join } from 'node:path';
import { eventually } from '../../harness/eventually';
import { applyManifests, waitForCrds } from '../../harness/gateway-api';
import {
  expectOk,
  patch,
  read,
  startKubeMeridian,
  ZONE,
  type KubeMeridian,
} from '../../harness/kube-meridian';
import { externalDnsBinary, startChild, type Child } from '../../harness/processes';
import { MERIDIAN_NAMESPACE } from '../../harness/service-account';
import { startUpdatableBind, type UpdatableBind } from '../helpers/bind-updates';

const PARENT = 'example.org';
const EU_NS = `gslb-ns-eu-cloud.${PARENT}`;
const GLUE = ['192.0.2.61', '192.0.2.60'];
const ENDPOINT_NAME = 'k8gb-ns-extdns-cloud-example-org';
const WAIT_MS = 30_000;

/**
 * What k8gb's controller writes for this zone, from its format: the name and
 * namespace, exactly its two labels and no annotation, the zone's NS record
 * naming the clusters' name servers (sorted), then this cluster's glue A in
 * the order its addresses were found, each with NS_RECORD_TTL.
 */
const K8GB_DNS_ENDPOINT = {
  apiVersion: 'externaldns.k8s.io/v1alpha1',
  kind: 'DNSEndpoint',
  metadata: {
    name: ENDPOINT_NAME,
    namespace: MERIDIAN_NAMESPACE,
    labels: { 'k8gb.io/dnstype': 'extdns', 'k8gb.absa.oss/dnstype': 'extdns' },
  },
  spec: {
    endpoints: [
      { dnsName: ZONE, recordType: 'NS', recordTTL: 30, targets: [EU_NS] },
      { dnsName: EU_NS, recordType: 'A', recordTTL: 30, targets: GLUE },
    ],
  },
};

interface DnsEndpointSeen {
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: unknown[];
  };
  spec: unknown;
}

let edge: UpdatableBind;
let eu: KubeMeridian;
let externalDns: Child;

beforeAll(async () => {
  const binary = externalDnsBinary();
  edge = await startUpdatableBind(PARENT, ZONE);
  eu = await startKubeMeridian({
    meridianEnv: {
      CLUSTER_GEO_TAG: 'eu',
      EXT_GSLB_CLUSTERS_GEO_TAGS: 'eu',
      EDGE_DNS_SERVERS: edge.bind.server,
      // k8gb's own switch for this provider.
      EXTDNS_ENABLED: 'true',
      MERIDIAN_DELEGATION_GLUE: GLUE.join(','),
      MERIDIAN_DELEGATION_INTERVAL_SECONDS: '1',
    },
  });
  await applyManifests(eu.cluster, [join(dirname(binary), 'dnsendpoints.externaldns.k8s.io.yaml')]);
  await waitForCrds(eu.cluster, ['dnsendpoints.externaldns.k8s.io']);
  externalDns = startChild(binary, [
    `--kubeconfig=${eu.cluster.kubeconfigPath}`,
    '--source=crd',
    '--crd-source-apiversion=externaldns.k8s.io/v1alpha1',
    '--crd-source-kind=DNSEndpoint',
    '--label-filter=k8gb.io/dnstype=extdns',
    '--managed-record-types=A',
    '--managed-record-types=CNAME',
    '--managed-record-types=NS',
    '--policy=sync',
    '--registry=txt',
    '--txt-owner-id=k8gb-eu',
    '--txt-prefix=k8gb-eu-',
    `--domain-filter=${PARENT}`,
    '--interval=1s',
    '--log-level=debug',
    '--provider=rfc2136',
    `--rfc2136-host=${edge.bind.address}`,
    `--rfc2136-port=${edge.bind.port}`,
    `--rfc2136-zone=${PARENT}`,
    `--rfc2136-tsig-keyname=${edge.key.name}`,
    `--rfc2136-tsig-secret=${edge.key.secret.toString('base64')}`,
    '--rfc2136-tsig-secret-alg=hmac-sha256',
    '--rfc2136-tsig-axfr',
  ]);
}, 180_000);

afterAll(async () => {
  await externalDns?.stop('SIGTERM', 5_000);
  await eu?.stop();
  await edge?.bind.stop();
}, 60_000);

const dnsEndpoint = () =>
  read<DnsEndpointSeen>(eu.cluster, 'DNSEndpoint', MERIDIAN_NAMESPACE, ENDPOINT_NAME);

test("Meridian's delegation DNSEndpoint is k8gb's, and external-dns publishes it into BIND", async () => {
  const found = await eventually(dnsEndpoint, (e) => e !== null, WAIT_MS);
  const { name, namespace, labels, annotations, ownerReferences } = found!.metadata;
  expect({
    apiVersion: K8GB_DNS_ENDPOINT.apiVersion,
    kind: K8GB_DNS_ENDPOINT.kind,
    metadata: { name, namespace, labels },
    spec: found!.spec,
  }).toEqual(K8GB_DNS_ENDPOINT);
  expect(annotations).toBeUndefined();
  expect(ownerReferences).toBeUndefined();

  const published = await eventually(
    () => edge.records(ZONE, 'NS'),
    (ns) => ns.length > 0,
    WAIT_MS,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\nexternal-dns:\n${externalDns.output().slice(-4_000)}`);
  });
  expect(published).toEqual([`${EU_NS}.`]);
  await eventually(
    () => edge.records(EU_NS, 'A'),
    (a) => a.length === 2,
    WAIT_MS,
  );
  expect(await edge.records(EU_NS, 'A')).toEqual([...GLUE].sort());
}, 90_000);

test('the last cluster’s deletion deletes the DNSEndpoint, and external-dns removes the delegation', async () => {
  const zd = `/apis/k8gb.io/v1beta1/zonedelegations/cloud-example-org`;
  await patch(eu.cluster, 'ZoneDelegation', '', 'cloud-example-org', {
    spec: { doFinalize: true },
  });
  expectOk(await eu.cluster.request('DELETE', zd));
  await eventually(dnsEndpoint, (e) => e === null, WAIT_MS);
  await eventually(
    () => eu.cluster.request('GET', zd),
    (r) => r.status === 404,
    WAIT_MS,
  );
  await eventually(
    () => edge.records(ZONE, 'NS'),
    (ns) => ns.length === 0,
    WAIT_MS,
  );
  await eventually(
    () => edge.records(EU_NS, 'A'),
    (a) => a.length === 0,
    WAIT_MS,
  );
}, 60_000);
