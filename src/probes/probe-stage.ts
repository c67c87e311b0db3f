/**
 * The probes as a record stage (serving/record-stage.ts): every Gslb with a
 * `spec.probe` has each of this cluster's targets probed, and a target whose
 * probe is down leaves this cluster's answers (and its `localtargets-` name,
 * so peers fail over); when all are down the cluster is unhealthy, its
 * addresses kept for a Gslb that fails open. A target is served only while
 * both its source and its probe say so; an unknown verdict (no result yet, or
 * an old one) serves it, so missing data never withdraws anything. The
 * prober's verdict changes wake the pipeline, and each becomes a cause
 * (`probe-failed`, `probe-recovered`) of the Gslbs that use the probe.
 */
import { createHash } from 'node:crypto';
import type { GslbProbe } from '../gslb/probe-spec';
import type { CauseInput } from '../serving/decisions';
import type { RecordStage, StageOutcome } from '../serving/record-stage';
import { sealRecord, type ClusterTargets, type SealedRecord } from '../table/model';
import type { ProbeCheck } from './probe-check';
import type { ProbeSpec, ProbeState } from './prober';
import type { VerdictChange } from './rise-fall';

/** The part of the prober the stage drives. */
export interface ProberControl {
  set(specs: readonly ProbeSpec[]): void;
  describe(key: string): ProbeState;
}

/** What {@link ProbeStage} needs. */
export interface ProbeStageOptions {
  /** This cluster's geotag: its targets are the ones probed. */
  readonly localGeoTag: string;
  readonly prober: ProberControl;
  /** At most this many distinct probes; targets beyond are not probed (served on source health). */
  readonly maxProbes: number;
}

/** One target's probe, for explain and status. */
export interface ProbedTarget extends ProbeState {
  readonly address: string;
  readonly type: GslbProbe['type'];
  readonly port: number;
  readonly host: string;
}

/** The probes of the served table, read-only. */
export interface ProbeView {
  /** The probed targets of Gslb `id`, in address order (empty: no probe). */
  targetsOf(id: string): readonly ProbedTarget[];
}

interface Use {
  readonly key: string;
  readonly address: string;
  readonly check: ProbeCheck;
}

/** Verdict changes kept between builds at most; more are summed up in one cause. */
const MAX_PENDING_CHANGES = 10_000;

export class ProbeStage implements RecordStage, ProbeView {
  private wake: () => void = () => undefined;
  private input: readonly SealedRecord[] | null = null;
  /** Each Gslb's probed targets, and each probe's Gslbs. */
  private uses = new Map<string, readonly Use[]>();
  private users = new Map<string, { readonly use: Use; readonly ids: Set<string> }>();
  private pending: { key: string; change: VerdictChange }[] = [];
  private dropped = 0;
  private readonly memo = new WeakMap<SealedRecord, { down: string; out: SealedRecord }>();

  constructor(private readonly options: ProbeStageOptions) {}

  attach(wake: () => void): void {
    this.wake = wake;
  }

  /** The prober's news: a probe's verdict changed. */
  verdictChanged(key: string, change: VerdictChange): void {
    if (this.pending.length < MAX_PENDING_CHANGES) this.pending.push({ key, change });
    else this.dropped += 1;
    this.wake();
  }

  apply(records: readonly SealedRecord[]): StageOutcome {
    if (records !== this.input) this.sync(records);
    this.input = records;
    let next = Infinity;
    const out = records.map((record) => {
      const uses = this.uses.get(record.id);
      if (uses === undefined || record.probe === undefined) return record;
      const down: string[] = [];
      const failures: string[] = [];
      for (const use of uses) {
        const state = this.options.prober.describe(use.key);
        if (state.verdict !== 'down') continue;
        down.push(use.address);
        failures.push(`${use.address}:${use.check.port} ${state.lastError ?? 'failed'}`);
        next = Math.min(next, state.staleAtMs ?? Infinity);
      }
      return this.served(record, down, failures);
    });
    return { records: out, causes: this.takeCauses(), nextStepMs: next === Infinity ? null : next };
  }

  targetsOf(id: string): readonly ProbedTarget[] {
    return (this.uses.get(id) ?? []).map((use) => ({
      address: use.address,
      type: use.check.type,
      port: use.check.port,
      host: use.check.host,
      ...this.options.prober.describe(use.key),
    }));
  }

