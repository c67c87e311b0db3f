/**
 * One measured dnsperf run against one system, with the CPU its server
 * processes spent during the run, and the A, B, A, B … schedule of runs.
 */
import { runDnsperf, type DnsperfResult, type DnsperfSetup, type Load } from './dnsperf';
import { cpuSeconds } from './proc';
import type { Role, System, SystemId } from './systems';

/** A measured run. */
export interface Sample {
  readonly repetition: number;
  readonly load: Load;
  readonly result: DnsperfResult;
  /** CPU seconds each server process spent per 100,000 answered queries. */
  readonly cpuPer100k: ReadonlyMap<Role, number>;
}

/** Runs `load` against `system`, reading the servers' CPU time before and after. */
export async function measure(
  system: System,
  setup: DnsperfSetup,
  load: Load,
  repetition: number,
): Promise<Sample> {
  const before = system.servers.map((server) => cpuSeconds(server.pid));
  const result = await runDnsperf(setup, load);
  const cpuPer100k = new Map<Role, number>();
  system.servers.forEach((server, i) => {
    const spent = cpuSeconds(server.pid) - (before[i] ?? 0);
    cpuPer100k.set(
      server.role,
      result.completed > 0 ? (spent / result.completed) * 100_000 : Number.NaN,
    );
  });
  return { repetition, load, result, cpuPer100k };
}

/**
 * Runs `run` `repetitions` times for each system, alternating systems within
 * each repetition, so that a burst of machine noise lands on both rather
 * than on all runs of one.
 */
export async function interleave(
  systems: readonly System[],
  repetitions: number,
  run: (system: System, repetition: number) => Promise<Sample>,
): Promise<Map<SystemId, Sample[]>> {
  const samples = new Map<SystemId, Sample[]>(systems.map((system) => [system.id, []]));
  for (let repetition = 1; repetition <= repetitions; repetition++) {
    for (const system of systems) samples.get(system.id)?.push(await run(system, repetition));
  }
  return samples;
}
