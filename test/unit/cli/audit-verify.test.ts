/**
 * `meridian audit verify` in process, on files in a temporary directory: what
 * it prints for an intact chain (start, anchor, gaps, torn writes, files,
 * head) and for a broken one, and its exit status in each case.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../../../src/audit/line-format';
import {
  auditVerify,
  EXIT_BROKEN,
  EXIT_INTACT,
  EXIT_NOT_CHECKED,
} from '../../../src/cli/audit-verify';
import { ChainBuilder, fileText } from '../../helpers/audit-chain';

const dir = mkdtempSync(join(tmpdir(), 'meridian-verify-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function run(paths: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await auditVerify(paths, {
    out: (text) => (out += text),
    err: (text) => (err += text),
  });
  return { code, out, err };
}

test('an intact chain with an outage, a gap and a torn write: 0, each reported, then files and head', async () => {
  const builder = new ChainBuilder();
  const first = [builder.start(), ...builder.records(2)];
  const outage = { sinceMs: 0, operation: 'write', errno: 'ENOSPC', failures: 2 };
  const loss = { lost: 3, reasons: { queue_full: 3 }, fromMs: 0, toMs: 1_000 };
  const second = [builder.line({ type: 'outage', outage }), builder.line({ type: 'gap', loss })];
  const head = builder.head;
  const cut = builder.record({ host: 'cut' }).slice(0, 20);
  builder.resume(head);
  const pin = builder.line({ type: 'torn', torn: { bytes: 20, sha256: sha256Hex(cut) } });
  const a = file('a.jsonl', fileText(first));
  const b = file('b.jsonl', `${fileText(second)}${cut}\n${fileText([pin])}`);
  const empty = file('empty.jsonl', '');
  const { code, out, err } = await run([a, b, empty]);
  expect(err).toBe('');
  expect(code).toBe(EXIT_INTACT);
  expect(out).toContain(`${a}:1: a chain starts`);
  expect(out).toContain(
    `${b}:1: outage, the file could not be written since 1970-01-01T00:00:00.000Z (write ENOSPC, 2 failed tries)`,
  );
  expect(out).toContain(
    `${b}:2: gap, 3 record(s) lost (queue_full 3) between 1970-01-01T00:00:00.000Z and 1970-01-01T00:00:01.000Z`,
  );
  expect(out).toContain(`${b}:3: torn write, 20 byte(s)`);
  expect(out).toContain(`pinned by ${b}:4`);
  expect(out).toContain(`${a}: 3 line(s), up to seq 3`);
  expect(out).toContain(`${b}: 4 line(s), up to seq 6`);
  expect(out).toContain(`${empty}: empty`);
  expect(out).toContain(
    'intact: 6 line(s) in 3 file(s); 1 gap(s), 3 record(s) lost; 1 torn write(s); 1 outage(s)',
  );
  expect(out).toContain(`head: seq 6, sha256 ${sha256Hex(pin)} (${b}:4)`);
});

test('a set whose older files are gone names the hash it is anchored on', async () => {
  const builder = new ChainBuilder();
  builder.start();
  builder.records(3);
  const anchor = builder.head.prev;
  const path = file('later.jsonl', fileText(builder.records(2)));
  const { code, out } = await run([path]);
  expect(code).toBe(EXIT_INTACT);
  expect(out).toContain(
    `${path}:1: anchored on an earlier file not given: seq 5 follows a line whose SHA-256 is ${anchor}`,
  );
});

test('a broken chain: 1, the first broken line on err and the lines checked before it', async () => {
  const builder = new ChainBuilder();
  const lines = [builder.start(), ...builder.records(4)];
  const path = file('broken.jsonl', fileText([...lines.slice(0, 2), ...lines.slice(3)]));
  const { code, out, err } = await run([path]);
  expect(code).toBe(EXIT_BROKEN);
  expect(err).toBe(
    `BROKEN at ${path}:3: seq 4 where 3 was expected: 1 line(s) missing after ${path}:2, or lines out of order\n`,
  );
  expect(out).toBe(`${path}:1: a chain starts\nchecked 2 line(s) of the chain before the break\n`);
});

test('nothing to check: 2 with the usage; a file that cannot be read: 2', async () => {
  const none = await run([]);
  expect(none.code).toBe(EXIT_NOT_CHECKED);
  expect(none.err).toContain('Usage: meridian audit verify FILE');
  const missing = await run([join(dir, 'missing.jsonl')]);
  expect(missing.code).toBe(EXIT_NOT_CHECKED);
  expect(missing.err).toMatch(/^meridian audit verify: cannot read: .*ENOENT/);
  expect(missing.out).toBe('');
});
