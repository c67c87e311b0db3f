/**
 * The audit file's wiring: its metrics, and the writer (src/audit) fed with
 * every decision record the table pipeline hears. The file is opened by
 * start(), not when wired, so that buildApp touches no file; records heard
 * before that are not written (none come before the answers open, which is
 * after start). The writer's failures are readiness notes, never a reason to
 * be unready: answers go on without the file.
 */
import type { Registry } from 'prom-client';
import { openAuditLog, type AuditSink } from './audit/audit-log';
import type { AuditSettings } from './config/load-config';
import type { DecisionListener } from './serving/decisions';
import { createAuditMetrics } from './telemetry/audit-metrics';
import type { Logger } from './telemetry/logger';

/** The audit file as app.ts drives it. */
export interface AuditWiring {
  /** Opens the audit file (when MERIDIAN_AUDIT_FILE is set); later records are written. */
  start(): void;
  /** Lines for /readyz while the file cannot be written; none otherwise. */
  readinessNotes(): string[];
  /** Writes what is queued, fsyncs and closes, within the writer's close timeout. */
  close(): Promise<void>;
}

/** Wires the audit file of `settings` to the decision records of `deps.pipeline`. */
export function createAudit(
  settings: AuditSettings,
  deps: {
    readonly registry: Registry;
    readonly logger: Logger;
    readonly now: () => number;
    readonly pipeline: { onDecisions(listener: DecisionListener): void };
  },
): AuditWiring {
  const metrics = createAuditMetrics(deps.registry);
  let sink: AuditSink | null = null;
  deps.pipeline.onDecisions((records) => {
    // append() only queues: the build that made the records never waits for the disk.
    for (const record of records) sink?.append(record);
  });
  return {
    start() {
      const logger = deps.logger.child({ component: 'audit' });
      sink ??= openAuditLog(settings, { metrics, logger, now: deps.now });
    },
    readinessNotes: () => sink?.readinessNotes() ?? [],
    close: () => sink?.close() ?? Promise.resolve(),
  };
}
