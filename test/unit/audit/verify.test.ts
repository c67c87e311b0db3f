/**
 * verify over chains built in memory: an intact chain (rotated across files,
 * continued after a restart, with gaps and acknowledged torn writes) passes;
 * a line edited by one byte, deleted, swapped, inserted or cut short, and
 * files out of order, are each reported at the first line that shows it.
 */
import type { ChainEvent } from '../../../src/audit/chain-verifier';
import { parseLine, sha256Hex, ZERO_HASH } from '../../../src/audit/line-format';
import { MAX_VERIFIED_LINE_BYTES, verifyFiles } from '../../../src/audit/verify-files';
import { ChainBuilder, fileInput, fileText } from '../../helpers/audit-chain';

/** A chain of a start line and `n` records. */
function chain(n: number): { builder: ChainBuilder; lines: string[] } {
  const builder = new ChainBuilder();
  return { builder, lines: [builder.start(), ...builder.records(n)] };
}

async function verify(
  files: [string, string | Buffer][],
  chunkSize?: number,
): Promise<Awaited<ReturnType<typeof verifyFiles>> & { events: ChainEvent[] }> {
  const events: ChainEvent[] = [];
  const outcome = await verifyFiles(
    files.map(([name, text]) => fileInput(name, text, chunkSize)),
    (e) => events.push(e),
  );
  return { ...outcome, events };
}

describe('an intact chain', () => {
  test.each([1, 7, 4096])('passes, read in chunks of %i bytes', async (chunkSize) => {
    const { lines } = chain(20);
    const outcome = await verify([['audit.jsonl', fileText(lines)]], chunkSize);
    expect(outcome.broken).toBeNull();
    expect(outcome.lines).toBe(21);
    expect(outcome.head).toEqual({
      seq: 21,
      hash: sha256Hex(lines[20]!),
      at: { file: 'audit.jsonl', line: 21 },
    });
    expect(outcome.events).toEqual([{ kind: 'start', at: { file: 'audit.jsonl', line: 1 } }]);
  });

  test('the hash is of the line bytes without the newline, as sha256sum computes it', () => {
    const { lines } = chain(2);
    const second = parseLine(Buffer.from(lines[1]!));
    expect(second).toMatchObject({ seq: 2, prev: sha256Hex(Buffer.from(lines[0]!, 'utf8')) });
    expect(parseLine(Buffer.from(lines[0]!))).toMatchObject({ seq: 1, prev: ZERO_HASH });
  });

  test('records with any JSON content, non-ASCII and escaped newlines included, keep one line each', async () => {
    const builder = new ChainBuilder();
    const lines = [
      builder.start(),
      builder.record({ cause: 'peer eu\ndown', note: 'é 😀 \u2028', nested: { a: [1, null] } }),
      builder.record('a plain string'),
    ];
    const outcome = await verify([['a', fileText(lines)]], 3);
    expect(outcome.broken).toBeNull();
    expect(outcome.lines).toBe(3);
  });

  test('rotated files given in order pass as one chain; each file ends on its own head', async () => {
    const { builder, lines } = chain(5);
    const second = [builder.line({ type: 'continue', previous: 'audit.jsonl.000001' })];
    second.push(...builder.records(3));
    const third = [builder.line({ type: 'continue', previous: 'audit.jsonl.000002' })];
    third.push(...builder.records(2));
    const outcome = await verify([
      ['audit.jsonl.000001', fileText(lines)],
      ['audit.jsonl.000002', fileText(second)],
      ['audit.jsonl', fileText(third)],
    ]);
    expect(outcome.broken).toBeNull();
    expect(outcome.lines).toBe(6 + 4 + 3);
    expect(outcome.files.map((f) => [f.name, f.lines, f.head?.seq])).toEqual([
      ['audit.jsonl.000001', 6, 6],
      ['audit.jsonl.000002', 4, 10],
      ['audit.jsonl', 3, 13],
    ]);
  });

  test('a set whose earlier files were deleted is anchored on the hash of the last deleted line', async () => {
    const { builder } = chain(5);
    const anchor = builder.head;
    const rest = [builder.line({ type: 'continue', previous: 'audit.jsonl.000001' })];
    rest.push(...builder.records(2));
    const outcome = await verify([['audit.jsonl', fileText(rest)]]);
    expect(outcome.broken).toBeNull();
    expect(outcome.events).toEqual([
      { kind: 'anchor', at: { file: 'audit.jsonl', line: 1 }, prev: anchor.prev, seq: anchor.seq },
    ]);
  });

  test('a chain continued after a restart is one chain', async () => {
    const { builder, lines } = chain(3);
    // A restart writes nothing of its own: the next record follows the last line.
    lines.push(...builder.records(3));
    expect((await verify([['a', fileText(lines)]])).broken).toBeNull();
  });

  test('gap lines are part of the chain and are reported with their counts and times', async () => {
    const { builder, lines } = chain(2);
    const loss = {
      lost: 7,
      reasons: { queue_full: 6, too_large: 1 },
      fromMs: Date.parse('2025-03-01T12:00:05.000Z'),
      toMs: Date.parse('2025-03-01T12:00:06.500Z'),
    };
    lines.push(builder.line({ type: 'gap', loss }), ...builder.records(1));
    const outcome = await verify([['a', fileText(lines)]]);
    expect(outcome.broken).toBeNull();
    expect(outcome.events).toContainEqual({
      kind: 'gap',
      at: { file: 'a', line: 4 },
      seq: 4,
      gap: {
        lost: 7,
        reasons: { queue_full: 6, too_large: 1 },
        from: '2025-03-01T12:00:05.000Z',
        to: '2025-03-01T12:00:06.500Z',
      },
    });
  });

  test('outage lines are part of the chain and are reported with their start and errno', async () => {
    const { builder, lines } = chain(2);
    const outage = {
      sinceMs: Date.parse('2025-03-01T12:00:05.000Z'),
      operation: 'write',
      errno: 'ENOSPC',
      failures: 4,
    };
    lines.push(builder.line({ type: 'outage', outage }), ...builder.records(1));
    const outcome = await verify([['a', fileText(lines)]]);
    expect(outcome.broken).toBeNull();
    expect(outcome.events).toContainEqual({
      kind: 'outage',
      at: { file: 'a', line: 4 },
      seq: 4,
      outage: {
        since: '2025-03-01T12:00:05.000Z',
        operation: 'write',
        errno: 'ENOSPC',
        failures: 4,
      },
    });
  });

  test('an empty file in the set holds no line and breaks nothing', async () => {
    const { lines } = chain(2);
    const outcome = await verify([
      ['a', fileText(lines)],
      ['b', ''],
    ]);
    expect(outcome.broken).toBeNull();
    expect(outcome.files[1]).toEqual({ name: 'b', lines: 0, head: outcome.head });
  });
});

