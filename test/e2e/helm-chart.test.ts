/**
 * The Helm chart in deploy/helm/meridian, end to end, on one real
 * kube-apiserver with RBAC on: helm (built from the Go module proxy) lints and
 * renders it with the default values and with every optional part switched on;
 * kubeconform (likewise) validates the rendered manifests against the
 * schemas of this apiserver's Kubernetes release and of the CRDs; the
 * apiserver accepts them with server-side apply; then Meridian runs with the
 * rendered environment as the chart's ServiceAccount, behind a real CoreDNS
 * loading the rendered Corefile, and serves a Gslb, while everything outside
 * the chart's roles is refused.
 */
import { eventually } from '../../harness/eventually';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import {
  containerOf,
  meridianEnvOf,
  POD_NAME,
  serviceAccountKubeconfig,
  startChartPod,
  type ChartPod,
} from '../helpers/chart-meridian';
import { dig } from '../../harness/dig';
import { applyManifests, installGatewayApiCrds, waitForCrds } from '../../harness/gateway-api';
import {
  ALL_ON_VALUES,
  CHART_DIR,
  helm,
  helmBinary,
  kubeconform,
  kubeconformBinary,
  NAMESPACE,
  only,
  parseManifests,
  renderChart,
  templateArgs,
  type KubeObject,
} from '../helpers/helm';
import { startKubeCluster, type KubeCluster, type KubeReply } from '../../harness/kube-cluster';
import {
  backend,
  create,
  eventsAbout,
  freshNamespace,
  gslbRef,
  gslbStatus,
  ingress,
  ingressSpec,
  read,
  setLoadBalancer,
} from '../../harness/kube-meridian';
import { schemaLocations, writeBuiltInSchemas, writeCrdSchemas } from '../helpers/kube-schemas';
import { REPO_ROOT } from '../../harness/processes';

const run = promisify(execFile);

const CRD_DIR = join(REPO_ROOT, 'deploy', 'crds');
const CRD_FILES = readdirSync(CRD_DIR)
  .filter((file) => file.endsWith('.yaml'))
  .sort();
const MANIFESTS = join(REPO_ROOT, 'deploy', 'manifests', 'meridian.yaml');
/** The Kubernetes release of the test apiserver (tools/kube/go.mod), e.g. 1.36.4. */
const KUBE_VERSION = (() => {
  const goMod = readFileSync(join(REPO_ROOT, 'tools', 'kube', 'go.mod'), 'utf8');
  const version = /^\s*k8s\.io\/kubernetes v(\d+\.\d+\.\d+)$/m.exec(goMod)?.[1];
  if (version === undefined) throw new Error('no k8s.io/kubernetes requirement in tools/kube');
  return version;
})();

let helmBin: string;
let kubeconformBin: string;
let cluster: KubeCluster;
let serviceMonitorCrd: string;
let work: string;
let locations: string[];
/** The default render and the all-on render, CRDs included, as files and objects. */
let defaults: KubeObject[];
let allOnFile: string;
let allOn: KubeObject[];

beforeAll(async () => {
  // helm's cold build takes minutes; it runs beside the control plane's start.
  // Everything settles before a failure is thrown, so that afterAll stops a
  // cluster that started while a build failed.
  const settled = await Promise.allSettled([
    helmBinary().then((path) => (helmBin = path)),
    kubeconformBinary().then((path) => (kubeconformBin = path)),
    startKubeCluster({ authorizationMode: 'RBAC' }).then((started) => (cluster = started)),
    run(join(REPO_ROOT, 'scripts', 'servicemonitor-crd.sh'), [], {
      encoding: 'utf8',
      timeout: 5 * 60_000,
    }).then(({ stdout }) => (serviceMonitorCrd = stdout.trim())),
  ]);
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
  work = mkdtempSync(join(tmpdir(), 'meridian-chart-'));
  // Before any CRD is installed, so that only built-in kinds come from the apiserver.
  const builtIn = join(work, 'schemas', 'kubernetes');
  const crds = join(work, 'schemas', 'crds');
  expect(await writeBuiltInSchemas(cluster, builtIn)).toBeGreaterThan(50);
  writeCrdSchemas([...CRD_FILES.map((f) => join(CRD_DIR, f)), serviceMonitorCrd], crds);
  locations = schemaLocations(builtIn, crds);

  defaults = parseManifests(await renderChart(helmBin, { includeCrds: true }));
  allOnFile = join(work, 'all-on.yaml');
  writeFileSync(
    allOnFile,
    await renderChart(helmBin, { values: [ALL_ON_VALUES], includeCrds: true }),
  );
  allOn = parseManifests(readFileSync(allOnFile, 'utf8'));
}, 25 * 60_000);

