/**
 * One DNS query for A or AAAA to one server: UDP first, TCP when the UDP
 * reply is truncated (k8gb never retries over TCP, so a peer with many
 * targets is read incompletely by k8gb but not by Meridian). The whole
 * exchange, TCP retry included, is bounded by one timeout and by the
 * caller's abort signal. Every query has its own connected socket: a fresh
 * random source port and ID (RFC 5452), and the kernel's ICMP "port
 * unreachable" reaches us as ECONNREFUSED, so a dead server fails at once
 * instead of timing out. A UDP query is sent again, with the same ID from the
 * same socket, after each third of the timeout without a reply, so that one
 * lost datagram costs a third of the timeout, not the query (k8gb sends once:
 * with 1 % packet loss its peers' hosts fail over on their own).
 */
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, isIP } from 'node:net';
import { MAX_MESSAGE_BYTES } from '../dns/constants';
import {
  encodeQuery,
  readReply,
  type AddressType,
  type FailureKind,
  type QueryOutcome,
} from '../dns/client-message';

/** A DNS server's address. */
export interface DnsServer {
  readonly host: string;
  readonly port: number;
}

/** True when two server lists are the same servers in the same order. */
export function sameServers(a: readonly DnsServer[], b: readonly DnsServer[]): boolean {
  return a.length === b.length && a.every((s, i) => s.host === b[i]?.host && s.port === b[i]?.port);
}

/** Asks `server` for `type name`; never rejects. */
export type QueryFn = (
  server: DnsServer,
  name: string,
  type: AddressType,
  signal: AbortSignal,
) => Promise<QueryOutcome>;

/** Outcome when the caller aborted the query: not a verdict on the server. */
export const ABORTED: QueryOutcome = Object.freeze({
  ok: false,
  failure: 'aborted',
  detail: 'abandoned by the caller',
});

/** Returns a QueryFn whose every exchange is bounded by `timeoutMs`. */
export function createDnsClient(timeoutMs: number): QueryFn {
  return (server, name, type, signal) => queryAddresses(server, name, type, timeoutMs, signal);
}

/** One query, UDP then TCP on truncation, within `timeoutMs` and until `signal` aborts. */
export async function queryAddresses(
  server: DnsServer,
  name: string,
  type: AddressType,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<QueryOutcome> {
  if (signal.aborted) return ABORTED;
  const id = randomInt(0x1_0000);
  const query = { id, name, type };
  const message = encodeQuery(id, name, type);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const stop = AbortSignal.any([signal, deadline.signal]);
  const expired = (): QueryOutcome =>
    signal.aborted
      ? ABORTED
      : { ok: false, failure: 'timeout', detail: `no reply within ${timeoutMs} ms` };
  try {
    const udp = await exchange(
      server,
      message,
      { transport: 'udp', resendAfterMs: Math.max(1, Math.floor(timeoutMs / UDP_SENDS)) },
      stop,
      (reply) => readReply(reply, query, 'udp'),
    );
    if (udp !== 'truncated') return udp ?? expired();
    const tcp = await exchange(server, message, { transport: 'tcp' }, stop, (reply) => {
      const reading = readReply(reply, query, 'tcp');
      // On TCP the stream is ours alone: anything but an answer is a bad reply.
      return reading.kind === 'outcome'
        ? reading
        : { kind: 'outcome', outcome: failure('bad_reply', 'TCP reply does not match') };
    });
    return tcp === 'truncated' ? failure('bad_reply', 'truncated TCP reply') : (tcp ?? expired());
  } finally {
    clearTimeout(timer);
  }
}

type Read = (reply: Buffer) => ReturnType<typeof readReply>;

/** How many times a UDP query is sent at most within its timeout. */
const UDP_SENDS = 3;

/** The transport of one exchange; over UDP, how long to wait before sending again. */
type Transport =
  { readonly transport: 'udp'; readonly resendAfterMs: number } | { readonly transport: 'tcp' };

/** Resolves with the outcome, 'truncated', or null when `stop` aborted first. */
function exchange(
  server: DnsServer,
  message: Buffer,
  transport: Transport,
  stop: AbortSignal,
  read: Read,
): Promise<QueryOutcome | 'truncated' | null> {
  return new Promise((resolve) => {
    if (stop.aborted) {
      resolve(null);
      return;
    }
    let done = false;
    const onAbort = (): void => finish(null);
    const close =
      transport.transport === 'udp'
        ? sendUdp(server, message, transport.resendAfterMs, finish)
        : sendTcp(server, message, finish);
    stop.addEventListener('abort', onAbort, { once: true });
    function finish(result: Buffer | Error | null): void {
      if (done) return;
      if (Buffer.isBuffer(result)) {
        const reading = read(result);
        if (reading.kind === 'foreign') return;
        done = true;
        settle(reading.kind === 'truncated' ? 'truncated' : reading.outcome);
        return;
      }
      done = true;
      // Not instanceof: under Jest, errors from node:dgram come from another realm.
      settle(result === null ? null : failure('network', result.message));
    }
    function settle(value: QueryOutcome | 'truncated' | null): void {
      stop.removeEventListener('abort', onAbort);
      close();
      resolve(value);
    }
  });
}

/**
 * Sends over a connected UDP socket, again every `resendAfterMs` up to
 * UDP_SENDS times in all; every datagram received goes to `deliver`.
 */
function sendUdp(
  server: DnsServer,
  message: Buffer,
  resendAfterMs: number,
  deliver: (result: Buffer | Error) => void,
): () => void {
  const socket = createSocket(isIP(server.host) === 6 ? 'udp6' : 'udp4');
  let sent = 0;
  let resend: NodeJS.Timeout | undefined;
  const send = (): void => {
    sent++;
    socket.send(message, (err) => {
      if (err) deliver(err);
    });
    if (sent < UDP_SENDS) resend = setTimeout(send, resendAfterMs);
  };
  socket.on('error', deliver);
  socket.on('message', (reply) => deliver(reply));
  socket.connect(server.port, server.host, send);
  return () => {
    clearTimeout(resend);
    socket.removeAllListeners('message');
    // Already closed after an error on some platforms: nothing left to release.
    try {
      socket.close();
    } catch {
      /* closed */
    }
  };
}

/** Sends one length-prefixed query over TCP and delivers the first whole reply (RFC 7766). */
function sendTcp(
  server: DnsServer,
  message: Buffer,
  deliver: (result: Buffer | Error) => void,
): () => void {
  const socket = connect({ host: server.host, port: server.port, noDelay: true });
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(message.length);
  socket.write(Buffer.concat([prefix, message]));
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    if (received.length < 2) return;
    const length = received.readUInt16BE(0);
    if (received.length >= 2 + length) deliver(received.subarray(2, 2 + length));
    // A length prefix is at most MAX_MESSAGE_BYTES, so `received` stays bounded.
    else if (received.length > 2 + MAX_MESSAGE_BYTES) deliver(new Error('oversized TCP reply'));
  });
  socket.on('error', deliver);
  socket.on('end', () => deliver(new Error('connection closed before a whole reply')));
  return () => socket.destroy();
}

function failure(kind: FailureKind, detail: string): QueryOutcome {
  return { ok: false, failure: kind, detail };
}
