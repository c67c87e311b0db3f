/**
 * The test control plane (harness/kube-cluster.ts) against itself: a real
 * kube-apiserver stores core and discovery.k8s.io objects in a real etcd, keeps
 * them across an apiserver restart, and two clusters run side by side without
 * sharing anything. Later Kubernetes-source tests rely on each of these.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKubeCluster, type KubeCluster, type KubeReply } from '../../harness/kube-cluster';

const run = promisify(execFile);
// Fresh per run: a namespace cannot be reused once deleted (nothing finalizes it).
const NS = `meridian-kube-${Date.now().toString(36)}`;
const VIEWER_TOKEN = 'viewer-token-0123456789';

let first: KubeCluster;
let second: KubeCluster | undefined;

/** Fails with the apiserver's answer, which says why, instead of just the status. */
function expectStatus(reply: KubeReply, status: number): void {
  if (reply.status !== status)
    throw new Error(`expected HTTP ${status}, got ${reply.status}: ${reply.text}`);
}

/** The fields the tests compare, from a parsed object. */
function meta(reply: KubeReply): { name: string; uid: string; resourceVersion: string } {
  return (reply.json as { metadata: { name: string; uid: string; resourceVersion: string } })
    .metadata;
}

beforeAll(async () => {
  first = await startKubeCluster();
}, 180_000);

afterAll(async () => {
  await second?.stop();
  await first?.stop();
}, 60_000);

test('serves the version it was built as, and kubectl reads the kubeconfig', async () => {
  const version = await first.request('GET', '/version');
  expectStatus(version, 200);
  expect((version.json as { gitVersion: string }).gitVersion).toMatch(/^v1\.36\.\d+$/);
  const { stdout } = await run(
    join(first.binDir, 'kubectl'),
    ['--kubeconfig', first.kubeconfigPath, 'get', 'namespace', 'default', '-o', 'name'],
    { timeout: 20_000 },
  );
  expect(stdout.trim()).toBe('namespace/default');
}, 30_000);

test('stores a namespace, a Service and an EndpointSlice and reads them back', async () => {
  expectStatus(
    await first.request('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NS },
    }),
    201,
  );
  expectStatus(
    await first.request('POST', `/api/v1/namespaces/${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    }),
    201,
  );
  // What the EndpointSlice controller would write; there is no controller here.
  expectStatus(
    await first.request('POST', `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['192.0.2.10'], conditions: { ready: true } },
        { addresses: ['192.0.2.11'], conditions: { ready: false } },
      ],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    }),
    201,
  );

  const service = await first.request('GET', `/api/v1/namespaces/${NS}/services/web`);
  expectStatus(service, 200);
  // The apiserver itself allocates the ClusterIP from --service-cluster-ip-range.
  expect((service.json as { spec: { clusterIP: string } }).spec.clusterIP).toMatch(/^10\.0\.0\./);

  const slices = await first.request(
    'GET',
    `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb`,
  );
  expectStatus(slices, 200);
  expect(slices.json).toMatchObject({
    kind: 'EndpointSliceList',
    items: [
      {
        metadata: { name: 'web-1' },
        addressType: 'IPv4',
        endpoints: [
          { addresses: ['192.0.2.10'], conditions: { ready: true } },
          { addresses: ['192.0.2.11'], conditions: { ready: false } },
        ],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ],
  });
}, 30_000);

test('objects survive an apiserver restart, because etcd keeps them', async () => {
  const path = `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices/web-1`;
  const before = await first.request('GET', path);
  expectStatus(before, 200);

  await first.stopApiserver();
  await expect(first.request('GET', path)).rejects.toThrow(/ECONNREFUSED/);
  await first.startApiserver();

  const after = await first.request('GET', path);
  expectStatus(after, 200);
  // Same object, not a re-creation: same uid and resourceVersion.
  expect(meta(after)).toEqual(meta(before));
  expectStatus(await first.request('GET', `/api/v1/namespaces/${NS}/services/web`), 200);
}, 120_000);

test('a second cluster runs at the same time and shares nothing with the first', async () => {
  second = await startKubeCluster({
    authorizationMode: 'RBAC',
    etcdCompactionInterval: '30s',
    users: [{ name: 'viewer', token: VIEWER_TOKEN }],
  });
  expect(second.server).not.toBe(first.server);
  expect(second.etcdUrl).not.toBe(first.etcdUrl);

  // Its own etcd: the first cluster's namespace is not there.
  expectStatus(await second.request('GET', `/api/v1/namespaces/${NS}`), 404);
  // Its own tokens: the first cluster's admin is unknown.
  expectStatus(await second.request('GET', '/api/v1/namespaces', undefined, first.adminToken), 401);
  // RBAC is on: a user with no bindings is known but may not list.
  expectStatus(await second.request('GET', '/api/v1/namespaces', undefined, VIEWER_TOKEN), 403);
  // The first cluster is unaffected.
  expectStatus(await first.request('GET', `/api/v1/namespaces/${NS}/services/web`), 200);
}, 180_000);