afterAll(async () => {
  await cluster?.stop();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('the chart and the repository agree', () => {
  test("the chart's CRDs are deploy/crds, byte for byte", () => {
    expect(readdirSync(join(CHART_DIR, 'crds')).sort()).toEqual(CRD_FILES);
    for (const file of CRD_FILES) {
      expect(readFileSync(join(CHART_DIR, 'crds', file), 'utf8')).toBe(
        readFileSync(join(CRD_DIR, file), 'utf8'),
      );
    }
  });

  test("the chart's roles have exactly the rules of deploy/rbac's, bound to its ServiceAccount", () => {
    const rbacDir = join(REPO_ROOT, 'deploy', 'rbac');
    const pinned = readdirSync(rbacDir)
      .map((file) => parse(readFileSync(join(rbacDir, file), 'utf8')) as KubeObject)
      .filter((object) => object.kind === 'ClusterRole' || object.kind === 'Role');
    expect(pinned.map((role) => role.kind)).toContain('ClusterRole');
    const subject = { kind: 'ServiceAccount', name: 'meridian', namespace: NAMESPACE };
    for (const objects of [defaults, allOn]) {
      // The same roles, no more, each with the same rules.
      const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
      expect(roles.map((role) => role.kind).sort()).toEqual(pinned.map((role) => role.kind).sort());
      for (const role of pinned) {
        expect([role.kind, only(objects, role.kind)['rules']]).toEqual([role.kind, role['rules']]);
        const binding = only(objects, role.kind === 'Role' ? 'RoleBinding' : 'ClusterRoleBinding');
        expect(binding).toMatchObject({
          roleRef: { kind: role.kind, name: 'meridian' },
          subjects: [subject],
        });
        if (role.kind === 'Role') expect(binding.metadata.namespace).toBe(NAMESPACE);
      }
      expect(only(objects, 'ServiceAccount').metadata).toMatchObject({
        name: 'meridian',
        namespace: NAMESPACE,
      });
    }
  });

  test("appVersion is package.json's version, and CoreDNS is the release the tests run", () => {
    const chart = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as {
      appVersion: string;
    };
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(chart.appVersion).toBe(pkg.version);
    const goMod = readFileSync(join(REPO_ROOT, 'tools', 'coredns', 'go.mod'), 'utf8');
    const coredns = /^require github\.com\/coredns\/coredns v(\S+)$/m.exec(goMod)?.[1];
    const deployment = only(defaults, 'Deployment');
    expect(containerOf(deployment, 'coredns')['image']).toBe(`coredns/coredns:${coredns}`);
    expect(containerOf(deployment, 'meridian')['image']).toBe(`meridian:${pkg.version}`);
  });

  test("the image and the chart agree: the Pod's user, the liveness check, the stop signal", () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const [, uid, gid] = /^USER (\d+):(\d+)$/m.exec(dockerfile) ?? [];
    const deployment = only(defaults, 'Deployment');
    const pod = (deployment['spec'] as { template: { spec: Record<string, unknown> } }).template
      .spec;
    expect(pod['securityContext']).toMatchObject({
      runAsUser: Number(uid),
      runAsGroup: Number(gid),
    });
    const [, interval, timeout, startPeriod, retries] =
      /^HEALTHCHECK --interval=(\d+)s --timeout=(\d+)s --start-period=(\d+)s --retries=(\d+) /m.exec(
        dockerfile,
      ) ?? [];
    expect(containerOf(deployment, 'meridian')['livenessProbe']).toEqual({
      httpGet: { path: '/healthz', port: 'metrics' },
      periodSeconds: Number(interval),
      timeoutSeconds: Number(timeout),
      initialDelaySeconds: Number(startPeriod),
      failureThreshold: Number(retries),
    });
    expect(dockerfile).toMatch(/^ {2}CMD \[.*\/healthz.*\]$/m);
    // Kubernetes stops containers with SIGTERM; Meridian's graceful shutdown starts on it.
    expect(dockerfile).toMatch(/^STOPSIGNAL SIGTERM$/m);
  });

  test('deploy/manifests/meridian.yaml is what scripts/render-manifests.sh renders now', async () => {
    const fresh = join(work, 'meridian.yaml');
    await run(join(REPO_ROOT, 'scripts', 'render-manifests.sh'), [fresh], {
      env: { ...process.env, MERIDIAN_HELM_BIN: helmBin },
      timeout: 60_000,
    });
    expect(readFileSync(MANIFESTS, 'utf8')).toBe(readFileSync(fresh, 'utf8'));
    // The default render plus the Namespace it goes in.
    const plain = parseManifests(readFileSync(MANIFESTS, 'utf8'));
    expect(plain[0]).toMatchObject({ kind: 'Namespace', metadata: { name: NAMESPACE } });
    expect(plain.slice(1)).toEqual(defaults);
  });
});

describe('helm', () => {
  test.each([
    ['the default values', []],
    ['every optional part switched on', ['--values', ALL_ON_VALUES]],
  ])(
    'lint --strict passes with %s',
    async (_, args) => {
      const result = await helm(helmBin, ['lint', '--strict', CHART_DIR, ...args]);
      expect(`${result.stdout}${result.stderr}`).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(result.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
      expect(result.code).toBe(0);
    },
    60_000,
  );

  test.each([
    ['a geotag with "_"', ['k8gb.clusterGeoTag=eu_west'], /clusterGeoTag/],
    [
      "a k8gb value Meridian does not implement (k8gb's image)",
      ['k8gb.imageRepo=absaoss/k8gb'],
      /imageRepo/,
    ],
    [
      'an edge DNS server given by name',
      ['k8gb.edgeDNSServers={dns.example.com}'],
      /edgeDNSServers/,
    ],
    [
      'a metrics port CoreDNS uses in the same Pod',
      ['k8gb.metricsAddress=0.0.0.0:9153'],
      /metricsAddress/,
    ],
    ['a single replica', ['replicaCount=1'], /replicaCount/],
    ['a misspelt Service type', ['coredns.serviceType=Loadbalancer'], /serviceType/],
    ['no zone', ['k8gb.dnsZones=null'], /dnsZones/],
    [
      'a zone outside its parent',
      [
        'k8gb.dnsZones[0].parentZone=example.net',
        'k8gb.dnsZones[0].loadBalancedZone=cloud.example.com',
      ],
      /cloud\.example\.com is not inside its parentZone example\.net/,
    ],
    [
      'a disruption budget no drain could meet',
      ['podDisruptionBudget.minAvailable=2'],
      /minAvailable \(2\) must be below replicaCount \(2\)/,
    ],
    [
      'an extra variable the chart sets itself',
      ['meridian.extraEnv[0].name=DNS_ZONES', 'meridian.extraEnv[0].value=x'],
      /DNS_ZONES is set by the chart/,
    ],
    ['an unknown delegation provider', ['delegation.provider=route53'], /provider/],
    ['geoip without a database', ['geoip.enabled=true'], /exactly one of geoip\.configMap/],
    [
      'geoip from two sources',
      ['geoip.enabled=true', 'geoip.configMap=a', 'geoip.secret=b'],
      /exactly one of geoip\.configMap/,
    ],
    [
      'rfc2136 without the parent zone server',
      ['delegation.provider=rfc2136'],
      /rfc2136 needs delegation\.server/,
    ],
  ])(
    'values are validated: %s is refused',
    async (_, set, message) => {
      const result = await helm(helmBin, templateArgs({ set }));
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(message);
    },
    60_000,
  );

  test("Meridian's settings are k8gb's values, as README's Configuration names them", () => {
    expect(meridianEnvOf(only(allOn, 'Deployment'))).toEqual({
      DNS_ZONES: 'example.org:cloud.example.org:30;example.com:gslb.example.com:300',
      CLUSTER_GEO_TAG: 'eu',
      EXT_GSLB_CLUSTERS_GEO_TAGS: 'us,ap',
      EDGE_DNS_SERVERS: '192.0.2.53,192.0.2.54:5353,[2001:db8::53]:53',
      CLUSTER_EXPOSED_IPS: '',
      RECONCILE_REQUEUE_SECONDS: '15',
      NS_RECORD_TTL: '60',
      GLUEA_PREFIX: 'gslb-ns-',
      LOG_LEVEL: 'debug',
      METRICS_ADDRESS: '0.0.0.0:8080',
      MERIDIAN_GRPC_LISTEN: 'unix:/run/meridian/meridian.sock',
      MERIDIAN_SHUTDOWN_GRACE_SECONDS: '5',
      NODE_OPTIONS: '--max-old-space-size=320',
      POD_NAMESPACE: NAMESPACE,
      POD_NAME,
      MERIDIAN_RELOAD_DEBOUNCE_MS: '50',
      // The Service the chart renders for CoreDNS: its drain annotation drains the cluster.
      MERIDIAN_DNS_SERVICE: 'meridian-dns',
      MERIDIAN_DELEGATION: 'none',
      MERIDIAN_DELEGATION_SERVER: '',
      MERIDIAN_DELEGATION_GLUE: '',
    });
    expect(only(allOn, 'Service', 'meridian-dns')).toBeDefined();
    // Kubernetes mode: no manifest directory, no kubeconfig (the Pod's account).
    const env = meridianEnvOf(only(defaults, 'Deployment'));
    expect(env).not.toHaveProperty('MERIDIAN_MANIFESTS_DIR');
    expect(env).not.toHaveProperty('KUBECONFIG');
    expect(env).toMatchObject({
      DNS_ZONES: 'example.com:cloud.example.com:30',
      CLUSTER_GEO_TAG: 'eu',
      EDGE_DNS_SERVERS: '',
    });
  });

  test('delegation: the provider, the parent server, the glue, and the TSIG key mounted from a Secret', async () => {
    const deployment = only(
      parseManifests(
        await renderChart(helmBin, {
          set: [
            'delegation.provider=rfc2136',
            'delegation.server=192.0.2.1:5353',
            'delegation.tsigKeySecret.name=edge-key',
            'delegation.glue={192.0.2.10,2001:db8::10}',
          ],
        }),
      ),
      'Deployment',
    ) as never as {
      spec: {
        template: {
          spec: {
            containers: { name: string; volumeMounts: { name: string; mountPath: string }[] }[];
            volumes: { name: string; secret?: unknown }[];
          };
        };
      };
    };
    expect(meridianEnvOf(deployment as never)).toMatchObject({
      MERIDIAN_DELEGATION: 'rfc2136',
      MERIDIAN_DELEGATION_SERVER: '192.0.2.1:5353',
      MERIDIAN_DELEGATION_GLUE: '192.0.2.10,2001:db8::10',
      MERIDIAN_DELEGATION_TSIG_KEY_FILE: '/etc/meridian/delegation/tsig.key',
    });
    const pod = deployment.spec.template.spec;
    const mounts = (name: string) =>
      pod.containers.find((c) => c.name === name)!.volumeMounts.map((m) => m.name);
    // The key reaches the Meridian container only, read-only.
    expect(mounts('meridian')).toContain('delegation-key');
    expect(mounts('coredns')).not.toContain('delegation-key');
    expect(pod.volumes.find((v) => v.name === 'delegation-key')).toEqual({
      name: 'delegation-key',
      secret: {
        secretName: 'edge-key',
        defaultMode: 0o440,
        items: [{ key: 'tsig.key', path: 'tsig.key' }],
      },
    });
    // By default: no key, no volume.
    const plain = only(defaults, 'Deployment') as never as typeof deployment;
    expect(plain.spec.template.spec.volumes.map((v) => v.name)).not.toContain('delegation-key');
    expect(meridianEnvOf(plain as never)).not.toHaveProperty('MERIDIAN_DELEGATION_TSIG_KEY_FILE');
  }, 60_000);

  test.each([
    ['configMap', { configMap: { name: 'geo' } }],
    ['secret', { secret: { secretName: 'geo' } }],
    ['persistentVolumeClaim', { persistentVolumeClaim: { claimName: 'geo', readOnly: true } }],
  ])(
    'geoip from a %s: mounted read-only, named by the setting, the subnet rewrite in the Corefile',
    async (source, volume) => {
      const rendered = parseManifests(
        await renderChart(helmBin, {
          set: ['geoip.enabled=true', `geoip.${source}=geo`, 'geoip.file=sites.mmdb'],
        }),
      );
      const deployment = only(rendered, 'Deployment') as never as {
        spec: {
          template: {
            spec: {
              containers: {
                name: string;
                volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
              }[];
              volumes: { name: string }[];
            };
          };
        };
      };
      const pod = deployment.spec.template.spec;
      expect(meridianEnvOf(deployment as never)['MERIDIAN_GEOIP_DATABASE']).toBe(
        '/etc/meridian/geoip/sites.mmdb',
      );
      expect(pod.volumes.find((v) => v.name === 'geoip')).toEqual({ name: 'geoip', ...volume });
      const meridian = pod.containers.find((c) => c.name === 'meridian')!;
      expect(meridian.volumeMounts).toContainEqual({
        name: 'geoip',
        mountPath: '/etc/meridian/geoip',
        readOnly: true,
      });
      const coredns = pod.containers.find((c) => c.name === 'coredns')!;
      expect(coredns.volumeMounts.map((m) => m.name)).not.toContain('geoip');
      const corefile = (
        only(rendered, 'ConfigMap', 'meridian-coredns') as never as {
          data: { Corefile: string };
        }
      ).data.Corefile;
      expect(corefile).toMatch(/\n\s+rewrite edns0 subnet append 24 56\n\s+grpc \. unix:/);
      // Off by default: no rewrite, no volume, no setting.
      const plainCorefile = (
        only(defaults, 'ConfigMap', 'meridian-coredns') as never as {
          data: { Corefile: string };
        }
      ).data.Corefile;
      expect(plainCorefile).not.toContain('rewrite');
      expect(meridianEnvOf(only(defaults, 'Deployment'))).not.toHaveProperty(
        'MERIDIAN_GEOIP_DATABASE',
      );
    },
    60_000,
  );

  test('clusterExposedIPs: a list or a comma-separated string, as k8gb users write either', async () => {
    for (const [name, value] of [
      ['list', ['192.0.2.1', '2001:db8::1']],
      ['string', '192.0.2.1,2001:db8::1'],
    ] as const) {
      const file = join(work, `exposed-${name}.yaml`);
      writeFileSync(file, JSON.stringify({ k8gb: { clusterExposedIPs: value } }));
      const deployment = only(
        parseManifests(await renderChart(helmBin, { values: [file] })),
        'Deployment',
      );
      expect(meridianEnvOf(deployment)['CLUSTER_EXPOSED_IPS']).toBe('192.0.2.1,2001:db8::1');
    }
  }, 60_000);

  test('the Pod: CoreDNS and Meridian side by side over a unix socket, hardened, probed and bounded', () => {
    for (const objects of [defaults, allOn]) {
      const deployment = only(objects, 'Deployment');
      const spec = deployment['spec'] as {
        replicas: number;
        template: { spec: Record<string, unknown> & { volumes: Record<string, unknown>[] } };
      };
      expect(spec.replicas).toBeGreaterThanOrEqual(2);
      const pod = spec.template.spec;
      expect(pod['securityContext']).toEqual({
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        fsGroup: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod['automountServiceAccountToken']).toBe(false);
      expect(pod['serviceAccountName']).toBe('meridian');
      expect(pod['topologySpreadConstraints']).toEqual([
        expect.objectContaining({ topologyKey: 'topology.kubernetes.io/zone' }),
        expect.objectContaining({ topologyKey: 'kubernetes.io/hostname' }),
      ]);
      for (const constraint of pod['topologySpreadConstraints'] as Record<string, unknown>[]) {
        expect(constraint['labelSelector']).toEqual({
          matchLabels: {
            'app.kubernetes.io/name': 'meridian',
            'app.kubernetes.io/instance': 'meridian',
          },
        });
      }
      expect(spec.template.spec.volumes).toContainEqual({
        name: 'socket',
        emptyDir: { medium: 'Memory', sizeLimit: '1Mi' },
      });

      const probe = (path: string, port: string | number): unknown =>
        expect.objectContaining({ httpGet: { path, port } });
      const meridian = containerOf(deployment, 'meridian');
      const coredns = containerOf(deployment, 'coredns');
      expect(meridian).toMatchObject({
        readinessProbe: probe('/readyz', 'metrics'),
        livenessProbe: probe('/healthz', 'metrics'),
        ports: [{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }],
      });
      expect(coredns).toMatchObject({
        args: ['-conf', '/etc/coredns/Corefile'],
        readinessProbe: probe('/ready', 8181),
        livenessProbe: probe('/health', 8081),
      });
      for (const container of [meridian, coredns]) {
        expect(container['securityContext']).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(container['resources']).toEqual({
          requests: { cpu: expect.any(String), memory: expect.any(String) },
          limits: { cpu: expect.any(String), memory: expect.any(String) },
        });
        expect(container['volumeMounts']).toContainEqual({
          name: 'socket',
          mountPath: '/run/meridian',
        });
      }
      // Only Meridian talks to the apiserver, so only Meridian holds a token.
      const mounts = (c: KubeObject) =>
        (c['volumeMounts'] as { name: string }[]).map((m) => m.name);
      expect(mounts(meridian)).toContain('kube-api-access');
      expect(mounts(coredns)).not.toContain('kube-api-access');
    }
  });

  test('Services: DNS on port 53 over UDP and TCP, a LoadBalancer unless told otherwise; metrics of both containers', async () => {
    const dns = only(defaults, 'Service', 'meridian-dns');
    expect(dns['spec']).toMatchObject({
      type: 'LoadBalancer',
      ports: [
        { name: 'dns', port: 53, targetPort: 'dns', protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, targetPort: 'dns-tcp', protocol: 'TCP' },
      ],
    });
    const clusterIp = parseManifests(
      await renderChart(helmBin, { set: ['coredns.serviceType=ClusterIP'] }),
    );
    expect(only(clusterIp, 'Service', 'meridian-dns')['spec']).toMatchObject({ type: 'ClusterIP' });
    expect(only(allOn, 'Service', 'meridian-dns')['spec']).toMatchObject({
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
    });
    expect(only(defaults, 'Service', 'meridian-metrics')['spec']).toMatchObject({
      type: 'ClusterIP',
      ports: [
        { name: 'metrics', port: 8080, targetPort: 'metrics' },
        { name: 'coredns-metrics', port: 9153, targetPort: 'coredns-metrics' },
      ],
    });
    expect(only(defaults, 'PodDisruptionBudget')['spec']).toMatchObject({ minAvailable: 1 });
  }, 60_000);

  test('the Corefile: every zone in one block, the grpc plugin to the socket, reload on', () => {
    expect(only(allOn, 'ConfigMap', 'meridian-coredns')['data']).toEqual({
      Corefile: [
        'cloud.example.org:5353 gslb.example.com:5353 {',
        '    errors',
        '    log',
        '    health :8081 {',
        '        lameduck 5s',
        '    }',
        '    ready :8181',
        '    prometheus :9153',
        '    reload',
        '    grpc . unix:///run/meridian/meridian.sock',
        '}',
        '',
      ].join('\n'),
    });
  });

  test('optional parts: no ServiceMonitor or NetworkPolicy by default; with them, only the traffic the Pods need', () => {
    const kinds = (objects: KubeObject[]) => objects.map((o) => o.kind).sort();
    expect(kinds(defaults)).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'ConfigMap',
      'CustomResourceDefinition',
      'CustomResourceDefinition',
      'Deployment',
      'PodDisruptionBudget',
      'Role',
      'RoleBinding',
      'Service',
      'Service',
      'ServiceAccount',
    ]);
    expect(kinds(allOn)).toEqual([...kinds(defaults), 'NetworkPolicy', 'ServiceMonitor'].sort());
    expect(only(allOn, 'ServiceMonitor')).toMatchObject({
      metadata: { labels: { release: 'prometheus' } },
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/component': 'metrics' } },
        endpoints: [
          { port: 'metrics', path: '/metrics', interval: '15s' },
          { port: 'coredns-metrics', path: '/metrics', interval: '15s' },
        ],
      },
    });
    const dnsPorts = (port: number) => [
      { port, protocol: 'UDP' },
      { port, protocol: 'TCP' },
    ];
    const ipBlocks = (...cidrs: string[]) => cidrs.map((cidr) => ({ ipBlock: { cidr } }));
    expect(only(allOn, 'NetworkPolicy')['spec']).toEqual({
      podSelector: {
        matchLabels: {
          'app.kubernetes.io/name': 'meridian',
          'app.kubernetes.io/instance': 'meridian',
        },
      },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        // DNS from anywhere: no `from`.
        {
          ports: [
            { port: 'dns', protocol: 'UDP' },
            { port: 'dns-tcp', protocol: 'TCP' },
          ],
        },
        {
          from: [
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
          ],
          ports: [
            { port: 'metrics', protocol: 'TCP' },
            { port: 'coredns-metrics', protocol: 'TCP' },
          ],
        },
      ],
      egress: [
        {
          ports: [
            { port: 443, protocol: 'TCP' },
            { port: 6443, protocol: 'TCP' },
          ],
          to: ipBlocks('10.0.0.1/32', '172.18.0.2/32'),
        },
        { to: ipBlocks('192.0.2.53/32'), ports: dnsPorts(53) },
        { to: ipBlocks('192.0.2.54/32'), ports: dnsPorts(5353) },
        { to: ipBlocks('2001:db8::53/128'), ports: dnsPorts(53) },
        { to: ipBlocks('198.51.100.10/32', '203.0.113.0/28'), ports: dnsPorts(53) },
      ],
    });
  });
});

