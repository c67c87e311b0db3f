/**
 * The built Meridian under a file-size limit (RLIMIT_FSIZE, what `ulimit -f`
 * sets; here lowered and raised on the running process with prlimit): while
 * the audit file cannot grow, answers go on and follow manifest changes, the
 * error is counted, logged and shown on /readyz, nothing crashes; once the
 * limit is lifted the chain goes on with a marked gap (the cut-short write
 * pinned, an outage line, the records held), and `meridian audit verify`
 * accepts the files. Needs prlimit (util-linux).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { addressesOf, decodeReply, query } from '../../harness/dns-case';
import { waitFor } from '../../harness/eventually';
import { gslbYaml } from '../../harness/gslb-yaml';
import {
  meridianProcessEnv,
  REPO_ROOT,
  startMeridianProcess,
  type Child,
} from '../../harness/processes';
import { filesInOrder } from '../helpers/audit-files';
import { createDnsClient } from '../helpers/grpc-client';

const run = promisify(execFile);

/** prlimit's path; the test fails saying so when it is missing. */
function prlimit(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v prlimit'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('this test needs prlimit (util-linux) to change a running process limit');
  }
}

/** Sets the soft file-size limit of `pid` (bytes, or 'unlimited'); the hard limit stays unlimited. */
async function setFileSizeLimit(pid: number, soft: number | 'unlimited'): Promise<void> {
  await run(prlimit(), [`--pid=${pid}`, `--fsize=${soft}:unlimited`]);
}

const web = (address: string): string => gslbYaml('web', 'web.cloud.example.org', [address]);

/** The value of an unlabelled series, or of the one with `labels`, on the /metrics page. */
async function metric(metrics: string, name: string, labels = ''): Promise<number> {
  const page = await (
    await fetch(`http://${metrics}/metrics`, { signal: AbortSignal.timeout(5_000) })
  ).text();
  const series = labels === '' ? name : `${name}{${labels}}`;
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function answer(grpc: string): Promise<string[]> {
  const client = createDnsClient(grpc);
  try {
    const result = await client.query(query('web.cloud.example.org', 'A'), 2_000);
    if (!result.ok) throw new Error(result.details);
    return addressesOf(decodeReply(result.msg).answers);
  } finally {
    client.close();
  }
}

test('a file-size limit on a running Meridian: answers go on, the error is reported, the chain resumes with a marked gap', async () => {
  const manifests = mkdtempSync(join(tmpdir(), 'meridian-fault-manifests-'));
  const auditDir = mkdtempSync(join(tmpdir(), 'meridian-fault-audit-'));
  const path = join(auditDir, 'audit.jsonl');
  writeFileSync(join(manifests, 'web.yaml'), web('192.0.2.1'));
  const env = await meridianProcessEnv(manifests, {
    MERIDIAN_AUDIT_FILE: path,
    MERIDIAN_AUDIT_FSYNC_SECONDS: '0',
    MERIDIAN_RELOAD_DEBOUNCE_MS: '20',
    LOG_LEVEL: 'info',
  });
  const metrics = env['METRICS_ADDRESS']!;
  const grpc = env['MERIDIAN_GRPC_LISTEN']!;
  const change = async (address: string): Promise<void> => {
    writeFileSync(join(manifests, 'web.yaml'), web(address));
    await waitFor(async () => (await answer(grpc)).includes(address), 10_000, `answer ${address}`);
  };
  let meridian: Child | null = await startMeridianProcess(env);
  try {
    const pid = meridian.process.pid!;
    await change('192.0.2.2');
    await waitFor(
      async () => (await metric(metrics, 'meridian_audit_records_total')) === 1,
      10_000,
      'first record',
    );

    // Past the limit every write fails with EFBIG (a write that crosses it is cut short first).
    await setFileSizeLimit(pid, 1);
    await change('192.0.2.3');
    await waitFor(
      async () => (await metric(metrics, 'meridian_audit_failing')) === 1,
      10_000,
      'failing',
    );
    await change('192.0.2.4');
    expect(
      await metric(metrics, 'meridian_audit_write_errors_total', 'reason="EFBIG"'),
    ).toBeGreaterThanOrEqual(1);
    const ready = await fetch(`http://${metrics}/readyz`, { signal: AbortSignal.timeout(5_000) });
    expect(ready.status).toBe(200);
    expect(await ready.text()).toMatch(
      /^ready\naudit file .*audit\.jsonl: write failed \(EFBIG\) since \S+; retrying; 2 records waiting, 0 dropped\n$/,
    );
    expect(meridian.process.exitCode).toBeNull();

    await setFileSizeLimit(pid, 'unlimited');
    await waitFor(
      async () => (await metric(metrics, 'meridian_audit_failing')) === 0,
      15_000,
      'recovered',
    );
    expect(await metric(metrics, 'meridian_audit_records_total')).toBe(3);
    await change('192.0.2.5');
    await waitFor(
      async () => (await metric(metrics, 'meridian_audit_records_total')) === 4,
      10_000,
      'after recovery',
    );
    expect(await meridian.stop('SIGTERM')).toBe(0);
    const logs = meridian.output();
    meridian = null;
    const errors = logs.split('\n').filter((l) => l.includes('"code":"MERIDIAN_ERR_AUDIT"'));
    expect(errors.some((l) => l.includes('"errno":"EFBIG"'))).toBe(true);
    expect(logs).toContain('audit file written again');
  } finally {
    await meridian?.stop('SIGKILL');
  }

  const files = filesInOrder(auditDir);
  const text = files.map((f) => readFileSync(f, 'utf8')).join('');
  const hosts = [...text.matchAll(/"after":\[\{"address":"([\d.]+)"/g)].map((m) => m[1]);
  expect(hosts).toEqual(['192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5']);
  const verify = await run(process.execPath, [
    join(REPO_ROOT, 'dist', 'main.js'),
    'audit',
    'verify',
    ...files,
  ]);
  expect(verify.stdout).toMatch(
    /: outage, the file could not be written since \S+ \(write EFBIG, \d+ failed tries\)/,
  );
  expect(verify.stdout).toContain('torn write');
  expect(verify.stdout).toMatch(
    /intact: \d+ line\(s\) in \d+ file\(s\); 0 gap\(s\), 0 record\(s\) lost; \d+ torn write\(s\); 1 outage\(s\)/,
  );
}, 60_000);
