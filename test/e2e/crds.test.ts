/**
 * The CRDs in deploy/crds against a real kube-apiserver: k8gb-style manifests
 * (test/fixtures/k8gb) apply unchanged and read back whole, invalid ones are
 * rejected at admission with a message that names the problem, status is a
 * subresource, and `kubectl get` prints k8gb's columns plus Ready. Fixtures go
 * through kubectl, as users apply them; the API is used where kubectl has no
 * verb (writing status) or where the exact reply matters.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { startKubeCluster, type KubeCluster, type KubeReply } from '../../harness/kube-cluster';
import { REPO_ROOT } from '../../harness/processes';

const run = promisify(execFile);
const CRD_DIR = join(REPO_ROOT, 'deploy', 'crds');
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'k8gb');
const CRDS = ['gslbs.k8gb.io', 'zonedelegations.k8gb.io'];
const GROUP_VERSION = '/apis/k8gb.io/v1beta1';
const FIELD_MANAGER = 'meridian-e2e';

type Json = Record<string, unknown>;

/** The parts of a Gslb or ZoneDelegation the tests look at. */
interface KubeObject {
  apiVersion: string;
  kind: 'Gslb' | 'ZoneDelegation';
  metadata: {
    name: string;
    namespace?: string;
    annotations?: Record<string, string>;
    generation?: number;
  };
  spec: Json;
  status?: Json;
}

const FIXTURE_FILES = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const VALID = FIXTURE_FILES.filter((f) => !f.startsWith('invalid-'));

/**
 * Every invalid fixture with a part of the apiserver's message. The messages
 * are the user interface of the validation, so they are pinned exactly.
 */
const INVALID: readonly (readonly [file: string, message: string])[] = [
  [
    'invalid-unknown-strategy.yaml',
    'spec.strategy.type: Unsupported value: "weighted": supported values: "roundRobin", "failover", "geoip"',
  ],
  [
    'invalid-weight-too-large.yaml',
    'spec.strategy.weight.eu: Invalid value: 1001: spec.strategy.weight.eu in body should be less than or equal to 1000',
  ],
  [
    'invalid-weight-with-failover.yaml',
    'spec.strategy.weight: Forbidden: weight is only allowed with strategy type roundRobin',
  ],
  [
    'invalid-weight-key-dot.yaml',
    "spec.strategy.weight: Invalid value: weight keys must be geotags made of letters, digits and '-' (^[a-zA-Z0-9-]+$)",
  ],
  [
    'invalid-negative-ttl.yaml',
    'spec.strategy.dnsTtlSeconds: Invalid value: -5: spec.strategy.dnsTtlSeconds in body should be greater than or equal to 0',
  ],
  [
    'invalid-ttl-too-large.yaml',
    'spec.strategy.dnsTtlSeconds: Invalid value: 2147483648: spec.strategy.dnsTtlSeconds in body should be less than or equal to 2147483647',
  ],
  [
    'invalid-empty-spec.yaml',
    'spec: Required value: spec must set resourceRef (the Ingress, Service or route to balance) or ingress (an embedded Ingress spec with rules or a backend); neither is set',
  ],
  ['invalid-rule-without-http.yaml', 'spec.ingress.rules[0].http: Required value'],
  [
    'invalid-probe-tcp-without-port.yaml',
    'spec.probe.port: Required value: port is required with probe type tcp',
  ],
  [
    'invalid-probe-timeout-above-interval.yaml',
    'spec.probe.timeoutSeconds: Invalid value: timeoutSeconds must not exceed intervalSeconds',
  ],
  [
    'invalid-fallback-with-roundrobin.yaml',
    'spec.strategy.fallbackGeoTags: Forbidden: fallbackGeoTags is only allowed with strategy type failover',
  ],
  [
    'invalid-zonedelegation-not-under-parent.yaml',
    'spec: Invalid value: loadBalancedZone must be subdomain of parentZone',
  ],
  [
    'invalid-zonedelegation-same-zone.yaml',
    'spec: Invalid value: loadBalancedZone must not equal parentZone',
  ],
];

let cluster: KubeCluster;
let cacheDir: string;

