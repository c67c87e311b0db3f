/**
 * The drill's steps, in order: sample every server for a second, drain,
 * sample every POLL_MS until no server names the drained cluster (at most
 * the objective), hold, undrain, sample until every server that named it
 * before names it again (at most the objective). The undrain runs whatever
 * happened before it (an interrupt, a lost apiserver, a server that never
 * switched), and is retried; a drill that cannot undrain says so loudly.
 * Sampling is one query per server per round, a round at most every
 * POLL_MS and never two at once, so the rate is bounded whatever the
 * servers do, and every wait ends at its deadline.
 */
import type { DnsServer, QueryFn } from '../peers/dns-client';
import type { CliIo } from './admin-client';
import { DrillLane, type DrillPhase } from './drill-lanes';
import type { DrainSwitch } from './drain';

/** Time between two rounds of queries. */
export const POLL_MS = 100;
/** Samples taken before the drain, for the baseline. */
const BASELINE_MS = 1_000;
/** Undrain attempts, and the pause between two. */
const UNDRAIN_ATTEMPTS = 5;
const UNDRAIN_RETRY_MS = 2_000;

/** What the steps need. */
export interface DrillSteps {
  readonly servers: readonly DnsServer[];
  readonly host: string;
  readonly type: 'A' | 'AAAA';
  readonly fail: string;
  readonly clustersOf: (address: string) => readonly string[];
  readonly holdMs: number;
  readonly objectiveMs: number;
  readonly drainSwitch: DrainSwitch;
  readonly query: QueryFn;
  /** Progress lines for the operator. */
  readonly say: (line: string) => void;
}

/** Wall-clock ms of the drill's moments; null when the drill did not get there. */
export interface DrillMarks {
  readonly startedAt: number;
  drainedAt: number | null;
  /** Every server answered without the drained cluster. */
  switchedAt: number | null;
  undrainedAt: number | null;
  /** Every server that had named the drained cluster named it again. */
  returnedAt: number | null;
  finishedAt: number;
}

/** What the steps saw. */
export interface DrillRun {
  readonly lanes: readonly DrillLane[];
  readonly marks: DrillMarks;
  readonly interrupted: boolean;
  /** False when the undrain failed every attempt: the cluster is still drained. */
  readonly undrained: boolean;
  /** What went wrong, in sentences. */
  readonly problems: readonly string[];
}

/** Runs the drill's steps; never rejects once the drain is set, so that the report is written. */
export async function runDrillSteps(steps: DrillSteps, io: CliIo): Promise<DrillRun> {
  const now = io.now ?? Date.now;
  const lanes = steps.servers.map(
    (s) => new DrillLane(serverName(s), steps.fail, steps.clustersOf),
  );
  const marks: DrillMarks = {
    startedAt: now(),
    drainedAt: null,
    switchedAt: null,
    undrainedAt: null,
    returnedAt: null,
    finishedAt: 0,
  };
  const problems: string[] = [];
  const sample = sampler(steps, lanes, io);
  await sample('baseline', marks.startedAt + BASELINE_MS, () => false);
  const unanswered = lanes.filter((lane) => !lane.segments.some((s) => s.kind === 'answer'));
  if (io.signal.aborted || unanswered.length > 0) {
    if (!io.signal.aborted)
      problems.push(
        `no answer before the drain from ${unanswered.map((l) => l.server).join(', ')}`,
      );
    marks.finishedAt = now();
    return { lanes, marks, interrupted: io.signal.aborted, undrained: true, problems };
  }
  const undrained = await drainedPart(steps, { lanes, marks, problems, sample }, io);
  marks.finishedAt = now();
  return { lanes, marks, interrupted: io.signal.aborted, undrained, problems };
}

interface RunState {
  readonly lanes: readonly DrillLane[];
  readonly marks: DrillMarks;
  readonly problems: string[];
  readonly sample: Sampler;
}

