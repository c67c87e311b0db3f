/**
 * Short-lived client commands (dnsperf, dig, taskset) with a time limit and
 * unbounded output: dnsperf -v prints a line per query, more than the
 * 256 KiB the test helpers' startChild keeps.
 */
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();

/** What a finished command printed. */
export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command`; rejects on a non-zero exit or after `timeoutMs` (then SIGKILLs it). */
export function runCommand(
  command: string,
  args: string[],
  timeoutMs: number,
): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      {
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 1024 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        running.delete(child);
        if (err === null) resolve({ stdout, stderr });
        else
          reject(
            new Error(
              `${command} ${args.join(' ')} failed: ${err.message}\n${tail(stdout + stderr)}`,
            ),
          );
      },
    );
    running.add(child);
  });
}

/** Kills commands still running (used when the bench stops early). */
export function killRunningCommands(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** True when `command` is on PATH. */
export function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/** The last lines of `text`, for error messages. */
export function tail(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
