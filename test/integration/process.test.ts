/**
 * The built entry point as a user runs it: configuration errors all at once
 * with exit status 2, --help, a taken port with status 1, SIGTERM with 0.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../harness/eventually';
import { gslbYaml } from '../../harness/gslb-yaml';
import {
  freePort,
  meridianProcessEnv,
  REPO_ROOT,
  startMeridianProcess,
} from '../../harness/processes';

const MAIN = join(REPO_ROOT, 'dist', 'main.js');

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: string[], env: Record<string, string>): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 10_000 },
      (err, stdout, stderr) => {
        resolve({
          code: err === null ? 0 : typeof err.code === 'number' ? err.code : null,
          stdout,
          stderr,
        });
      },
    );
  });
}

test('invalid configuration: every problem on stderr at once, exit status 2', async () => {
  const result = await run([], {
    DNS_ZONES: 'example.org',
    NS_RECORD_TTL: 'zero',
    LOG_LEVEL: 'loud',
    EDGE_DNS_SERVERS: 'dns.example.org',
  });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('MERIDIAN_ERR_CONFIG');
  for (const name of [
    'CLUSTER_GEO_TAG is required',
    'EDGE_DNS_SERVERS=',
    'DNS_ZONES=',
    'NS_RECORD_TTL=',
    'LOG_LEVEL=',
  ]) {
    expect(result.stderr).toContain(name);
  }
});

test('Kubernetes mode with no kubeconfig outside a cluster: exit status 1 with MERIDIAN_ERR_KUBE', async () => {
  const env = {
    DNS_ZONES: 'example.org:cloud.example.org:30',
    CLUSTER_GEO_TAG: 'eu',
    METRICS_ADDRESS: '127.0.0.1:0',
    MERIDIAN_GRPC_LISTEN: '127.0.0.1:0',
  };
  const outside = await run([], env);
  expect(outside.code).toBe(1);
  expect(outside.stdout).toContain('MERIDIAN_ERR_KUBE');
  expect(outside.stdout).toContain('outside a cluster set KUBECONFIG');
  const missing = await run(['--kubeconfig=/nonexistent/kubeconfig'], env);
  expect(missing.code).toBe(1);
  expect(missing.stdout).toContain('cannot load kubeconfig /nonexistent/kubeconfig');
});

test('an unknown flag is a configuration error', async () => {
  const result = await run(['--no-such-flag'], {});
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("Unknown option '--no-such-flag'");
});

test('--help lists every setting and exits 0', async () => {
  const result = await run(['--help'], {});
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('MERIDIAN_GRPC_LISTEN (--grpc-listen)');
  expect(result.stdout).toContain('DNS_ZONES (--dns-zones)');
});

test("--version prints package.json's version, the one meridian_build_info reports, and exits 0", async () => {
  const { version } = JSON.parse(
    readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'),
  ) as {
    version: string;
  };
  const result = await run(['--version'], {});
  expect(result.code).toBe(0);
  expect(result.stdout).toBe(`meridian ${version} (Node.js ${process.versions.node})\n`);
});

describe('a running process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-process-'));
  writeFileSync(join(dir, 'web.yaml'), gslbYaml('web', 'web.cloud.example.org', ['192.0.2.1']));
  // Info level: the tests read the "meridian ready" and "stopped" lines.
  const env = (): Promise<Record<string, string>> =>
    meridianProcessEnv(dir, { MERIDIAN_SHUTDOWN_GRACE_SECONDS: '0.2', LOG_LEVEL: 'info' });

  test('a taken gRPC port: MERIDIAN_ERR_LISTEN, exit status 1; SIGTERM then exits 0', async () => {
    const first = await env();
    const meridian = await startMeridianProcess(first);
    try {
      const second = await run([], {
        ...(await env()),
        MERIDIAN_GRPC_LISTEN: first['MERIDIAN_GRPC_LISTEN'] ?? '',
      });
      expect(second.code).toBe(1);
      expect(second.stdout).toContain('"code":"MERIDIAN_ERR_LISTEN"');
    } finally {
      expect(await meridian.stop('SIGTERM')).toBe(0);
    }
    expect(meridian.output()).toContain('"msg":"stopped"');
  });

  test('flags override the environment', async () => {
    const base = await env();
    const port = await freePort();
    const meridian = await startMeridianProcess({ ...base, METRICS_ADDRESS: 'invalid' }, 15_000, [
      `--metrics-address=${base['METRICS_ADDRESS']}`,
      `--grpc-listen=127.0.0.1:${port}`,
    ]);
    try {
      // Ready can be reported before the listening line has crossed the pipe.
      await waitFor(
        () => meridian.output().includes(`"port":${port}`),
        5_000,
        'the listening line',
      );
    } finally {
      await meridian.stop('SIGTERM');
    }
  });
});
