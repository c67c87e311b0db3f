/**
 * /metrics, /healthz and /readyz over real HTTP, and readiness through the
 * shutdown sequence.
 */
import { decodeReply, query } from '../../harness/dns-case';
import { createDnsClient } from '../helpers/grpc-client';
import { startHarness, type Harness } from '../helpers/app-harness';
import { gslbYaml } from '../../harness/gslb-yaml';

const MANIFESTS = {
  'web.yaml': gslbYaml('web', 'web.cloud.example.org', ['192.0.2.1', '192.0.2.2']),
};

async function get(harness: Harness, path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${harness.app.httpPort}${path}`, {
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, text: await response.text() };
}

describe('a running Meridian', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(MANIFESTS);
    const client = createDnsClient(harness.grpcAddress);
    for (const [name, type] of [
      ['web.cloud.example.org', 'A'],
      ['web.cloud.example.org', 'A'],
      ['x.cloud.example.org', 'A'],
      ['cloud.example.org', 'SOA'],
    ] as const) {
      const result = await client.query(query(name, type));
      if (!result.ok) throw new Error(result.details);
      decodeReply(result.msg);
    }
    await client.query(Buffer.from([0]));
    client.close();
  });
  afterAll(async () => {
    await harness.stop();
  });

  test('/healthz and /readyz answer 200', async () => {
    expect(await get(harness, '/healthz')).toEqual({ status: 200, text: 'ok\n' });
    expect(await get(harness, '/readyz')).toEqual({ status: 200, text: 'ready\n' });
  });

  test('/metrics counts queries by transport, qtype and rcode, and describes the table', async () => {
    const { status, text } = await get(harness, '/metrics');
    expect(status).toBe(200);
    const value = (series: string): number =>
      Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('meridian_dns_queries_total{transport="grpc",qtype="A",rcode="NOERROR"}')).toBe(2);
    expect(value('meridian_dns_queries_total{transport="grpc",qtype="A",rcode="NXDOMAIN"}')).toBe(
      1,
    );
    expect(value('meridian_dns_queries_total{transport="grpc",qtype="SOA",rcode="NOERROR"}')).toBe(
      1,
    );
    expect(value('meridian_dns_bad_requests_total{transport="grpc"}')).toBe(1);
    expect(value('meridian_grpc_errors_total{code="INVALID_ARGUMENT"}')).toBe(1);
    expect(value('meridian_dns_query_duration_seconds_count{transport="grpc"}')).toBe(4);
    expect(value('meridian_table_hosts')).toBe(1);
    // The host's two records, and the same two as localtargets-<host> for peers.
    expect(value('meridian_table_records')).toBe(4);
    expect(value('meridian_table_generation')).toBe(1);
    expect(value('meridian_table_serial')).toBe(harness.app.table.current()?.serial);
    expect(value('meridian_ready')).toBe(1);
    expect(text).toMatch(/^meridian_build_info\{version="test",node_version="24\.\d+\.\d+"\} 1$/m);
  });

  test('unknown paths are 404 and other methods 405', async () => {
    expect((await get(harness, '/nope')).status).toBe(404);
    const post = await fetch(`http://127.0.0.1:${harness.app.httpPort}/metrics`, {
      method: 'POST',
    });
    expect(post.status).toBe(405);
  });
});

test('while stopping: /readyz is 503 and queries are still answered during the grace period', async () => {
  const harness = await startHarness(MANIFESTS, { MERIDIAN_SHUTDOWN_GRACE_SECONDS: '1' });
  const client = createDnsClient(harness.grpcAddress);
  const stopping = harness.stop();
  try {
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await get(harness, '/readyz')).toEqual({
      status: 503,
      text: 'not ready: shutting down\n',
    });
    const result = await client.query(query('web.cloud.example.org', 'A'));
    expect(result.ok && decodeReply(result.msg).answers.length).toBe(2);
  } finally {
    client.close();
    await stopping;
  }
});