async function drainedPart(steps: DrillSteps, state: RunState, io: CliIo): Promise<boolean> {
  const now = io.now ?? Date.now;
  const { lanes, marks, problems, sample } = state;
  const drainedAt = now();
  try {
    await steps.drainSwitch.set(new Date(drainedAt).toISOString());
  } catch (err) {
    problems.push(`the drain could not be set: ${(err as Error).message}`);
    // It may have been written even so (an answer lost on the way back): undo it.
    return undrain(steps, marks, problems, io);
  }
  marks.drainedAt = drainedAt;
  steps.say(`${steps.drainSwitch.describe}: drained at ${new Date(drainedAt).toISOString()}`);
  await sample('failover', drainedAt + steps.objectiveMs, () =>
    lanes.every((l) => l.switchedAway()),
  );
  if (lanes.every((l) => l.switchedAway())) {
    marks.switchedAt = now();
    steps.say(
      `no server names ${steps.fail} after ${seconds(marks.switchedAt - drainedAt)} s; holding ${seconds(steps.holdMs)} s`,
    );
    await sample('hold', marks.switchedAt + steps.holdMs, () => false);
  } else if (!io.signal.aborted) {
    problems.push(
      `${lanes
        .filter((l) => !l.switchedAway())
        .map((l) => l.server)
        .join(
          ', ',
        )} still named ${steps.fail} when the objective of ${seconds(steps.objectiveMs)} s ran out`,
    );
  }
  const undrained = await undrain(steps, marks, problems, io);
  if (!undrained || io.signal.aborted) return undrained;
  const expected = lanes.filter((l) => l.sawDrained('baseline'));
  await sample('failback', marks.undrainedAt! + steps.objectiveMs, () =>
    expected.every((l) => l.answersDrained()),
  );
  if (expected.every((l) => l.answersDrained())) marks.returnedAt = now();
  else if (!io.signal.aborted)
    problems.push(
      `${expected
        .filter((l) => !l.answersDrained())
        .map((l) => l.server)
        .join(', ')} did not name ${steps.fail} again within ${seconds(steps.objectiveMs)} s`,
    );
  return true;
}

/** Removes the drain, retrying; not cut short by an interrupt (that is when it matters most). */
async function undrain(
  steps: DrillSteps,
  marks: DrillMarks,
  problems: string[],
  io: CliIo,
): Promise<boolean> {
  const now = io.now ?? Date.now;
  const never = new AbortController().signal;
  for (let attempt = 1; attempt <= UNDRAIN_ATTEMPTS; attempt++) {
    try {
      await steps.drainSwitch.set(null);
      marks.undrainedAt = now();
      steps.say(`${steps.drainSwitch.describe}: undrained`);
      return true;
    } catch (err) {
      problems.push(`undrain attempt ${attempt}: ${(err as Error).message}`);
      if (attempt < UNDRAIN_ATTEMPTS) await io.sleep(UNDRAIN_RETRY_MS, never);
    }
  }
  problems.push(
    `${steps.drainSwitch.describe} IS STILL DRAINED: run meridian undrain, or remove the annotation`,
  );
  return false;
}

type Sampler = (phase: DrillPhase, untilMs: number, done: () => boolean) => Promise<void>;

/** Rounds of one query per server until `done`, the deadline, or an interrupt. */
function sampler(steps: DrillSteps, lanes: readonly DrillLane[], io: CliIo): Sampler {
  const now = io.now ?? Date.now;
  return async (phase, untilMs, done) => {
    while (!io.signal.aborted && now() < untilMs) {
      const sentAt = now();
      const outcomes = await Promise.all(
        steps.servers.map((server) => steps.query(server, steps.host, steps.type, io.signal)),
      );
      outcomes.forEach((outcome, i) => lanes[i]!.record(sentAt, outcome, phase));
      if (done()) return;
      const wait = sentAt + POLL_MS - now();
      if (wait > 0) await io.sleep(wait, io.signal);
    }
  };
}

/** `host:port`, brackets around an IPv6 address. */
export function serverName(server: DnsServer): string {
  return server.host.includes(':')
    ? `[${server.host}]:${server.port}`
    : `${server.host}:${server.port}`;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
