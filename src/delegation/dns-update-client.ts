/**
 * Sends one RFC 2136 update to the parent zone's primary server, signed with
 * TSIG, over TCP (an update may be larger than a UDP datagram, and a lost
 * datagram would leave it unknown whether the change was made), and reads
 * the signed reply. Bounded by one timeout and the caller's signal; never
 * rejects: the result says what happened, so that the caller can retry with
 * backoff and report it in the ZoneDelegation's status.
 */
import { randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { signMessage, verifyReply, type TsigKey } from '../dns/tsig';
import {
  encodeUpdate,
  updateRcodeName,
  updateReplyRcode,
  type UpdateChange,
} from '../dns/update-message';

/** The parent zone's primary server. */
export interface UpdateServer {
  readonly host: string;
  readonly port: number;
}

/** What became of one update. */
export type UpdateOutcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** `refused`: the server answered with an error rcode; `unsigned`: its reply failed TSIG; `network`: no reply. */
      readonly failure: 'refused' | 'unsigned' | 'network' | 'timeout';
      readonly detail: string;
    };

/** Largest reply read: an update's reply is a header, the zone and a TSIG record. */
const MAX_REPLY_BYTES = 4_096;

/** Sends `changes` to `zone` at `server`, signed with `key` when given. */
export async function sendUpdate(
  server: UpdateServer,
  zone: string,
  changes: readonly UpdateChange[],
  options: {
    readonly key: TsigKey | null;
    readonly timeoutMs: number;
    readonly signal: AbortSignal;
    readonly nowSeconds: () => number;
  },
): Promise<UpdateOutcome> {
  const id = randomInt(0x1_0000);
  const unsigned = encodeUpdate(id, zone, changes);
  const signed =
    options.key === null ? null : signMessage(unsigned, options.key, options.nowSeconds());
  const reply = await exchangeTcp(server, signed?.message ?? unsigned, options);
  if (!Buffer.isBuffer(reply)) return reply;
  const rcode = updateReplyRcode(reply, id);
  if (typeof rcode === 'string') return { ok: false, failure: 'network', detail: rcode };
  if (options.key !== null && signed !== null) {
    const verdict = verifyReply(reply, signed.mac, options.key, options.nowSeconds());
    // A server that refused the key answers NOTAUTH with an unsigned TSIG error: say both.
    if (!verdict.ok)
      return {
        ok: false,
        failure: rcode === 0 ? 'unsigned' : 'refused',
        detail: rcode === 0 ? verdict.reason : `${updateRcodeName(rcode)}: ${verdict.reason}`,
      };
  }
  if (rcode !== 0)
    return {
      ok: false,
      failure: 'refused',
      detail: `the server answered ${updateRcodeName(rcode)}`,
    };
  return { ok: true };
}

/** One length-prefixed exchange over a fresh TCP connection. */
function exchangeTcp(
  server: UpdateServer,
  message: Buffer,
  options: { readonly timeoutMs: number; readonly signal: AbortSignal },
): Promise<Buffer | Exclude<UpdateOutcome, { ok: true }>> {
  return new Promise((resolve) => {
    const socket = connect({ host: server.host, port: server.port });
    let received = Buffer.alloc(0);
    const finish = (result: Buffer | Exclude<UpdateOutcome, { ok: true }>): void => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = (): void => finish({ ok: false, failure: 'timeout', detail: 'abandoned' });
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          failure: 'timeout',
          detail: `no reply within ${options.timeoutMs} ms`,
        }),
      options.timeoutMs,
    );
    if (options.signal.aborted) return onAbort();
    options.signal.addEventListener('abort', onAbort, { once: true });
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length, 0);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length > MAX_REPLY_BYTES + 2)
        return finish({ ok: false, failure: 'network', detail: 'the reply is too long' });
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0))
        finish(received.subarray(2, 2 + received.readUInt16BE(0)));
    });
    socket.on('error', (err) => finish({ ok: false, failure: 'network', detail: err.message }));
    socket.on('close', () =>
      finish({ ok: false, failure: 'network', detail: 'the server closed the connection' }),
    );
  });
}
