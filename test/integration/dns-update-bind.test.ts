/**
 * RFC 2136 updates signed with TSIG (src/dns/tsig.ts, src/delegation/
 * dns-update-client.ts) against a real BIND 9 holding the parent zone and
 * allowing updates with one HMAC-SHA256 key: each cluster adds its NS and its
 * glue (A and AAAA) and BIND serves them; one cluster removing its own leaves
 * the other's; an update that changes nothing changes no serial; a wrong
 * secret and an unknown key are refused by BIND, and the refusal says why;
 * the reply's signature is checked.
 */
import { randomBytes } from 'node:crypto';
import { withdrawalUpdates } from '../../src/delegation/delegation-plan';
import { sendUpdate } from '../../src/delegation/dns-update-client';
import type { UpdateChange } from '../../src/dns/update-message';
import { startUpdatableBind, type UpdatableBind } from '../helpers/bind-updates';

const PARENT = 'example.org';
const ZONE = 'cloud.example.org';

let edge: UpdatableBind;

beforeAll(async () => {
  edge = await startUpdatableBind(PARENT, ZONE);
}, 30_000);

afterAll(async () => {
  await edge.bind.stop();
});

const nsName = (geoTag: string): string => `gslb-ns-${geoTag}-cloud.${PARENT}`;

function delegate(geoTag: string, addresses: readonly string[]): UpdateChange[] {
  return [
    { op: 'add', name: ZONE, type: 'NS', ttl: 30, data: nsName(geoTag) },
    { op: 'delete-rrset', name: nsName(geoTag), type: 'A' },
    { op: 'delete-rrset', name: nsName(geoTag), type: 'AAAA' },
    ...addresses.map((data): UpdateChange => ({
      op: 'add',
      name: nsName(geoTag),
      type: data.includes(':') ? 'AAAA' : 'A',
      ttl: 30,
      data,
    })),
  ];
}

test('two clusters each add their NS and glue, IPv6 glue included; one withdrawing leaves the other', async () => {
  expect(await edge.update(delegate('eu', ['192.0.2.53', '2001:db8::53']))).toEqual({ ok: true });
  expect(await edge.update(delegate('us', ['198.51.100.53']))).toEqual({ ok: true });
  expect(await edge.records(ZONE, 'NS')).toEqual([`${nsName('eu')}.`, `${nsName('us')}.`]);
  expect(await edge.records(nsName('eu'), 'A')).toEqual(['192.0.2.53']);
  expect(await edge.records(nsName('eu'), 'AAAA')).toEqual(['2001:db8::53']);
  // Run again: the same state, nothing doubled, and no new serial (nothing for secondaries to transfer).
  const serial = await edge.serial();
  expect(serial).toBeGreaterThan(1);
  expect(await edge.update(delegate('eu', ['192.0.2.53', '2001:db8::53']))).toEqual({ ok: true });
  expect(await edge.records(nsName('eu'), 'A')).toEqual(['192.0.2.53']);
  expect(await edge.serial()).toBe(serial);

  const [withdraw] = withdrawalUpdates({
    zones: [{ name: ZONE, parent: PARENT, nameServerTtlSeconds: 30 }],
    geoTag: 'us',
    gluePrefix: 'gslb-ns-',
  });
  expect(await edge.update(withdraw!.changes)).toEqual({ ok: true });
  expect(await edge.records(ZONE, 'NS')).toEqual([`${nsName('eu')}.`]);
  expect(await edge.records(nsName('us'), 'A')).toEqual([]);
  expect(await edge.records(nsName('eu'), 'A')).toEqual(['192.0.2.53']);
}, 30_000);

test('a wrong secret, an unknown key and no key: refused by BIND, saying why, nothing changed', async () => {
  const before = await edge.records(ZONE, 'NS');
  const apGlue = delegate('ap', ['203.0.113.53']);
  const wrongSecret = await edge.update(apGlue, { ...edge.key, secret: randomBytes(32) });
  expect(wrongSecret).toMatchObject({ ok: false, failure: 'refused' });
  expect(wrongSecret.ok ? '' : wrongSecret.detail).toMatch(/NOTAUTH.*BADSIG/);
  const unknownKey = await edge.update(apGlue, { ...edge.key, name: 'nobody' });
  expect(unknownKey.ok ? '' : unknownKey.detail).toMatch(/NOTAUTH.*BADKEY/);
  const unsigned = await edge.update(apGlue, null);
  expect(unsigned).toMatchObject({ ok: false, failure: 'refused' });
  expect(unsigned.ok ? '' : unsigned.detail).toContain('REFUSED');
  expect(await edge.records(ZONE, 'NS')).toEqual(before);
  expect(await edge.records(nsName('ap'), 'A')).toEqual([]);
}, 30_000);

test('nothing listening: a network failure within the timeout, not a hang', async () => {
  const closed = await sendUpdate({ host: '127.0.0.1', port: 9 }, PARENT, delegate('eu', []), {
    key: edge.key,
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    nowSeconds: () => Math.floor(Date.now() / 1000),
  });
  expect(closed).toMatchObject({ ok: false, failure: 'network' });
});
