/**
 * The listener options CoreDNS can use: TCP, unix socket, TLS and mutual TLS,
 * and the standard gRPC health service.
 */
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { decodeReply, query } from '../../harness/dns-case';
import { createDnsClient } from '../helpers/grpc-client';
import { createTestPki, type TestPki } from '../helpers/certificates';
import { startHarness, type Harness } from '../helpers/app-harness';
import { gslbYaml } from '../../harness/gslb-yaml';

const MANIFESTS = { 'web.yaml': gslbYaml('web', 'web.cloud.example.org', ['192.0.2.1']) };
let pki: TestPki;

beforeAll(() => {
  pki = createTestPki();
});

async function expectAnswer(
  address: string,
  credentials?: grpc.ChannelCredentials,
  options: grpc.ChannelOptions = {},
): Promise<void> {
  const client = createDnsClient(address, credentials, options);
  try {
    const result = await client.query(query('web.cloud.example.org', 'A'), 3_000);
    if (!result.ok) throw new Error(`gRPC ${result.code}: ${result.details}`);
    expect(decodeReply(result.msg).answers).toHaveLength(1);
  } finally {
    client.close();
  }
}

async function expectRejected(
  address: string,
  credentials: grpc.ChannelCredentials,
  options: grpc.ChannelOptions = {},
): Promise<void> {
  const client = createDnsClient(address, credentials, options);
  try {
    const result = await client.query(query('web.cloud.example.org', 'A'), 3_000);
    expect(result).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
  } finally {
    client.close();
  }
}

const withRunning = async (
  env: Record<string, string>,
  body: (h: Harness) => Promise<void>,
): Promise<void> => {
  const harness = await startHarness(MANIFESTS, env);
  try {
    await body(harness);
  } finally {
    await harness.stop();
  }
};

test('unix socket listener', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'meridian-sock-')), 'meridian.sock');
  await withRunning({ MERIDIAN_GRPC_LISTEN: `unix:${path}` }, async () => {
    await expectAnswer(`unix:${path}`);
  });
});

test('IPv6 loopback listener', async () => {
  await withRunning({ MERIDIAN_GRPC_LISTEN: '[::1]:0' }, async (h) => {
    await expectAnswer(`[::1]:${h.app.grpcPort}`);
  });
});

test('TLS: a client trusting the CA is answered; a plaintext client is not', async () => {
  const env = {
    MERIDIAN_GRPC_TLS_CERT_FILE: pki.serverCert,
    MERIDIAN_GRPC_TLS_KEY_FILE: pki.serverKey,
  };
  await withRunning(env, async (h) => {
    const address = `localhost:${h.app.grpcPort}`;
    await expectAnswer(address, grpc.credentials.createSsl(pki.read(pki.caCert)));
    await expectRejected(address, grpc.credentials.createInsecure());
  });
});

test('mutual TLS: a client certificate signed by the client CA is required', async () => {
  const env = {
    MERIDIAN_GRPC_TLS_CERT_FILE: pki.serverCert,
    MERIDIAN_GRPC_TLS_KEY_FILE: pki.serverKey,
    MERIDIAN_GRPC_TLS_CLIENT_CA_FILE: pki.caCert,
  };
  await withRunning(env, async (h) => {
    const address = `localhost:${h.app.grpcPort}`;
    const ca = pki.read(pki.caCert);
    await expectAnswer(
      address,
      grpc.credentials.createSsl(ca, pki.read(pki.clientKey), pki.read(pki.clientCert)),
    );
    await expectRejected(address, grpc.credentials.createSsl(ca));
  });
});

test('an unreadable TLS key fails start-up with MERIDIAN_ERR_TLS', async () => {
  await expect(
    startHarness(MANIFESTS, {
      MERIDIAN_GRPC_TLS_CERT_FILE: pki.serverCert,
      MERIDIAN_GRPC_TLS_KEY_FILE: '/nonexistent/key.pem',
    }),
  ).rejects.toMatchObject({ code: 'MERIDIAN_ERR_TLS' });
});

test('a taken port fails start-up with MERIDIAN_ERR_LISTEN', async () => {
  await withRunning({}, async (h) => {
    await expect(
      startHarness(MANIFESTS, { MERIDIAN_GRPC_LISTEN: `127.0.0.1:${h.app.grpcPort}` }),
    ).rejects.toMatchObject({
      code: 'MERIDIAN_ERR_LISTEN',
    });
  });
});

type HealthCheck = (
  request: { service: string },
  callback: (err: grpc.ServiceError | null, reply?: { status: string }) => void,
) => void;
type HealthClient = grpc.Client & { check: HealthCheck };

function createHealthClient(address: string): HealthClient {
  const loaded = grpc.loadPackageDefinition(
    protoLoader.loadSync(healthProtoPath, { keepCase: true, enums: String }),
  ) as unknown as {
    grpc: {
      health: { v1: { Health: new (a: string, c: grpc.ChannelCredentials) => HealthClient } };
    };
  };
  return new loaded.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
}

test('the standard health service reports SERVING, then NOT_SERVING while stopping and still answering', async () => {
  const harness = await startHarness(MANIFESTS, { MERIDIAN_SHUTDOWN_GRACE_SECONDS: '1' });
  const client = createHealthClient(harness.grpcAddress);
  const check = (service: string): Promise<string> =>
    new Promise((resolve, reject) =>
      client.check({ service }, (err, reply) =>
        err !== null ? reject(err) : resolve(reply?.status ?? ''),
      ),
    );
  let stopping: Promise<void> | null = null;
  try {
    expect(await check('')).toBe('SERVING');
    expect(await check('coredns.dns.DnsService')).toBe('SERVING');
    stopping = harness.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await check('coredns.dns.DnsService')).toBe('NOT_SERVING');
    await expectAnswer(harness.grpcAddress);
  } finally {
    client.close();
    await (stopping ?? harness.stop());
  }
});
