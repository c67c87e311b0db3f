/**
 * The audit file writer on the real file system: records chained into a file
 * that verify accepts, the bounded queue (a writer that cannot keep up drops
 * and says so in a gap line), the fsync cadence, rotation by size, a restart
 * that continues the chain (a torn last line pinned, a crash between a
 * rotation's rename and the new file's first line, a damaged end moved
 * aside), and close().
 */
import {
  appendFileSync,
  mkdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../harness/eventually';
import { MAX_QUEUED_RECORDS } from '../../src/audit/audit-queue';
import { MAX_RECORD_BYTES } from '../../src/audit/line-format';
import { AUDIT_METRIC_NAMES as M } from '../../src/telemetry/audit-metrics';
import {
  auditDir,
  filesInOrder,
  linesOf,
  startLog,
  testFs,
  verifyPaths,
} from '../helpers/audit-files';

const record = (i: number): Record<string, unknown> => ({
  time: new Date(Date.UTC(2025, 2, 1, 12, 0, i % 60)).toISOString(),
  host: `app${i}.cloud.example.org`,
  type: 'A',
  before: ['192.0.2.1'],
  after: ['192.0.2.2'],
  cause: 'peer eu down',
});

describe('records in the file', () => {
  test('a start line, then each record in order, chained; verify passes', async () => {
    const path = join(auditDir(), 'audit.jsonl');
    const { log, metric } = startLog(path);
    for (let i = 0; i < 25; i++) expect(log.append(record(i))).toBe(true);
    await log.close();
    const lines = linesOf(path);
    expect(lines[0]).toMatchObject({ seq: 1, type: 'start', format: 'meridian-audit/1' });
    expect(lines.slice(1).map((l) => (l['record'] as { host: string }).host)).toEqual(
      Array.from({ length: 25 }, (_, i) => `app${i}.cloud.example.org`),
    );
    const outcome = await verifyPaths([path]);
    expect(outcome.broken).toBeNull();
    expect(outcome.lines).toBe(26);
    expect(await metric(M.records)).toBe(25);
    expect(await metric(M.queued)).toBe(0);
  });

  test('append returns before anything is written, and never throws', async () => {
    const path = join(auditDir(), 'audit.jsonl');
    const { log } = startLog(path);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(log.append(record(1))).toBe(true);
    expect(() => statSync(path)).toThrow();
    expect(log.append(cyclic)).toBe(false);
    expect(log.append(undefined)).toBe(false);
    expect(log.append(10n)).toBe(false);
    await log.close();
  });

  test('records too large or not serializable are dropped, counted and told by a gap line', async () => {
    const path = join(auditDir(), 'audit.jsonl');
    const { log, metric } = startLog(path);
    log.append(record(1));
    expect(log.append({ blob: 'x'.repeat(MAX_RECORD_BYTES) })).toBe(false);
    expect(log.append(() => 1)).toBe(false);
    log.append(record(2));
    await log.close();
    const lines = linesOf(path);
    expect(lines.map((l) => l['type'])).toEqual(['start', 'record', 'gap', 'record']);
    expect(lines[2]).toMatchObject({ lost: 2, reasons: { too_large: 1, unserializable: 1 } });
    expect(await metric(M.dropped, { reason: 'too_large' })).toBe(1);
    expect(await metric(M.dropped, { reason: 'unserializable' })).toBe(1);
    expect((await verifyPaths([path])).broken).toBeNull();
  });
});

describe('the bounded queue', () => {
  test(`a writer that cannot keep up keeps ${MAX_QUEUED_RECORDS} records, drops the rest and marks the gap where they were lost`, async () => {
    const path = join(auditDir(), 'audit.jsonl');
    const fs = testFs();
    let release!: () => void;
    fs.gate = new Promise((resolve) => (release = resolve));
    const { log, metric } = startLog(path, { maxBytes: 64 << 20, deps: { fs } });
    for (let i = 0; i < MAX_QUEUED_RECORDS + 250; i++) log.append(record(i));
    expect(await metric(M.queued)).toBe(MAX_QUEUED_RECORDS);
    expect(await metric(M.dropped, { reason: 'queue_full' })).toBe(250);
    log.append(record(-1));
    fs.gate = null;
    release();
    await log.close();
    const lines = linesOf(path);
    const gaps = lines.filter((l) => l['type'] === 'gap');
    expect(gaps).toEqual([expect.objectContaining({ lost: 251, reasons: { queue_full: 251 } })]);
    // The gap sits after the records kept, before nothing: the last record was lost too.
    expect(lines.at(-1)).toBe(gaps[0]);
    expect(lines.filter((l) => l['type'] === 'record')).toHaveLength(MAX_QUEUED_RECORDS);
    expect((await verifyPaths([path])).broken).toBeNull();
    expect(await metric(M.records)).toBe(MAX_QUEUED_RECORDS);
  }, 30_000);

  test('a record queued after a loss follows its gap line; the queue is bounded in bytes too', async () => {
    const path = join(auditDir(), 'audit.jsonl');
    const fs = testFs();
    let release!: () => void;
    fs.gate = new Promise((resolve) => (release = resolve));
    const { log, metric } = startLog(path, { deps: { fs, maxQueuedBytes: 1_000 } });
    expect(log.append(record(0))).toBe(true);
    expect(log.append({ ...record(1), blob: 'x'.repeat(900) })).toBe(false);
    expect(log.append(record(2))).toBe(true);
    fs.gate = null;
    release();
    await log.close();
    const hosts = linesOf(path).map((l) => [l['type'], (l['record'] as { host?: string })?.host]);
    expect(hosts).toEqual([
      ['start', undefined],
      ['record', 'app0.cloud.example.org'],
      ['gap', undefined],
      ['record', 'app2.cloud.example.org'],
    ]);
    expect(await metric(M.dropped, { reason: 'queue_full' })).toBe(1);
  });
});

describe('fsync', () => {
  test('on the configured cadence while records keep coming, not once per write', async () => {
    const path = join(auditDir(), 'audit.jsonl');
    const fs = testFs();
    const { log } = startLog(path, { fsyncIntervalMs: 200, deps: { fs } });
    const started = Date.now();
    while (Date.now() - started < 1_000) {
      log.append(record(1));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const syncs = fs.syncs;
    expect(fs.writes).toBeGreaterThan(30);
    expect(syncs).toBeGreaterThanOrEqual(3);
    expect(syncs).toBeLessThanOrEqual(6);
    await log.close();
    // close() syncs what was written since.
    expect(fs.syncs).toBe(syncs + 1);
  });

  test('0 syncs after every write', async () => {
    const path = join(auditDir(), 'audit.jsonl');
    const fs = testFs();
    const { log } = startLog(path, { fsyncIntervalMs: 0, deps: { fs } });
    for (let i = 0; i < 5; i++) {
      log.append(record(i));
      await waitFor(() => fs.writes === i + 1 && fs.syncs === i + 1, 5_000, `write ${i}`);
    }
    await log.close();
    expect(fs.syncs).toBe(fs.writes);
  });
});

describe('rotation by size', () => {
  test('files never pass the size, are numbered in order and verify as one chain; out of order they fail', async () => {
    const dir = auditDir();
    const path = join(dir, 'audit.jsonl');
    const { log, metric, logs } = startLog(path, { maxBytes: 4_096 });
    for (let i = 0; i < 120; i++) log.append(record(i));
    await log.close();
    const files = filesInOrder(dir);
    expect(files.length).toBeGreaterThan(4);
    expect(files.slice(0, 3).map((f) => f.slice(dir.length + 1))).toEqual([
      'audit.jsonl.000001',
      'audit.jsonl.000002',
      'audit.jsonl.000003',
    ]);
    for (const file of files) expect(statSync(file).size).toBeLessThanOrEqual(4_096);
    for (const file of files.slice(1))
      expect(linesOf(file)[0]).toMatchObject({ type: 'continue', previous: expect.any(String) });
    expect(linesOf(files[1]!)[0]!['previous']).toBe('audit.jsonl.000001');
    const outcome = await verifyPaths(files);
    expect(outcome.broken).toBeNull();
    expect(outcome.lines).toBe(1 + 120 + files.length - 1);
    expect(await metric(M.rotations)).toBe(files.length - 1);
    expect(logs).toContainEqual(
      expect.objectContaining({
        msg: 'audit file rotated to audit.jsonl.000001',
        seq: expect.any(Number),
      }),
    );
    const swapped = [files[1]!, files[0]!, ...files.slice(2)];
    expect((await verifyPaths(swapped)).broken).not.toBeNull();
  });

  test('a number is never used twice, even when the rotated files were deleted', async () => {
    const dir = auditDir();
    const path = join(dir, 'audit.jsonl');
    const first = startLog(path, { maxBytes: 2_048 });
    for (let i = 0; i < 30; i++) first.log.append(record(i));
    await first.log.close();
    const rotated = filesInOrder(dir).slice(0, -1);
    const highest = rotated.at(-1)!;
    for (const file of rotated) unlinkSync(file);
    const second = startLog(path, { maxBytes: 2_048 });
    for (let i = 0; i < 10; i++) second.log.append(record(i));
    await second.log.close();
    const next = filesInOrder(dir)[0]!;
    expect(Number(next.slice(-6))).toBe(Number(highest.slice(-6)) + 1);
  });
});

describe('a restart', () => {
  test('continues the chain of the file it finds, reading only its end', async () => {
    const path = join(auditDir(), 'audit.jsonl');
    const first = startLog(path);
    for (let i = 0; i < 5; i++) first.log.append(record(i));
    await first.log.close();
    const second = startLog(path);
    for (let i = 5; i < 8; i++) second.log.append(record(i));
    await second.log.close();
    const lines = linesOf(path);
    expect(lines.map((l) => l['seq'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(lines.filter((l) => l['type'] === 'start')).toHaveLength(1);
    expect((await verifyPaths([path])).broken).toBeNull();
  });

  test('a last line without its newline is ended and pinned by a torn line, never glued to the next', async () => {
    const path = join(auditDir(), 'audit.jsonl');
    const first = startLog(path);
    for (let i = 0; i < 3; i++) first.log.append(record(i));
    await first.log.close();
    const cut = '{"seq":5,"time":"2025-03-01T12:00:00.000Z","prev":"ab';
    appendFileSync(path, cut);
    const second = startLog(path);
    second.log.append(record(3));
    await second.log.close();
    const text = readFileSync(path, 'utf8');
    expect(text).toContain(`${cut}\n{"seq":5,`);
    const lines = text.split('\n');
    expect(JSON.parse(lines[5]!)).toMatchObject({
      seq: 5,
      type: 'torn',
      torn: { bytes: cut.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    const outcome = await verifyPaths([path]);
    expect(outcome.broken).toBeNull();
    expect(outcome.events).toContainEqual(
      expect.objectContaining({ kind: 'torn', at: { file: path, line: 5 }, bytes: cut.length }),
    );
  });

  test('an empty current file after a rotation continues from the newest rotated file', async () => {
    const dir = auditDir();
    const path = join(dir, 'audit.jsonl');
    const first = startLog(path, { maxBytes: 2_048 });
    for (let i = 0; i < 20; i++) first.log.append(record(i));
    await first.log.close();
    // A crash after the rename, before the new file's first line reached the disk.
    writeFileSync(path, '');
    const second = startLog(path, { maxBytes: 2_048 });
    second.log.append(record(99));
    await second.log.close();
    const files = filesInOrder(dir);
    expect(linesOf(files.at(-1)!)[0]).toMatchObject({
      type: 'continue',
      previous: files.at(-2)!.slice(dir.length + 1),
    });
    expect((await verifyPaths(files)).broken).toBeNull();
  });

  test('a file whose end no cut-short write explains is moved aside and a new chain starts', async () => {
    const dir = auditDir();
    const path = join(dir, 'audit.jsonl');
    const first = startLog(path);
    first.log.append(record(1));
    await first.log.close();
    appendFileSync(path, 'not an audit line\nnor this one\n');
    const second = startLog(path);
    second.log.append(record(2));
    await second.log.close();
    const files = filesInOrder(dir);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual([
      'audit.jsonl.000001',
      'audit.jsonl',
    ]);
    expect(readFileSync(files[0]!, 'utf8')).toContain('nor this one\n');
    expect(linesOf(path)[0]).toMatchObject({
      type: 'start',
      note: expect.stringContaining('audit.jsonl.000001 could not be continued'),
    });
    expect((await verifyPaths([path])).broken).toBeNull();
    expect((await verifyPaths(files)).broken?.at).toEqual({ file: files[0], line: 3 });
    expect(await second.metric(M.writeErrors, { reason: 'damaged_file' })).toBe(1);
    expect(second.logs).toContainEqual(expect.objectContaining({ code: 'MERIDIAN_ERR_AUDIT' }));
  });
});

describe('close', () => {
  test('drops what it cannot write within its timeout, and resolves', async () => {
    const path = join(auditDir(), 'audit.jsonl');
    const fs = testFs();
    fs.gate = new Promise(() => undefined);
    const { log, metric } = startLog(path, { deps: { fs } });
    for (let i = 0; i < 4; i++) log.append(record(i));
    const started = Date.now();
    await log.close(200);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await metric(M.dropped, { reason: 'closed' })).toBe(4);
    expect(log.append(record(5))).toBe(false);
    expect(await metric(M.dropped, { reason: 'closed' })).toBe(5);
  });

  test('while failing, one more try at once: a shutdown does not wait out the backoff', async () => {
    const dir = auditDir();
    writeFileSync(join(dir, 'not-a-dir'), '');
    const { log, metric, logs } = startLog(join(dir, 'not-a-dir', 'audit.jsonl'), {
      deps: { retryMs: { first: 60_000, max: 60_000 } },
    });
    log.append(record(0));
    await waitFor(async () => (await metric(M.failing)) === 1, 5_000, 'failing');
    const started = Date.now();
    await log.close(30_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await metric(M.writeErrors, { reason: 'ENOTDIR' })).toBe(2);
    expect(await metric(M.dropped, { reason: 'closed' })).toBe(1);
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: expect.stringContaining('cannot be written at close') }),
    );
  });

  test('twice is the same close', async () => {
    const dir = auditDir();
    mkdirSync(join(dir, 'sub'));
    const { log } = startLog(join(dir, 'sub', 'audit.jsonl'));
    const closing = log.close();
    expect(log.close()).toBe(closing);
    await closing;
  });
});

/** An error as node:fs reports one, with its errno code. */
const fsError = (code: string): Error => Object.assign(new Error(`${code}: simulated`), { code });

describe('when writing fails', () => {
  test('a full disk: answers are not held, the error is counted, logged once and noted; then an outage line and the records', async () => {
    const path = join(auditDir(), 'audit.jsonl');
    const fs = testFs();
    const { log, metric, logs } = startLog(path, { deps: { fs } });
    log.append(record(0));
    await waitFor(() => fs.writes === 1, 5_000, 'first write');
    fs.onWrite = () => {
      throw fsError('ENOSPC');
    };
    for (let i = 1; i <= 3; i++) expect(log.append(record(i))).toBe(true);
    await waitFor(
      async () => (await metric(M.writeErrors, { reason: 'ENOSPC' })) >= 3,
      5_000,
      'retries',
    );
    expect(await metric(M.failing)).toBe(1);
    expect(log.readinessNotes()).toEqual([
      expect.stringMatching(
        /^audit file .*audit\.jsonl: write failed \(ENOSPC\) since .*; retrying; 3 records waiting, 0 dropped$/,
      ),
    ]);
    const errors = logs.filter((l) => l['code'] === 'MERIDIAN_ERR_AUDIT');
    expect(errors).toEqual([expect.objectContaining({ operation: 'write', errno: 'ENOSPC' })]);
    fs.onWrite = null;
    await waitFor(async () => (await metric(M.failing)) === 0, 5_000, 'recovery');
    expect(log.readinessNotes()).toEqual([]);
    await log.close();
    const lines = linesOf(path);
    expect(lines.map((l) => l['type'])).toEqual([
      'start',
      'record',
      'outage',
      'record',
      'record',
      'record',
    ]);
    expect(lines[2]).toMatchObject({
      operation: 'write',
      errno: 'ENOSPC',
      failures: expect.any(Number),
    });
    expect(Date.parse(lines[2]!['since'] as string)).toBeLessThanOrEqual(
      Date.parse(lines[2]!['time'] as string),
    );
    const outcome = await verifyPaths([path]);
    expect(outcome.broken).toBeNull();
    expect(outcome.events).toContainEqual(expect.objectContaining({ kind: 'outage', seq: 3 }));
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: expect.stringContaining('audit file written again') }),
    );
  });

  test('a write cut short, then records lost while failing: a torn line, an outage line and a gap line', async () => {
    const path = join(auditDir(), 'audit.jsonl');
    const fs = testFs();
    const { log, metric } = startLog(path, { deps: { fs, maxQueuedRecords: 2 } });
    log.append(record(0));
    await waitFor(() => fs.writes === 1, 5_000, 'first write');
    let cut = false;
    fs.onWrite = (bytes) => {
      if (cut) throw fsError('ENOSPC');
      cut = true;
      return Math.floor(bytes.length / 2);
    };
    for (let i = 1; i <= 5; i++) log.append(record(i));
    await waitFor(
      async () => (await metric(M.writeErrors, { reason: 'ENOSPC' })) >= 2,
      5_000,
      'failing',
    );
    expect(await metric(M.dropped, { reason: 'queue_full' })).toBe(3);
    fs.onWrite = null;
    await log.close();
    const types = readFileSync(path, 'utf8')
      .split('\n')
      .slice(0, -1)
      .map((line) => {
        try {
          return (JSON.parse(line) as { type: string }).type;
        } catch {
          return 'cut short';
        }
      });
    // The first half of the batch held record 1 whole and part of record 2: only record 2 is written again.
    expect(types).toEqual([
      'start',
      'record',
      'record',
      'cut short',
      'torn',
      'outage',
      'record',
      'gap',
    ]);
    const outcome = await verifyPaths([path]);
    expect(outcome.broken).toBeNull();
    expect(outcome.events.map((e) => e.kind)).toEqual(['start', 'torn', 'outage', 'gap']);
  });

  test('a file that cannot grow (EFBIG) is rotated, and the chain goes on in the next file', async () => {
    const dir = auditDir();
    const path = join(dir, 'audit.jsonl');
    const fs = testFs();
    const { log, metric } = startLog(path, { deps: { fs } });
    log.append(record(0));
    await waitFor(() => fs.writes === 1, 5_000, 'first write');
    let refused = false;
    fs.onWrite = () => {
      if (refused) return undefined;
      refused = true;
      throw fsError('EFBIG');
    };
    log.append(record(1));
    await waitFor(async () => (await metric(M.failing)) === 0 && refused, 5_000, 'rotated');
    await log.close();
    const files = filesInOrder(dir);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual([
      'audit.jsonl.000001',
      'audit.jsonl',
    ]);
    expect(linesOf(path).map((l) => l['type'])).toEqual(['continue', 'outage', 'record']);
    expect((await verifyPaths(files)).broken).toBeNull();
    expect(await metric(M.writeErrors, { reason: 'EFBIG' })).toBe(1);
  });

  test('a path that cannot be opened is retried with backoff and never throws', async () => {
    const dir = auditDir();
    writeFileSync(join(dir, 'not-a-dir'), '');
    const { log, metric } = startLog(join(dir, 'not-a-dir', 'audit.jsonl'));
    expect(log.append(record(0))).toBe(true);
    await waitFor(
      async () => (await metric(M.writeErrors, { reason: 'ENOTDIR' })) >= 2,
      5_000,
      'retries',
    );
    expect(log.readinessNotes()).toEqual([expect.stringContaining('list failed (ENOTDIR)')]);
    await log.close(100);
    expect(await metric(M.dropped, { reason: 'closed' })).toBe(1);
  });
});
