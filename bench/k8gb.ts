/**
 * System C: k8gb's own data plane. CoreDNS with k8gb's `k8s_crd` plugin answering from DNSEndpoints
 * (externaldns.k8s.io/v1alpha1) that it lists and watches on a real kube-apiserver + etcd, the
 * objects written here exactly as k8gb's controller writes them for a healthy Gslb
 * (docs/k8gb-compatibility.md#dnsendpoint-records).
 *
 * The binary is not built by this repository: the bench runs system C only
 * when MERIDIAN_K8GB_COREDNS_BIN names a CoreDNS build with `k8s_crd`
 * registered (k8gb's plugin, in the `kubernetes` plugin's place in the
 * directive order).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { applyManifests, waitForCrds } from '../harness/gateway-api';
import { startKubeCluster, type KubeCluster } from '../harness/kube-cluster';
import { pool } from '../harness/pool';
import { REPO_ROOT } from '../harness/processes';
import type { Cleanup } from './cleanup';
import { childPid } from './proc';
import { TTL_SECONDS, WEIGHTS, type Host, type Workload } from './workload';

/** The environment variable naming the k8gb CoreDNS binary. */
export const K8GB_COREDNS_ENV = 'MERIDIAN_K8GB_COREDNS_BIN';

export const DNSENDPOINT_CRD = join(
  REPO_ROOT,
  'test',
  'fixtures',
  'external-dns',
  'dnsendpoint-crd.yaml',
);

/** The namespace of the Gslbs, and so of the DNSEndpoints k8gb derives from them. */
export const NAMESPACE = 'test';
/** What k8gb labels (and annotates) its local DNSEndpoints with; the chart's filter selects on it. */
const DNS_TYPE_LABELS = { 'k8gb.io/dnstype': 'local', 'k8gb.absa.oss/dnstype': 'local' };
/** POSTs in flight while creating the DNSEndpoints (bench/control-plane.ts uses as many). */
const CREATE_CONCURRENCY = 32;
const CREATE_ATTEMPTS = 5;

/** Checks `path` is an executable file; throws a message saying what to set otherwise. */
export function checkK8gbBinary(path: string): string {
  if (!existsSync(path) || !statSync(path).isFile() || (statSync(path).mode & 0o111) === 0)
    throw new Error(`${K8GB_COREDNS_ENV}=${path}: not an executable file`);
  return path;
}

/**
 * The server-block lines of system C: the `k8s_crd` block of k8gb's chart
 * (filter on the local DNSEndpoints, negative TTL 30, weighted round robin
 * on), plus `kubecontroller local`, which makes the plugin read KUBECONFIG
 * instead of the in-cluster service account.
 */
export const K8S_CRD_BLOCK: readonly string[] = [
  'k8s_crd {',
  '  filter k8gb.io/dnstype=local',
  '  negttl 30',
  '  loadbalance weight',
  '  kubecontroller local',
  '}',
];

/** One endpoint of a DNSEndpoint's spec. */
interface Endpoint {
  readonly dnsName: string;
  readonly recordTTL: number;
  readonly recordType: 'A';
  readonly targets: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * The DNSEndpoint k8gb's controller keeps for a healthy roundRobin Gslb
 * named after `host`: `localtargets-<host>` with this cluster's targets (what
 * peers poll), and `<host>` with every cluster's, labelled with the strategy
 * and, for weighted round robin, `weight-<geotag>-<index>-<weight>: <ip>`
 * per target. No ownerReference: the Gslb CRD is not installed here, and the
 * plugin does not read it.
 */
export function dnsEndpointFor(host: Host, workload: Workload): object {
  const local = host.clusters[0];
  if (local === undefined) throw new Error(`${host.name} has no targets`);
  const labels: Record<string, string> = { strategy: 'roundRobin' };
  if (workload.strategy === 'weighted') {
    for (const cluster of host.clusters) {
      const weight = WEIGHTS[cluster.geoTag];
      if (weight === undefined) continue;
      cluster.addresses.forEach((address, index) => {
        labels[`weight-${cluster.geoTag}-${index}-${weight}`] = address;
      });
    }
  }
  const endpoints: Endpoint[] = [
    {
      dnsName: `localtargets-${host.name}`,
      recordTTL: TTL_SECONDS,
      recordType: 'A',
      targets: local.addresses,
    },
    {
      dnsName: host.name,
      recordTTL: TTL_SECONDS,
      recordType: 'A',
      targets: host.addresses,
      labels,
    },
  ];
  return {
    apiVersion: 'externaldns.k8s.io/v1alpha1',
    kind: 'DNSEndpoint',
    metadata: {
      name: host.label,
      namespace: NAMESPACE,
      labels: DNS_TYPE_LABELS,
      annotations: DNS_TYPE_LABELS,
    },
    spec: { endpoints },
  };
}

/** The control plane system C reads from, with what its set-up took. */
export interface K8gbControlPlane {
  readonly cluster: KubeCluster;
  readonly apiserverPid: number;
  readonly etcdPid: number;
  /** Milliseconds to create every DNSEndpoint. */
  readonly createdMs: number;
}

/**
 * Starts kube-apiserver and etcd, installs the DNSEndpoint CRD and creates
 * one DNSEndpoint per host in NAMESPACE, CREATE_CONCURRENCY at a time.
 */
export async function startK8gbControlPlane(
  workload: Workload,
  cleanup: Cleanup,
  progress: (message: string) => void,
): Promise<K8gbControlPlane> {
  const cluster = await startKubeCluster();
  cleanup.defer('stop kube-apiserver and etcd', () => cluster.stop());
  await applyManifests(cluster, [DNSENDPOINT_CRD]);
  await waitForCrds(cluster, ['dnsendpoints.externaldns.k8s.io']);
  await postOrFail(cluster, '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NAMESPACE },
  });
  const path = `/apis/externaldns.k8s.io/v1alpha1/namespaces/${NAMESPACE}/dnsendpoints`;
  const started = performance.now();
  await pool(workload.hosts.length, CREATE_CONCURRENCY, (i) =>
    postOrFail(cluster, path, dnsEndpointFor(workload.hosts[i] as Host, workload)),
  );
  const createdMs = performance.now() - started;
  progress(
    `${workload.hosts.length} DNSEndpoints created in ${(createdMs / 1000).toFixed(1)} s ` +
      `(${CREATE_CONCURRENCY} in flight)`,
  );
  const port = new URL(cluster.server).port;
  const apiserverPid = childPid('kube-apiserver', `--secure-port=${port}`);
  const etcdPid = childPid('etcd', `--listen-client-urls=${cluster.etcdUrl}`);
  return { cluster, apiserverPid, etcdPid, createdMs };
}

/** POSTs `body`; retries overload and server errors, fails on anything else. */
async function postOrFail(cluster: KubeCluster, path: string, body: unknown): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    try {
      const reply = await cluster.request('POST', path, body);
      // A 409 after a retry: an earlier attempt landed after all.
      if (reply.status === 201 || (reply.status === 409 && attempt > 1)) return;
      reason = `HTTP ${reply.status}: ${reply.text.slice(0, 300)}`;
      if (reply.status !== 429 && reply.status < 500) throw new Error(`POST ${path}: ${reason}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('POST ')) throw err;
      reason = String(err);
    }
    if (attempt >= CREATE_ATTEMPTS)
      throw new Error(`POST ${path}: ${reason} (${attempt} attempts)`);
    await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
  }
}
