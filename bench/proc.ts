/**
 * What the bench reads about a server process from /proc, and CPU pinning.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { runCommand } from './commands';

/** Clock ticks per second, the unit of utime and stime in /proc/<pid>/stat. */
export const CLOCK_TICKS = Number(
  execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim(),
);

/** User plus system CPU seconds `pid` has used so far, all its threads included. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces, so count fields after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime))
    throw new Error(`cannot parse /proc/${pid}/stat`);
  return (utime + stime) / CLOCK_TICKS;
}

/** Resident memory of `pid` in MiB (VmRSS). */
export function residentMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match?.[1] === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/**
 * Pins every thread of the running process `pid` to `cpu`. The helpers that
 * start the servers take no command prefix, so the servers are pinned right
 * after they start rather than launched under taskset; threads made later
 * inherit the mask.
 */
export async function pinProcess(pid: number, cpu: number): Promise<void> {
  await runCommand(
    'taskset',
    ['--all-tasks', '--cpu-list', '--pid', String(cpu), String(pid)],
    10_000,
  );
}

/**
 * The pid of this process's child named `comm` whose command line holds
 * `argument`: the kube-cluster helper does not expose its processes, and
 * several control planes may run at once.
 */
export function childPid(comm: string, argument: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    let commandLine: string[];
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parent === process.pid && name === comm && commandLine.includes(argument))
      return Number(entry);
  }
  throw new Error(`no child process ${comm} with ${argument}`);
}
