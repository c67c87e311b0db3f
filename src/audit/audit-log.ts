/**
 * The audit sink: append() serializes a record and queues it, and returns at
 * once; one asynchronous writer chains the records into the audit file,
 * fsyncs it on a cadence, rotates it by size and closes it on close(). A
 * failure never throws to the caller and never blocks it: it is counted,
 * logged and shown as a readiness note (reports.ts), and retried with a
 * capped backoff by opening the file again where its chain ends
 * (open-chain.ts); records that overflow the queue meanwhile are told by a
 * gap line. docs/audit.md describes the file.
 */
import type { AuditSettings } from '../config/load-config';
import type { AuditDropReason, AuditMetrics } from '../telemetry/audit-metrics';
import type { Logger } from '../telemetry/logger';
import { AuditQueue, MAX_QUEUED_BYTES, MAX_QUEUED_RECORDS } from './audit-queue';
import { buildBatch, settle, type Batch } from './batch';
import {
  AuditIoError,
  io,
  NODE_AUDIT_FS,
  rotateFile,
  type AuditFileHandle,
  type AuditFs,
} from './chain-files';
import { AuditReports } from './reports';
import { MAX_RECORD_BYTES, serializeRecord, type LineBody } from './line-format';
import { openChain } from './open-chain';
import type { ChainPoint } from './tail';

/** What the rest of Meridian uses. */
export interface AuditSink {
  /** Queues `record` (any JSON-serializable value) and returns at once; false when it was dropped (and counted). */
  append(record: unknown): boolean;
  /** Lines for /readyz while the audit file cannot be written; none otherwise. */
  readinessNotes(): string[];
  /** Writes what is queued, fsyncs and closes, within `timeoutMs`; what is left then is dropped. */
  close(timeoutMs?: number): Promise<void>;
}

/** What the sink needs besides its settings. */
export interface AuditDeps {
  readonly metrics: AuditMetrics;
  readonly logger: Logger;
  readonly now: () => number;
  /** Tests: the file-system calls (default node:fs/promises), the bounds and the backoff. */
  readonly fs?: AuditFs;
  readonly maxQueuedRecords?: number;
  readonly maxQueuedBytes?: number;
  readonly retryMs?: { readonly first: number; readonly max: number };
}

/** close() without a timeout waits this long. */
export const CLOSE_TIMEOUT_MS = 5_000;

/** A sink that writes nothing, for MERIDIAN_AUDIT_FILE unset. */
const DISABLED: AuditSink = {
  append: () => false,
  readinessNotes: () => [],
  close: () => Promise.resolve(),
};

/** The audit sink for `settings`; one that writes nothing when no path is set. */
export function openAuditLog(settings: AuditSettings, deps: AuditDeps): AuditSink {
  if (settings.path === null) return DISABLED;
  return new AuditLog({ ...settings, path: settings.path }, deps);
}

/** The open file, as the writer knows it. */
interface OpenFile {
  readonly handle: AuditFileHandle;
  size: number;
  /** Holds lines beyond its first: a rotation would not leave it empty. */
  filled: boolean;
  head: ChainPoint | null;
  opening: { readonly newline: boolean; readonly body: LineBody } | null;
}