describe(
  'kubeconform, against the schemas of Kubernetes ' + KUBE_VERSION + ' and of the CRDs',
  () => {
    test.each([
      ['the plain manifests (the default values)', () => MANIFESTS, 1 + 12],
      ['every optional part switched on', () => allOnFile, 14],
    ])(
      '%s: every resource valid, none skipped',
      async (_, file, resources) => {
        const report = await kubeconform(kubeconformBin, locations, [file()], KUBE_VERSION);
        expect(report.resources.filter((r) => r.status !== 'statusValid')).toEqual([]);
        expect(report.summary).toEqual({ valid: resources, invalid: 0, errors: 0, skipped: 0 });
        expect(report.code).toBe(0);
      },
      60_000,
    );

    test('the Gslbs of the examples and of the k8gb fixtures are valid; the ones their schema rejects are invalid', async () => {
      const fixtures = join(REPO_ROOT, 'test', 'fixtures', 'k8gb');
      const valid = [
        ...readdirSync(join(REPO_ROOT, 'examples', 'gslbs')).map((f) =>
          join(REPO_ROOT, 'examples', 'gslbs', f),
        ),
        // Files only: legacy/ holds a CRD of k8gb's older group, not a Gslb.
        ...readdirSync(fixtures)
          .filter((f) => f.endsWith('.yaml') && !f.startsWith('invalid-'))
          .map((f) => join(fixtures, f)),
      ];
      const good = await kubeconform(kubeconformBin, locations, valid, KUBE_VERSION);
      expect(good.resources.filter((r) => r.status !== 'statusValid')).toEqual([]);
      expect(good.summary.valid).toBe(valid.length);

      // Rejected by the OpenAPI schema; the others need the CRDs' CEL rules,
      // which only the apiserver runs (test/e2e/crds.test.ts).
      const invalid = ['invalid-unknown-strategy.yaml', 'invalid-negative-ttl.yaml'];
      const bad = await kubeconform(
        kubeconformBin,
        locations,
        invalid.map((f) => join(fixtures, f)),
        KUBE_VERSION,
      );
      expect(bad.resources.map((r) => r.status)).toEqual(invalid.map(() => 'statusInvalid'));
      expect(bad.code).not.toBe(0);
    }, 60_000);

    test('a misspelt field, an unknown Service type and an unknown ServiceMonitor field are caught', async () => {
      const deployment = withField(
        only(allOn, 'Deployment'),
        ['spec', 'template', 'spec', 'containers', 0, 'imagePullPolice'],
        'Always',
      );
      const service = withField(
        only(allOn, 'Service', 'meridian-dns'),
        ['spec', 'type'],
        'Loadbalancer',
      );
      const monitor = withField(
        only(allOn, 'ServiceMonitor'),
        ['spec', 'endpoints', 0, 'intervall'],
        '15s',
      );
      const file = join(work, 'broken.yaml');
      writeFileSync(
        file,
        [deployment, service, monitor].map((o) => JSON.stringify(o)).join('\n---\n'),
      );
      const report = await kubeconform(kubeconformBin, locations, [file], KUBE_VERSION);
      const byKind = [...report.resources].sort((a, b) => a.kind.localeCompare(b.kind));
      expect(byKind.map((r) => [r.kind, r.status])).toEqual([
        ['Deployment', 'statusInvalid'],
        ['Service', 'statusInvalid'],
        ['ServiceMonitor', 'statusInvalid'],
      ]);
      expect(byKind[0]?.msg).toMatch(/imagePullPolice/);
      expect(byKind[1]?.msg).toMatch(/'\/spec\/type': value must be one of .*'LoadBalancer'/);
      expect(byKind[2]?.msg).toMatch(/intervall/);
    }, 60_000);
  },
);