  /** The probes `records` declare, handed to the prober. */
  private sync(records: readonly SealedRecord[]): void {
    const uses = new Map<string, Use[]>();
    const users = new Map<string, { readonly use: Use; readonly ids: Set<string> }>();
    const specs = new Map<string, ProbeSpec>();
    for (const record of records) {
      const probe = record.probe;
      const local = record.clusters.find((c) => c.geoTag === this.options.localGeoTag);
      if (probe === undefined || local === undefined) continue;
      const list = uses.get(record.id) ?? [];
      uses.set(record.id, list);
      for (const address of local.addresses) {
        const check = checkOf(probe, address, probe.host ?? record.hosts[0] ?? address);
        const key = keyOf(probe, check);
        if (!specs.has(key) && specs.size >= this.options.maxProbes) continue;
        specs.set(key, {
          key,
          check,
          intervalMs: probe.intervalSeconds * 1000,
          rise: probe.rise,
          fall: probe.fall,
        });
        const use = { key, address, check };
        if (!list.some((known) => known.key === key)) list.push(use);
        const entry = users.get(key) ?? { use, ids: new Set<string>() };
        entry.ids.add(record.id);
        users.set(key, entry);
      }
    }
    this.uses = uses;
    this.users = users;
    this.options.prober.set([...specs.values()]);
  }

  /** `record` with this cluster's `down` targets out; the same object for the same outcome. */
  private served(
    record: SealedRecord,
    down: readonly string[],
    probeFailures: readonly string[],
  ): SealedRecord {
    const local = this.options.localGeoTag;
    const probed = (c: ClusterTargets): boolean =>
      c.geoTag === local && c.healthy !== false && c.withdrawn !== true;
    if (down.length === 0 || !record.clusters.some(probed)) return record;
    const signature = probeFailures.join(',');
    const known = this.memo.get(record);
    if (known !== undefined && known.down === signature) return known.out;
    const clusters = record.clusters.map((cluster): ClusterTargets => {
      if (!probed(cluster)) return cluster;
      const left = cluster.addresses.filter((a) => !down.includes(a));
      // All down: unhealthy, addresses kept, so a Gslb that fails open still has them.
      return left.length > 0
        ? { ...cluster, addresses: left, probeFailures }
        : { geoTag: cluster.geoTag, addresses: cluster.addresses, healthy: false, probeFailures };
    });
    const out = sealRecord({ ...record, clusters });
    this.memo.set(record, { down: signature, out });
    return out;
  }

  private takeCauses(): CauseInput[] {
    const causes = this.pending.flatMap(({ key, change }): CauseInput[] => {
      const entry = this.users.get(key);
      const detail = entry === undefined ? null : changeDetail(entry.use, change);
      const gslbs = [...(entry?.ids ?? [])];
      return detail === null
        ? []
        : [{ kind: change.to === 'down' ? 'probe-failed' : 'probe-recovered', gslbs, detail }];
    });
    if (this.dropped > 0)
      causes.push({
        kind: 'probe-failed',
        detail: `${this.dropped} more probe verdict changes at once, not listed one by one`,
      });
    this.pending = [];
    this.dropped = 0;
    return causes;
  }
}

/** What a verdict change says, or null when it moves no answer (unknown → up). */
function changeDetail(use: Use, change: VerdictChange): string | null {
  const { type, port, host } = use.check;
  const probe = `${type} probe of ${use.address}:${port}${type === 'tcp' ? '' : ` (host ${host})`}`;
  if (change.to === 'down') return `${probe} failed: ${change.result.error ?? 'failed'}`;
  if (change.from === 'down') return `${probe} passes again`;
  return null;
}

function checkOf(probe: GslbProbe, address: string, host: string): ProbeCheck {
  return {
    type: probe.type,
    address,
    port: probe.port,
    path: probe.path,
    host,
    expectStatus: probe.expectStatus,
    bodyContains: probe.bodyContains,
    timeoutMs: probe.timeoutSeconds * 1000,
    verifyTls: probe.verifyCertificate,
    caPem: probe.caBundle,
  };
}

/** Probes with the same key are one probe, whichever Gslbs declare it. */
function keyOf(probe: GslbProbe, check: ProbeCheck): string {
  const ca =
    check.caPem === null ? '' : createHash('sha256').update(check.caPem).digest('hex').slice(0, 16);
  return JSON.stringify([
    check.type,
    check.address,
    check.port,
    check.type === 'tcp' ? '' : check.path,
    check.type === 'tcp' ? '' : check.host,
    check.type === 'tcp' ? '' : ranges(check.expectStatus),
    check.bodyContains,
    check.timeoutMs,
    check.verifyTls,
    ca,
    probe.intervalSeconds,
    probe.rise,
    probe.fall,
  ]);
}

/** `200-399` for a run of codes: a short key for the default list. */
function ranges(codes: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < codes.length;) {
    let j = i;
    while (j + 1 < codes.length && codes[j + 1] === codes[j]! + 1) j++;
    parts.push(i === j ? `${codes[i]}` : `${codes[i]}-${codes[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
