/**
 * The audit file wired into a running Meridian (in process): each decision
 * record of a table build becomes a record line, the file is closed on stop
 * and verifies; an audit path that cannot be written leaves Meridian ready
 * and answering, with the failure on /readyz and in the metrics.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressesOf, decodeReply, query } from '../../harness/dns-case';
import { waitFor } from '../../harness/eventually';
import { gslbYaml } from '../../harness/gslb-yaml';
import { AUDIT_METRIC_NAMES as M } from '../../src/telemetry/audit-metrics';
import { startHarness, type Harness } from '../helpers/app-harness';
import { linesOf, verifyPaths } from '../helpers/audit-files';
import { createDnsClient } from '../helpers/grpc-client';

const WEB = (addresses: string[]): string => gslbYaml('web', 'web.cloud.example.org', addresses);

async function get(harness: Harness, path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${harness.app.httpPort}${path}`, {
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, text: await response.text() };
}

async function metric(harness: Harness, name: string, labels: Record<string, string> = {}) {
  const values = (await harness.registry.getSingleMetric(name)?.get())?.values ?? [];
  const match = values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return match?.value ?? 0;
}

async function answer(harness: Harness): Promise<string[]> {
  const client = createDnsClient(harness.grpcAddress);
  try {
    const result = await client.query(query('web.cloud.example.org', 'A'));
    if (!result.ok) throw new Error(result.details);
    return addressesOf(decodeReply(result.msg).answers);
  } finally {
    client.close();
  }
}

test('each decision record is a chained record line; stop closes the file and it verifies', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'meridian-audit-app-')), 'audit.jsonl');
  const harness = await startHarness(
    { 'web.yaml': WEB(['192.0.2.1']) },
    { MERIDIAN_AUDIT_FILE: path, MERIDIAN_AUDIT_FSYNC_SECONDS: '0' },
  );
  try {
    harness.writeManifest('web.yaml', WEB(['192.0.2.2']));
    await waitFor(async () => (await metric(harness, M.records)) >= 1, 10_000, 'a record written');
    expect(await answer(harness)).toEqual(['192.0.2.2']);
  } finally {
    await harness.stop();
  }
  const lines = linesOf(path);
  expect(lines[0]).toMatchObject({ type: 'start', format: 'meridian-audit/1' });
  const records = lines.filter((l) => l['type'] === 'record').map((l) => l['record']);
  expect(records).toContainEqual(
    expect.objectContaining({
      host: 'web.cloud.example.org',
      type: 'A',
      before: [expect.objectContaining({ address: '192.0.2.1' })],
      after: [expect.objectContaining({ address: '192.0.2.2' })],
      causes: expect.arrayContaining([expect.objectContaining({ kind: 'gslb-changed' })]),
    }),
  );
  expect((await verifyPaths([path])).broken).toBeNull();
}, 20_000);

test('an audit path that cannot be written: ready and answering, the failure on /readyz and counted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-audit-app-'));
  writeFileSync(join(dir, 'a-file'), '');
  const path = join(dir, 'a-file', 'audit.jsonl');
  const harness = await startHarness(
    { 'web.yaml': WEB(['192.0.2.1']) },
    { MERIDIAN_AUDIT_FILE: path },
  );
  try {
    await waitFor(async () => (await metric(harness, M.failing)) === 1, 10_000, 'failing');
    const ready = await get(harness, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.text).toMatch(
      new RegExp(`^ready\\naudit file ${path}: list failed \\(ENOTDIR\\) since \\S+; retrying; `),
    );
    harness.writeManifest('web.yaml', WEB(['192.0.2.3']));
    await waitFor(async () => (await answer(harness)).includes('192.0.2.3'), 10_000, 'answer');
    expect(await metric(harness, M.writeErrors, { reason: 'ENOTDIR' })).toBeGreaterThanOrEqual(1);
    const page = await get(harness, '/metrics');
    expect(page.text).toMatch(/^meridian_audit_failing 1$/m);
  } finally {
    await harness.stop();
  }
}, 20_000);
