/**
 * What the table could not serve of each Gslb's hosts (a host taken by an
 * older claim, outside every zone, too many targets), grouped by Gslb and
 * turned into its Ready condition. Pure.
 */
import type { BuildProblem } from '../../table/build-snapshot';
import { isServed, type ReadyReason, type Resolution } from './resolution';

/** One Gslb's problems as one line; '' for none. */
export function problemText(problems: readonly BuildProblem[] | undefined): string {
  return problems === undefined ? '' : problems.map((p) => `${p.host}: ${p.reason}`).join('; ');
}

/** The problems by Gslb key. */
export function groupProblems(problems: readonly BuildProblem[]): Map<string, BuildProblem[]> {
  const grouped = new Map<string, BuildProblem[]>();
  for (const problem of problems) {
    const list = grouped.get(problem.gslb) ?? [];
    list.push(problem);
    grouped.set(problem.gslb, list);
  }
  return grouped;
}

/**
 * A Gslb whose hosts the table could not serve is not Ready: HostConflict
 * when an older Gslb holds one of them, HostNotAllowed when the host policy
 * refuses one, HostsNotServed for anything else (too many targets, say).
 */
export function withBuildProblems(
  resolution: Resolution,
  problems: BuildProblem[] | undefined,
): Resolution {
  if (problems === undefined || !isServed(resolution)) return resolution;
  const reason: ReadyReason = problems.some((p) => p.kind === 'host-conflict')
    ? 'HostConflict'
    : problems.some((p) => p.kind === 'host-not-allowed')
      ? 'HostNotAllowed'
      : 'HostsNotServed';
  return {
    ...resolution,
    reason,
    message: problems.map((p) => `${p.host}: ${p.reason}`).join('; '),
  };
}
