/**
 * Standalone Meridian writing its own delegation (MERIDIAN_DELEGATION=rfc2136)
 * into a real BIND 9 that allows updates with one TSIG key: its NS record and
 * glue (A and AAAA) appear next to another cluster's, which it leaves alone;
 * a glue record deleted behind its back is put back within the interval; it
 * leaves the delegation in place when it stops; a wrong secret writes nothing;
 * a key file that is no key stops the start with its problem.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../harness/eventually';
import { startHarness } from '../helpers/app-harness';
import { startUpdatableBind, type UpdatableBind } from '../helpers/bind-updates';

const PARENT = 'example.org';
const ZONE = 'cloud.example.org';
const EU_NS = `gslb-ns-eu-cloud.${PARENT}`;
const US_NS = `gslb-ns-us-cloud.${PARENT}`;
const SETTLE_MS = 10_000;

let edge: UpdatableBind;
let dir: string;

beforeAll(async () => {
  edge = await startUpdatableBind(PARENT, ZONE);
  dir = mkdtempSync(join(tmpdir(), 'meridian-delegation-'));
}, 30_000);

afterAll(async () => {
  await edge.bind.stop();
});

function keyFile(name: string, secret: Buffer): string {
  const path = join(dir, `${name}.key`);
  writeFileSync(
    path,
    `# as tsig-keygen writes it\nkey "${edge.key.name}" {\n\talgorithm hmac-sha256;\n\tsecret "${secret.toString('base64')}";\n};\n`,
  );
  return path;
}

const delegating = (geoTag: string, glue: string, key: string) => ({
  CLUSTER_GEO_TAG: geoTag,
  MERIDIAN_DELEGATION: 'rfc2136',
  MERIDIAN_DELEGATION_SERVER: edge.bind.server,
  MERIDIAN_DELEGATION_TSIG_KEY_FILE: key,
  MERIDIAN_DELEGATION_GLUE: glue,
  MERIDIAN_DELEGATION_INTERVAL_SECONDS: '1',
});

async function delegationStatus(
  adminPort: number | null,
): Promise<{ state: string; lastError: string | null; lastWritten: string | null }[]> {
  const reply = await fetch(`http://127.0.0.1:${adminPort ?? 0}/v1/status`);
  return ((await reply.json()) as { delegation: [] }).delegation;
}

test('its NS and glue written beside another cluster’s, repaired when deleted, kept when it stops', async () => {
  // Another cluster's delegation, written before.
  const us = await edge.update([
    { op: 'add', name: ZONE, type: 'NS', ttl: 30, data: US_NS },
    { op: 'add', name: US_NS, type: 'A', ttl: 30, data: '198.51.100.53' },
  ]);
  expect(us).toEqual({ ok: true });

  const eu = await startHarness(
    {},
    delegating('eu', '192.0.2.53,2001:db8::53', keyFile('eu', edge.key.secret)),
  );
  try {
    await eventually(
      () => edge.records(ZONE, 'NS'),
      (ns) => ns.length === 2,
      SETTLE_MS,
    );
    expect(await edge.records(ZONE, 'NS')).toEqual([`${EU_NS}.`, `${US_NS}.`]);
    expect(await edge.records(EU_NS, 'A')).toEqual(['192.0.2.53']);
    expect(await edge.records(EU_NS, 'AAAA')).toEqual(['2001:db8::53']);
    expect(await edge.records(US_NS, 'A')).toEqual(['198.51.100.53']);

    // Someone deletes eu's glue behind its back: the next write puts it back.
    const deleted = await edge.update([{ op: 'delete-rrset', name: EU_NS, type: 'A' }]);
    expect(deleted).toEqual({ ok: true });
    expect(await edge.records(EU_NS, 'A')).toEqual([]);
    await eventually(
      () => edge.records(EU_NS, 'A'),
      (a) => a.length === 1,
      SETTLE_MS,
    );
    expect(await delegationStatus(eu.app.adminPort)).toEqual([
      expect.objectContaining({
        zone: ZONE,
        parent: PARENT,
        nameServer: EU_NS,
        state: 'written',
        lastError: null,
      }),
    ]);
  } finally {
    await eu.stop();
  }
  // Stopped: the delegation stays (withdrawing is never a side effect of a stop).
  expect(await edge.records(ZONE, 'NS')).toEqual([`${EU_NS}.`, `${US_NS}.`]);
  expect(await edge.records(EU_NS, 'A')).toEqual(['192.0.2.53']);
}, 60_000);

test('a wrong secret: BIND refuses, nothing of ap is written, the others stay', async () => {
  const before = await edge.records(ZONE, 'NS');
  const ap = await startHarness(
    {},
    delegating('ap', '203.0.113.53', keyFile('ap', randomBytes(32))),
  );
  try {
    // Three intervals: three refused writes.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await edge.records(`gslb-ns-ap-cloud.${PARENT}`, 'A')).toEqual([]);
    expect(await edge.records(ZONE, 'NS')).toEqual(before);
    // The refusal, and why, in the status.
    const [zone] = await delegationStatus(ap.app.adminPort);
    expect(zone).toMatchObject({ state: 'failing', lastWritten: null });
    expect(zone?.lastError).toMatch(/NOTAUTH.*BADSIG/);
  } finally {
    await ap.stop();
  }
}, 30_000);

test('a key file that is no key: the start fails, naming the file and the problem', async () => {
  const path = join(dir, 'md5.key');
  writeFileSync(
    path,
    `key "old" { algorithm hmac-md5; secret "${edge.key.secret.toString('base64')}"; };\n`,
  );
  await expect(startHarness({}, delegating('eu', '192.0.2.53', path))).rejects.toThrow(
    `MERIDIAN_DELEGATION_TSIG_KEY_FILE ${path}: key old: algorithm hmac-md5 is not one of hmac-sha256, hmac-sha512`,
  );
});
