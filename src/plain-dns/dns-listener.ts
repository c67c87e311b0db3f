/**
 * An optional plain DNS listener (UDP and TCP on one address) for people
 * without CoreDNS at hand. Behind CoreDNS it is not needed: CoreDNS owns
 * transports, truncation and rate limits. Here Meridian does the minimum a
 * server must: truncate for UDP (TC set, retry over TCP), RFC 7766 framing on
 * TCP with bounded connections, buffers and idle time. A TCP client that
 * sends queries and does not read the replies is not read from either until
 * it does (the replies waiting for it stay within one socket buffer), and a
 * connection is idle until a whole query arrives: bytes trickling in do not
 * keep it open.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type AddressInfo, type Server, type Socket as TcpSocket } from 'node:net';
import { isIP } from 'node:net';
import { CLASSIC_UDP_PAYLOAD, MAX_MESSAGE_BYTES } from '../dns/constants';
import { writeTruncatedReply } from '../dns/response';
import { MeridianError } from '../errors';
import type { HostPort } from '../config/load-config';
import type { Responder } from '../serving/responder';

/** Most TCP connections open at once; more are refused by the kernel backlog. */
export const MAX_TCP_CONNECTIONS = 256;
/** A TCP connection without a whole query for this long is closed (RFC 7766 §6.2.3 suggests seconds). */
export const TCP_IDLE_TIMEOUT_MS = 10_000;
/** Largest UDP reply, whatever the client advertises. */
const MAX_UDP_PAYLOAD = 4096;

/** A listening plain DNS server. */
export interface DnsListener {
  readonly udpPort: number;
  readonly tcpPort: number;
  /** Reply bytes written to TCP connections and not yet taken by the kernel, for diagnostics. */
  pendingReplyBytes(): number;
  close(): Promise<void>;
}

/** Settings of {@link startDnsListener}; defaults are the exported constants. */
export interface DnsListenerOptions {
  readonly tcpIdleTimeoutMs?: number;
}

/**
 * With port 0 the kernel picks the UDP port, and TCP takes the same number;
 * another process may hold that number for TCP, so a few fresh picks are tried.
 */
const PORT_ZERO_ATTEMPTS = 5;

/** Starts UDP and TCP listeners on `address`; the same port for both. */
export async function startDnsListener(
  address: HostPort,
  respond: Responder,
  options: DnsListenerOptions = {},
): Promise<DnsListener> {
  const idleMs = options.tcpIdleTimeoutMs ?? TCP_IDLE_TIMEOUT_MS;
  for (let attempt = 1; ; attempt++) {
    const udp = createSocket({ type: isIP(address.host) === 6 ? 'udp6' : 'udp4' });
    udp.on('message', (message, peer) => answerUdp(udp, respond, message, peer.port, peer.address));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', (err) => reject(listenError('UDP', address, err)));
      udp.bind(address.port, address.host, () => resolve());
    });
    udp.on('error', () => undefined); // per-datagram send errors are the client's loss, not fatal
    const udpPort = udp.address().port;

    const sockets = new Set<TcpSocket>();
    const tcp: Server = createServer({ noDelay: true }, (socket) =>
      serveTcp(socket, sockets, respond, idleMs),
    );
    tcp.maxConnections = MAX_TCP_CONNECTIONS;
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(udpPort, address.host, () => resolve());
      });
    } catch (err) {
      udp.close();
      const taken = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (address.port === 0 && taken && attempt < PORT_ZERO_ATTEMPTS) continue;
      throw listenError('TCP', address, err as Error);
    }

    return {
      udpPort,
      tcpPort: (tcp.address() as AddressInfo).port,
      pendingReplyBytes: () => [...sockets].reduce((sum, socket) => sum + socket.writableLength, 0),
      close: () =>
        new Promise<void>((resolve) => {
          udp.close();
          tcp.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        }),
    };
  }
}

function listenError(transport: string, address: HostPort, err: Error): MeridianError {
  return new MeridianError(
    'MERIDIAN_ERR_LISTEN',
    `DNS ${transport} ${address.host}:${address.port}: ${err.message}`,
    {
      cause: err,
    },
  );
}

function answerUdp(
  udp: Socket,
  respond: Responder,
  message: Buffer,
  port: number,
  host: string,
): void {
  const result = respond('udp', message);
  if (result.kind !== 'answered') return; // nothing sensible to send without a header
  const advertised = result.parts.edns?.udpPayloadSize ?? CLASSIC_UDP_PAYLOAD;
  const limit = Math.min(Math.max(advertised, CLASSIC_UDP_PAYLOAD), MAX_UDP_PAYLOAD);
  const reply = result.reply.length <= limit ? result.reply : writeTruncatedReply(result.parts);
  udp.send(reply, port, host);
}

// RFC 1035 §4.2.2 / RFC 7766: each message is preceded by a 2-byte length;
// several may arrive in one segment or one may span segments.
function serveTcp(
  socket: TcpSocket,
  sockets: Set<TcpSocket>,
  respond: Responder,
  idleMs: number,
): void {
  sockets.add(socket);
  let idle = setTimeout(() => socket.destroy(), idleMs);
  const active = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => socket.destroy(), idleMs);
  };
  socket.on('close', () => {
    clearTimeout(idle);
    sockets.delete(socket);
  });
  socket.on('error', () => socket.destroy());
  let pending: Buffer = Buffer.alloc(0);
  // Answers the whole messages in `pending`; stops early when the client is
  // not reading, and carries on once what was written has drained.
  const answerPending = (): void => {
    while (pending.length >= 2 && !socket.destroyed) {
      const length = pending.readUInt16BE(0);
      if (pending.length < 2 + length) break;
      const message = pending.subarray(2, 2 + length);
      pending = pending.subarray(2 + length);
      active();
      const result = respond('tcp', message);
      if (result.kind !== 'answered') {
        socket.destroy();
        return;
      }
      const frame = Buffer.allocUnsafe(2 + result.reply.length);
      frame.writeUInt16BE(result.reply.length, 0);
      result.reply.copy(frame, 2);
      if (!socket.write(frame)) {
        socket.pause();
        socket.once('drain', () => {
          socket.resume();
          answerPending();
        });
        return;
      }
    }
    if (pending.length > MAX_MESSAGE_BYTES + 2) socket.destroy();
  };
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    if (!socket.isPaused()) answerPending();
  });
}
