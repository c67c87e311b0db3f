/**
 * The bench's settings, from environment variables:
 *   BENCH_PARTS    comma-separated parts to run: data-plane, control-plane
 *                  (default both)
 *   BENCH_SIZES    data plane: comma-separated host-name counts (default 1,1000,10000)
 *   BENCH_STRATEGIES  data plane: comma-separated workloads, each measured at
 *                  every size: roundRobin (one cluster, two targets a name),
 *                  weighted (two clusters weighted 80/20, four targets),
 *                  geoip (reported as not comparable yet; see workload.ts)
 *                  (default roundRobin)
 *   MERIDIAN_K8GB_COREDNS_BIN  data plane: a CoreDNS build with k8gb's
 *                  k8s_crd plugin; when set, system C (k8gb) runs beside A
 *                  and B (k8gb.ts). This repository does not build it.
 *   BENCH_AUDIT=1  data plane: also run A' (Meridian with MERIDIAN_AUDIT_FILE
 *                  on) beside A, to show the audit file costs no throughput
 *   BENCH_SECONDS  data plane: length of each dnsperf run (default 10)
 *   BENCH_REPEATS  repetitions per system and size, and control-plane runs (default 3)
 *   BENCH_GSLBS    control plane: Gslbs created per run (default 10000)
 *   BENCH_FLIPS    control plane: EndpointSlice readiness changes per run and
 *                  phase (default 200)
 *   BENCH_READY_SECONDS  control plane: how long to wait, once every name is
 *                  served, for every Gslb to be Ready (default 1800)
 *   BENCH_SMOKE=1  a quick end-to-end pass for CI: 1000 names, 2 s runs,
 *                  1 repetition, 1000 Gslbs, 20 flips, nothing written (the
 *                  variables above still win)
 */

import { checkK8gbBinary, K8GB_COREDNS_ENV } from './k8gb';
import { STRATEGIES, type Strategy } from './workload';

/** The parts of the bench. */
export const BENCH_PARTS = ['data-plane', 'control-plane'] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

/** Parsed settings. */
export interface BenchOptions {
  readonly parts: readonly BenchPart[];
  readonly sizes: readonly number[];
  readonly strategies: readonly Strategy[];
  /** The k8gb CoreDNS binary, or null to leave system C out. */
  readonly k8gbCoreDns: string | null;
  /** Whether to run A' (the audit file on) beside A. */
  readonly audit: boolean;
  readonly seconds: number;
  readonly repeats: number;
  readonly gslbs: number;
  readonly flips: number;
  readonly readySeconds: number;
  readonly smoke: boolean;
}

const DEFAULTS = {
  parts: BENCH_PARTS.join(','),
  sizes: '1,1000,10000',
  strategies: 'roundRobin',
  seconds: '10',
  repeats: '3',
  gslbs: '10000',
  flips: '200',
  readySeconds: '1800',
};
const SMOKE_DEFAULTS = {
  ...DEFAULTS,
  sizes: '1000',
  seconds: '2',
  repeats: '1',
  gslbs: '1000',
  flips: '20',
  readySeconds: '300',
};

/** Reads the settings from `env`; throws on a malformed value. */
export function parseOptions(env: NodeJS.ProcessEnv): BenchOptions {
  const smoke = env['BENCH_SMOKE'] === '1';
  const defaults = smoke ? SMOKE_DEFAULTS : DEFAULTS;
  const setting = (name: string, fallback: string): string => {
    const value = env[name];
    return value === undefined || value === '' ? fallback : value;
  };
  const integer = (name: string, fallback: string): number =>
    positiveInteger(name, setting(name, fallback));
  return {
    parts: setting('BENCH_PARTS', defaults.parts)
      .split(',')
      .map((part) => benchPart(part.trim())),
    sizes: setting('BENCH_SIZES', defaults.sizes)
      .split(',')
      .map((size) => positiveInteger('BENCH_SIZES', size.trim())),
    strategies: setting('BENCH_STRATEGIES', defaults.strategies)
      .split(',')
      .map((strategy) => benchStrategy(strategy.trim())),
    k8gbCoreDns: env[K8GB_COREDNS_ENV] ? checkK8gbBinary(env[K8GB_COREDNS_ENV]) : null,
    audit: env['BENCH_AUDIT'] === '1',
    seconds: integer('BENCH_SECONDS', defaults.seconds),
    repeats: integer('BENCH_REPEATS', defaults.repeats),
    gslbs: integer('BENCH_GSLBS', defaults.gslbs),
    flips: integer('BENCH_FLIPS', defaults.flips),
    readySeconds: integer('BENCH_READY_SECONDS', defaults.readySeconds),
    smoke,
  };
}

function benchPart(text: string): BenchPart {
  const part = BENCH_PARTS.find((p) => p === text);
  if (part === undefined)
    throw new Error(
      `BENCH_PARTS: expected ${BENCH_PARTS.join(' and/or ')}, found ${JSON.stringify(text)}`,
    );
  return part;
}

function benchStrategy(text: string): Strategy {
  const strategy = STRATEGIES.find((s) => s === text);
  if (strategy === undefined)
    throw new Error(
      `BENCH_STRATEGIES: expected some of ${STRATEGIES.join(', ')}, found ${JSON.stringify(text)}`,
    );
  return strategy;
}

function positiveInteger(name: string, text: string): number {
  if (!/^[1-9]\d*$/.test(text))
    throw new Error(`${name}: expected positive integers, found ${JSON.stringify(text)}`);
  return Number(text);
}
