/**
 * Meridian's own identity in a test cluster: the ServiceAccount and the
 * least-privilege ClusterRole of deploy/rbac, and a real token for it, so that
 * tests see exactly what a deployed Meridian may and may not do. Only
 * meaningful on a cluster started with `authorizationMode: 'RBAC'`; under
 * AlwaysAllow every request is allowed.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { applyManifests } from './gateway-api';
import { sendToApiserver, type KubeCluster, type KubeReply } from './kube-cluster';
import { REPO_ROOT } from './processes';

export const MERIDIAN_NAMESPACE = 'meridian';
export const MERIDIAN_SERVICE_ACCOUNT = 'meridian';
/** The user name the apiserver gives the service account's tokens. */
export const MERIDIAN_USER = `system:serviceaccount:${MERIDIAN_NAMESPACE}:${MERIDIAN_SERVICE_ACCOUNT}`;
export const RBAC_FILES = [
  'serviceaccount.yaml',
  'clusterrole.yaml',
  'clusterrolebinding.yaml',
  'role.yaml',
  'rolebinding.yaml',
].map((file) => join(REPO_ROOT, 'deploy', 'rbac', file));

/**
 * One HTTPS request with a body of the given content type, which
 * `cluster.request` cannot send (it sends JSON only): merge, JSON and
 * server-side-apply patches. Skips certificate verification for the same
 * reason as kube-cluster.ts: the apiserver's certificate is self-signed.
 */
export function requestWithContentType(
  cluster: KubeCluster,
  method: string,
  path: string,
  body: string,
  contentType: string,
  token = cluster.adminToken,
  timeoutMs = 10_000,
): Promise<KubeReply> {
  return sendToApiserver({
    server: cluster.server,
    token,
    method,
    path,
    payload: body,
    timeoutMs,
    contentType,
  });
}

/** A JSON merge patch (RFC 7386), the simplest way to write one field of a status. */
export function mergePatch(
  cluster: KubeCluster,
  path: string,
  patch: unknown,
  token = cluster.adminToken,
): Promise<KubeReply> {
  return requestWithContentType(
    cluster,
    'PATCH',
    path,
    JSON.stringify(patch),
    'application/merge-patch+json',
    token,
  );
}

/**
 * Applies deploy/rbac as the admin and returns a kubeconfig and a token for
 * Meridian's service account. The token comes from the TokenRequest API, which
 * the apiserver signs itself, so no controller-manager is needed; it is valid
 * for an hour. The kubeconfig is written beside the admin's, so stopping the
 * cluster removes it too.
 */
export async function meridianServiceAccountKubeconfig(
  cluster: KubeCluster,
): Promise<{ kubeconfigPath: string; token: string }> {
  const namespace = await cluster.request('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: MERIDIAN_NAMESPACE },
  });
  // 409: an earlier call made it already.
  if (namespace.status !== 201 && namespace.status !== 409) {
    throw new Error(
      `creating namespace ${MERIDIAN_NAMESPACE}: HTTP ${namespace.status}: ${namespace.text}`,
    );
  }
  await applyManifests(cluster, RBAC_FILES);

  const reply = await cluster.request(
    'POST',
    `/api/v1/namespaces/${MERIDIAN_NAMESPACE}/serviceaccounts/${MERIDIAN_SERVICE_ACCOUNT}/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    },
  );
  const token = (reply.json as { status?: { token?: string } } | undefined)?.status?.token;
  if (reply.status !== 201 || token === undefined) {
    throw new Error(`TokenRequest: HTTP ${reply.status}: ${reply.text}`);
  }

  const kubeconfigPath = join(
    dirname(cluster.kubeconfigPath),
    'meridian-serviceaccount.kubeconfig',
  );
  writeFileSync(kubeconfigPath, stringify(cluster.kubeconfigFor(token, MERIDIAN_USER)), {
    mode: 0o600,
  });
  return { kubeconfigPath, token };
}