export class AuditLog implements AuditSink {
  private readonly fs: AuditFs;
  private readonly queue: AuditQueue;
  private readonly reports: AuditReports;
  private file: OpenFile | null = null;
  private nextNumber = 1;
  private rotateFirst = false;
  /** The batch whose write failed: what of it reached the file is settled when reopening. */
  private unsettled: Batch | null = null;
  private dirty = false;
  private syncDue = false;
  private syncTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private running = false;
  private rerun = false;
  private scheduled = false;
  private dropped = 0;
  private closing: { readonly resolve: () => void; readonly timer: NodeJS.Timeout } | null = null;
  private closed: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly settings: AuditSettings & { readonly path: string },
    private readonly deps: AuditDeps,
  ) {
    this.fs = deps.fs ?? NODE_AUDIT_FS;
    this.queue = new AuditQueue({
      records: deps.maxQueuedRecords ?? MAX_QUEUED_RECORDS,
      bytes: deps.maxQueuedBytes ?? MAX_QUEUED_BYTES,
    });
    this.reports = new AuditReports({ ...deps, path: settings.path });
    // Opened at once, so that a path that cannot be written shows from the start.
    this.kick();
  }

  append(record: unknown): boolean {
    const nowMs = this.deps.now();
    if (this.closed !== null) return this.drop('closed');
    const json = serializeRecord(record);
    if (json === null) return this.lose('unserializable', nowMs);
    const bytes = Buffer.byteLength(json);
    if (bytes > MAX_RECORD_BYTES) return this.lose('too_large', nowMs);
    if (!this.queue.offer(json, bytes, nowMs)) return this.drop('queue_full');
    this.deps.metrics.setQueued(this.queue.length);
    this.kick();
    return true;
  }

  readinessNotes(): string[] {
    return this.reports.notes(this.queue.length, this.dropped);
  }

  close(timeoutMs = CLOSE_TIMEOUT_MS): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.abandon('not closed in time'), timeoutMs);
      this.closing = { resolve, timer };
      // A writer waiting to retry tries once more now, rather than after its backoff.
      if (this.retryTimer !== null) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.kick();
    });
    return this.closed;
  }

  /** Counts a record not queued. */
  private drop(reason: AuditDropReason): false {
    this.dropped += 1;
    this.deps.metrics.recordsDropped(reason);
    return false;
  }

  /** Counts a record refused before the queue, and tells it in the file. */
  private lose(reason: 'too_large' | 'unserializable', nowMs: number): false {
    this.queue.lose(reason, nowMs);
    this.kick();
    return this.drop(reason);
  }

  /** Runs the writer soon, off the caller's stack, unless it runs or waits to retry. */
  private kick(): void {
    if (this.stopped || this.retryTimer !== null) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.running = true;
      void this.pump()
        .catch((err: unknown) => this.failed(err))
        .finally(() => {
          this.running = false;
          if (this.rerun) {
            this.rerun = false;
            this.kick();
          }
        });
    });
  }

  /** Writes until nothing is waiting; syncs when due; closes when asked. */
  private async pump(): Promise<void> {
    while (!this.stopped) {
      const file = this.file ?? (await this.open());
      const batch = buildBatch({
        head: file.head,
        opening: file.opening,
        outage: this.reports.outage(),
        queue: this.queue,
        nowMs: this.deps.now(),
        room: this.settings.maxBytes - file.size,
        fresh: !file.filled,
      });
      if (batch === 'full') await this.rotate(file);
      else if (batch !== null) await this.write(file, batch);
      else if (this.dirty && (this.syncDue || this.closing !== null)) await this.sync(file);
      else break;
    }
    if (this.closing !== null && !this.stopped) await this.finishClose();
  }

  /** Opens the file where its chain ends, settling a batch whose write failed. */
  private async open(): Promise<OpenFile> {
    const opened = await openChain(this.fs, this.settings.path, {
      rotateFirst: this.rotateFirst,
      maxBytes: this.settings.maxBytes,
    });
    this.rotateFirst = false;
    this.nextNumber = opened.nextNumber;
    if (this.unsettled !== null) settle(this.queue, this.unsettled, opened.head?.seq ?? null);
    this.unsettled = null;
    if (opened.rotatedTo !== null) this.deps.metrics.rotated();
    if (opened.damaged !== null) this.reports.damaged(opened.damaged);
    const { opening } = opened;
    this.file = {
      handle: opened.handle,
      size: opened.size,
      // An opening torn line goes into a file of whole lines; start and continue lines begin one.
      filled: opening === null ? opened.size > 0 : opening.body.type === 'torn',
      head: opened.head,
      opening,
    };
    return this.file;
  }

  private async write(file: OpenFile, batch: Batch): Promise<void> {
    this.unsettled = batch;
    let offset = 0;
    // A write may take part of the buffer (a full disk, a file-size limit): the rest goes next.
    while (offset < batch.bytes.length) {
      const { bytesWritten } = await io('write', this.settings.path, () =>
        file.handle.write(batch.bytes, offset, batch.bytes.length - offset),
      );
      offset += bytesWritten;
    }
    this.unsettled = null;
    settle(this.queue, batch, batch.head.seq);
    file.size += batch.bytes.length;
    file.head = batch.head;
    file.opening = null;
    file.filled ||= batch.fills;
    this.deps.metrics.recordsWritten(batch.records);
    this.deps.metrics.setQueued(this.queue.length);
    this.dirty = true;
    // The failure ends with the write that tells it (the outage line may need a new file).
    if (batch.toldOutage) this.reports.succeeded(this.dropped);
    this.reports.written(() => this.file?.head ?? null);
    if (this.settings.fsyncIntervalMs === 0) await this.sync(file);
    else this.scheduleSync();
  }

  private async sync(file: OpenFile): Promise<void> {
    await io('fsync', this.settings.path, () => file.handle.sync());
    this.dirty = false;
    this.syncDue = false;
  }

  /** Syncs, renames the file to the next number and starts a new one chained to it. */
  private async rotate(file: OpenFile): Promise<void> {
    const path = this.settings.path;
    await this.sync(file);
    this.file = null;
    await io('close', path, () => file.handle.close());
    const rotated = await rotateFile(this.fs, path, this.nextNumber);
    this.nextNumber = rotated.next;
    this.deps.metrics.rotated();
    this.reports.head(file.head, `audit file rotated to ${rotated.name}`);
    const handle = await io('open', path, () => this.fs.open(path, 'a+'));
    this.file = {
      handle,
      size: 0,
      filled: false,
      head: file.head,
      opening: { newline: false, body: { type: 'continue', previous: rotated.name } },
    };
  }

  private scheduleSync(): void {
    if (this.syncTimer !== null) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      this.syncDue = true;
      this.kick();
    }, this.settings.fsyncIntervalMs);
    this.syncTimer.unref();
  }

  /** Drops the open file and retries after the backoff; never throws. */
  private failed(err: unknown): void {
    const error =
      err instanceof AuditIoError ? err : new AuditIoError('write', this.settings.path, err);
    const handle = this.file?.handle;
    this.file = null;
    if (handle !== undefined) void handle.close().catch(() => undefined);
    if (this.stopped) return;
    // A file that cannot grow is rotated before the next write, so that the writer can go on.
    if (error.code === 'EFBIG') this.rotateFirst = true;
    const delayMs = this.reports.failed(error, this.dropped);
    // Closing: the last try failed, and a shutdown does not wait out a backoff.
    if (this.closing !== null) {
      this.abandon('cannot be written at close');
      return;
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, delayMs);
    this.retryTimer.unref();
  }

  private async finishClose(): Promise<void> {
    const file = this.file;
    this.file = null;
    this.stop();
    if (file !== null) {
      this.reports.head(file.head, 'audit file closed');
      await io('close', this.settings.path, () => file.handle.close()).catch(() => undefined);
    }
    this.closing?.resolve();
  }

  /** close() timed out or its last try failed: what is still queued is dropped. */
  private abandon(why: string): void {
    const left = this.queue.clear();
    if (left > 0) {
      this.dropped += left;
      this.deps.metrics.recordsDropped('closed', left);
    }
    this.deps.metrics.setQueued(0);
    this.deps.logger.error(
      { code: 'MERIDIAN_ERR_AUDIT', path: this.settings.path, dropped: left },
      `audit file ${why}; records still queued were dropped`,
    );
    const handle = this.file?.handle;
    this.file = null;
    this.stop();
    if (handle !== undefined) void handle.close().catch(() => undefined);
    this.closing?.resolve();
  }

  private stop(): void {
    this.stopped = true;
    this.reports.stop();
    for (const timer of [this.syncTimer, this.retryTimer, this.closing?.timer])
      if (timer !== null && timer !== undefined) clearTimeout(timer);
    this.syncTimer = this.retryTimer = null;
  }
}
