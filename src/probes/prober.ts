/**
 * Runs every probe on its slot (probe-slots.ts) from one timer, and keeps
 * each probe's verdict (rise-fall.ts). Probes with the same key (address,
 * port and request) are one probe, whatever number of Gslbs declare it. Two
 * bounds keep it from hurting anyone: at most `maxInFlight` checks at once in
 * all, and at most `maxPerAddress` at one address; a run that would exceed
 * either is skipped (counted, never a failure) and the probe waits for its
 * next slot, where the stale bound catches a prober that falls behind.
 */
import type { CheckOutcome, ProbeCheck } from './probe-check';
import { nextRunMs, SlotAllocator } from './probe-slots';
import { RiseFall, type ProbeResult, type ProbeVerdict, type VerdictChange } from './rise-fall';

/** One probe to run. */
export interface ProbeSpec {
  /** Identity: probes with the same key are shared. */
  readonly key: string;
  readonly check: ProbeCheck;
  readonly intervalMs: number;
  readonly rise: number;
  readonly fall: number;
}

/** What the prober needs. */
export interface ProberOptions {
  readonly maxInFlight: number;
  readonly maxPerAddress: number;
  /** A verdict older than this many intervals is unknown. */
  readonly staleIntervals: number;
  readonly run: (check: ProbeCheck, signal: AbortSignal) => Promise<CheckOutcome>;
  readonly now: () => number;
  readonly onChange: (key: string, change: VerdictChange) => void;
  /** Each finished check, for metrics. */
  readonly onResult?: (spec: ProbeSpec, outcome: CheckOutcome) => void;
  readonly onSkipped?: (spec: ProbeSpec) => void;
}

/** One probe's state, for explanations. */
export interface ProbeState {
  readonly verdict: ProbeVerdict;
  readonly lastError: string | null;
  readonly lastMs: number | null;
  /** When the verdict turns unknown unless a newer result comes. */
  readonly staleAtMs: number | null;
  readonly history: readonly ProbeResult[];
}

interface Entry {
  spec: ProbeSpec;
  readonly slot: number;
  readonly state: RiseFall;
  dueMs: number;
}

export class Prober {
  private readonly entries = new Map<string, Entry>();
  private readonly slots = new SlotAllocator();
  private readonly perAddress = new Map<string, number>();
  private readonly stopping = new AbortController();
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;

  constructor(private readonly options: ProberOptions) {}

  /** Runs exactly `specs` from now on: new ones added, gone ones dropped, changed ones replaced. */
  set(specs: readonly ProbeSpec[]): void {
    const wanted = new Map(specs.map((spec) => [spec.key, spec]));
    for (const [key, entry] of this.entries)
      if (!wanted.has(key) || !sameThresholds(entry.spec, wanted.get(key)!)) {
        this.entries.delete(key);
        this.slots.release(entry.slot);
      }
    const now = this.options.now();
    for (const [key, spec] of wanted) {
      const entry = this.entries.get(key);
      if (entry !== undefined) {
        entry.spec = spec;
        continue;
      }
      const slot = this.slots.acquire();
      const state = new RiseFall({
        rise: spec.rise,
        fall: spec.fall,
        staleAfterMs: spec.intervalMs * this.options.staleIntervals,
      });
      this.entries.set(key, { spec, slot, state, dueMs: nextRunMs(slot, spec.intervalMs, now) });
    }
    this.arm();
  }

  /** The verdict of probe `key` now (unknown when there is no such probe). */
  verdict(key: string): ProbeVerdict {
    return this.entries.get(key)?.state.current(this.options.now()) ?? 'unknown';
  }

  /** The state of probe `key`, for explanations. */
  describe(key: string): ProbeState {
    const entry = this.entries.get(key);
    const last = entry?.state.lastResult() ?? null;
    return {
      verdict: this.verdict(key),
      lastError: last?.error ?? null,
      lastMs: last?.atMs ?? null,
      staleAtMs: entry?.state.staleAtMs() ?? null,
      history: entry?.state.history() ?? [],
    };
  }

  get size(): number {
    return this.entries.size;
  }

  /** Probes whose verdict is down now. */
  get downCount(): number {
    const now = this.options.now();
    let down = 0;
    for (const entry of this.entries.values()) if (entry.state.current(now) === 'down') down++;
    return down;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await Promise.all(this.running);
  }

  /** One timer, at the earliest due probe. */
  private arm(): void {
    if (this.stopping.signal.aborted) return;
    if (this.timer !== null) clearTimeout(this.timer);
    let earliest = Infinity;
    for (const entry of this.entries.values()) earliest = Math.min(earliest, entry.dueMs);
    if (earliest === Infinity) return;
    this.timer = setTimeout(() => this.fire(), Math.max(0, earliest - this.options.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = null;
    const now = this.options.now();
    for (const entry of this.entries.values()) {
      if (entry.dueMs > now) continue;
      entry.dueMs = nextRunMs(entry.slot, entry.spec.intervalMs, now + 1);
      this.start(entry);
    }
    this.arm();
  }

  private start(entry: Entry): void {
    const { spec } = entry;
    const address = spec.check.address;
    const atAddress = this.perAddress.get(address) ?? 0;
    if (this.inFlight >= this.options.maxInFlight || atAddress >= this.options.maxPerAddress) {
      this.options.onSkipped?.(spec);
      return;
    }
    this.inFlight += 1;
    this.perAddress.set(address, atAddress + 1);
    // A check that throws is a failed probe, never an unhandled rejection.
    const run = Promise.resolve()
      .then(() => this.options.run(spec.check, this.stopping.signal))
      .catch((err: unknown) => failed(err))
      .then((outcome) => this.settle(entry, outcome))
      // A listener's failure is its own; the prober goes on.
      .catch(() => undefined)
      .finally(() => {
        this.inFlight -= 1;
        const left = (this.perAddress.get(address) ?? 1) - 1;
        if (left === 0) this.perAddress.delete(address);
        else this.perAddress.set(address, left);
        this.running.delete(run);
      });
    this.running.add(run);
  }

  private settle(entry: Entry, outcome: CheckOutcome): void {
    if (this.stopping.signal.aborted || this.entries.get(entry.spec.key) !== entry) return;
    this.options.onResult?.(entry.spec, outcome);
    const change = entry.state.record({
      ok: outcome.ok,
      atMs: this.options.now(),
      error: outcome.error,
    });
    if (change !== null) this.options.onChange(entry.spec.key, change);
  }
}

/** A probe whose interval or thresholds changed starts over, in a new slot. */
function sameThresholds(a: ProbeSpec, b: ProbeSpec): boolean {
  return a.intervalMs === b.intervalMs && a.rise === b.rise && a.fall === b.fall;
}

function failed(err: unknown): CheckOutcome {
  return { ok: false, error: err instanceof Error ? err.message : String(err), latencyMs: 0 };
}
