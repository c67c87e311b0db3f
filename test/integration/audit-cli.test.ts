/**
 * `meridian audit verify` as the built binary runs it, through the `bin`
 * entry of package.json: an intact chain across rotated files exits 0 with
 * its head; an edited, deleted or reordered line, or files out of order,
 * exit 1 naming the first broken line; no file, an unreadable file or an
 * unknown subcommand exit 2.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../harness/processes';
import { auditDir, filesInOrder, startLog } from '../helpers/audit-files';

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  bin?: Record<string, string>;
};
const BIN = join(REPO_ROOT, manifest.bin?.['meridian'] ?? 'missing-bin-entry');

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function meridian(args: string[]): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env['PATH'] ?? '' }, timeout: 10_000 },
      (err, stdout, stderr) =>
        resolve({
          code: err === null ? 0 : typeof err.code === 'number' ? err.code : null,
          stdout,
          stderr,
        }),
    );
  });
}

const record = (i: number): Record<string, unknown> => ({
  host: `app${i}.cloud.example.org`,
  type: 'A',
  before: [{ address: '192.0.2.1', clusters: ['eu'] }],
  after: [{ address: '192.0.2.2', clusters: ['us'] }],
});

/** A chain of `count` records on `path`, rotated at `maxBytes`; its files in order. */
async function writeChain(count: number, maxBytes = 1 << 20): Promise<string[]> {
  const dir = auditDir();
  const { log } = startLog(join(dir, 'audit.jsonl'), { maxBytes });
  for (let i = 0; i < count; i++) log.append(record(i));
  await log.close();
  return filesInOrder(dir);
}

/** Rewrites `path` with its lines changed by `edit`. */
function editLines(path: string, edit: (lines: string[]) => string[]): void {
  const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1);
  writeFileSync(path, `${edit(lines).join('\n')}\n`);
}

test('package.json names the built entry point as the meridian command', () => {
  expect(manifest.bin).toEqual({ meridian: 'dist/main.js', 'kubectl-meridian': 'dist/main.js' });
  expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
});

test('an intact chain across rotated files: exit 0, each file and the head', async () => {
  const files = await writeChain(60, 2_048);
  expect(files.length).toBeGreaterThan(2);
  const result = await meridian(['audit', 'verify', ...files]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(`${files[0]}:1: a chain starts`);
  expect(result.stdout).toMatch(
    new RegExp(`intact: ${60 + files.length} line\\(s\\) in ${files.length} file\\(s\\)`),
  );
  expect(result.stdout).toMatch(/head: seq \d+, sha256 [0-9a-f]{64}/);
});

test('one edited byte: exit 1, the line after it named, which names the edited line', async () => {
  const [path] = await writeChain(10);
  editLines(path!, (lines) => lines.map((l, i) => (i === 4 ? l.replace('app3.', 'app9.') : l)));
  const result = await meridian(['audit', 'verify', path!]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`BROKEN at ${path}:6: "prev" is not the SHA-256 of ${path}:5`);
});

test('a deleted line: exit 1 at the line after it, seq missing', async () => {
  const [path] = await writeChain(10);
  editLines(path!, (lines) => lines.filter((_, i) => i !== 3));
  const result = await meridian(['audit', 'verify', path!]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`BROKEN at ${path}:4: seq 5 where 4 was expected`);
});

test('two lines swapped: exit 1 at the first of them', async () => {
  const [path] = await writeChain(10);
  editLines(path!, (lines) => [...lines.slice(0, 2), lines[3]!, lines[2]!, ...lines.slice(4)]);
  const result = await meridian(['audit', 'verify', path!]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`BROKEN at ${path}:3: seq 4 where 3 was expected`);
});

test('rotated files given out of order: exit 1 where the order breaks', async () => {
  const files = await writeChain(60, 2_048);
  const result = await meridian(['audit', 'verify', files[1]!, files[0]!, ...files.slice(2)]);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^BROKEN at /);
});

test('nothing checked: no file, a missing file, an unknown subcommand exit 2', async () => {
  const none = await meridian(['audit', 'verify']);
  expect(none.code).toBe(2);
  expect(none.stderr).toContain('Usage: meridian audit verify FILE');
  const missing = await meridian(['audit', 'verify', join(auditDir(), 'nope.jsonl')]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('cannot read');
  const unknown = await meridian(['audit', 'sign']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('Usage: meridian audit verify FILE');
});
