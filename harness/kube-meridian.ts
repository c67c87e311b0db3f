/**
 * Meridian in Kubernetes mode, end to end: a real kube-apiserver + etcd with
 * RBAC on, Meridian's CRDs and the Gateway API CRDs installed, Meridian as a
 * separate process authenticated as its service account (bound to the
 * ClusterRole in deploy/rbac), a real CoreDNS running Corefile.example in
 * front of it, and a second CoreDNS acting as the edge DNS that resolves
 * load-balancer host names. Plus the object helpers the tests share.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dig, type DigReply } from './dig';
import { applyManifests, installGatewayApiCrds, waitForCrds } from './gateway-api';
import {
  startKubeCluster,
  type KubeCluster,
  type KubeClusterOptions,
  type KubeReply,
} from './kube-cluster';
import {
  freePort,
  REPO_ROOT,
  startCoreDns,
  startMeridianProcess,
  type Child,
  type CoreDns,
} from './processes';
import { meridianServiceAccountKubeconfig, mergePatch } from './service-account';

export const ZONE = 'cloud.example.org';
/** Names the edge DNS answers, as a cloud load balancer's DNS name would resolve. */
export const EDGE_NAMES: Readonly<Record<string, readonly string[]>> = {
  'lb.edge.test': ['192.0.2.77', '2001:db8::77'],
  'other-lb.edge.test': ['192.0.2.78'],
};

/** The running environment. */
export interface KubeMeridian {
  readonly cluster: KubeCluster;
  readonly kubeconfigPath: string;
  meridian: Child;
  readonly meridianEnv: Record<string, string>;
  /** The CoreDNS in front of Meridian (replaced by restartCoreDns). */
  coredns: CoreDns;
  /** Where to ask that CoreDNS: its `bind` address, or 127.0.0.1 when it listens on every address. */
  readonly coreDnsAddress: string;
  /** The edge DNS (replaced by restartEdge). */
  edge: CoreDns;
  /** Starts Meridian again with the same settings (after `meridian.stop()`). */
  restartMeridian(): Promise<void>;
  /** Starts CoreDNS again with the same Corefile, address and port (after `coredns.stop()`). */
  restartCoreDns(): Promise<void>;
  /** Starts the edge DNS again on the same port, with the same names (after `edge.stop()`). */
  restartEdge(): Promise<void>;
  stop(): Promise<void>;
}

/** Options of {@link startKubeMeridian}. */
export interface KubeMeridianOptions {
  readonly cluster?: KubeClusterOptions;
  readonly meridianEnv?: Record<string, string>;
  /**
   * Where CoreDNS listens. `address` adds CoreDNS's `bind` plugin to the
   * Corefile, so that several CoreDNS can share one port on different
   * loopback addresses (without it CoreDNS binds every address with
   * SO_REUSEPORT, and the kernel would spread one port's queries over all of
   * them). Default: every address, a free port.
   */
  readonly coreDns?: { readonly address?: string; readonly port?: number };
}

/** Corefile.example, with a `bind` line when CoreDNS must listen on one address only. */
function meridianCorefile(bindAddress: string | undefined): string {
  const corefile = readFileSync(join(REPO_ROOT, 'Corefile.example'), 'utf8');
  if (bindAddress === undefined) return corefile;
  const block = '{$MERIDIAN_ZONE}:{$DNS_PORT} {\n';
  if (!corefile.includes(block))
    throw new Error(`Corefile.example has no "${block.trim()}" server block to add bind to`);
  return corefile.replace(block, `${block}    bind ${bindAddress}\n`);
}

/** The edge zone as a zone file, served by CoreDNS's `file` plugin. */
function edgeCorefile(dir: string): string {
  const records = Object.entries(EDGE_NAMES).flatMap(([name, addresses]) =>
    addresses.map((address) => `${name}. 30 IN ${address.includes(':') ? 'AAAA' : 'A'} ${address}`),
  );
  const zoneFile = join(dir, 'db.edge.test');
  writeFileSync(
    zoneFile,
    [
      'edge.test. 30 IN SOA ns.edge.test. hostmaster.edge.test. 1 7200 1800 86400 30',
      'edge.test. 30 IN NS ns.edge.test.',
      'ns.edge.test. 30 IN A 127.0.0.1',
      ...records,
      '',
    ].join('\n'),
  );
  return `edge.test:{$DNS_PORT} {\n  file ${zoneFile}\n  ready {$READY_ADDRESS}\n}\n`;
}

