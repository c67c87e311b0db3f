/**
 * Audit files on the real file system for tests: a writer with a capturing
 * logger and its own registry, file-system calls that count fsyncs or fail
 * on demand, the files of a directory in rotation order, and verify over them.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { AuditLog, type AuditDeps } from '../../src/audit/audit-log';
import {
  NODE_AUDIT_FS,
  rotationNumber,
  type AuditFileHandle,
  type AuditFs,
} from '../../src/audit/chain-files';
import type { ChainEvent } from '../../src/audit/chain-verifier';
import { verifyFiles, type VerifyOutcome } from '../../src/audit/verify-files';
import { createAuditMetrics } from '../../src/telemetry/audit-metrics';
import { capturingLogger } from './telemetry';

/** A new empty directory for audit files. */
export const auditDir = (): string => mkdtempSync(join(tmpdir(), 'meridian-audit-'));

/** A writer on `path` and what it reports. */
export interface TestLog {
  readonly log: AuditLog;
  readonly logs: Record<string, unknown>[];
  readonly registry: Registry;
  /** The value of a series, 0 when absent. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

/** Starts a writer on `path`; fsync every 50 ms and 1 MiB files unless told otherwise. */
export function startLog(
  path: string,
  options: {
    fsyncIntervalMs?: number;
    maxBytes?: number;
    deps?: Partial<Omit<AuditDeps, 'metrics' | 'logger'>>;
  } = {},
): TestLog {
  const { logger, logs } = capturingLogger();
  const registry = new Registry();
  const log = new AuditLog(
    { path, fsyncIntervalMs: options.fsyncIntervalMs ?? 50, maxBytes: options.maxBytes ?? 1 << 20 },
    {
      metrics: createAuditMetrics(registry),
      logger,
      now: Date.now,
      retryMs: { first: 10, max: 50 },
      ...options.deps,
    },
  );
  const metric = async (name: string, labels: Record<string, string> = {}): Promise<number> => {
    const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
    const match = values.find((v) =>
      Object.entries(labels).every(([k, value]) => v.labels[k] === value),
    );
    return match?.value ?? 0;
  };
  return { log, logs, registry, metric };
}

/** The files of `base` in `dir` in chain order: rotated ones by number, then the current one. */
export function filesInOrder(dir: string, base = 'audit.jsonl'): string[] {
  const names = readdirSync(dir);
  const rotated = names
    .filter((name) => rotationNumber(base, name) > 0)
    .sort((a, b) => rotationNumber(base, a) - rotationNumber(base, b));
  return [...rotated, ...names.filter((name) => name === base)].map((name) => join(dir, name));
}

/** verify over `paths` in the order given, with the events it reported. */
export async function verifyPaths(
  paths: readonly string[],
): Promise<VerifyOutcome & { events: ChainEvent[] }> {
  const events: ChainEvent[] = [];
  const outcome = await verifyFiles(
    paths.map((path) => ({ name: path, chunks: [readFileSync(path)] })),
    (event) => events.push(event),
  );
  return { ...outcome, events };
}

/** The lines of an audit file, parsed. */
export function linesOf(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** File-system calls that count fsyncs and writes and can be made to fail or wait. */
export interface TestFs extends AuditFs {
  readonly syncs: number;
  readonly writes: number;
  /** While set, every write waits for it. */
  gate: Promise<void> | null;
  /** Called before each write with the buffer; may throw to fail it, or return bytes to write. */
  onWrite: ((bytes: Uint8Array) => number | undefined) | null;
}

export function testFs(): TestFs {
  const wrap = (handle: AuditFileHandle): AuditFileHandle => ({
    read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position),
    write: async (buffer, offset, length) => {
      if (fs.gate !== null) await fs.gate;
      const part = fs.onWrite?.(buffer.subarray(offset, offset + length));
      counts.writes += 1;
      return handle.write(buffer, offset, part ?? length);
    },
    sync: () => {
      counts.syncs += 1;
      return handle.sync();
    },
    stat: () => handle.stat(),
    close: () => handle.close(),
  });
  const counts = { syncs: 0, writes: 0 };
  const fs: TestFs = {
    ...NODE_AUDIT_FS,
    open: async (path, flags) => wrap(await NODE_AUDIT_FS.open(path, flags)),
    get syncs() {
      return counts.syncs;
    },
    get writes() {
      return counts.writes;
    },
    gate: null,
    onWrite: null,
  };
  return fs;
}
