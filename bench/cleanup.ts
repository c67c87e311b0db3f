/**
 * Undo steps (stop a server, remove a directory) registered as resources are
 * made, and run in reverse order when a scope ends, whether it ended by
 * returning, by throwing or by a signal, so that no child or temp dir outlives
 * the bench.
 */

type Task = { readonly what: string; readonly undo: () => unknown };

/** A last-in, first-out list of undo steps. */
export class Cleanup {
  private readonly tasks: Task[] = [];

  /** Registers `undo`, to run when the scope ends. */
  defer(what: string, undo: () => unknown): void {
    this.tasks.push({ what, undo });
  }

  /** Runs every registered step once, newest first; a failing step is reported, not fatal. */
  async run(): Promise<void> {
    for (let task = this.tasks.pop(); task !== undefined; task = this.tasks.pop()) {
      try {
        await task.undo();
      } catch (err) {
        process.stderr.write(`bench: cleanup "${task.what}" failed: ${String(err)}\n`);
      }
    }
  }
}

const active = new Set<Cleanup>();

/** Runs `body` with a fresh Cleanup that always runs afterwards. */
export async function withCleanup<T>(body: (cleanup: Cleanup) => Promise<T>): Promise<T> {
  const cleanup = new Cleanup();
  active.add(cleanup);
  try {
    return await body(cleanup);
  } finally {
    active.delete(cleanup);
    await cleanup.run();
  }
}

/** On SIGINT/SIGTERM, runs every open scope's cleanup (innermost first), then exits. */
export function cleanUpOnSignals(): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`bench: ${signal}: stopping children and removing temp dirs\n`);
    const scopes = [...active].reverse();
    void (async () => {
      for (const scope of scopes) await scope.run();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    })();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