describe('a real kube-apiserver', () => {
  beforeAll(async () => {
    await applyManifests(cluster, [serviceMonitorCrd]);
    await waitForCrds(cluster, ['servicemonitors.monitoring.coreos.com']);
  }, 60_000);

  test('accepts the plain manifests with server-side apply, then the all-on render over them', async () => {
    await applyManifests(cluster, [MANIFESTS]);
    await waitForCrds(cluster, ['gslbs.k8gb.io', 'zonedelegations.k8gb.io']);
    await applyManifests(cluster, [allOnFile]);
    for (const object of allOn) {
      const { kind, metadata } = object;
      const reply = await cluster.request('GET', objectPath(object));
      expect([kind, metadata.name, reply.status]).toEqual([kind, metadata.name, 200]);
    }
    const stored = await cluster.request('GET', objectPath(only(allOn, 'Deployment')));
    expect(stored.json).toMatchObject({
      spec: { replicas: 3, template: { spec: { priorityClassName: 'system-cluster-critical' } } },
    });
  }, 120_000);
  test('the Deployment and Corefile with geoip and the delegation key on are accepted by the apiserver', async () => {
    const rendered = parseManifests(
      await renderChart(helmBin, {
        set: [
          'geoip.enabled=true',
          'geoip.secret=geo',
          'delegation.provider=rfc2136',
          'delegation.server=192.0.2.1',
          'delegation.tsigKeySecret.name=edge-key',
        ],
      }),
    );
    for (const object of [
      only(rendered, 'Deployment'),
      only(rendered, 'ConfigMap', 'meridian-coredns'),
    ]) {
      // A server-side dry run: validation and admission in full, nothing stored.
      const collection = objectPath(object).replace(/\/[^/]+$/, '');
      const reply = await cluster.request('POST', `${collection}?dryRun=All`, {
        ...object,
        metadata: { ...object.metadata, name: `${object.metadata.name}-geoip` },
      });
      expect([object.kind, reply.status]).toEqual([object.kind, 201]);
    }
  }, 60_000);

  test("the Pod Security admission's restricted profile admits the chart's Pod, and refuses it weakened", async () => {
    const namespace = 'restricted-pods';
    expect(
      (
        await cluster.request('POST', '/api/v1/namespaces', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: {
            name: namespace,
            labels: {
              'pod-security.kubernetes.io/enforce': 'restricted',
              'pod-security.kubernetes.io/enforce-version': 'latest',
            },
          },
        })
      ).status,
    ).toBe(201);
    // The Pod runs as the chart's ServiceAccount, which admission looks up.
    const account = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'meridian' } };
    const sa = await cluster.request(
      'POST',
      `/api/v1/namespaces/${namespace}/serviceaccounts`,
      account,
    );
    expect(sa.status).toBe(201);
    const template = (
      only(defaults, 'Deployment') as unknown as {
        spec: { template: { metadata: Record<string, unknown>; spec: Record<string, unknown> } };
      }
    ).spec.template;
    const pod = (spec: Record<string, unknown>) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'meridian-restricted', labels: template.metadata['labels'] },
      spec,
    });
    // A server-side dry run: admission runs in full, nothing is stored or scheduled.
    const create = (spec: Record<string, unknown>) =>
      cluster.request('POST', `/api/v1/namespaces/${namespace}/pods?dryRun=All`, pod(spec));
    const admitted = await create(template.spec);
    expect([admitted.status, admitted.text]).toEqual([201, expect.any(String)]);
    const containers = template.spec['containers'] as Record<string, unknown>[];
    const weakened = {
      ...template.spec,
      containers: containers.map((c, i) =>
        i === 0
          ? {
              ...c,
              securityContext: {
                ...(c['securityContext'] as object),
                allowPrivilegeEscalation: true,
              },
            }
          : c,
      ),
    };
    const refused = await create(weakened);
    expect(refused.status).toBe(403);
    const { message } = refused.json as { message: string };
    expect(message).toContain('violates PodSecurity "restricted:latest"');
    expect(message).toContain('allowPrivilegeEscalation != false (container "meridian"');
  }, 60_000);
});

