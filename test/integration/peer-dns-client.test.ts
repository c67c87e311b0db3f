/**
 * The peer DNS client over real sockets on loopback: a scripted server shows
 * what is sent (RD, no EDNS0, a fresh ID) and how replies are taken (a reply
 * with another ID is ignored, a truncated one is asked again over TCP); a
 * real BIND truncates a large answer without EDNS0 and the TCP retry reads it
 * whole; a lost datagram is sent again within the timeout; a black hole times
 * out within the timeout; a dead port fails at once
 * (ICMP port unreachable); an abort ends the query at once.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { queryAddresses } from '../../src/peers/dns-client';
import { startBind, type Bind } from '../helpers/bind';
import { freePort } from '../../harness/processes';

jest.setTimeout(30_000);

const NAME = 'localtargets-app.cloud.example.org.';
const never = new AbortController().signal;

/** What the scripted UDP server does with one query. */
type UdpScript = (query: dnsPacket.DecodedPacket, reply: (p: dnsPacket.Packet) => void) => void;

interface Scripted {
  readonly port: number;
  readonly udpQueries: Buffer[];
  readonly tcpQueries: Buffer[];
  udp: UdpScript;
  /** Answers over TCP; null closes the connection without a reply. */
  tcp: ((query: dnsPacket.DecodedPacket) => dnsPacket.Packet) | null;
  close(): Promise<void>;
}

function response(
  query: dnsPacket.DecodedPacket,
  extra: Partial<dnsPacket.Packet>,
): dnsPacket.Packet {
  return {
    type: 'response',
    id: query.id ?? 0,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: query.questions ?? [],
    ...extra,
  };
}

const aRecords = (count: number): dnsPacket.Answer[] =>
  Array.from({ length: count }, (_, i) => ({
    type: 'A' as const,
    name: NAME,
    ttl: 30,
    data: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
  }));

async function scriptedServer(): Promise<Scripted> {
  const port = await freePort();
  const udpSocket: Socket = createSocket('udp4');
  const server: Scripted = {
    port,
    udpQueries: [],
    tcpQueries: [],
    udp: () => undefined,
    tcp: null,
    close: () =>
      Promise.all([
        new Promise<void>((resolve) => udpSocket.close(() => resolve())),
        new Promise<void>((resolve) => tcpServer.close(() => resolve())),
      ]).then(() => undefined),
  };
  udpSocket.on('message', (message: Buffer, peer: RemoteInfo) => {
    server.udpQueries.push(message);
    server.udp(dnsPacket.decode(message), (packet) =>
      udpSocket.send(dnsPacket.encode(packet), peer.port, peer.address),
    );
  });
  const tcpServer: Server = createServer((socket) => {
    socket.once('data', (chunk: Buffer) => {
      const message = chunk.subarray(2, 2 + chunk.readUInt16BE(0));
      server.tcpQueries.push(message);
      const answer = server.tcp?.(dnsPacket.decode(message));
      if (answer === undefined) socket.end();
      else socket.end(dnsPacket.streamEncode(answer));
    });
  });
  await new Promise<void>((resolve) => udpSocket.bind(port, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => tcpServer.listen(port, '127.0.0.1', resolve));
  return server;
}

let scripted: Scripted;
let bind: Bind;

beforeAll(async () => {
  scripted = await scriptedServer();
  bind = await startBind({
    parent: 'example.org',
    zone: 'cloud.example.org',
    gluePrefix: 'gslb-ns-',
    clusters: [
      {
        geoTag: 'us',
        addresses: Array.from({ length: 60 }, (_, i) => `127.0.1.${i + 1}`),
      },
    ],
  });
});

afterAll(async () => {
  await Promise.all([scripted?.close(), bind?.stop()]);
});

beforeEach(() => {
  scripted.udpQueries.length = 0;
  scripted.tcpQueries.length = 0;
  scripted.tcp = null;
});

const local = (): { host: string; port: number } => ({ host: '127.0.0.1', port: scripted.port });

test('the query is one question with RD and no EDNS0, and a fresh ID each time', async () => {
  scripted.udp = (query, reply) => reply(response(query, { answers: aRecords(2) }));
  const first = await queryAddresses(local(), NAME, 'A', 1_000, never);
  await queryAddresses(local(), NAME, 'A', 1_000, never);
  expect(first).toEqual({
    ok: true,
    rcode: 'NOERROR',
    addresses: ['10.0.0.1', '10.0.0.2'],
    transport: 'udp',
  });
  const [one, two] = scripted.udpQueries.map((m) => dnsPacket.decode(m));
  expect(one?.flag_rd).toBe(true);
  expect(one?.questions).toEqual([{ name: NAME.slice(0, -1), type: 'A', class: 'IN' }]);
  expect(one?.additionals).toEqual([]);
  expect(one?.id).not.toBe(two?.id);
});

test('a reply with another ID is ignored; the right one that follows is taken', async () => {
  scripted.udp = (query, reply) => {
    reply(response(query, { id: ((query.id ?? 0) + 1) % 65_536, answers: aRecords(1) }));
    setTimeout(() => reply(response(query, { answers: aRecords(3) })), 20);
  };
  const outcome = await queryAddresses(local(), NAME, 'A', 1_000, never);
  expect(outcome).toMatchObject({ ok: true, addresses: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] });
});

