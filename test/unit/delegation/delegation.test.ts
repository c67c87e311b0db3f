/**
 * The delegation's pure parts and its schedule: the TSIG key file as
 * tsig-keygen writes it (and what is refused), the update of each zone
 * (only this cluster's own NS and glue), and the writer's repeat, backoff
 * and reporting on a fake clock.
 */
import { delegationUpdates, withdrawalUpdates } from '../../../src/delegation/delegation-plan';
import { DelegationWriter } from '../../../src/delegation/delegation-writer';
import type { sendUpdate, UpdateOutcome } from '../../../src/delegation/dns-update-client';
import { parseTsigKeyFile } from '../../../src/delegation/tsig-key-file';
import type { ZoneSpec } from '../../../src/table/model';
import { createLogger } from '../../../src/telemetry/logger';

const SECRET = Buffer.alloc(32, 3).toString('base64');
const ZONES: ZoneSpec[] = [
  {
    name: 'cloud.example.org',
    parent: 'example.org',
    negativeTtlSeconds: 30,
    nameServers: [],
    nameServerTtlSeconds: 30,
  },
  {
    name: 'a.b.example.com',
    parent: 'example.com',
    negativeTtlSeconds: 30,
    nameServers: [],
    nameServerTtlSeconds: 60,
  },
];

describe('key file', () => {
  test('as tsig-keygen writes it, comments and all', () => {
    const key = parseTsigKeyFile(
      `# generated\nkey "meridian-update" {\n\talgorithm hmac-sha512;\n\tsecret "${SECRET}";\n};\n`,
    );
    expect(key).toEqual({
      name: 'meridian-update',
      algorithm: 'hmac-sha512',
      secret: Buffer.alloc(32, 3),
    });
  });

  test.each([
    ['empty', '', 'found 0'],
    [
      'HMAC-MD5',
      `key "a" { algorithm hmac-md5; secret "${SECRET}"; };`,
      'algorithm hmac-md5 is not one of',
    ],
    [
      'a short secret',
      'key "a" { algorithm hmac-sha256; secret "c2hvcnQ="; };',
      'no base64 secret of 16 bytes',
    ],
    [
      'two keys',
      `key "a" { algorithm hmac-sha256; secret "${SECRET}"; }; key "b" { algorithm hmac-sha256; secret "${SECRET}"; };`,
      'found 2',
    ],
    ['20,000 bytes', 'x'.repeat(20_000), 'at most 16384 bytes'],
  ])('refused: %s', (_label, text, message) => {
    expect(() => parseTsigKeyFile(text)).toThrow(message);
  });

  test('the secret is never in the error', () => {
    expect(() => parseTsigKeyFile(`key "a" { algorithm hmac-sha1; secret "${SECRET}"; };`)).toThrow(
      expect.not.objectContaining({ message: expect.stringContaining(SECRET) as unknown }) as Error,
    );
  });
});

describe('plan', () => {
  test('per zone: its own NS added, its own glue replaced (A and AAAA), at the NS TTL', () => {
    const [first, second] = delegationUpdates({
      zones: ZONES,
      geoTag: 'eu',
      gluePrefix: 'gslb-ns-',
      glue: ['192.0.2.53', '2001:db8::53'],
    });
    expect(first).toEqual({
      parent: 'example.org',
      zone: 'cloud.example.org',
      nameServer: 'gslb-ns-eu-cloud.example.org',
      changes: [
        {
          op: 'add',
          name: 'cloud.example.org',
          type: 'NS',
          ttl: 30,
          data: 'gslb-ns-eu-cloud.example.org',
        },
        { op: 'delete-rrset', name: 'gslb-ns-eu-cloud.example.org', type: 'A' },
        { op: 'delete-rrset', name: 'gslb-ns-eu-cloud.example.org', type: 'AAAA' },
        { op: 'add', name: 'gslb-ns-eu-cloud.example.org', type: 'A', ttl: 30, data: '192.0.2.53' },
        {
          op: 'add',
          name: 'gslb-ns-eu-cloud.example.org',
          type: 'AAAA',
          ttl: 30,
          data: '2001:db8::53',
        },
      ],
    });
    expect(second!.nameServer).toBe('gslb-ns-eu-a-b.example.com');
    expect(second!.parent).toBe('example.com');
  });

  test('no change names anything but this cluster’s own name server, or deletes the zone’s NS RRset', () => {
    const all = [
      ...delegationUpdates({
        zones: ZONES,
        geoTag: 'eu',
        gluePrefix: 'gslb-ns-',
        glue: ['192.0.2.53'],
      }),
      ...withdrawalUpdates({ zones: ZONES, geoTag: 'eu', gluePrefix: 'gslb-ns-' }),
    ];
    for (const update of all)
      for (const change of update.changes) {
        if (change.name === update.zone) {
          expect(change.type).toBe('NS');
          expect(change.op).not.toBe('delete-rrset');
          expect('data' in change && change.data).toBe(update.nameServer);
        } else expect(change.name).toBe(update.nameServer);
      }
  });
});

describe('writer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function rig(outcomes: UpdateOutcome[]) {
    const sent: string[] = [];
    const logged: string[] = [];
    const logger = createLogger('silent');
    logger.info = ((_: unknown, message: string) =>
      logged.push(`info ${message}`)) as unknown as typeof logger.info;
    logger.error = ((_: unknown, message: string) =>
      logged.push(`error ${message}`)) as unknown as typeof logger.error;
    const send: typeof sendUpdate = (_server, zone) => {
      sent.push(zone);
      return Promise.resolve(outcomes.shift() ?? { ok: true });
    };
    const writer = new DelegationWriter({
      updates: delegationUpdates({
        zones: ZONES.slice(0, 1),
        geoTag: 'eu',
        gluePrefix: 'gslb-ns-',
        glue: ['192.0.2.53'],
      }),
      server: { host: '127.0.0.1', port: 53 },
      key: null,
      intervalMs: 60_000,
      logger,
      send,
      now: Date.now,
    });
    return { writer, sent, logged };
  }

  test('written at start, again every interval; said once', async () => {
    const { writer, sent, logged } = rig([]);
    writer.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toEqual(['example.org']);
    expect(writer.status()[0]).toMatchObject({ state: 'written', failures: 0 });
    await jest.advanceTimersByTimeAsync(60_000);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(sent).toHaveLength(3);
    expect(logged).toEqual(['info delegation of cloud.example.org written into example.org']);
    await writer.stop();
    await jest.advanceTimersByTimeAsync(120_000);
    expect(sent).toHaveLength(3);
  });

  test('failing: retried after 1, 2, 4 s…, told once per error, recovered and told', async () => {
    const refused: UpdateOutcome = { ok: false, failure: 'refused', detail: 'NOTAUTH: BADSIG' };
    const { writer, sent, logged } = rig([refused, refused, refused]);
    writer.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(writer.status()[0]).toMatchObject({
      state: 'failing',
      failures: 1,
      lastError: 'refused: NOTAUTH: BADSIG',
    });
    await jest.advanceTimersByTimeAsync(1_000);
    expect(sent).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1_999);
    expect(sent).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(4_000);
    expect(sent).toHaveLength(4);
    expect(writer.status()[0]).toMatchObject({ state: 'written', failures: 0, lastError: null });
    expect(logged).toEqual([
      'error cannot write the delegation of cloud.example.org into example.org; retrying',
      'info delegation of cloud.example.org written into example.org',
    ]);
    await writer.stop();
  });
});
