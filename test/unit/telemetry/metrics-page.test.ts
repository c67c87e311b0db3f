/**
 * The /metrics page: prom-client's registry and then the families written by
 * hand (k8gb's per-Gslb series), in chunks that let the event loop run
 * between them; each family once with its HELP and TYPE; label values
 * escaped so that any Gslb name reads back as written.
 */
import { Counter, Registry } from 'prom-client';
import { createKubeMetrics, type GslbOutcome } from '../../../src/telemetry/kube-metrics';
import { CHUNK_CHARS } from '../../../src/telemetry/k8gb-metrics';
import { MetricsPage } from '../../../src/telemetry/metrics-page';
import { parsePage } from '../../helpers/prometheus-text';

const RUNTIME = {
  namespace: 'meridian',
  version: '1.2.3',
  runtimeVersion: 'v24.21.0',
  arch: 'x64',
  os: 'linux',
  gitSha: 'none',
};

function outcome(namespace: string, name: string): GslbOutcome {
  const host = `${name}.cloud.example.org`;
  return {
    namespace,
    name,
    ok: true,
    strategy: 'roundRobin',
    primary: false,
    geoTag: 'eu',
    health: { [host]: 'Healthy' },
    healthyRecords: { [host]: ['192.0.2.1'] },
    exposedIps: ['192.0.2.1'],
  };
}

function pageWith(gslbs: number): { page: MetricsPage; registry: Registry } {
  const registry = new Registry();
  new Counter({
    name: 'meridian_example_total',
    help: 'An ordinary metric.',
    registers: [registry],
  }).inc();
  const metrics = createKubeMetrics(registry, RUNTIME);
  for (let i = 0; i < gslbs; i++) metrics.recordGslb(outcome(`ns-${i}`, `app-${i}`));
  const page = new MetricsPage(registry);
  page.add(metrics.perGslb);
  return { page, registry };
}

test('the registry first, then every per-Gslb family once, with every Gslb, in several chunks', async () => {
  const { page } = pageWith(2_500);
  const chunks: string[] = [];
  await page.write((chunk) => {
    chunks.push(chunk);
    return Promise.resolve();
  });
  const text = chunks.join('');
  expect(chunks[0]).toContain('meridian_example_total 1');
  expect(chunks[0]).toContain('k8gb_runtime_info{');
  // About 64 KiB each (a chunk ends after the Gslb that crosses the mark).
  const perGslb = chunks.slice(1);
  expect(perGslb.length).toBeGreaterThan(9);
  for (const chunk of perGslb.slice(0, -1))
    expect(chunk.length).toBeGreaterThanOrEqual(CHUNK_CHARS);
  for (const chunk of perGslb) expect(chunk.length).toBeLessThan(CHUNK_CHARS + 1_024);
  const parsed = parsePage(text);
  for (const family of page.families()) {
    expect(text.split(`# TYPE ${family.name} `).length - 1).toBe(1);
    expect(parsed.families.get(family.name)).toEqual({ help: family.help, type: family.type });
  }
  const count = (name: string): number => parsed.samples.filter((s) => s.name === name).length;
  expect(count('k8gb_gslb_healthy_records')).toBe(2_500);
  expect(count('k8gb_gslb_service_status_num')).toBe(7_500);
  expect(count('k8gb_endpoint_status_num')).toBe(5_000);
  // A family's lines follow its header: no line of one family after another's header.
  const order = parsed.samples.map((s) => s.name);
  const firstOf = (name: string): number => order.indexOf(name);
  const lastOf = (name: string): number => order.lastIndexOf(name);
  expect(lastOf('k8gb_gslb_healthy_records')).toBeLessThan(
    firstOf('k8gb_gslb_healthy_local_records'),
  );
});

test('the event loop runs between chunks, so answers never wait for a whole page', async () => {
  const { page } = pageWith(3_000);
  let ticks = 0;
  const ticking = setInterval(() => ticks++, 0);
  let ticksDuringWrite = -1;
  await page.write(() => {
    ticksDuringWrite = ticks;
    return Promise.resolve();
  });
  clearInterval(ticking);
  expect(ticksDuringWrite).toBeGreaterThan(0);
});

test('label values read back as written: quotes, backslashes and new lines are escaped', async () => {
  const registry = new Registry();
  const metrics = createKubeMetrics(registry, RUNTIME);
  const name = 'we"ird\\na\nme';
  metrics.recordGslb({ ...outcome('shop', name), geoTag: 'e"u' });
  const page = new MetricsPage(registry);
  page.add(metrics.perGslb);
  const parsed = parsePage(await page.text());
  const healthy = parsed.samples.find((s) => s.name === 'k8gb_gslb_healthy_local_records');
  expect(healthy?.labels).toEqual({ namespace: 'shop', name, geotag: 'e"u' });
  expect(
    parsed.samples
      .filter((s) => s.name === 'k8gb_endpoint_status_num')
      .map((s) => s.labels['dns_name']),
  ).toEqual([`${name}.cloud.example.org`, `localtargets-${name}.cloud.example.org`]);
});

test('a Gslb forgotten while a page is being written is simply left out of the rest', async () => {
  const registry = new Registry();
  const metrics = createKubeMetrics(registry, RUNTIME);
  for (let i = 0; i < 1_500; i++) metrics.recordGslb(outcome('shop', `app-${i}`));
  const page = new MetricsPage(registry);
  page.add(metrics.perGslb);
  let writes = 0;
  await page.write(() => {
    if (++writes === 2) for (let i = 0; i < 1_500; i++) metrics.forgetGslb('shop', `app-${i}`);
    return Promise.resolve();
  });
  const after = parsePage(await page.text());
  expect(after.samples.filter((s) => s.name.startsWith('k8gb_gslb_'))).toEqual([]);
});