function fixture(file: string): KubeObject {
  return parse(readFileSync(join(FIXTURES, file), 'utf8')) as KubeObject;
}

/** The API path of an object. */
function pathOf(object: KubeObject): string {
  const plural = object.kind === 'Gslb' ? 'gslbs' : 'zonedelegations';
  const { name, namespace } = object.metadata;
  return namespace === undefined
    ? `${GROUP_VERSION}/${plural}/${name}`
    : `${GROUP_VERSION}/namespaces/${namespace}/${plural}/${name}`;
}

/** Fails with the apiserver's answer, which says why, instead of just the status. */
function expectStatus(reply: KubeReply, status: number): void {
  if (reply.status !== status)
    throw new Error(`expected HTTP ${status}, got ${reply.status}: ${reply.text}`);
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs kubectl as the admin; a non-zero exit is a result, a timeout or spawn failure throws. */
async function kubectl(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await run(
      join(cluster.binDir, 'kubectl'),
      ['--kubeconfig', cluster.kubeconfigPath, '--cache-dir', cacheDir, ...args],
      { timeout: 30_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** `kubectl apply --server-side` of one file: strict about unknown fields, as k8gb users' applies are. */
function applyFile(path: string): Promise<Run> {
  return kubectl('apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', path);
}

async function mustSucceed(result: Promise<Run>): Promise<string> {
  const { code, stdout, stderr } = await result;
  if (code !== 0) throw new Error(`kubectl exited ${code}:\n${stderr}${stdout}`);
  return stdout;
}

/** Applies a fixture and returns the object as the apiserver stored it. */
async function applyFixture(file: string): Promise<KubeObject> {
  await mustSucceed(applyFile(join(FIXTURES, file)));
  const reply = await cluster.request('GET', pathOf(fixture(file)));
  expectStatus(reply, 200);
  return reply.json as KubeObject;
}

/** Writes `status` through the status subresource, sending `spec` along (which must be ignored). */
async function putStatus(stored: KubeObject, status: Json, spec = stored.spec): Promise<KubeReply> {
  return cluster.request('PUT', `${pathOf(stored)}/status`, { ...stored, spec, status });
}

/** `kubectl get` output as rows of whitespace-separated cells. */
function table(stdout: string): string[][] {
  return stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/));
}

/** Polls until `check` holds; fails after `timeoutMs` with what `describe` says. */
async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  describe: () => Promise<string>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${await describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  cluster = await startKubeCluster();
  cacheDir = mkdtempSync(join(tmpdir(), 'meridian-kubectl-cache-'));
  await mustSucceed(applyFile(CRD_DIR));
  await mustSucceed(
    kubectl('wait', '--for=condition=Established', '--timeout=60s', ...CRDS.map((n) => `crd/${n}`)),
  );
  // Established means the apiserver serves the resources; discovery, which
  // kubectl maps kinds with, is published separately and may trail it.
  const discovery = (): Promise<KubeReply> => cluster.request('GET', GROUP_VERSION);
  await waitUntil(
    async () => {
      const names = (
        (await discovery()).json as { resources?: { name: string }[] } | undefined
      )?.resources?.map((r) => r.name);
      return ['gslbs', 'zonedelegations'].every((n) => names?.includes(n) === true);
    },
    30_000,
    async () => (await discovery()).text,
  );
  // kubectl cached discovery while applying the CRDs, before k8gb.io existed.
  rmSync(cacheDir, { recursive: true, force: true });
  const namespaces = new Set(
    FIXTURE_FILES.map((f) => fixture(f).metadata.namespace).filter((n) => n !== undefined),
  );
  for (const name of namespaces) {
    expectStatus(
      await cluster.request('POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
      }),
      201,
    );
  }
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  if (cacheDir !== undefined) rmSync(cacheDir, { recursive: true, force: true });
}, 60_000);

