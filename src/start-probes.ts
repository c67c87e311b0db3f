/**
 * The probes' wiring, kept out of app.ts: one prober for every Gslb's
 * `spec.probe` (docs/probes.md), its checks real HTTP, HTTPS and TCP
 * connections, its verdicts fed to the table pipeline as a record stage and
 * counted in `meridian_probe_*`. The prober runs nothing until a Gslb
 * declares a probe.
 */
import type { Registry } from 'prom-client';
import { runCheck } from './probes/probe-check';
import { ProbeStage } from './probes/probe-stage';
import { Prober } from './probes/prober';
import { createProbeMetrics } from './telemetry/probe-metrics';

/** The bounds that keep the prober from hurting a target or the host it runs on. */
export const PROBER_BOUNDS = Object.freeze({
  /** Checks in flight at once, in all (10,000 probes at 10 s: about 1,000 a second, each short). */
  maxInFlight: 512,
  /** Checks in flight at once towards one address (a shared ingress serves many Gslbs). */
  maxPerAddress: 8,
  /** A verdict whose last result is older than this many intervals is unknown. */
  staleIntervals: 3,
  /** Distinct probes at most; targets beyond are served on their source's health alone. */
  maxProbes: 50_000,
});

export interface Probes {
  /** The record stage for the table pipeline, and the probes' view for explain. */
  readonly stage: ProbeStage;
  stop(): Promise<void>;
}

export function createProbes(
  localGeoTag: string,
  deps: { readonly registry: Registry; readonly now: () => number },
): Probes {
  const holder: { stage: ProbeStage | null } = { stage: null };
  const prober: Prober = new Prober({
    ...PROBER_BOUNDS,
    run: runCheck,
    now: deps.now,
    onChange: (key, change) => holder.stage?.verdictChanged(key, change),
    onResult: (spec, outcome) =>
      metrics.recordCheck(spec.check.type, outcome.error, outcome.latencyMs / 1000),
    onSkipped: (spec) => metrics.recordSkipped(spec.check.type),
  });
  const metrics = createProbeMetrics(deps.registry, () => ({
    probes: prober.size,
    down: prober.downCount,
  }));
  const stage = new ProbeStage({ localGeoTag, prober, maxProbes: PROBER_BOUNDS.maxProbes });
  holder.stage = stage;
  return { stage, stop: () => prober.stop() };
}
