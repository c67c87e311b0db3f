/**
 * The controller's loop against the fake apiserver, on fake timers: the
 * Lease decides who writes, the first list brings the bootstrap, each change
 * a pass, a failure a retry after 1 s instead of the interval, a bad object
 * one Warning Event per version; the status and the peers' addresses read
 * back; stop ends it all.
 */
import type {
  DelegationProvider,
  DelegationTarget,
  ProviderOutcome,
} from '../../../../src/delegation/delegation-provider';
import type { KubeObject } from '../../../../src/k8s/client/kube-api';
import { ZoneDelegationController } from '../../../../src/k8s/delegation/zone-delegation-controller';
import { FakeKubeApi, type RecordedRequest } from '../../../helpers/fake-kube-api';
import { ZONE } from '../../../helpers/table-fixtures';
import { capturingLogger } from '../../../helpers/telemetry';

const RESOURCE = { group: 'k8gb.io', version: 'v1beta1', plural: 'zonedelegations' };
const ZONES = [ZONE];
const EU_NS = 'gslb-ns-eu-cloud.example.org';
const US_NS = 'gslb-ns-us-cloud.example.org';

const zoneDelegation = (overrides: Record<string, unknown> = {}, status?: unknown): KubeObject => ({
  apiVersion: 'k8gb.io/v1beta1',
  kind: 'ZoneDelegation',
  metadata: {
    name: 'cloud-example-org',
    uid: 'uid-1',
    resourceVersion: '1',
    generation: 1,
    finalizers: ['k8gb.io/finalizer'],
  },
  spec: { loadBalancedZone: 'cloud.example.org', parentZone: 'example.org', dnsZoneNegTTL: 30 },
  ...(status === undefined ? {} : { status }),
  ...overrides,
});

function rig(options: { holder?: string; write?: ProviderOutcome } = {}) {
  const api = new FakeKubeApi();
  const leasePath = /\/leases\/meridian-delegation$/;
  if (options.holder === undefined) {
    api.respond('GET', leasePath, () => ({ status: 404, body: {} }));
    api.respond('POST', /\/leases$/, () => ({ status: 201, body: {} }));
  } else {
    const lease = {
      metadata: { resourceVersion: '5' },
      spec: { holderIdentity: options.holder, leaseDurationSeconds: 15 },
    };
    api.respond('GET', leasePath, () => ({ status: 200, body: lease }));
  }
  const writes: DelegationTarget[] = [];
  const provider: DelegationProvider = {
    name: 'test',
    write: (target) => {
      writes.push(target);
      return Promise.resolve(options.write ?? { ok: true, detail: 'written' });
    },
    withdraw: () => Promise.resolve({ ok: true, detail: 'withdrawn' }),
  };
  const { logger, logs } = capturingLogger();
  const controller = new ZoneDelegationController({
    api,
    namespace: 'meridian',
    identity: 'replica-a',
    geoTag: 'eu',
    gluePrefix: 'gslb-ns-',
    nsTtlSeconds: 30,
    peerGeoTags: ['eu', 'us'],
    servedZones: new Set(['cloud.example.org']),
    bootstrap: ZONES,
    provider,
    readGlue: () => Promise.resolve({ addresses: ['192.0.2.53'], source: 'test' }),
    resolveGlue: (name) => Promise.resolve(name === US_NS ? ['198.51.100.7'] : []),
    intervalMs: 60_000,
    logger,
    now: () => Date.now(),
  });
  const writesTo = (pattern: RegExp): RecordedRequest[] =>
    api.requests.filter((r) => r.method !== 'GET' && pattern.test(r.path));
  return { api, controller, writes, logs, writesTo };
}

beforeEach(() => {
  jest.useFakeTimers({ now: Date.parse('2026-12-07T10:00:00Z') });
});
afterEach(() => {
  jest.useRealTimers();
});

