/**
 * A relay for DNS on one address, UDP and TCP, that holds every datagram and
 * every TCP chunk for a while in each direction: a peer link with the round
 * trip of a distant region, on loopback.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { freePort } from '../../harness/processes';

/** A running relay. */
export interface DelayRelay {
  /** The port it listens on (UDP and TCP), on 127.0.0.1. */
  readonly port: number;
  /** Datagrams relayed towards the target so far. */
  readonly forwarded: () => number;
  close(): Promise<void>;
}

/** Relays 127.0.0.1:port ↔ `target`, holding everything `delayMs` each way. */
export async function startDelayRelay(
  target: { readonly host: string; readonly port: number },
  delayMs: number,
): Promise<DelayRelay> {
  const listener = createSocket('udp4');
  // One upstream socket per client address, so replies find their way back.
  const upstreams = new Map<string, Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let forwarded = 0;
  const later = (action: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, delayMs);
    timers.add(timer);
  };
  const upstreamFor = (client: RemoteInfo): Socket => {
    const key = `${client.address}:${client.port}`;
    let upstream = upstreams.get(key);
    if (upstream === undefined) {
      const socket = createSocket('udp4');
      socket.on('message', (reply) =>
        later(() => listener.send(reply, client.port, client.address)),
      );
      socket.on('error', () => undefined);
      upstreams.set(key, socket);
      upstream = socket;
    }
    return upstream;
  };
  listener.on('message', (message, client) => {
    const upstream = upstreamFor(client);
    later(() => {
      forwarded++;
      upstream.send(message, target.port, target.host);
    });
  });
  listener.on('error', () => undefined);
  // Not port 0 for the datagrams: an ephemeral port free for UDP may be some
  // connection's local TCP port, and the TCP listener on it would fail.
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.bind(port, '127.0.0.1', () => {
      listener.off('error', reject);
      resolve();
    });
  });
  const tcp: Server = createServer((client) => {
    const upstream = connect({ host: target.host, port: target.port });
    client.on('data', (chunk) => later(() => upstream.write(chunk)));
    upstream.on('data', (chunk) => later(() => client.write(chunk)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, '127.0.0.1', () => {
      tcp.off('error', reject);
      resolve();
    });
  });
  return {
    port: (tcp.address() as AddressInfo).port,
    forwarded: () => forwarded,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of upstreams.values()) socket.close();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}
