/**
 * The other ways CoreDNS can reach Meridian, through the real CoreDNS: a unix
 * socket (a shared emptyDir in a Pod) and mutual TLS (the README's `tls` block).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gslbYaml } from '../../harness/gslb-yaml';
import { createTestPki, type TestPki } from '../helpers/certificates';
import { dig } from '../../harness/dig';
import {
  freePort,
  meridianProcessEnv,
  REPO_ROOT,
  startCoreDns,
  startMeridianProcess,
  type Child,
  type CoreDns,
} from '../../harness/processes';

const ZONE = 'cloud.example.org';
const COREFILE = readFileSync(join(REPO_ROOT, 'Corefile.example'), 'utf8');
let dir: string;
let pki: TestPki;
const running: { stop(): Promise<unknown> }[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'meridian-e2e-transports-'));
  writeFileSync(join(dir, 'web.yaml'), gslbYaml('web', `web.${ZONE}`, ['192.0.2.1', '192.0.2.2']));
  pki = createTestPki();
});

afterEach(async () => {
  for (const child of running.splice(0).reverse()) await child.stop();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

async function meridian(env: Record<string, string>): Promise<Child> {
  const child = await startMeridianProcess(await meridianProcessEnv(dir, env));
  running.push(child);
  return child;
}

// Meridian on a free port with mutual TLS: only clients with a certificate from the test CA.
async function meridianRequiringClientCertificates(): Promise<number> {
  const port = await freePort();
  await meridian({
    MERIDIAN_GRPC_LISTEN: `127.0.0.1:${port}`,
    MERIDIAN_GRPC_TLS_CERT_FILE: pki.serverCert,
    MERIDIAN_GRPC_TLS_KEY_FILE: pki.serverKey,
    MERIDIAN_GRPC_TLS_CLIENT_CA_FILE: pki.caCert,
  });
  return port;
}

async function coredns(corefile: string, grpcAddress: string): Promise<CoreDns> {
  const server = await startCoreDns(
    corefile,
    { MERIDIAN_ZONE: ZONE, MERIDIAN_GRPC_ADDRESS: grpcAddress },
    await freePort(),
  );
  running.push(server);
  return server;
}

async function expectAnswers(server: CoreDns): Promise<void> {
  const reply = await dig('kdig', ['@127.0.0.1', '-p', String(server.dnsPort), `web.${ZONE}`, 'A']);
  expect(reply.status).toBe('NOERROR');
  expect(reply.answer.map((r) => r.data).sort()).toEqual(['192.0.2.1', '192.0.2.2']);
}

test('CoreDNS reaches Meridian over a unix socket', async () => {
  const socket = join(mkdtempSync(join(tmpdir(), 'meridian-sock-')), 'grpc.sock');
  await meridian({ MERIDIAN_GRPC_LISTEN: `unix:${socket}` });
  await expectAnswers(await coredns(COREFILE, `unix://${socket}`));
});

test('CoreDNS reaches Meridian over mutual TLS with the README tls block', async () => {
  const port = await meridianRequiringClientCertificates();
  const grpcLine = 'grpc . {$MERIDIAN_GRPC_ADDRESS}';
  expect(COREFILE).toContain(grpcLine);
  const withTls = COREFILE.replace(
    grpcLine,
    `grpc . {$MERIDIAN_GRPC_ADDRESS} {\n        tls ${pki.clientCert} ${pki.clientKey} ${pki.caCert}\n        tls_servername localhost\n    }`,
  );
  await expectAnswers(await coredns(withTls, `127.0.0.1:${port}`));
});

test('without a client certificate, Meridian refuses CoreDNS and the client gets SERVFAIL', async () => {
  const port = await meridianRequiringClientCertificates();
  const serverOnlyTls = COREFILE.replace(
    'grpc . {$MERIDIAN_GRPC_ADDRESS}',
    `grpc . {$MERIDIAN_GRPC_ADDRESS} {\n        tls ${pki.caCert}\n        tls_servername localhost\n    }`,
  );
  const server = await coredns(serverOnlyTls, `127.0.0.1:${port}`);
  const reply = await dig('kdig', ['@127.0.0.1', '-p', String(server.dnsPort), `web.${ZONE}`, 'A']);
  expect(reply.status).toBe('SERVFAIL');
});
