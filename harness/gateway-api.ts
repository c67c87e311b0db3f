/**
 * The Gateway API's standard-channel CRDs in a test cluster, from the release
 * pinned in tools/gateway-api (scripts/gateway-api-crds.sh fetches it through
 * the Go module proxy). Meridian balances Gateway routes as k8gb does, so the
 * tests need the real schemas, defaults and CEL rules rather than stubs.
 * Also the two steps any CRD install needs: kubectl apply, then a bounded wait
 * until the apiserver serves the new resources.
 */
import { poll } from './eventually';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { KubeCluster } from './kube-cluster';
import { REPO_ROOT } from './processes';

const run = promisify(execFile);

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
/** The resources Meridian reads, plus GatewayClass, which every Gateway names. */
export const GATEWAY_API_RESOURCES = [
  'gatewayclasses',
  'gateways',
  'httproutes',
  'grpcroutes',
] as const;

/** The release pinned in tools/gateway-api/go.mod, e.g. `v1.6.3`. */
export function gatewayApiVersion(): string {
  const goMod = readFileSync(join(REPO_ROOT, 'tools', 'gateway-api', 'go.mod'), 'utf8');
  const version = /^require sigs\.k8s\.io\/gateway-api (v\S+)$/m.exec(goMod)?.[1];
  if (version === undefined) throw new Error('no sigs.k8s.io/gateway-api requirement in go.mod');
  return version;
}

/** Directory of the standard-channel CRD files; a cold download takes seconds, not minutes. */
export async function gatewayApiCrdDir(): Promise<string> {
  const { stdout } = await run(join(REPO_ROOT, 'scripts', 'gateway-api-crds.sh'), [], {
    encoding: 'utf8',
    timeout: 5 * 60_000,
  });
  return stdout.trim();
}

/**
 * True when every document of the file is a CRD. The standard channel ships a
 * ValidatingAdmissionPolicy beside the CRDs (it guards CRD upgrades, which
 * tests never do), and a directory may hold a kustomization.yaml.
 */
function holdsOnlyCrds(path: string): boolean {
  const documents = parseAllDocuments(readFileSync(path, 'utf8'));
  const kinds = [...documents].map((document) => document.get('kind'));
  return kinds.length > 0 && kinds.every((kind) => kind === 'CustomResourceDefinition');
}

/**
 * `kubectl apply --server-side` of the files as the admin. Server-side,
 * because the larger Gateway API CRDs exceed the 256 KiB annotation in which
 * client-side apply would keep the last applied copy. A throwaway discovery
 * cache, so that no run sees another cluster's resources on a reused port.
 */
export async function applyManifests(
  cluster: KubeCluster,
  paths: readonly string[],
): Promise<void> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'meridian-kubectl-cache-'));
  try {
    await run(
      join(cluster.binDir, 'kubectl'),
      [
        '--kubeconfig',
        cluster.kubeconfigPath,
        '--cache-dir',
        cacheDir,
        'apply',
        '--server-side',
        '--field-manager=meridian-test',
        ...paths.flatMap((path) => ['-f', path]),
      ],
      { timeout: 60_000 },
    );
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

interface Crd {
  spec?: { group?: string; versions?: { name: string; storage?: boolean }[] };
  status?: {
    conditions?: { type: string; status: string }[];
    acceptedNames?: { plural?: string };
  };
}

/** Why the CRD is not usable yet, or undefined when it is. */
async function notReady(cluster: KubeCluster, name: string): Promise<string | undefined> {
  const reply = await cluster.request(
    'GET',
    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
  );
  if (reply.status !== 200) return `GET ${name}: HTTP ${reply.status}`;
  const crd = reply.json as Crd;
  const established = crd.status?.conditions?.find((c) => c.type === 'Established');
  if (established?.status !== 'True') return `${name} not Established`;
  // Established means the apiserver serves the resource; discovery, which
  // kubectl maps kinds with, is published separately and may trail it.
  const version = crd.spec?.versions?.find((v) => v.storage === true)?.name;
  const plural = crd.status?.acceptedNames?.plural;
  const discovery = await cluster.request('GET', `/apis/${crd.spec?.group}/${version}`);
  const served = (discovery.json as { resources?: { name: string }[] } | undefined)?.resources;
  if (served?.some((r) => r.name === plural) !== true) return `${name} not in discovery yet`;
  // The apiserver builds a resource's watch cache on its first request and
  // refuses watches with 429 until the cache is filled; lists go to etcd
  // meanwhile. Clients retry; tests should not have to.
  const watch = await cluster.request(
    'GET',
    `/apis/${crd.spec?.group}/${version}/${plural}?watch=1&timeoutSeconds=1`,
  );
  if (watch.status !== 200) return `watching ${name}: HTTP ${watch.status}`;
  return undefined;
}

/** Waits until every named CRD is Established, in discovery and watchable; fails after `timeoutMs`. */
export async function waitForCrds(
  cluster: KubeCluster,
  names: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  await poll(
    async () =>
      (await Promise.all(names.map((name) => notReady(cluster, name)))).filter(
        (reason) => reason !== undefined,
      ),
    (pending) => pending.length === 0,
    { timeoutMs, intervalMs: 200, what: `CRDs ${names.join(', ')} served` },
  );
}

/**
 * Installs every CRD of the pinned release's standard channel and waits until
 * GatewayClasses, Gateways, HTTPRoutes and GRPCRoutes are served.
 */
export async function installGatewayApiCrds(cluster: KubeCluster): Promise<void> {
  const dir = await gatewayApiCrdDir();
  const files = readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()
    .map((file) => join(dir, file))
    .filter(holdsOnlyCrds);
  if (files.length === 0) throw new Error(`no CRD files in ${dir}`);
  await applyManifests(cluster, files);
  await waitForCrds(
    cluster,
    GATEWAY_API_RESOURCES.map((resource) => `${resource}.${GATEWAY_API_GROUP}`),
  );
}