describe('torn writes', () => {
  /** A chain whose line after `whole` records was cut after `keep` bytes, then pinned. */
  function tornChain(keep: number): { text: string; torn: string } {
    const { builder, lines } = chain(3);
    const head = builder.head;
    const cut = builder.record({ host: 'cut.cloud.example.org' }).slice(0, keep);
    builder.resume(head);
    const pin = builder.line({
      type: 'torn',
      torn: { bytes: Buffer.byteLength(cut), sha256: sha256Hex(cut) },
    });
    return {
      text: `${fileText(lines)}${cut}\n${fileText([pin, ...builder.records(2)])}`,
      torn: cut,
    };
  }

  test('a line cut short and pinned by the torn line after it passes, reported as a torn write', async () => {
    const { text, torn } = tornChain(30);
    const outcome = await verify([['a', text]]);
    expect(outcome.broken).toBeNull();
    expect(outcome.lines).toBe(4 + 1 + 2);
    expect(outcome.events).toContainEqual({
      kind: 'torn',
      at: { file: 'a', line: 5 },
      bytes: torn.length,
      pinnedAt: { file: 'a', line: 6 },
    });
  });

  test('a whole line that only lost its newline, then pinned, is not part of the chain', async () => {
    const { builder, lines } = chain(1);
    const head = builder.head;
    const whole = builder.record({ host: 'x' });
    builder.resume(head);
    const pin = builder.line({
      type: 'torn',
      torn: { bytes: whole.length, sha256: sha256Hex(whole) },
    });
    const outcome = await verify([['a', `${fileText(lines)}${whole}\n${fileText([pin])}`]]);
    expect(outcome.broken).toBeNull();
    expect(outcome.lines).toBe(3);
    expect(outcome.head?.at).toEqual({ file: 'a', line: 4 });
  });

  test('a file ending cut short, pinned by the first line of the next file, passes', async () => {
    const { builder, lines } = chain(2);
    const head = builder.head;
    const cut = builder.record({ host: 'y' }).slice(0, 12);
    builder.resume(head);
    const next = builder.line({
      type: 'continue',
      previous: 'a',
      torn: { bytes: cut.length, sha256: sha256Hex(cut) },
    });
    const outcome = await verify([
      ['a', `${fileText(lines)}${cut}`],
      ['b', fileText([next])],
    ]);
    expect(outcome.broken).toBeNull();
    expect(outcome.events).toContainEqual({
      kind: 'torn',
      at: { file: 'a', line: 4 },
      bytes: 12,
      pinnedAt: { file: 'b', line: 1 },
    });
  });

  test('a torn line whose length or hash does not match the line before is a break', async () => {
    const { text } = tornChain(30);
    const forged = text.replace(/"bytes":30/, '"bytes":31');
    const outcome = await verify([['a', forged]]);
    expect(outcome.broken).toEqual({
      at: { file: 'a', line: 6 },
      reason: expect.stringContaining('does not match the line before it'),
    });
  });

  test('a line cut short that nothing pins is a break at that line', async () => {
    const { text } = tornChain(30);
    const lines = text.split('\n');
    lines.splice(5, 1);
    const outcome = await verify([['a', lines.join('\n')]]);
    expect(outcome.broken).toEqual({ at: { file: 'a', line: 5 }, reason: 'not valid JSON' });
  });
});

