/**
 * A real BIND 9 (test/helpers/bind.ts) holding a parent zone that takes
 * RFC 2136 updates signed with one fresh HMAC-SHA256 key, with what the
 * delegation tests ask of it: an update signed with that key (or another),
 * and the records it serves for a name, read with dig.
 */
import { randomBytes } from 'node:crypto';
import { dig } from '../../harness/dig';
import { sendUpdate, type UpdateOutcome } from '../../src/delegation/dns-update-client';
import type { TsigKey } from '../../src/dns/tsig';
import type { UpdateChange } from '../../src/dns/update-message';
import { startBind, type Bind } from './bind';

/** A parent zone that takes signed updates. */
export interface UpdatableBind {
  readonly bind: Bind;
  /** The key named allows updates with. */
  readonly key: TsigKey;
  /** Sends `changes` to the parent zone, signed with `key` (the allowed one unless given; null: unsigned). */
  update(changes: readonly UpdateChange[], key?: TsigKey | null): Promise<UpdateOutcome>;
  /** What named serves for `name` and `type`, sorted; NS of a delegation is read from the referral. */
  records(name: string, type: 'A' | 'AAAA' | 'NS'): Promise<string[]>;
  /** The parent zone's SOA serial. */
  serial(): Promise<number>;
}

/** Starts named authoritative for `parent` (delegating nothing yet), taking updates signed with a new key. */
export async function startUpdatableBind(parent: string, zone: string): Promise<UpdatableBind> {
  const key: TsigKey = {
    name: 'meridian-update',
    algorithm: 'hmac-sha256',
    secret: randomBytes(32),
  };
  const bind = await startBind(
    { parent, zone, gluePrefix: 'gslb-ns-', clusters: [] },
    {
      updateKey: {
        name: key.name,
        algorithm: key.algorithm,
        secret: key.secret.toString('base64'),
      },
    },
  );
  const ask = (name: string, type: string) =>
    dig('dig', [`@${bind.address}`, '-p', String(bind.port), '+norec', name, type]);
  return {
    bind,
    key,
    update: (changes, signWith = key) =>
      sendUpdate({ host: bind.address, port: bind.port }, parent, changes, {
        key: signWith,
        timeoutMs: 5_000,
        signal: new AbortController().signal,
        nowSeconds: () => Math.floor(Date.now() / 1000),
      }),
    async records(name, type) {
      const reply = await ask(name, type);
      return [...reply.answer, ...reply.authority]
        .filter((r) => r.type === type && r.name === `${name}.`)
        .map((r) => r.data)
        .sort();
    },
    async serial() {
      const reply = await ask(parent, 'SOA');
      return Number(reply.answer.find((r) => r.type === 'SOA')?.data.split(' ')[2]);
    },
  };
}