test('the writer bootstraps the missing zone after the first list, then reconciles each change', async () => {
  const { api, controller, writes, writesTo } = rig();
  controller.start();
  await jest.advanceTimersByTimeAsync(10);
  const watch = api.watchOf(RESOURCE);
  watch.handlers.onSynced();
  await jest.advanceTimersByTimeAsync(300);
  expect(writesTo(/zonedelegations$/).map((r) => r.body)).toEqual([
    {
      apiVersion: 'k8gb.io/v1beta1',
      kind: 'ZoneDelegation',
      metadata: { name: 'cloud-example-org' },
      spec: { loadBalancedZone: 'cloud.example.org', parentZone: 'example.org', dnsZoneNegTTL: 30 },
    },
  ]);
  watch.handlers.onEvent({ type: 'add', object: zoneDelegation() });
  await jest.advanceTimersByTimeAsync(300);
  expect(writes.map((w) => w.nameServers)).toEqual([[EU_NS, US_NS]]);
  const status = writesTo(/\/status$/);
  expect(status).toHaveLength(1);
  expect(status[0]!.body).toMatchObject({
    status: {
      dnsServers: [
        { name: EU_NS, address: '192.0.2.53' },
        { name: US_NS, address: '198.51.100.7' },
      ],
      conditions: [{ type: 'Delegated', status: 'True', reason: 'Written' }],
    },
  });
  const events = writesTo(/\/namespaces\/default\/events$/);
  expect(events.map((e) => (e.body as { reason: string }).reason)).toEqual(['DelegationWritten']);
  expect(controller.status()).toEqual([
    expect.objectContaining({
      zone: 'cloud.example.org',
      nameServer: EU_NS,
      state: 'written',
      lastError: null,
    }),
  ]);
  // A second list does not bootstrap again within one leadership.
  watch.handlers.onSynced();
  await jest.advanceTimersByTimeAsync(300);
  expect(writesTo(/zonedelegations$/)).toHaveLength(1);
  await controller.stop();
  expect(watch.stopped).toBe(true);
});

test('a failed write comes back after 1 s, not after the interval', async () => {
  const { api, controller, writes } = rig({
    write: { ok: false, reason: 'UpdateRefused', detail: 'NOTAUTH' },
  });
  controller.start();
  await jest.advanceTimersByTimeAsync(10);
  const watch = api.watchOf(RESOURCE);
  watch.handlers.onEvent({ type: 'add', object: zoneDelegation() });
  watch.handlers.onSynced();
  await jest.advanceTimersByTimeAsync(300);
  expect(writes).toHaveLength(1);
  await jest.advanceTimersByTimeAsync(1_100);
  expect(writes).toHaveLength(2);
  await jest.advanceTimersByTimeAsync(2_100);
  expect(writes).toHaveLength(3);
  expect(controller.status()[0]).toMatchObject({ state: 'failing', lastError: 'NOTAUTH' });
  await controller.stop();
});

test('a replica that does not hold the Lease writes nothing, but reads the peers from the status', async () => {
  const { api, controller, writes } = rig({ holder: 'replica-b' });
  controller.start();
  await jest.advanceTimersByTimeAsync(10);
  const watch = api.watchOf(RESOURCE);
  const status = {
    dnsServers: [
      { name: EU_NS, address: '192.0.2.53' },
      { name: US_NS, address: '198.51.100.7' },
      { name: US_NS, address: '2001:db8::7' },
    ],
  };
  watch.handlers.onEvent({ type: 'add', object: zoneDelegation({}, status) });
  watch.handlers.onSynced();
  await jest.advanceTimersByTimeAsync(5_000);
  expect(writes).toEqual([]);
  expect(api.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  expect(controller.peerAddresses('us')).toEqual(['198.51.100.7', '2001:db8::7']);
  expect(controller.peerAddresses('ap')).toEqual([]);
  watch.handlers.onEvent({ type: 'delete', object: zoneDelegation() });
  expect(controller.peerAddresses('us')).toEqual([]);
  await controller.stop();
});

test('an invalid ZoneDelegation gets one Warning Event per version; the others go on', async () => {
  const { api, controller, writes, writesTo, logs } = rig();
  controller.start();
  await jest.advanceTimersByTimeAsync(10);
  const watch = api.watchOf(RESOURCE);
  const bad = zoneDelegation({
    metadata: { name: 'bad', uid: 'uid-bad', resourceVersion: '3' },
    spec: { loadBalancedZone: 'cloud.example.org', parentZone: 'other.org', dnsZoneNegTTL: 30 },
  });
  watch.handlers.onEvent({ type: 'add', object: bad });
  watch.handlers.onEvent({ type: 'add', object: zoneDelegation() });
  watch.handlers.onSynced();
  await jest.advanceTimersByTimeAsync(300);
  watch.handlers.onEvent({ type: 'update', object: zoneDelegation() });
  await jest.advanceTimersByTimeAsync(300);
  const warnings = writesTo(/\/events$/).filter(
    (e) => (e.body as { reason: string }).reason === 'InvalidZoneDelegation',
  );
  expect(warnings).toHaveLength(1);
  expect(warnings[0]!.body).toMatchObject({
    type: 'Warning',
    involvedObject: { kind: 'ZoneDelegation', name: 'bad', uid: 'uid-bad' },
    message: expect.stringContaining('not under its parent zone'),
  });
  expect(writes.length).toBeGreaterThanOrEqual(1);
  expect(logs.filter((l) => l['code'] === 'MERIDIAN_ERR_DELEGATION')).toHaveLength(1);
  expect(controller.delegations().map((d) => d.name)).toEqual(['cloud-example-org']);
  await controller.stop();
});