/** A deep copy of `object` with the field at `path` set to `value`. */
function withField(
  object: KubeObject,
  path: readonly (string | number)[],
  value: unknown,
): KubeObject {
  const copy = structuredClone(object);
  let node = copy as unknown as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = value;
  return copy;
}

/** The API path of a rendered object. */
function objectPath(object: KubeObject): string {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : ['', object.apiVersion];
  const plural: Record<string, string> = {
    CustomResourceDefinition: 'customresourcedefinitions',
    ClusterRole: 'clusterroles',
    ClusterRoleBinding: 'clusterrolebindings',
    ConfigMap: 'configmaps',
    Deployment: 'deployments',
    NetworkPolicy: 'networkpolicies',
    PodDisruptionBudget: 'poddisruptionbudgets',
    Role: 'roles',
    RoleBinding: 'rolebindings',
    Service: 'services',
    ServiceAccount: 'serviceaccounts',
    ServiceMonitor: 'servicemonitors',
  };
  const resource = plural[object.kind];
  if (resource === undefined) throw new Error(`no plural for ${object.kind}`);
  const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  const namespace = object.metadata.namespace;
  return `${base}${namespace === undefined ? '' : `/namespaces/${namespace}`}/${resource}/${object.metadata.name}`;
}

describe("Meridian as the chart's ServiceAccount, behind CoreDNS with the chart's Corefile", () => {
  let pod: ChartPod;
  let token: string;
  let user: string;

  beforeAll(async () => {
    // Every resource Meridian reads exists, so every list and watch is tried.
    await installGatewayApiCrds(cluster);
    const account = await serviceAccountKubeconfig(cluster, NAMESPACE, 'meridian');
    ({ token, user } = account);
    pod = await startChartPod(
      only(allOn, 'Deployment'),
      only(allOn, 'ConfigMap', 'meridian-coredns'),
      account.kubeconfigPath,
    );
  }, 120_000);

  afterAll(async () => {
    await pod?.stop();
  }, 30_000);

  /** Asks the chart's CoreDNS. */
  const ask = (name: string, type = 'A') =>
    dig('kdig', ['@127.0.0.1', '-p', String(pod.coredns.dnsPort), name, type]);

  /** Meridian's metrics text. */
  const metrics = async () => (await fetch(`http://${pod.metricsAddress}/metrics`)).text();

  test('ready: the role let it list and watch everything it reads', async () => {
    const text = await metrics();
    for (const kind of [
      'Gslb',
      'Ingress',
      'Service',
      'EndpointSlice',
      'Gateway',
      'HTTPRoute',
      'GRPCRoute',
      // k8gb's legacy group, whose CRD the chart does not install: found not served, which is
      // no error.
      'LegacyGslb',
    ]) {
      expect(text).toContain(`meridian_kube_watch_synced{resource="${kind}"} 1`);
    }
    expect(text).not.toMatch(/meridian_kube_watch_errors_total\{[^}]*\} [1-9]/);
  }, 30_000);

  test("the Role let it take the writers' Lease in its namespace, under the Pod's name", async () => {
    const leases = await eventually(
      () => cluster.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases`),
      (reply) =>
        (reply.json as { items?: { spec?: { holderIdentity?: string } }[] }).items?.some(
          (lease) => lease.spec?.holderIdentity === POD_NAME,
        ) === true,
    );
    expect(leases.status).toBe(200);
    expect(await metrics()).toMatch(/^meridian_kube_writer 1$/m);
  }, 30_000);

  test('a Gslb with an Ingress resourceRef is answered through CoreDNS, and its status written', async () => {
    const ns = await freshNamespace(cluster, 'chart');
    const host = `shop.${ns}.cloud.example.org`;
    await backend(cluster, ns, 'web', true);
    await create(cluster, ingress(ns, 'shop', [host], 'web'));
    await setLoadBalancer(cluster, 'Ingress', ns, 'shop', [{ ip: '192.0.2.10' }]);
    await create(
      cluster,
      gslbRef(ns, 'shop', { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'shop' }),
    );
    const reply = await eventually(
      () => ask(host),
      (r) => r.answer.length > 0,
    );
    expect(reply.status).toBe('NOERROR');
    expect(reply.flags).toContain('aa');
    expect(reply.answer.map((r) => r.data)).toEqual(['192.0.2.10']);
    const status = await eventually(
      () => gslbStatus(cluster, ns, 'shop'),
      (s) => s.conditions?.[0]?.status === 'True',
    );
    expect(status).toMatchObject({
      serviceHealth: { [host]: 'Healthy' },
      geoTag: 'eu',
      conditions: [
        expect.objectContaining({ type: 'Ready', reason: 'Serving' }),
        expect.objectContaining({ type: 'Answering', status: 'True', reason: 'Answered' }),
      ],
    });
  }, 60_000);

  test('it creates the Ingress of an embedded Gslb and Events about a Gslb it cannot serve', async () => {
    const ns = await freshNamespace(cluster, 'chart-emb');
    const host = `emb.${ns}.gslb.example.com`;
    await backend(cluster, ns, 'web', true);
    await create(cluster, {
      apiVersion: 'k8gb.io/v1beta1',
      kind: 'Gslb',
      metadata: { name: 'emb', namespace: ns },
      spec: { ingress: ingressSpec([host], 'web'), strategy: { type: 'roundRobin' } },
    } as never);
    const made = await eventually(
      () => read<{ metadata: { labels?: Record<string, string> } }>(cluster, 'Ingress', ns, 'emb'),
      (i) => i !== null,
    );
    expect(made?.metadata.labels).toEqual({ 'app.k8gb.io/managed-by': 'gslb' });
    await setLoadBalancer(cluster, 'Ingress', ns, 'emb', [{ ip: '192.0.2.20' }]);
    expect(
      (
        await eventually(
          () => ask(host),
          (r) => r.answer.length > 0,
        )
      ).answer.map((r) => r.data),
    ).toEqual(['192.0.2.20']);

    await create(
      cluster,
      gslbRef(ns, 'missing', { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'none' }),
    );
    const events = await eventually(
      () => eventsAbout(cluster, ns, 'missing'),
      (e) => e.length > 0,
    );
    expect(events[0]).toMatchObject({ reason: 'ResourceNotFound', type: 'Warning' });
  }, 60_000);

  test("the zones' apex: SOA and the NS names of every geotag, for each zone of the chart", async () => {
    for (const [zone, parent] of [
      ['cloud.example.org', 'example.org'],
      ['gslb.example.com', 'example.com'],
    ] as const) {
      const dashed = zone.slice(0, -(parent.length + 1));
      const ns = await ask(zone, 'NS');
      expect(ns.answer.map((r) => r.data).sort()).toEqual(
        ['ap', 'eu', 'us'].map((tag) => `gslb-ns-${tag}-${dashed}.${parent}.`),
      );
      expect(ns.answer.every((r) => r.ttl === 60)).toBe(true);
      expect((await ask(zone, 'SOA')).answer[0]?.type).toBe('SOA');
    }
    // Outside the chart's zones CoreDNS itself refuses.
    expect((await ask('example.net')).status).toBe('REFUSED');
  }, 30_000);

  test('none of its requests was refused', async () => {
    const text = await metrics();
    expect(text).not.toMatch(/meridian_kube_writes_total\{[^}]*result="failed"[^}]*\} [1-9]/);
    expect(text).toMatch(/meridian_kube_writes_total\{[^}]*result="done"[^}]*\} [1-9]/);
    expect(pod.meridian.output()).not.toMatch(/Forbidden|"status":403/);
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
      path: `/api/v1/namespaces/${NAMESPACE}/secrets`,
    },
    {
      what: 'read its own ConfigMap',
      method: 'GET',
      path: `/api/v1/namespaces/${NAMESPACE}/configmaps/meridian-coredns`,
    },
    { what: 'list Pods', method: 'GET', path: '/api/v1/pods' },
    { what: 'list Nodes', method: 'GET', path: '/api/v1/nodes' },
    {
      what: 'create a Service',
      method: 'POST',
      path: `/api/v1/namespaces/${NAMESPACE}/services`,
      body: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'x' },
        spec: { ports: [{ port: 80 }] },
      },
    },
    {
      what: 'change its own Deployment',
      method: 'DELETE',
      path: `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/meridian`,
    },
    {
      what: 'mint tokens for its ServiceAccount',
      method: 'POST',
      path: `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/meridian/token`,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} },
    },
    {
      what: 'widen its own ClusterRole',
      method: 'DELETE',
      path: '/apis/rbac.authorization.k8s.io/v1/clusterroles/meridian',
    },
    {
      what: 'bind itself another role',
      method: 'POST',
      path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'escalate' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'cluster-admin',
        },
        subjects: [{ kind: 'ServiceAccount', name: 'meridian', namespace: NAMESPACE }],
      },
    },
    {
      what: 'delete a Gslb',
      method: 'DELETE',
      path: `/apis/k8gb.io/v1beta1/namespaces/${NAMESPACE}/gslbs/any`,
    },
    {
      what: 'delete a ZoneDelegation',
      method: 'DELETE',
      path: '/apis/k8gb.io/v1beta1/zonedelegations/any',
    },
    {
      what: 'read a Lease outside its namespace',
      method: 'GET',
      path: '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager',
    },
    {
      what: 'delete a Lease in its namespace',
      method: 'DELETE',
      path: `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases/any`,
    },
    {
      what: 'read the CRDs',
      method: 'GET',
      path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    },
  ];

  test.each(refused)(
    'may not $what',
    async ({ method, path, body }) => {
      const reply: KubeReply = await cluster.request(method, path, body, token);
      expect(reply.status).toBe(403);
      expect(reply.json).toMatchObject({
        kind: 'Status',
        reason: 'Forbidden',
        message: expect.stringContaining(`User "${user}" cannot`),
      });
    },
    30_000,
  );
});
