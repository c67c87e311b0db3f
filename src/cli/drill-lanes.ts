/**
 * What one DNS server answered during a drill, as a lane of the timeline:
 * runs of samples that named the same clusters, merged into segments, and
 * the moments the drill is measured by (the last answer naming the drained
 * cluster before it was withdrawn everywhere, the first naming it again
 * after the undrain). Samples are classified by the addresses' clusters as
 * the clusters themselves reported them before the drill, so that a lane
 * says "eu" or "us+ap", not a list of addresses.
 */
import type { QueryOutcome } from '../dns/client-message';

/** The part of the drill a sample was taken in. */
export type DrillPhase = 'baseline' | 'failover' | 'hold' | 'failback';

/** A run of samples with the same meaning. */
export interface LaneSegment {
  /** Wall-clock ms of the first and the last sample of the run. */
  fromMs: number;
  toMs: number;
  /** `answer`: addresses of these clusters; `empty`: NOERROR or NXDOMAIN without addresses; `failed`: no answer. */
  readonly kind: 'answer' | 'empty' | 'failed';
  /** The clusters answered, sorted (`?` for an address no cluster reported); empty unless `answer`. */
  readonly clusters: readonly string[];
  /** How many samples the run holds. */
  samples: number;
}

/** A lane holds at most this many segments; later changes extend the last one and mark it truncated. */
export const MAX_SEGMENTS = 2_000;

/** One server's answers over the drill. */
export class DrillLane {
  readonly segments: LaneSegment[] = [];
  truncated = false;
  queries = 0;
  /** Samples without an answer (a timeout, SERVFAIL, REFUSED, an unreachable server). */
  failed = 0;
  /** Samples answered with no address: an outage for the client as much as a failure. */
  empty = 0;
  /** The phases in which some sample named the drained cluster. */
  private readonly withDrained = new Set<DrillPhase>();
  /** Samples of the hold that named the drained cluster: a server that went back. */
  drainedDuringHold = 0;
  private lastFailure: string | null = null;

  constructor(
    /** `host:port` of the server. */
    readonly server: string,
    /** The geoTag of the cluster drained. */
    readonly drainedCluster: string,
    private readonly clustersOf: (address: string) => readonly string[],
  ) {}

  /** Adds the outcome of the query sent at `atMs`; an aborted query is no sample. */
  record(atMs: number, outcome: QueryOutcome, phase: DrillPhase): void {
    if (!outcome.ok && outcome.failure === 'aborted') return;
    this.queries++;
    const { kind, clusters } = this.classify(outcome);
    if (kind === 'failed') this.failed++;
    if (kind === 'empty') this.empty++;
    if (clusters.includes(this.drainedCluster)) {
      this.withDrained.add(phase);
      if (phase === 'hold') this.drainedDuringHold++;
    }
    this.extend(atMs, kind, clusters);
  }

  /** True when the last sample answered without the drained cluster. */
  switchedAway(): boolean {
    const segment = this.segments.at(-1);
    return segment?.kind === 'answer' && !segment.clusters.includes(this.drainedCluster);
  }

  /** True when the last sample named the drained cluster. */
  answersDrained(): boolean {
    return this.segments.at(-1)?.clusters.includes(this.drainedCluster) ?? false;
  }

  /** True when some sample of `phase` named the drained cluster. */
  sawDrained(phase: DrillPhase): boolean {
    return this.withDrained.has(phase);
  }

  /** The detail of the last failed query, for the report. */
  get lastFailureDetail(): string | null {
    return this.lastFailure;
  }

  private classify(outcome: QueryOutcome): Pick<LaneSegment, 'kind' | 'clusters'> {
    if (!outcome.ok) {
      this.lastFailure = `${outcome.failure}: ${outcome.detail}`;
      return { kind: 'failed', clusters: [] };
    }
    if (outcome.addresses.length === 0) return { kind: 'empty', clusters: [] };
    const clusters = new Set<string>();
    for (const address of outcome.addresses) {
      const owners = this.clustersOf(address);
      if (owners.length === 0) clusters.add('?');
      for (const owner of owners) clusters.add(owner);
    }
    return { kind: 'answer', clusters: [...clusters].sort() };
  }

  private extend(atMs: number, kind: LaneSegment['kind'], clusters: readonly string[]): void {
    const last = this.segments.at(-1);
    const same =
      last !== undefined && last.kind === kind && last.clusters.join() === clusters.join();
    if (last !== undefined && (same || this.segments.length >= MAX_SEGMENTS)) {
      if (!same) this.truncated = true;
      last.toMs = atMs;
      last.samples++;
      return;
    }
    this.segments.push({ fromMs: atMs, toMs: atMs, kind, clusters, samples: 1 });
  }
}
