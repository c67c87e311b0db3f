/**
 * The optional plain DNS listener, queried by real clients (kdig, dig) over
 * UDP and TCP, including truncation and the TCP retry, and TCP clients that
 * misbehave: one that never reads its replies, one that trickles bytes.
 */
import { createSocket } from 'node:dgram';
import { createConnection } from 'node:net';
import { dig, type DigReply } from '../../harness/dig';
import { decodeReply, query } from '../../harness/dns-case';
import { startDnsListener, type DnsListener } from '../../src/plain-dns/dns-listener';
import { createResponder } from '../../src/serving/responder';
import { startHarness, type Harness } from '../helpers/app-harness';
import { gslbYaml } from '../../harness/gslb-yaml';
import { metricsOnNewRegistry } from '../helpers/telemetry';

const MANY = Array.from({ length: 60 }, (_, i) => `192.0.2.${i + 1}`);
let harness: Harness;
let port: string;

beforeAll(async () => {
  harness = await startHarness(
    {
      'web.yaml': gslbYaml('web', 'web.cloud.example.org', ['192.0.2.1', '2001:db8::1']),
      'many.yaml': gslbYaml('many', 'many.cloud.example.org', MANY),
    },
    { MERIDIAN_DNS_LISTEN: '127.0.0.1:0' },
  );
  port = String(harness.app.dnsPorts?.udp);
});

afterAll(async () => {
  await harness.stop();
});

const ask = (tool: 'kdig' | 'dig', ...args: string[]): Promise<DigReply> =>
  dig(tool, ['@127.0.0.1', '-p', port, ...args]);

test('UDP and TCP listen on the same port', () => {
  expect(harness.app.dnsPorts?.tcp).toBe(harness.app.dnsPorts?.udp);
});

test.each(['+notcp', '+tcp'])('kdig %s: A answer, authoritative', async (transport) => {
  const reply = await ask('kdig', 'web.cloud.example.org', 'A', transport);
  expect(reply.status).toBe('NOERROR');
  expect(reply.flags).toContain('aa');
  expect(reply.answer).toEqual([
    { name: 'web.cloud.example.org.', ttl: 30, type: 'A', data: '192.0.2.1' },
  ]);
});

test('dig echoes a mixed-case name', async () => {
  const reply = await ask('dig', 'WeB.CLOUD.example.ORG', 'AAAA', '+norec');
  expect(reply.question).toMatch(/^WeB\.CLOUD\.example\.ORG\.\s+IN\s+AAAA$/);
  expect(reply.answer.map((r) => `${r.name} ${r.data}`)).toEqual([
    'WeB.CLOUD.example.ORG. 2001:db8::1',
  ]);
});

test('a UDP reply over 512 bytes without EDNS is truncated (TC) and kdig over TCP gets every record', async () => {
  const udp = await ask('kdig', 'many.cloud.example.org', 'A', '+notcp', '+noedns', '+ignore');
  expect(udp.flags).toContain('tc');
  expect(udp.answer).toHaveLength(0);
  const tcp = await ask('kdig', 'many.cloud.example.org', 'A', '+tcp');
  expect(tcp.flags).not.toContain('tc');
  expect(tcp.answer.map((r) => r.data).sort()).toEqual([...MANY].sort());
});

test('dig retries over TCP by itself after TC and gets all 60 records', async () => {
  const reply = await ask('dig', 'many.cloud.example.org', 'A', '+noedns');
  expect(reply.answer).toHaveLength(60);
  expect(reply.raw).toContain('(TCP)');
});

test('an EDNS client with a 4096-byte buffer gets all records over UDP', async () => {
  const reply = await ask('kdig', 'many.cloud.example.org', 'A', '+notcp', '+bufsize=4096');
  expect(reply.flags).not.toContain('tc');
  expect(reply.answer).toHaveLength(60);
});

test('TCP carries several length-prefixed queries on one connection, split across segments', async () => {
  const frames = [1, 2, 3].map((id) => {
    const message = query('web.cloud.example.org', 'A', { id });
    const frame = Buffer.alloc(2 + message.length);
    frame.writeUInt16BE(message.length, 0);
    message.copy(frame, 2);
    return frame;
  });
  const bytes = Buffer.concat(frames);
  const replies = await new Promise<number[]>((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port: Number(port) });
    const timer = setTimeout(() => reject(new Error('no replies in 5 s')), 5_000);
    let received = Buffer.alloc(0);
    const ids: number[] = [];
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        const length = received.readUInt16BE(0);
        ids.push(decodeReply(received.subarray(2, 2 + length)).id);
        received = received.subarray(2 + length);
      }
      if (ids.length === 3) {
        clearTimeout(timer);
        socket.destroy();
        resolve(ids);
      }
    });
    socket.on('error', reject);
    // Write in two pieces that cut the second message in half.
    socket.write(bytes.subarray(0, 40));
    setTimeout(() => socket.write(bytes.subarray(40)), 20);
  });
  expect(replies).toEqual([1, 2, 3]);
});

test('garbage on UDP is dropped and the listener keeps answering', async () => {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) =>
    socket.send(Buffer.from([1, 2]), Number(port), '127.0.0.1', () => resolve()),
  );
  socket.close();
  const reply = await ask('kdig', 'web.cloud.example.org', 'A');
  expect(reply.status).toBe('NOERROR');
});

/** A listener of its own over the harness's table, with a short idle timeout. */
async function ownListener(tcpIdleTimeoutMs: number): Promise<DnsListener> {
  const respond = createResponder(harness.app.table, metricsOnNewRegistry().metrics);
  return startDnsListener({ host: '127.0.0.1', port: 0 }, respond, { tcpIdleTimeoutMs });
}

function tcpFrame(message: Buffer): Buffer {
  const frame = Buffer.alloc(2 + message.length);
  frame.writeUInt16BE(message.length, 0);
  message.copy(frame, 2);
  return frame;
}

test('a TCP client that pipelines queries and never reads is not read from: replies waiting stay bounded', async () => {
  const listener = await ownListener(10_000);
  const socket = createConnection({ host: '127.0.0.1', port: listener.tcpPort });
  try {
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.pause(); // never read
    // 20,000 queries for 60 records each: about 20 MB of replies.
    const burst = Buffer.concat(
      Array.from({ length: 20_000 }, (_, i) =>
        tcpFrame(query('many.cloud.example.org', 'A', { id: i & 0xffff })),
      ),
    );
    socket.write(burst);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const waiting = listener.pendingReplyBytes();
    expect(waiting).toBeGreaterThan(0);
    expect(waiting).toBeLessThan(256 * 1024);
  } finally {
    socket.destroy();
    await listener.close();
  }
});

test('bytes trickling in do not keep a TCP connection open past the idle timeout', async () => {
  const listener = await ownListener(300);
  const socket = createConnection({ host: '127.0.0.1', port: listener.tcpPort });
  const frame = tcpFrame(query('web.cloud.example.org', 'A'));
  let sent = 0;
  const trickle = setInterval(() => {
    if (!socket.destroyed && sent < frame.length - 1) socket.write(frame.subarray(sent, ++sent));
  }, 50);
  try {
    const started = performance.now();
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const lasted = performance.now() - started;
    expect(lasted).toBeGreaterThanOrEqual(250);
    expect(lasted).toBeLessThan(1_000);
  } finally {
    clearInterval(trickle);
    socket.destroy();
    await listener.close();
  }
});
