/**
 * The Gateway API CRDs and Meridian's least-privilege RBAC (deploy/rbac)
 * against a real kube-apiserver with RBAC on. The standard-channel CRDs of the
 * release pinned in tools/gateway-api install and accept Gateways and routes;
 * Meridian's service account, with a real token, may read everything Meridian
 * balances and write what it writes (Gslb status, Events, its Ingresses; of
 * k8gb's legacy k8gb.absa.oss Gslbs, whose CRD is installed from the test
 * fixture, only the status), and is refused everything else. The
 * ClusterRole's rules are pinned here exactly, so that the role cannot grow
 * unnoticed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import {
  applyManifests,
  GATEWAY_API_GROUP,
  GATEWAY_API_RESOURCES,
  gatewayApiVersion,
  installGatewayApiCrds,
  waitForCrds,
} from '../../harness/gateway-api';
import { startKubeCluster, type KubeCluster, type KubeReply } from '../../harness/kube-cluster';
import { installLegacyGslbCrd } from '../../harness/kube-meridian';
import { REPO_ROOT } from '../../harness/processes';
import {
  mergePatch,
  meridianServiceAccountKubeconfig,
  MERIDIAN_NAMESPACE,
  MERIDIAN_USER,
} from '../../harness/service-account';

const run = promisify(execFile);
// Fresh per run: a namespace cannot be reused once deleted (nothing finalizes it).
const NS = `meridian-gw-${Date.now().toString(36)}`;
const GATEWAY_API = `/apis/${GATEWAY_API_GROUP}/v1`;
const K8GB = '/apis/k8gb.io/v1beta1';
const GSLB = `${K8GB}/namespaces/${NS}/gslbs/shop`;
const LEGACY = '/apis/k8gb.absa.oss/v1beta1';
const LEGACY_GSLB = `${LEGACY}/namespaces/${NS}/gslbs/old`;
const HOST = 'shop.cloud.example.org';

/** deploy/rbac/clusterrole.yaml as the apiserver must store it; a new rule must be added here on purpose. */
const EXPECTED_RULES = [
  { apiGroups: ['k8gb.io'], resources: ['gslbs'], verbs: ['list', 'watch', 'create', 'patch'] },
  { apiGroups: ['k8gb.io'], resources: ['gslbs/status'], verbs: ['patch'] },
  { apiGroups: ['k8gb.absa.oss'], resources: ['gslbs'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['k8gb.absa.oss'], resources: ['gslbs/status'], verbs: ['update', 'patch'] },
  {
    apiGroups: ['networking.k8s.io'],
    resources: ['ingresses'],
    verbs: ['list', 'watch', 'create', 'patch', 'delete'],
  },
  { apiGroups: [''], resources: ['services'], verbs: ['list', 'watch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
  {
    apiGroups: ['gateway.networking.k8s.io'],
    resources: ['gateways', 'httproutes', 'grpcroutes'],
    verbs: ['list', 'watch'],
  },
  {
    apiGroups: ['k8gb.io'],
    resources: ['zonedelegations'],
    verbs: ['list', 'watch', 'create', 'patch'],
  },
  { apiGroups: ['k8gb.io'], resources: ['zonedelegations/status'], verbs: ['patch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
];

let cluster: KubeCluster;
let meridian: { kubeconfigPath: string; token: string };

/** Fails with the apiserver's answer, which says why, instead of just the status. */
function expectStatus(reply: KubeReply, status: number): void {
  if (reply.status !== status)
    throw new Error(`expected HTTP ${status}, got ${reply.status}: ${reply.text}`);
}

/** A request as Meridian's service account. */
function asMeridian(method: string, path: string, body?: unknown): Promise<KubeReply> {
  return cluster.request(method, path, body, meridian.token);
}

/** Names of the items of a list reply. */
function names(reply: KubeReply): string[] {
  return (reply.json as { items: { metadata: { name: string } }[] }).items.map(
    (item) => item.metadata.name,
  );
}

/** A Gslb balancing an Ingress, as k8gb users write it (test/fixtures/k8gb). */
function gslb(name: string): unknown {
  const fixture = parse(
    readFileSync(
      join(REPO_ROOT, 'test', 'fixtures', 'k8gb', 'gslb-minimal-resourceref.yaml'),
      'utf8',
    ),
  ) as { metadata: Record<string, unknown> };
  return { ...fixture, metadata: { ...fixture.metadata, name, namespace: NS } };
}

/** The same Gslb in k8gb's older group k8gb.absa.oss. */
function legacyGslb(name: string): unknown {
  return { ...(gslb(name) as object), apiVersion: 'k8gb.absa.oss/v1beta1' };
}

beforeAll(async () => {
  cluster = await startKubeCluster({ authorizationMode: 'RBAC' });
  const installK8gbCrds = async (): Promise<void> => {
    await applyManifests(cluster, [join(REPO_ROOT, 'deploy', 'crds')]);
    await waitForCrds(cluster, ['gslbs.k8gb.io', 'zonedelegations.k8gb.io']);
  };
  await Promise.all([
    installGatewayApiCrds(cluster),
    installK8gbCrds(),
    installLegacyGslbCrd(cluster),
  ]);
  meridian = await meridianServiceAccountKubeconfig(cluster);
  expectStatus(
    await cluster.request('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NS },
    }),
    201,
  );
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

describe('Gateway API CRDs', () => {
  test('the standard channel of the pinned release is installed, and only CRDs from it', async () => {
    const version = gatewayApiVersion();
    for (const resource of GATEWAY_API_RESOURCES) {
      const reply = await cluster.request(
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${resource}.${GATEWAY_API_GROUP}`,
      );
      expectStatus(reply, 200);
      expect(reply.json).toMatchObject({
        metadata: {
          annotations: {
            'gateway.networking.k8s.io/bundle-version': version,
            'gateway.networking.k8s.io/channel': 'standard',
          },
        },
        spec: {
          versions: expect.arrayContaining([
            expect.objectContaining({ name: 'v1', served: true, storage: true }),
          ]),
        },
      });
    }
    // The upgrade-guarding policy beside the CRDs is not a CRD and is skipped.
    expectStatus(
      await cluster.request(
        'GET',
        '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/safe-upgrades.gateway.networking.k8s.io',
      ),
      404,
    );
  }, 30_000);

  test('an admin creates a GatewayClass, a Gateway, an HTTPRoute and a GRPCRoute; defaults are applied', async () => {
    expectStatus(
      await cluster.request('POST', `${GATEWAY_API}/gatewayclasses`, {
        apiVersion: `${GATEWAY_API_GROUP}/v1`,
        kind: 'GatewayClass',
        metadata: { name: NS },
        spec: { controllerName: 'example.com/gateway-controller' },
      }),
      201,
    );
    expectStatus(
      await cluster.request('POST', `${GATEWAY_API}/namespaces/${NS}/gateways`, {
        apiVersion: `${GATEWAY_API_GROUP}/v1`,
        kind: 'Gateway',
        metadata: { name: 'edge' },
        spec: { gatewayClassName: NS, listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
      }),
      201,
    );
    const http = await cluster.request('POST', `${GATEWAY_API}/namespaces/${NS}/httproutes`, {
      apiVersion: `${GATEWAY_API_GROUP}/v1`,
      kind: 'HTTPRoute',
      metadata: { name: 'shop' },
      spec: {
        parentRefs: [{ name: 'edge' }],
        hostnames: [HOST],
        rules: [{ backendRefs: [{ name: 'web', port: 80 }] }],
      },
    });
    expectStatus(http, 201);
    const grpc = await cluster.request('POST', `${GATEWAY_API}/namespaces/${NS}/grpcroutes`, {
      apiVersion: `${GATEWAY_API_GROUP}/v1`,
      kind: 'GRPCRoute',
      metadata: { name: 'shop-api' },
      spec: {
        parentRefs: [{ name: 'edge' }],
        hostnames: [`api.${HOST}`],
        rules: [{ backendRefs: [{ name: 'api', port: 9000 }] }],
      },
    });
    expectStatus(grpc, 201);

    // The CRDs' schema defaults, which Meridian can rely on when it reads routes.
    const parentRef = { group: GATEWAY_API_GROUP, kind: 'Gateway', name: 'edge' };
    expect(http.json).toMatchObject({
      spec: {
        parentRefs: [parentRef],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: '/' } }],
            backendRefs: [{ group: '', kind: 'Service', name: 'web', port: 80, weight: 1 }],
          },
        ],
      },
    });
    expect(grpc.json).toMatchObject({
      spec: {
        parentRefs: [parentRef],
        rules: [{ backendRefs: [{ group: '', kind: 'Service', name: 'api', port: 9000 }] }],
      },
    });
  }, 30_000);

  test("the CRDs' CEL rules run: TLS on an HTTP listener is rejected", async () => {
    const reply = await cluster.request('POST', `${GATEWAY_API}/namespaces/${NS}/gateways`, {
      apiVersion: `${GATEWAY_API_GROUP}/v1`,
      kind: 'Gateway',
      metadata: { name: 'bad' },
      spec: {
        gatewayClassName: NS,
        listeners: [
          {
            name: 'http',
            protocol: 'HTTP',
            port: 80,
            tls: { mode: 'Terminate', certificateRefs: [{ name: 'cert' }] },
          },
        ],
      },
    });
    expectStatus(reply, 422);
    expect(reply.text).toContain("tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']");
  }, 30_000);
});

describe("Meridian's service account", () => {
  beforeAll(async () => {
    expectStatus(
      await cluster.request('POST', `${K8GB}/namespaces/${NS}/gslbs`, gslb('shop')),
      201,
    );
    expectStatus(
      await cluster.request('POST', `${LEGACY}/namespaces/${NS}/gslbs`, legacyGslb('old')),
      201,
    );
  }, 30_000);

  test('its token is a real service-account token the apiserver maps to the account', async () => {
    const reply = await asMeridian('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    expectStatus(reply, 201);
    expect(reply.json).toMatchObject({
      status: {
        userInfo: {
          username: MERIDIAN_USER,
          groups: expect.arrayContaining([
            'system:serviceaccounts',
            `system:serviceaccounts:${MERIDIAN_NAMESPACE}`,
            'system:authenticated',
          ]),
        },
      },
    });
  }, 30_000);

  const readable: readonly (readonly [resource: string, path: string, kind: string])[] = [
    ['gslbs', `${K8GB}/gslbs`, 'GslbList'],
    ['gslbs.k8gb.absa.oss', `${LEGACY}/gslbs`, 'GslbList'],
    ['ingresses', '/apis/networking.k8s.io/v1/ingresses', 'IngressList'],
    ['services', '/api/v1/services', 'ServiceList'],
    ['endpointslices', '/apis/discovery.k8s.io/v1/endpointslices', 'EndpointSliceList'],
    ['gateways', `${GATEWAY_API}/gateways`, 'GatewayList'],
    ['httproutes', `${GATEWAY_API}/httproutes`, 'HTTPRouteList'],
    ['grpcroutes', `${GATEWAY_API}/grpcroutes`, 'GRPCRouteList'],
  ];

  test.each(readable)(
    'lists and watches %s in every namespace',
    async (_, path, kind) => {
      const list = await asMeridian('GET', path);
      expectStatus(list, 200);
      expect(list.json).toMatchObject({ kind });
      // The apiserver closes the watch after a second, with 200 and no events to wait for.
      expectStatus(await asMeridian('GET', `${path}?watch=1&timeoutSeconds=1`), 200);
    },
    30_000,
  );

  test('sees the objects admins created, in any namespace', async () => {
    expect(names(await asMeridian('GET', `${K8GB}/gslbs`))).toContain('shop');
    expect(names(await asMeridian('GET', `${GATEWAY_API}/gateways`))).toEqual(['edge']);
    expect(names(await asMeridian('GET', `${GATEWAY_API}/httproutes`))).toEqual(['shop']);
    expect(names(await asMeridian('GET', `${GATEWAY_API}/grpcroutes`))).toEqual(['shop-api']);
    // The kubernetes Service in default, which the apiserver makes itself.
    expect(names(await asMeridian('GET', '/api/v1/services'))).toContain('kubernetes');
  }, 30_000);

  test("writes a Gslb's status with a merge patch, which leaves the spec alone", async () => {
    const status = { geoTag: 'eu', hosts: HOST, loadBalancer: { exposedIps: ['192.0.2.10'] } };
    const reply = await mergePatch(cluster, `${GSLB}/status`, { status }, meridian.token);
    expectStatus(reply, 200);
    expect(reply.json).toMatchObject({ status });
    const stored = await cluster.request('GET', GSLB);
    expectStatus(stored, 200);
    expect(stored.json).toMatchObject({
      spec: {
        resourceRef: { kind: 'Ingress', name: 'shop-web' },
        strategy: { type: 'roundRobin' },
      },
      status,
    });
  }, 30_000);

  test('reads a legacy Gslb and writes its status (merge patch or update), never its spec', async () => {
    expectStatus(await asMeridian('GET', LEGACY_GSLB), 200);
    const status = { geoTag: 'eu', hosts: HOST };
    const patched = await mergePatch(cluster, `${LEGACY_GSLB}/status`, { status }, meridian.token);
    expectStatus(patched, 200);
    expect(patched.json).toMatchObject({ status });
    const updated = await asMeridian('PUT', `${LEGACY_GSLB}/status`, {
      ...(patched.json as object),
      status: { ...status, geoTag: 'us' },
    });
    expectStatus(updated, 200);
    expect(updated.json).toMatchObject({
      spec: { resourceRef: { kind: 'Ingress', name: 'shop-web' } },
      status: { geoTag: 'us' },
    });
  }, 30_000);

  test('creates and patches a Gslb, as when it converts an annotated Ingress', async () => {
    expectStatus(
      await asMeridian('POST', `${K8GB}/namespaces/${NS}/gslbs`, gslb('from-ingress')),
      201,
    );
    const patched = await mergePatch(
      cluster,
      `${K8GB}/namespaces/${NS}/gslbs/from-ingress`,
      { spec: { strategy: { dnsTtlSeconds: 60 } } },
      meridian.token,
    );
    expectStatus(patched, 200);
    expect(patched.json).toMatchObject({
      spec: { strategy: { type: 'roundRobin', dnsTtlSeconds: 60 } },
    });
  }, 30_000);

  test('records an Event about a Gslb, and counts its repeats with a merge patch', async () => {
    const regarding = { apiVersion: 'k8gb.io/v1beta1', kind: 'Gslb', name: 'shop', namespace: NS };
    const now = new Date().toISOString();
    expectStatus(
      await asMeridian('POST', `/api/v1/namespaces/${NS}/events`, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'shop.core' },
        involvedObject: regarding,
        reason: 'Serving',
        message: `answering for ${HOST}`,
        type: 'Normal',
        source: { component: 'meridian' },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      }),
      201,
    );
    const repeated = await mergePatch(
      cluster,
      `/api/v1/namespaces/${NS}/events/shop.core`,
      { count: 2, lastTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') },
      meridian.token,
    );
    expectStatus(repeated, 200);
    expect(repeated.json).toMatchObject({ count: 2, reason: 'Serving' });
  }, 30_000);

  test('creates and deletes an Ingress, as for a Gslb with an embedded one', async () => {
    expectStatus(
      await asMeridian('POST', `/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses`, {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'embedded' },
        spec: {
          rules: [
            {
              host: HOST,
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: 'web', port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      }),
      201,
    );
    const path = `/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses/embedded`;
    expectStatus(await asMeridian('DELETE', path), 200);
    expectStatus(await cluster.request('GET', path), 404);
  }, 30_000);

  interface Refused {
    readonly what: string;
    readonly method: string;
    readonly path: string;
    readonly body?: unknown;
  }
  const refused: readonly Refused[] = [
    { what: 'list Secrets in every namespace', method: 'GET', path: '/api/v1/secrets' },
    {
      what: 'list Secrets in its own namespace',
      method: 'GET',
      path: `/api/v1/namespaces/${MERIDIAN_NAMESPACE}/secrets`,
    },
    { what: 'list ConfigMaps', method: 'GET', path: '/api/v1/configmaps' },
    {
      what: 'create a Service',
      method: 'POST',
      path: `/api/v1/namespaces/${NS}/services`,
      body: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'sneaky' },
        spec: { ports: [{ port: 80 }] },
      },
    },
    { what: 'delete a Gslb', method: 'DELETE', path: GSLB },
    {
      what: 'create a legacy Gslb (no migration by Meridian)',
      method: 'POST',
      path: `${LEGACY}/namespaces/${NS}/gslbs`,
      body: legacyGslb('made'),
    },
    { what: 'replace a legacy Gslb (update)', method: 'PUT', path: LEGACY_GSLB, body: {} },
    { what: 'delete a legacy Gslb', method: 'DELETE', path: LEGACY_GSLB },
    { what: 'list Pods', method: 'GET', path: '/api/v1/pods' },
    { what: 'list Events', method: 'GET', path: `/api/v1/namespaces/${NS}/events` },
    { what: 'replace a Gslb (update)', method: 'PUT', path: GSLB, body: {} },
    {
      what: 'read a Lease outside its own namespace',
      method: 'GET',
      path: `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/meridian-writer`,
    },
    {
      what: 'delete a ZoneDelegation (only its finalizer is ever removed)',
      method: 'DELETE',
      path: `${K8GB}/zonedelegations/cloud-example-org`,
    },
    {
      what: 'replace a ZoneDelegation (update)',
      method: 'PUT',
      path: `${K8GB}/zonedelegations/cloud-example-org`,
      body: {},
    },
    {
      what: 'read a Service outside its own namespace',
      method: 'GET',
      path: `/api/v1/namespaces/${NS}/services/kubernetes`,
    },
    {
      what: 'write a DNSEndpoint outside its own namespace',
      method: 'POST',
      path: `/apis/externaldns.k8s.io/v1alpha1/namespaces/${NS}/dnsendpoints`,
      body: {},
    },
    {
      what: 'create an events.k8s.io Event',
      method: 'POST',
      path: `/apis/events.k8s.io/v1/namespaces/${NS}/events`,
      body: {},
    },
  ];

  test.each(refused)(
    'may not $what',
    async ({ method, path, body }) => {
      const reply = await asMeridian(method, path, body);
      expectStatus(reply, 403);
      // Refused by RBAC for this user, not for some other reason.
      expect(reply.json).toMatchObject({
        kind: 'Status',
        reason: 'Forbidden',
        message: expect.stringContaining(`User "${MERIDIAN_USER}" cannot`),
      });
    },
    30_000,
  );

  test("may not patch a legacy Gslb's spec or labels", async () => {
    const reply = await mergePatch(
      cluster,
      LEGACY_GSLB,
      { metadata: { labels: { 'k8gb.io/migrated-to-k8gb-io': 'true' } } },
      meridian.token,
    );
    expectStatus(reply, 403);
    expect(reply.json).toMatchObject({ reason: 'Forbidden' });
  }, 30_000);

  test('the refused deletes left the Gslbs in place', async () => {
    expectStatus(await cluster.request('GET', GSLB), 200);
    expectStatus(await cluster.request('GET', LEGACY_GSLB), 200);
  }, 30_000);

  test('its kubeconfig works with kubectl, within the same limits', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'meridian-kubectl-cache-'));
    const kubectl = (...args: string[]) =>
      run(
        join(cluster.binDir, 'kubectl'),
        ['--kubeconfig', meridian.kubeconfigPath, '--cache-dir', cacheDir, ...args],
        { timeout: 30_000 },
      );
    try {
      const { stdout } = await kubectl('get', 'gateways,httproutes,grpcroutes', '-A', '-o', 'name');
      expect(stdout.trim().split('\n').sort()).toEqual([
        `gateway.${GATEWAY_API_GROUP}/edge`,
        `grpcroute.${GATEWAY_API_GROUP}/shop-api`,
        `httproute.${GATEWAY_API_GROUP}/shop`,
      ]);
      await expect(kubectl('get', 'secrets', '-A')).rejects.toThrow(/Forbidden/);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('deploy/rbac', () => {
  test('the ClusterRole grants exactly the rules Meridian needs, nothing more', async () => {
    const role = await cluster.request(
      'GET',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/meridian',
    );
    expectStatus(role, 200);
    expect((role.json as { rules: unknown }).rules).toEqual(EXPECTED_RULES);
  }, 30_000);

  test('the namespaced Role grants the writer Lease, DNSEndpoints and the DNS Service, in its own namespace', async () => {
    const role = await cluster.request(
      'GET',
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${MERIDIAN_NAMESPACE}/roles/meridian`,
    );
    expectStatus(role, 200);
    expect((role.json as { rules: unknown }).rules).toEqual([
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'create', 'update'],
      },
      {
        apiGroups: ['externaldns.k8s.io'],
        resources: ['dnsendpoints'],
        verbs: ['get', 'create', 'update', 'delete'],
      },
      { apiGroups: [''], resources: ['services'], verbs: ['get'] },
    ]);
    const leases = `/apis/coordination.k8s.io/v1/namespaces/${MERIDIAN_NAMESPACE}/leases`;
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'meridian-writer' },
      spec: { holderIdentity: 'replica-a', leaseDurationSeconds: 15 },
    };
    const created = await asMeridian('POST', leases, lease);
    expectStatus(created, 201);
    expectStatus(await asMeridian('GET', `${leases}/meridian-writer`), 200);
    const rv = (created.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    expectStatus(
      await asMeridian('PUT', `${leases}/meridian-writer`, {
        ...lease,
        metadata: { ...lease.metadata, resourceVersion: rv },
        spec: { ...lease.spec, holderIdentity: 'replica-b' },
      }),
      200,
    );
    expectStatus(await asMeridian('DELETE', `${leases}/meridian-writer`), 403);
  }, 30_000);

  test('the ClusterRoleBinding gives that role to the service account and nobody else', async () => {
    const binding = await cluster.request(
      'GET',
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/meridian',
    );
    expectStatus(binding, 200);
    expect(binding.json).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'meridian' },
      subjects: [{ kind: 'ServiceAccount', name: 'meridian', namespace: MERIDIAN_NAMESPACE }],
    });
    expect((binding.json as { subjects: unknown[] }).subjects).toHaveLength(1);
  }, 30_000);
});
