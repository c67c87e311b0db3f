/**
 * The client commands of the `meridian` binary, which read a running
 * Meridian's admin listener: `explain` and `status`. Installed as
 * `kubectl-meridian` the same binary is a kubectl plugin (`kubectl meridian
 * status`): kubectl runs it with the words after `meridian`, so under that
 * name every invocation is a client command, never the server.
 */
import { basename } from 'node:path';
import { CliError, type CliIo } from './admin-client';
import { DRAIN_USAGE, runDrain, runUndrain } from './drain';
import { DRILL_USAGE, runDrill } from './drill';
import { EXPLAIN_USAGE, runExplain } from './explain';
import { runStatus, STATUS_USAGE } from './status';

/** The commands and how each runs. */
const COMMANDS: Readonly<Record<string, (args: readonly string[], io: CliIo) => Promise<number>>> =
  {
    explain: runExplain,
    status: runStatus,
    drain: runDrain,
    undrain: runUndrain,
    drill: runDrill,
  };

const EXIT_USAGE = 2;

/** The client command of `argv` (process.argv), or null: run the server. */
export function adminCommandOf(argv: readonly string[]): readonly string[] | null {
  const plugin = /^kubectl-meridian(\.js)?$/.test(basename(argv[1] ?? ''));
  const args = argv.slice(2);
  if (plugin) return args;
  return args[0] !== undefined && args[0] in COMMANDS ? args : null;
}

/** Runs a client command; resolves to the exit status (0, 1 on a failure, 2 on a usage error). */
export async function runAdminCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [name = '', ...rest] = args;
  const command = COMMANDS[name];
  if (command === undefined || rest.includes('--help') || rest.includes('-h'))
    return usage(name, command !== undefined, io);
  try {
    return await command(rest, io);
  } catch (err) {
    if (err instanceof CliError) {
      io.writeError(`meridian ${name}: ${err.message}\n`);
      return 1;
    }
    // parseArgs refuses unknown options and missing values with ERR_PARSE_ARGS_* codes.
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) throw err;
    io.writeError(
      `meridian ${name}: ${(err as Error).message}\n${EXPLAIN_USAGE}${STATUS_USAGE}${DRAIN_USAGE}${DRILL_USAGE}`,
    );
    return EXIT_USAGE;
  }
}

/** Help asked for (exit 0), or no or an unknown command (exit 2). */
function usage(name: string, known: boolean, io: CliIo): number {
  const text = `${EXPLAIN_USAGE}${STATUS_USAGE}${DRAIN_USAGE}${DRILL_USAGE}`;
  if (known || name === '--help' || name === '-h') {
    io.write(text);
    return 0;
  }
  io.writeError(
    `${name === '' ? '' : `meridian: unknown command ${JSON.stringify(name)}\n`}${text}`,
  );
  return EXIT_USAGE;
}