/** Starts everything; the caller must call stop(). */
export async function startKubeMeridian(options: KubeMeridianOptions = {}): Promise<KubeMeridian> {
  const cluster = await startKubeCluster({ authorizationMode: 'RBAC', ...options.cluster });
  const started: { stop(): Promise<unknown> }[] = [cluster];
  try {
    const crdDir = join(REPO_ROOT, 'deploy', 'crds');
    await applyManifests(
      cluster,
      readdirSync(crdDir)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => join(crdDir, f)),
    );
    await waitForCrds(cluster, ['gslbs.k8gb.io', 'zonedelegations.k8gb.io']);
    await installGatewayApiCrds(cluster);
    const { kubeconfigPath } = await meridianServiceAccountKubeconfig(cluster);
    const edgeDir = mkdtempSync(join(tmpdir(), 'meridian-edge-'));
    started.push({
      stop: () => Promise.resolve(rmSync(edgeDir, { recursive: true, force: true })),
    });
    const edgeConfig = edgeCorefile(edgeDir);
    let edge = await startCoreDns(edgeConfig, {}, await freePort());
    started.push({ stop: () => edge.stop() });
    const grpcPort = await freePort();
    const meridianEnv: Record<string, string> = {
      DNS_ZONES: `example.org:${ZONE}:30`,
      CLUSTER_GEO_TAG: 'eu',
      KUBECONFIG: kubeconfigPath,
      EDGE_DNS_SERVERS: `127.0.0.1:${edge.dnsPort}`,
      MERIDIAN_GRPC_LISTEN: `127.0.0.1:${grpcPort}`,
      METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
      MERIDIAN_ADMIN_LISTEN: `127.0.0.1:${await freePort()}`,
      MERIDIAN_SHUTDOWN_GRACE_SECONDS: '0',
      MERIDIAN_RELOAD_DEBOUNCE_MS: '20',
      LOG_LEVEL: 'info',
      ...options.meridianEnv,
    };
    let meridian = await startMeridianProcess(meridianEnv, 60_000);
    started.push({ stop: () => meridian.stop() });
    const corefile = meridianCorefile(options.coreDns?.address);
    const coreDnsEnv = { MERIDIAN_ZONE: ZONE, MERIDIAN_GRPC_ADDRESS: `127.0.0.1:${grpcPort}` };
    const coreDnsPort = options.coreDns?.port ?? (await freePort());
    let coredns = await startCoreDns(corefile, coreDnsEnv, coreDnsPort);
    started.push({ stop: () => coredns.stop() });
    const env: KubeMeridian = {
      cluster,
      kubeconfigPath,
      meridian,
      meridianEnv,
      coredns,
      coreDnsAddress: options.coreDns?.address ?? '127.0.0.1',
      edge,
      async restartMeridian() {
        meridian = await startMeridianProcess(meridianEnv, 60_000);
        env.meridian = meridian;
      },
      async restartCoreDns() {
        coredns = await startCoreDns(corefile, coreDnsEnv, coreDnsPort);
        env.coredns = coredns;
      },
      async restartEdge() {
        edge = await startCoreDns(edgeConfig, {}, edge.dnsPort);
        env.edge = edge;
      },
      async stop() {
        for (const part of started.reverse()) await part.stop().catch(() => undefined);
      },
    };
    return env;
  } catch (err) {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
    throw err;
  }
}

/** Fails with the apiserver's reason unless the reply has one of `statuses`. */
export function expectOk(reply: KubeReply, ...statuses: number[]): KubeReply {
  const allowed = statuses.length === 0 ? [200, 201] : statuses;
  if (!allowed.includes(reply.status))
    throw new Error(`expected HTTP ${allowed.join('/')}, got ${reply.status}: ${reply.text}`);
  return reply;
}

let namespaces = 0;

