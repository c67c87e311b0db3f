/**
 * Meridian and CoreDNS run as the chart deploys them, without a kubelet:
 * Meridian with the environment of the rendered Deployment's meridian
 * container, authenticated with a real token of the chart's ServiceAccount
 * (bound to the chart's ClusterRole and Role only), and CoreDNS with the Corefile of
 * the rendered ConfigMap. Only what a Pod has and a test process does not is
 * changed: the socket path (a temporary directory instead of the emptyDir),
 * the listening ports (free loopback ports instead of the Pod's own) and the
 * credentials (a kubeconfig instead of the projected token).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { KubeObject } from './helm';
import type { KubeCluster } from '../../harness/kube-cluster';
import {
  freePort,
  startCoreDns,
  startMeridianProcess,
  type Child,
  type CoreDns,
} from '../../harness/processes';

interface Container {
  readonly name: string;
  readonly env?: readonly {
    name: string;
    value?: string;
    valueFrom?: { fieldRef?: { fieldPath: string } };
  }[];
}

/** The rendered Deployment's container `name`. */
export function containerOf(deployment: KubeObject, name: string): Container & KubeObject {
  const spec = deployment['spec'] as { template: { spec: { containers: Container[] } } };
  const container = spec.template.spec.containers.find((c) => c.name === name);
  if (container === undefined) throw new Error(`no ${name} container in the Deployment`);
  return container as Container & KubeObject;
}

/** The name the tests give the one Pod they stand in for. */
export const POD_NAME = 'meridian-0';

/**
 * The environment of the meridian container, with the downward API's
 * metadata.namespace and metadata.name filled in as the kubelet would.
 */
export function meridianEnvOf(deployment: KubeObject): Record<string, string> {
  const fields: Record<string, string> = {
    'metadata.namespace': deployment.metadata.namespace ?? 'default',
    'metadata.name': POD_NAME,
  };
  const env: Record<string, string> = {};
  for (const variable of containerOf(deployment, 'meridian').env ?? []) {
    const path = variable.valueFrom?.fieldRef?.fieldPath;
    const value = variable.value ?? (path === undefined ? undefined : fields[path]);
    if (value === undefined) throw new Error(`${variable.name}: no value the tests can fill in`);
    env[variable.name] = value;
  }
  return env;
}

/**
 * The chart's Corefile with the Pod-specific parts turned into CoreDNS
 * environment placeholders (`startCoreDns` fills them with free ports) and
 * the socket moved to `socketPath`. Each part must occur exactly as the chart
 * writes it, so that a change of the chart's Corefile shows up here.
 */
export function corefileForTest(corefile: string, socketPath: string): string {
  const replacements: readonly [RegExp, string][] = [
    [/^(\S.*) \{$/m, ''],
    [/^ {4}health :8081\b/m, '    health {$HEALTH_ADDRESS}'],
    [/^ {4}ready :8181$/m, '    ready {$READY_ADDRESS}'],
    [/^ {4}prometheus :9153$/m, '    prometheus {$PROMETHEUS_ADDRESS}'],
    [/^ {4}grpc \. unix:\/\/\/run\/meridian\/meridian\.sock$/m, `    grpc . unix://${socketPath}`],
  ];
  let result = corefile;
  for (const [pattern, replacement] of replacements) {
    const matches = corefile.match(new RegExp(pattern.source, `${pattern.flags}g`)) ?? [];
    if (matches.length !== 1)
      throw new Error(`the chart's Corefile has ${matches.length} lines like ${pattern}`);
    const [line = ''] = matches;
    if (replacement === '') {
      // The server block's key: every zone on the Pod's port 5353.
      const key = line.slice(0, -2);
      const zones = key.split(' ').map((address) => {
        if (!address.endsWith(':5353')) throw new Error(`zone ${address} is not on port 5353`);
        return `${address.slice(0, -':5353'.length)}:{$DNS_PORT}`;
      });
      result = result.replace(pattern, () => `${zones.join(' ')} {`);
    } else {
      // A function, so that `$` in the replacement is taken literally.
      result = result.replace(pattern, () => replacement);
    }
  }
  return result;
}

/**
 * A kubeconfig for the chart's ServiceAccount, with a token from the
 * TokenRequest API (signed by the apiserver itself, an hour long), written
 * beside the admin's so that stopping the cluster removes it.
 */
export async function serviceAccountKubeconfig(
  cluster: KubeCluster,
  namespace: string,
  name: string,
): Promise<{ kubeconfigPath: string; token: string; user: string }> {
  const reply = await cluster.request(
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    },
  );
  const token = (reply.json as { status?: { token?: string } } | undefined)?.status?.token;
  if (reply.status !== 201 || token === undefined)
    throw new Error(`TokenRequest: HTTP ${reply.status}: ${reply.text}`);
  const user = `system:serviceaccount:${namespace}:${name}`;
  const kubeconfigPath = join(
    dirname(cluster.kubeconfigPath),
    `chart-${namespace}-${name}.kubeconfig`,
  );
  writeFileSync(kubeconfigPath, stringify(cluster.kubeconfigFor(token, user)), { mode: 0o600 });
  return { kubeconfigPath, token, user };
}

/** Meridian and CoreDNS as the chart's Pod runs them. */
export interface ChartPod {
  readonly meridian: Child;
  readonly meridianEnv: Record<string, string>;
  readonly metricsAddress: string;
  readonly coredns: CoreDns;
  /** The Corefile CoreDNS loaded (the chart's, rewritten by corefileForTest). */
  readonly corefile: string;
  stop(): Promise<void>;
}

/**
 * Starts Meridian with the Deployment's environment and `kubeconfigPath`,
 * then CoreDNS with the ConfigMap's Corefile; both wait until ready.
 */
export async function startChartPod(
  deployment: KubeObject,
  corefileConfigMap: KubeObject,
  kubeconfigPath: string,
): Promise<ChartPod> {
  const socketDir = mkdtempSync(join(tmpdir(), 'meridian-socket-'));
  const socketPath = join(socketDir, 'meridian.sock');
  const chartEnv = meridianEnvOf(deployment);
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  const meridianEnv: Record<string, string> = {
    ...chartEnv,
    MERIDIAN_GRPC_LISTEN: `unix:${socketPath}`,
    METRICS_ADDRESS: metricsAddress,
    KUBECONFIG: kubeconfigPath,
    // The Pod's grace keeps answering while load balancers move away; a
    // test process has none, and stopping need not wait for it.
    MERIDIAN_SHUTDOWN_GRACE_SECONDS: '0',
  };
  const started: { stop(): Promise<unknown> }[] = [
    { stop: () => Promise.resolve(rmSync(socketDir, { recursive: true, force: true })) },
  ];
  const stopAll = async (): Promise<void> => {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
  };
  try {
    const meridian = await startMeridianProcess(meridianEnv, 60_000);
    started.push(meridian);
    const data = corefileConfigMap['data'] as { Corefile?: string };
    if (data.Corefile === undefined) throw new Error('the ConfigMap has no Corefile');
    const corefile = corefileForTest(data.Corefile, socketPath);
    const coredns = await startCoreDns(corefile, {}, await freePort());
    started.push(coredns);
    return { meridian, meridianEnv, metricsAddress, coredns, corefile, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