test('both CRDs are installed with the names, scopes and versions k8gb uses', async () => {
  const crds = await Promise.all(
    CRDS.map(async (name) => {
      const reply = await cluster.request(
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
      );
      expectStatus(reply, 200);
      return reply.json;
    }),
  );
  const version = { name: 'v1beta1', served: true, storage: true, subresources: { status: {} } };
  expect(crds).toMatchObject([
    {
      spec: {
        group: 'k8gb.io',
        scope: 'Namespaced',
        names: { kind: 'Gslb', plural: 'gslbs' },
        versions: [version],
      },
    },
    {
      spec: {
        group: 'k8gb.io',
        scope: 'Cluster',
        names: { kind: 'ZoneDelegation', plural: 'zonedelegations', shortNames: ['zd'] },
        versions: [version],
      },
    },
  ]);
}, 30_000);

test.each(VALID)(
  '%s applies unchanged and reads back with every field kept',
  async (file) => {
    const manifest = fixture(file);
    const stored = await applyFixture(file);
    // The only additions are the two schema defaults k8gb's CRDs also have.
    const defaults =
      manifest.kind === 'Gslb' ? { serviceHealthPolicy: 'Any' } : { doFinalize: false };
    expect(stored.spec).toEqual({ ...defaults, ...manifest.spec });
    expect(stored.metadata.annotations ?? {}).toEqual(manifest.metadata.annotations ?? {});
  },
  30_000,
);

test('weights and serviceHealthPolicy are stored as written, and the policy defaults to Any', async () => {
  const weighted = await applyFixture('gslb-weighted-roundrobin.yaml');
  expect(weighted.spec).toMatchObject({
    serviceHealthPolicy: 'All',
    strategy: { type: 'roundRobin', dnsTtlSeconds: 15, weight: { emea: 70, apac: 30, amer: 0 } },
  });
  const minimal = await applyFixture('gslb-minimal-resourceref.yaml');
  expect(minimal.spec['serviceHealthPolicy']).toBe('Any');
  // k8gb's controller, not the schema, turns an absent TTL into 30.
  expect(minimal.spec['strategy']).toEqual({ type: 'roundRobin' });
}, 30_000);

test("k8gb's leniencies hold: primaryGeoTag optional, both references at once, empty structs beside the other", async () => {
  const embedded = fixture('gslb-failover-embedded-ingress.yaml');
  const referenced = fixture('gslb-minimal-resourceref.yaml');
  const strategy = embedded.spec['strategy'] as Json;
  const variants: [string, KubeObject][] = [
    // Failover without a primary degrades at run time in k8gb; it is not an admission error.
    [
      'no-primary',
      { ...embedded, spec: { ...embedded.spec, strategy: { type: strategy['type'] } } },
    ],
    // k8gb's controller tests use both; resourceRef wins.
    [
      'both',
      { ...embedded, spec: { ...embedded.spec, resourceRef: referenced.spec['resourceRef'] } },
    ],
    // k8gb's Go types are non-pointer structs, so its controller writes `{}` for the unused one.
    ['empty-ref', { ...embedded, spec: { ...embedded.spec, resourceRef: {} } }],
    ['empty-ingress', { ...referenced, spec: { ...referenced.spec, ingress: {} } }],
  ];
  for (const [name, object] of variants) {
    const namespace = object.metadata.namespace ?? 'default';
    const reply = await cluster.request(
      'POST',
      `${GROUP_VERSION}/namespaces/${namespace}/gslbs?dryRun=All&fieldValidation=Strict`,
      { ...object, metadata: { name: `lenient-${name}`, namespace } },
    );
    expectStatus(reply, 201);
  }
}, 30_000);

test('every invalid fixture has an expected message', () => {
  expect(INVALID.map(([file]) => file).sort()).toEqual(
    FIXTURE_FILES.filter((f) => f.startsWith('invalid-')),
  );
});

test.each(INVALID)(
  '%s is rejected at admission: %s',
  async (file, message) => {
    const { code, stderr } = await applyFile(join(FIXTURES, file));
    expect(code).not.toBe(0);
    // "is invalid" is the apiserver's 422 wording: the schema rejected it, not kubectl.
    expect(stderr).toContain(' is invalid');
    expect(stderr).toContain(message);
    expectStatus(await cluster.request('GET', pathOf(fixture(file))), 404);
  },
  30_000,
);

