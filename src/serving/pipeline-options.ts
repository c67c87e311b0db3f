/**
 * What the table pipeline (table-pipeline.ts) is given, and the names of its
 * inputs. Types and the default timers only.
 */
import type { BuildInput, BuildProblem, BuildResult } from '../table/build-snapshot';
import type { HostPolicy } from '../table/host-claims';
import type { ZoneSpec } from '../table/model';
import type { TableHolder } from '../table/table-holder';
import type { Logger } from '../telemetry/logger';
import type { Metrics } from '../telemetry/metrics';
import type { RecordStage } from './record-stage';
import type { AlarmTimers } from './step-alarm';

/** Which input changed since the last build ('stage': a record stage's own change, or its clock). */
export type InputChange = 'source' | 'peers' | 'geo' | 'drain' | 'stage';

/** The timer functions the pipeline uses; injected so tests drive time. */
export type PipelineTimers = AlarmTimers;

/** What {@link TablePipeline} needs. */
export interface TablePipelineOptions {
  readonly zones: readonly ZoneSpec[];
  /** This cluster's geotag: its targets are published as `localtargets-<host>`. */
  readonly localGeoTag: string;
  /** Which namespaces may claim which name suffixes (MERIDIAN_HOST_POLICY); null: any. */
  readonly hostPolicy?: HostPolicy | null;
  readonly holder: TableHolder;
  readonly metrics: Pick<Metrics, 'recordBuild' | 'recordInternalError'>;
  readonly logger: Logger;
  /** Wall clock in ms, for SOA serials and the last-build time. */
  readonly now: () => number;
  /** How long a change waits for others to join its build. */
  readonly batchMs: number;
  /** MERIDIAN_DRAIN_TTL_SECONDS: the TTL served while a drain is under way (default 5). */
  readonly drainTtlSeconds?: number;
  readonly timers?: PipelineTimers;
  /** Replaces the builder (tests make it fail). */
  readonly build?: (input: BuildInput) => BuildResult;
  /** This replica's name in decision records. */
  readonly replica?: string;
  /** Ids of causes; random UUIDs unless tests fix them. */
  readonly newId?: () => string;
  /** Record stages applied in order before the drains (the probes). */
  readonly stages?: readonly RecordStage[];
}

/** Called after every scheduled build attempt with the problems of the table being served. */
export type ProblemsListener = (problems: readonly BuildProblem[]) => void;

export const defaultTimers: PipelineTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