/** Creates a fresh namespace (a deleted one cannot be reused: nothing finalizes it). */
export async function freshNamespace(cluster: KubeCluster, prefix: string): Promise<string> {
  const name = `${prefix}-${Date.now().toString(36)}-${++namespaces}`;
  expectOk(
    await cluster.request('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    }),
  );
  return name;
}

const COLLECTIONS: Readonly<Record<string, string>> = {
  Gslb: '/apis/k8gb.io/v1beta1/namespaces/NS/gslbs',
  // k8gb's older group, served once installLegacyGslbCrd has run.
  LegacyGslb: '/apis/k8gb.absa.oss/v1beta1/namespaces/NS/gslbs',
  Ingress: '/apis/networking.k8s.io/v1/namespaces/NS/ingresses',
  Service: '/api/v1/namespaces/NS/services',
  EndpointSlice: '/apis/discovery.k8s.io/v1/namespaces/NS/endpointslices',
  Gateway: '/apis/gateway.networking.k8s.io/v1/namespaces/NS/gateways',
  HTTPRoute: '/apis/gateway.networking.k8s.io/v1/namespaces/NS/httproutes',
  GRPCRoute: '/apis/gateway.networking.k8s.io/v1/namespaces/NS/grpcroutes',
  Event: '/api/v1/namespaces/NS/events',
  // Cluster-scoped: the namespace argument is ignored.
  ZoneDelegation: '/apis/k8gb.io/v1beta1/zonedelegations',
  DNSEndpoint: '/apis/externaldns.k8s.io/v1alpha1/namespaces/NS/dnsendpoints',
};

/** The path of a kind's collection in `namespace`, or of one object in it. */
export function pathOf(kind: string, namespace: string, name?: string): string {
  const collection = COLLECTIONS[kind];
  if (collection === undefined) throw new Error(`no path for ${kind}`);
  const base = collection.replace('NS', namespace);
  return name === undefined ? base : `${base}/${name}`;
}

interface Manifest {
  readonly apiVersion?: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace: string };
}

/** The apiVersion of k8gb's older Gslb group. */
export const LEGACY_GSLB_API_VERSION = 'k8gb.absa.oss/v1beta1';

/** Creates `object` as the admin (a k8gb.absa.oss Gslb in its own collection). */
export async function create(cluster: KubeCluster, object: Manifest): Promise<KubeReply> {
  const kind = object.apiVersion === LEGACY_GSLB_API_VERSION ? 'LegacyGslb' : object.kind;
  return expectOk(await cluster.request('POST', pathOf(kind, object.metadata.namespace), object));
}

/**
 * Installs the CRD of k8gb's older group (test/fixtures/k8gb/legacy; Meridian
 * does not ship it) and waits until it is served.
 */
export async function installLegacyGslbCrd(cluster: KubeCluster): Promise<void> {
  await applyManifests(cluster, [
    join(REPO_ROOT, 'test', 'fixtures', 'k8gb', 'legacy', 'gslbs.k8gb.absa.oss.yaml'),
  ]);
  await waitForCrds(cluster, ['gslbs.k8gb.absa.oss']);
}

/** Merge-patches an object (or its status subresource) as the admin. */
export async function patch(
  cluster: KubeCluster,
  kind: string,
  namespace: string,
  name: string,
  body: unknown,
  subresource = '',
): Promise<KubeReply> {
  const path = `${pathOf(kind, namespace, name)}${subresource === '' ? '' : `/${subresource}`}`;
  return expectOk(await mergePatch(cluster, path, body), 200);
}

/** GETs one object; null when it does not exist. */
export async function read<T>(
  cluster: KubeCluster,
  kind: string,
  namespace: string,
  name: string,
): Promise<T | null> {
  const reply = await cluster.request('GET', pathOf(kind, namespace, name));
  if (reply.status === 404) return null;
  return expectOk(reply, 200).json as T;
}

/** A Service with one port, and its EndpointSlice with one endpoint of the given readiness. */
export async function backend(
  cluster: KubeCluster,
  namespace: string,
  name: string,
  ready: boolean,
  type = 'ClusterIP',
): Promise<void> {
  await create(cluster, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { type, ports: [{ port: 80, protocol: 'TCP' }] },
  } as Manifest);
  await create(cluster, endpointSlice(namespace, name, ready));
}