test('a truncated UDP reply is asked again over TCP, on the same port', async () => {
  scripted.udp = (query, reply) =>
    reply(response(query, { flags: dnsPacket.TRUNCATED_RESPONSE | dnsPacket.RECURSION_DESIRED }));
  scripted.tcp = (query) => response(query, { answers: aRecords(100) });
  const outcome = await queryAddresses(local(), NAME, 'A', 1_000, never);
  expect(outcome).toMatchObject({ ok: true, transport: 'tcp' });
  expect(outcome.ok && outcome.addresses).toHaveLength(100);
  expect(scripted.udpQueries).toHaveLength(1);
  expect(scripted.tcpQueries).toHaveLength(1);
  expect(scripted.tcpQueries[0]?.subarray(2)).toEqual(scripted.udpQueries[0]?.subarray(2));
});

test('a TCP server that closes without a reply is a network failure', async () => {
  scripted.udp = (query, reply) =>
    reply(response(query, { flags: dnsPacket.TRUNCATED_RESPONSE | dnsPacket.RECURSION_DESIRED }));
  scripted.tcp = null;
  expect(await queryAddresses(local(), NAME, 'A', 1_000, never)).toEqual({
    ok: false,
    failure: 'network',
    detail: 'connection closed before a whole reply',
  });
});

test('a real BIND truncates 60 A records without EDNS0; the TCP retry reads them all', async () => {
  const [host = '', port = ''] = bind.server.split(':');
  const outcome = await queryAddresses(
    { host, port: Number(port) },
    'gslb-ns-us-cloud.example.org.',
    'A',
    2_000,
    never,
  );
  expect(outcome).toMatchObject({ ok: true, rcode: 'NOERROR', transport: 'tcp' });
  expect(outcome.ok && [...outcome.addresses].sort()).toEqual(
    Array.from({ length: 60 }, (_, i) => `127.0.1.${i + 1}`).sort(),
  );
  // NXDOMAIN from BIND is an answer.
  expect(
    await queryAddresses({ host, port: Number(port) }, 'nobody.example.org.', 'A', 2_000, never),
  ).toEqual({ ok: true, rcode: 'NXDOMAIN', addresses: [], transport: 'udp' });
});

test('a lost query is sent again, with the same ID, within the timeout', async () => {
  let seen = 0;
  scripted.udp = (query, reply) => {
    // The first datagram is lost; the second is answered.
    if (++seen > 1) reply(response(query, { answers: aRecords(1) }));
  };
  const started = performance.now();
  const outcome = await queryAddresses(local(), NAME, 'A', 600, never);
  expect(outcome).toMatchObject({ ok: true, addresses: ['10.0.0.1'] });
  expect(performance.now() - started).toBeLessThan(600);
  const [first, second] = scripted.udpQueries;
  expect(scripted.udpQueries).toHaveLength(2);
  expect(second).toEqual(first);
});

test('a black hole times out after the timeout, not before and not much after', async () => {
  scripted.udp = () => undefined;
  const started = performance.now();
  const outcome = await queryAddresses(local(), NAME, 'A', 200, never);
  const elapsed = performance.now() - started;
  expect(outcome).toEqual({ ok: false, failure: 'timeout', detail: 'no reply within 200 ms' });
  expect(elapsed).toBeGreaterThanOrEqual(195);
  expect(elapsed).toBeLessThan(400);
  // Sent three times in all: at the start and after each third of the timeout.
  expect(scripted.udpQueries).toHaveLength(3);
});

test('a dead port fails at once with the ICMP error, not a timeout', async () => {
  const port = await freePort();
  const started = performance.now();
  const outcome = await queryAddresses({ host: '127.0.0.1', port }, NAME, 'A', 2_000, never);
  expect(outcome).toEqual({
    ok: false,
    failure: 'network',
    detail: expect.stringContaining('ECONNREFUSED'),
  });
  expect(performance.now() - started).toBeLessThan(500);
});

test('an abort ends the query at once, as abandoned, not as a timeout', async () => {
  scripted.udp = () => undefined;
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 30);
  const started = performance.now();
  const outcome = await queryAddresses(local(), NAME, 'A', 2_000, controller.signal);
  expect(outcome).toMatchObject({ ok: false, failure: 'aborted' });
  expect(performance.now() - started).toBeLessThan(500);
});

test('IPv6 loopback works the same way', async () => {
  const socket = createSocket('udp6');
  socket.on('message', (message, peer) => {
    const query = dnsPacket.decode(message);
    const answer = response(query, {
      answers: [{ type: 'AAAA', name: NAME, ttl: 30, data: '2001:db8::1' }],
    });
    socket.send(dnsPacket.encode(answer), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '::1', resolve));
  try {
    const outcome = await queryAddresses(
      { host: '::1', port: socket.address().port },
      NAME,
      'AAAA',
      1_000,
      never,
    );
    expect(outcome).toMatchObject({ ok: true, addresses: ['2001:db8::1'] });
  } finally {
    socket.close();
  }
});