describe('tampering', () => {
  const intact = chain(9).lines;

  test('one byte edited in a record breaks the chain at the next line, naming the edited one', async () => {
    const edited = [...intact];
    edited[4] = edited[4]!.replace('192.0.2.3', '192.0.2.4');
    expect(edited[4]).not.toBe(intact[4]);
    const outcome = await verify([['audit.jsonl', fileText(edited)]]);
    expect(outcome.broken?.at).toEqual({ file: 'audit.jsonl', line: 6 });
    expect(outcome.broken?.reason).toMatch(
      /^"prev" is not the SHA-256 of audit\.jsonl:5 \(expected [0-9a-f]{64}, found [0-9a-f]{64}\): that line was altered/,
    );
  });

  test('a deleted line is reported as missing at the line after it', async () => {
    const deleted = intact.filter((_, i) => i !== 3);
    const outcome = await verify([['a', fileText(deleted)]]);
    expect(outcome.broken).toEqual({
      at: { file: 'a', line: 4 },
      reason: 'seq 5 where 4 was expected: 1 line(s) missing after a:3, or lines out of order',
    });
  });

  test('two lines swapped are reported at the first of them', async () => {
    const swapped = [...intact];
    [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
    const outcome = await verify([['a', fileText(swapped)]]);
    expect(outcome.broken?.at).toEqual({ file: 'a', line: 4 });
    expect(outcome.broken?.reason).toContain('seq 5 where 4 was expected');
  });

  test('an inserted line, even one chained correctly to the line before, is reported', async () => {
    const forger = new ChainBuilder();
    const forgedPrefix = [forger.start(), ...forger.records(2)];
    expect(forgedPrefix).toEqual(intact.slice(0, 3));
    const inserted = [...forgedPrefix, forger.record({ forged: true }), ...intact.slice(3)];
    const outcome = await verify([['a', fileText(inserted)]]);
    expect(outcome.broken).toEqual({
      at: { file: 'a', line: 5 },
      reason: 'seq 4 where 5 was expected: a line repeated or inserted, or lines out of order',
    });
  });

  test('a file truncated inside a line is reported at that line', async () => {
    const text = fileText(intact);
    const outcome = await verify([['a', text.slice(0, text.length - 20)]]);
    expect(outcome.broken?.at).toEqual({ file: 'a', line: 10 });
    expect(outcome.broken?.reason).toBe('not valid JSON');
  });

  test('a last line that parses but lost its newline is reported as cut short', async () => {
    const text = fileText(intact);
    const outcome = await verify([['a', text.slice(0, -1)]]);
    expect(outcome.broken?.at).toEqual({ file: 'a', line: 10 });
    expect(outcome.broken?.reason).toContain('the line has no newline');
  });

  test('a file cut at a line boundary passes with an earlier head: compare the head with a recorded one', async () => {
    const outcome = await verify([['a', fileText(intact.slice(0, 6))]]);
    expect(outcome.broken).toBeNull();
    expect(outcome.head?.hash).toBe(sha256Hex(intact[5]!));
    expect(outcome.head?.hash).not.toBe(sha256Hex(intact[9]!));
  });

  test('rotated files out of order are reported where the order breaks', async () => {
    const { builder, lines } = chain(3);
    const second = [
      builder.line({ type: 'continue', previous: 'x.000001' }),
      ...builder.records(2),
    ];
    const outcome = await verify([
      ['x', fileText(second)],
      ['x.000001', fileText(lines)],
    ]);
    expect(outcome.broken?.at).toEqual({ file: 'x.000001', line: 1 });
    expect(outcome.broken?.reason).toContain('a new chain starts here, after x:3');
  });

  test('a file of the set left out is reported at the first line of the next', async () => {
    const { builder, lines } = chain(2);
    builder.line({ type: 'continue', previous: 'x.000001' });
    builder.records(2);
    const third = [builder.line({ type: 'continue', previous: 'x.000002' }), ...builder.records(1)];
    const outcome = await verify([
      ['x.000001', fileText(lines)],
      ['x', fileText(third)],
    ]);
    expect(outcome.broken?.at).toEqual({ file: 'x', line: 1 });
    expect(outcome.broken?.reason).toContain('3 line(s) missing after x.000001:3');
  });

  test('a line with a wrong prev but the right seq names the line before', async () => {
    const forged = [...intact];
    forged[2] = forged[2]!.replace(/"prev":"[0-9a-f]{64}"/, `"prev":"${'1'.repeat(64)}"`);
    const outcome = await verify([['a', fileText(forged)]]);
    expect(outcome.broken?.at).toEqual({ file: 'a', line: 3 });
    expect(outcome.broken?.reason).toContain('is not the SHA-256 of a:2');
  });
});

describe('lines that are not audit lines', () => {
  const head = chain(1).lines;

  const BAD_LINES: [string, string][] = [
    ['{"seq":3', 'not valid JSON'],
    ['[1,2]', 'not a JSON object'],
    [
      '{"seq":0,"time":"t","prev":"x","type":"record","record":1}',
      '"seq" is not a whole number of at least 1',
    ],
    ['{"seq":3,"time":1,"prev":"x","type":"record","record":1}', '"time" is not a string'],
    [
      '{"seq":3,"time":"t","prev":"ABC","type":"record","record":1}',
      '"prev" is not 64 lower-case hex digits',
    ],
    [`{"seq":3,"time":"t","prev":"${'a'.repeat(64)}","type":"note"}`, 'unknown line type "note"'],
    [
      `{"seq":3,"time":"t","prev":"${'a'.repeat(64)}","type":"record"}`,
      'a record line has no "record"',
    ],
    [
      `{"seq":3,"time":"t","prev":"${'a'.repeat(64)}","type":"start"}`,
      'a start line must have the zero "prev"',
    ],
    [
      `{"seq":3,"time":"t","prev":"${'a'.repeat(64)}","type":"continue"}`,
      'a continue line needs "previous", the name of the file before',
    ],
    [`{"seq":3,"time":"t","prev":"${'a'.repeat(64)}","type":"torn"}`, 'a torn line needs "torn"'],
    [
      `{"seq":3,"time":"t","prev":"${'a'.repeat(64)}","type":"torn","torn":{"bytes":-1}}`,
      '"torn" must be {"bytes": N, "sha256": HEX}',
    ],
    [
      `{"seq":3,"time":"t","prev":"${'a'.repeat(64)}","type":"torn","torn":{"bytes":1,"sha256":"zz"}}`,
      '"torn.sha256" is not 64 lower-case hex digits',
    ],
    [
      `{"seq":3,"time":"t","prev":"${'a'.repeat(64)}","type":"gap","lost":0}`,
      'a gap line needs "lost", a count of at least 1',
    ],
    [
      `{"seq":3,"time":"t","prev":"${'a'.repeat(64)}","type":"gap","lost":2,"reasons":{"x":0}}`,
      'a gap line needs "reasons", counts by reason',
    ],
    [
      `{"seq":3,"time":"t","prev":"${'a'.repeat(64)}","type":"gap","lost":2,"reasons":{"x":2}}`,
      'a gap line needs "from" and "to" times',
    ],
    [
      `{"seq":3,"time":"t","prev":"${'a'.repeat(64)}","type":"outage"}`,
      'an outage line needs "since", a time',
    ],
    [
      `{"seq":3,"time":"t","prev":"${'a'.repeat(64)}","type":"outage","since":"t","errno":"EIO"}`,
      'an outage line needs "operation" and "errno"',
    ],
    [
      `{"seq":3,"time":"t","prev":"${'a'.repeat(64)}","type":"outage","since":"t","operation":"write","errno":"EIO","failures":0}`,
      'an outage line needs "failures", a count of at least 1',
    ],
  ];

  test.each(BAD_LINES.map(([line, reason]) => [reason, line]))('%s', async (reason, line) => {
    const outcome = await verify([['a', fileText([...head, line])]]);
    expect(outcome.broken).toEqual({ at: { file: 'a', line: 3 }, reason });
  });

  test('a second start line is a break', async () => {
    const { lines } = chain(2);
    const outcome = await verify([['a', fileText([...lines, ...chain(1).lines])]]);
    expect(outcome.broken?.at).toEqual({ file: 'a', line: 4 });
    expect(outcome.broken?.reason).toContain('a new chain starts here');
  });

  test('a line longer than any audit line is refused without being held', async () => {
    const long = Buffer.alloc(MAX_VERIFIED_LINE_BYTES + 10, 0x61);
    for (const text of [
      Buffer.concat([Buffer.from(fileText(head)), long]),
      Buffer.concat([Buffer.from(fileText(head)), long, Buffer.from('\n')]),
    ]) {
      const outcome = await verify([['a', text]], 64 * 1024);
      expect(outcome.broken).toEqual({
        at: { file: 'a', line: 3 },
        reason: `the line is longer than ${MAX_VERIFIED_LINE_BYTES} bytes: no audit line is`,
      });
    }
  });
});
