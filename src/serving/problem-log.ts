/**
 * Logs each build problem once, when it appears, not on every rebuild: a
 * Gslb with a host outside every zone would otherwise log at every peer poll.
 */
import type { BuildProblem } from '../table/build-snapshot';
import type { Logger } from '../telemetry/logger';

export class ProblemLog {
  /** Problems already logged and still present. */
  private reported = new Set<string>();

  constructor(private readonly logger: Logger) {}

  /** Logs the problems of `problems` not logged before; forgets those that are gone. */
  report(problems: readonly BuildProblem[]): void {
    const current = new Set<string>();
    for (const problem of problems) {
      const key = `${problem.gslb} ${problem.host} ${problem.reason}`;
      current.add(key);
      if (!this.reported.has(key))
        this.logger.warn(
          { ...problem, code: 'MERIDIAN_ERR_GSLB' },
          `Gslb ${problem.gslb}: ${problem.host}: ${problem.reason}`,
        );
    }
    this.reported = current;
  }
}
