/**
 * RFC 2136 updates signed with TSIG (src/dns/tsig.ts, src/delegation/
 * dns-update-client.ts) against a real BIND 9 holding the parent zone and
 * allowing updates with one HMAC-SHA256 key: each cluster adds its NS and its
 * glue (A and AAAA) and BIND serves them; one cluster removing its own leaves
 * the other's; a wrong secret and an unknown key are refused by BIND, and the
 * refusal says why; the reply's signature is checked.
 */
import { randomBytes } from 'node:crypto';
import { dig } from '../../harness/dig';
import { sendUpdate, type UpdateServer } from '../../src/delegation/dns-update-client';
import type { TsigKey } from '../../src/dns/tsig';
import type { UpdateChange } from '../../src/dns/update-message';
import { startBind, type Bind } from '../helpers/bind';

const PARENT = 'example.org';
const ZONE = 'cloud.example.org';
const SECRET = randomBytes(32);
const KEY: TsigKey = { name: 'meridian-update', algorithm: 'hmac-sha256', secret: SECRET };

let bind: Bind;
let server: UpdateServer;

beforeAll(async () => {
  bind = await startBind(
    { parent: PARENT, zone: ZONE, gluePrefix: 'gslb-ns-', clusters: [] },
    { updateKey: { name: KEY.name, algorithm: 'hmac-sha256', secret: SECRET.toString('base64') } },
  );
  server = { host: bind.address, port: bind.port };
}, 30_000);

afterAll(async () => {
  await bind.stop();
});

const update = (changes: readonly UpdateChange[], key: TsigKey | null = KEY) =>
  sendUpdate(server, PARENT, changes, {
    key,
    timeoutMs: 5_000,
    signal: new AbortController().signal,
    nowSeconds: () => Math.floor(Date.now() / 1000),
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

async function servedNs(): Promise<string[]> {
  const reply = await dig('dig', [
    `@${bind.address}`,
    '-p',
    String(bind.port),
    '+norec',
    ZONE,
    'NS',
  ]);
  return [...reply.answer, ...reply.authority]
    .filter((r) => r.type === 'NS' && r.name === `${ZONE}.`)
    .map((r) => r.data)
    .sort();
}

async function soaSerial(): Promise<number> {
  const reply = await dig('dig', [`@${bind.address}`, '-p', String(bind.port), PARENT, 'SOA']);
  return Number(reply.answer.find((r) => r.type === 'SOA')?.data.split(' ')[2]);
}

async function served(name: string, type: 'A' | 'AAAA'): Promise<string[]> {
  const reply = await dig('dig', [
    `@${bind.address}`,
    '-p',
    String(bind.port),
    '+norec',
    name,
    type,
  ]);
  return reply.answer.filter((r) => r.type === type).map((r) => r.data);
}

test('two clusters each add their NS and glue, IPv6 glue included; one withdrawing leaves the other', async () => {
  expect(await update(delegate('eu', ['192.0.2.53', '2001:db8::53']))).toEqual({ ok: true });
  expect(await update(delegate('us', ['198.51.100.53']))).toEqual({ ok: true });
  expect(await servedNs()).toEqual([`${nsName('eu')}.`, `${nsName('us')}.`]);
  expect(await served(nsName('eu'), 'A')).toEqual(['192.0.2.53']);
  expect(await served(nsName('eu'), 'AAAA')).toEqual(['2001:db8::53']);
  // Run again: the same state, nothing doubled, and no new serial (nothing for secondaries to transfer).
  const serial = await soaSerial();
  expect(serial).toBeGreaterThan(1);
  expect(await update(delegate('eu', ['192.0.2.53', '2001:db8::53']))).toEqual({ ok: true });
  expect(await served(nsName('eu'), 'A')).toEqual(['192.0.2.53']);
  expect(await soaSerial()).toBe(serial);

  const withdraw: UpdateChange[] = [
    { op: 'delete', name: ZONE, type: 'NS', data: nsName('us') },
    { op: 'delete-rrset', name: nsName('us'), type: 'A' },
    { op: 'delete-rrset', name: nsName('us'), type: 'AAAA' },
  ];
  expect(await update(withdraw)).toEqual({ ok: true });
  expect(await servedNs()).toEqual([`${nsName('eu')}.`]);
  expect(await served(nsName('us'), 'A')).toEqual([]);
  expect(await served(nsName('eu'), 'A')).toEqual(['192.0.2.53']);
}, 30_000);

test('a wrong secret, an unknown key and no key: refused by BIND, saying why, nothing changed', async () => {
  const before = await servedNs();
  const wrongSecret = await update(delegate('ap', ['203.0.113.53']), {
    ...KEY,
    secret: randomBytes(32),
  });
  expect(wrongSecret).toMatchObject({ ok: false, failure: 'refused' });
  expect(wrongSecret.ok ? '' : wrongSecret.detail).toMatch(/NOTAUTH.*BADSIG/);
  const unknownKey = await update(delegate('ap', ['203.0.113.53']), { ...KEY, name: 'nobody' });
  expect(unknownKey.ok ? '' : unknownKey.detail).toMatch(/NOTAUTH.*BADKEY/);
  const unsigned = await update(delegate('ap', ['203.0.113.53']), null);
  expect(unsigned).toMatchObject({ ok: false, failure: 'refused' });
  expect(unsigned.ok ? '' : unsigned.detail).toContain('REFUSED');
  expect(await servedNs()).toEqual(before);
  expect(await served(nsName('ap'), 'A')).toEqual([]);
}, 30_000);

test('nothing listening: a network failure within the timeout, not a hang', async () => {
  const closed = await sendUpdate({ host: '127.0.0.1', port: 9 }, PARENT, delegate('eu', []), {
    key: KEY,
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    nowSeconds: () => Math.floor(Date.now() / 1000),
  });
  expect(closed).toMatchObject({ ok: false, failure: 'network' });
});
