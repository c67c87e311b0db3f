/**
 * Metrics of the audit file (src/audit). Every label is a closed set: drop
 * reasons are the writer's, error reasons the errno codes a file can fail
 * with (anything else is `other`), so no file-system error can create a
 * series.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** Metric names, for tests and docs. */
export const AUDIT_METRIC_NAMES = Object.freeze({
  records: 'meridian_audit_records_total',
  dropped: 'meridian_audit_dropped_records_total',
  writeErrors: 'meridian_audit_write_errors_total',
  queued: 'meridian_audit_queued_records',
  rotations: 'meridian_audit_rotations_total',
  failing: 'meridian_audit_failing',
});

/**
 * Why a record was not written: the queue was full, it was larger than the
 * record cap, JSON.stringify refused it, or it came (or was still waiting)
 * when the file was closed.
 */
export const AUDIT_DROP_REASONS = ['queue_full', 'too_large', 'unserializable', 'closed'] as const;

/** One of AUDIT_DROP_REASONS. */
export type AuditDropReason = (typeof AUDIT_DROP_REASONS)[number];

/**
 * Why a file-system call of the audit file failed: its errno code, or
 * `damaged_file` (the existing file's end could not be continued and it was
 * moved aside), or `other`.
 */
export const AUDIT_ERROR_REASONS = [
  'ENOSPC',
  'EDQUOT',
  'EFBIG',
  'EACCES',
  'EPERM',
  'EROFS',
  'EISDIR',
  'ENOTDIR',
  'ENOENT',
  'ENAMETOOLONG',
  'ELOOP',
  'EIO',
  'EMFILE',
  'ENFILE',
  'damaged_file',
  'other',
] as const;

/** One of AUDIT_ERROR_REASONS. */
export type AuditErrorReason = (typeof AUDIT_ERROR_REASONS)[number];

/** The reason label for an errno `code`. */
export function auditErrorReason(code: string): AuditErrorReason {
  return AUDIT_ERROR_REASONS.find((reason) => reason === code) ?? 'other';
}

/** Updates of the audit metrics. */
export interface AuditMetrics {
  recordsWritten(count: number): void;
  recordsDropped(reason: AuditDropReason, count?: number): void;
  writeError(reason: AuditErrorReason): void;
  setQueued(records: number): void;
  rotated(): void;
  setFailing(failing: boolean): void;
}

/** Defines the audit metrics on `registry`, each drop reason at 0 from the start. */
export function createAuditMetrics(registry: Registry): AuditMetrics {
  const registers = [registry];
  const records = new Counter({
    name: AUDIT_METRIC_NAMES.records,
    help: 'Records written to the audit file.',
    registers,
  });
  const dropped = new Counter({
    name: AUDIT_METRIC_NAMES.dropped,
    help: 'Records not written to the audit file, by reason; a gap line in the file counts them.',
    labelNames: ['reason'] as const,
    registers,
  });
  const writeErrors = new Counter({
    name: AUDIT_METRIC_NAMES.writeErrors,
    help: 'Failed opens, writes, fsyncs and renames of the audit file, by errno code.',
    labelNames: ['reason'] as const,
    registers,
  });
  const queued = new Gauge({
    name: AUDIT_METRIC_NAMES.queued,
    help: 'Records waiting to be written to the audit file.',
    registers,
  });
  const rotations = new Counter({
    name: AUDIT_METRIC_NAMES.rotations,
    help: 'Audit files renamed to PATH.NNNNNN and replaced by a new file chained to them.',
    registers,
  });
  const failing = new Gauge({
    name: AUDIT_METRIC_NAMES.failing,
    help: '1 while the audit file cannot be written and the writer retries, else 0.',
    registers,
  });
  for (const reason of AUDIT_DROP_REASONS) dropped.inc({ reason }, 0);
  failing.set(0);
  queued.set(0);
  return {
    recordsWritten: (count) => records.inc(count),
    recordsDropped: (reason, count = 1) => dropped.inc({ reason }, count),
    writeError: (reason) => writeErrors.inc({ reason }),
    setQueued: (count) => queued.set(count),
    rotated: () => rotations.inc(),
    setFailing: (isFailing) => failing.set(isFailing ? 1 : 0),
  };
}