test('status is a subresource: /status writes status only, the main resource writes spec only', async () => {
  const stored = await applyFixture('gslb-failover-embedded-ingress.yaml');
  const generation = stored.metadata.generation;
  const host = 'ledger.gslb.corp.example';
  // k8gb's status on a healthy secondary (docs/k8gb-compatibility.md#gslb-status-fields) plus
  // Meridian's fields.
  const status = {
    geoTag: 'dc-south',
    hosts: host,
    loadBalancer: { exposedIps: ['10.40.0.11', '10.40.0.12'] },
    servers: [{ host, services: [{ name: 'ledger-api', namespace: 'core' }] }],
    serviceHealth: { [host]: 'Healthy' },
    healthyRecords: { [host]: ['10.30.0.21', '10.30.0.22'] },
    observedGeneration: generation,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'AnswersServed',
        message: 'answers are served for 1 host',
        lastTransitionTime: '2026-01-01T00:00:00Z',
        observedGeneration: generation,
      },
    ],
  };
  const changedSpec = { ...stored.spec, strategy: { type: 'roundRobin' } };
  expectStatus(await putStatus(stored, status, changedSpec), 200);

  const afterStatus = await cluster.request('GET', pathOf(stored));
  expectStatus(afterStatus, 200);
  const written = afterStatus.json as KubeObject;
  expect(written.status).toEqual(status);
  expect(written.spec).toEqual(stored.spec);
  expect(written.metadata.generation).toBe(generation);

  // The other direction: a status sent to the main resource is dropped.
  const mainPut = await cluster.request('PUT', pathOf(stored), {
    ...written,
    status: { ...status, geoTag: 'elsewhere' },
  });
  expectStatus(mainPut, 200);
  expect((mainPut.json as KubeObject).status).toEqual(status);

  // The status schema is enforced too: a condition status is True, False or Unknown.
  const current = (await cluster.request('GET', pathOf(stored))).json as KubeObject;
  const badCondition = { ...status, conditions: [{ ...status.conditions[0], status: 'Yes' }] };
  const rejected = await putStatus(current, badCondition);
  expectStatus(rejected, 422);
  expect((rejected.json as { message: string }).message).toContain(
    'status.conditions[0].status: Unsupported value: "Yes"',
  );
}, 30_000);

test('kubectl get prints strategy, geoTag, ready, answering and (wide) hosts; zd names ZoneDelegations', async () => {
  const stored = await applyFixture('gslb-service-hostname.yaml');
  const host = 'games.gslb.corp.example';
  // Three conditions, so each column has to pick its own rather than the first one.
  const condition = {
    reason: 'Test',
    message: 'set by the test',
    lastTransitionTime: '2026-01-01T00:00:00Z',
  };
  expectStatus(
    await putStatus(stored, {
      geoTag: 'eu',
      hosts: host,
      serviceHealth: { [host]: 'Unhealthy' },
      healthyRecords: {},
      conditions: [
        { type: 'Degraded', status: 'True', ...condition },
        { type: 'Ready', status: 'False', ...condition },
        { type: 'Answering', status: 'True', ...condition },
      ],
    }),
    200,
  );

  const plain = await mustSucceed(kubectl('get', 'gslb', 'games', '-n', 'games'));
  expect(table(plain)).toEqual([
    ['NAME', 'STRATEGY', 'GEOTAG', 'READY', 'ANSWERING'],
    ['games', 'geoip', 'eu', 'False', 'True'],
  ]);
  const wide = await mustSucceed(kubectl('get', 'gslb', 'games', '-n', 'games', '-o', 'wide'));
  expect(table(wide)).toEqual([
    ['NAME', 'STRATEGY', 'GEOTAG', 'HOSTS', 'READY', 'ANSWERING'],
    ['games', 'geoip', 'eu', host, 'False', 'True'],
  ]);

  await applyFixture('zonedelegation.yaml');
  const zd = await mustSucceed(kubectl('get', 'zd', 'gslb-corp-example'));
  expect(table(zd)).toEqual([
    ['NAME', 'LOADBALANCEDZONE', 'PARENTZONE', 'NEGTTL'],
    ['gslb-corp-example', 'gslb.corp.example', 'corp.example', '30'],
  ]);
}, 30_000);