/** An EndpointSlice of Service `service` (named after it) with one endpoint. */
export function endpointSlice(namespace: string, service: string, ready: boolean): Manifest {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${service}-slice`,
      namespace,
      labels: { 'kubernetes.io/service-name': service },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.1.0.10'], conditions: { ready } }],
    ports: [{ port: 80, protocol: 'TCP' }],
  } as Manifest;
}

/** Sets the readiness of the one endpoint of `service`'s slice. */
export async function setReady(
  cluster: KubeCluster,
  namespace: string,
  service: string,
  ready: boolean,
): Promise<void> {
  await patch(cluster, 'EndpointSlice', namespace, `${service}-slice`, {
    endpoints: [{ addresses: ['10.1.0.10'], conditions: { ready } }],
  });
}

/** An Ingress with one rule per host, each to `service`. */
export function ingress(
  namespace: string,
  name: string,
  hosts: readonly string[],
  service: string,
  metadata: Record<string, unknown> = {},
): Manifest {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace, ...metadata },
    spec: ingressSpec(hosts, service),
  } as Manifest;
}

export function ingressSpec(hosts: readonly string[], service: string): Record<string, unknown> {
  return {
    rules: hosts.map((host) => ({
      host,
      http: {
        paths: [
          {
            path: '/',
            pathType: 'Prefix',
            backend: { service: { name: service, port: { number: 80 } } },
          },
        ],
      },
    })),
  };
}

/** Writes `status.loadBalancer.ingress` of an Ingress or Service. */
export async function setLoadBalancer(
  cluster: KubeCluster,
  kind: 'Ingress' | 'Service',
  namespace: string,
  name: string,
  entries: readonly ({ ip: string } | { hostname: string })[],
): Promise<void> {
  await patch(
    cluster,
    kind,
    namespace,
    name,
    { status: { loadBalancer: { ingress: entries } } },
    'status',
  );
}

/** A Gslb with a resourceRef. */
export function gslbRef(
  namespace: string,
  name: string,
  resourceRef: Record<string, unknown>,
  extra: {
    annotations?: Record<string, string>;
    strategy?: Record<string, unknown>;
    /** More `spec` fields (a probe, say). */
    spec?: Record<string, unknown>;
  } = {},
): Manifest {
  return {
    apiVersion: 'k8gb.io/v1beta1',
    kind: 'Gslb',
    metadata: { name, namespace, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      resourceRef,
      strategy: { type: 'roundRobin', dnsTtlSeconds: 30, ...extra.strategy },
      ...extra.spec,
    },
  } as Manifest;
}

/** The parts of a Gslb status the tests read. */
export interface GslbStatus {
  serviceHealth?: Record<string, string>;
  healthyRecords?: Record<string, string[]>;
  geoTag?: string;
  hosts?: string;
  loadBalancer?: { exposedIps?: string[] };
  servers?: { host: string; services: { name: string; namespace: string }[] }[];
  observedGeneration?: number;
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

/** The status of a Gslb (`kind` LegacyGslb for one of k8gb's older group). */
export async function gslbStatus(
  cluster: KubeCluster,
  namespace: string,
  name: string,
  kind: 'Gslb' | 'LegacyGslb' = 'Gslb',
): Promise<GslbStatus> {
  const gslb = await read<{ status?: GslbStatus }>(cluster, kind, namespace, name);
  return gslb?.status ?? {};
}

/** The Ready condition of a Gslb, or undefined. */
export async function readyOf(
  cluster: KubeCluster,
  namespace: string,
  name: string,
  kind: 'Gslb' | 'LegacyGslb' = 'Gslb',
): Promise<{ status: string; reason: string; message: string } | undefined> {
  return (await gslbStatus(cluster, namespace, name, kind)).conditions?.find(
    (c) => c.type === 'Ready',
  );
}

/** An Event as the tests read it. */
export interface EventSeen {
  reason: string;
  type: string;
  message: string;
  count: number;
  involvedObject: { kind: string; apiVersion?: string; uid?: string };
}

/** Events about one object. */
export async function eventsAbout(
  cluster: KubeCluster,
  namespace: string,
  name: string,
): Promise<EventSeen[]> {
  const reply = expectOk(
    await cluster.request(
      'GET',
      `${pathOf('Event', namespace)}?fieldSelector=involvedObject.name%3D${encodeURIComponent(name)}`,
    ),
    200,
  );
  return (reply.json as { items: never[] }).items;
}

/** Asks CoreDNS (kdig, UDP) for `name`. */
export function ask(env: KubeMeridian, name: string, type = 'A'): Promise<DigReply> {
  return dig('kdig', [`@${env.coreDnsAddress}`, '-p', String(env.coredns.dnsPort), name, type]);
}

/** The sorted data of the answer section. */
export async function answer(env: KubeMeridian, name: string, type = 'A'): Promise<string[]> {
  return (await ask(env, name, type)).answer.map((r) => r.data).sort();
}
