#!/usr/bin/env node
/**
 * The process entry point and the only module that touches `process`: reads
 * flags and environment once, starts the app, handles signals and exit codes.
 * `meridian audit verify FILE…` runs the audit file check instead
 * (src/cli/audit-verify.ts); `meridian explain` and `meridian status` (and
 * the binary installed as `kubectl-meridian`) are client commands of src/cli.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { buildApp, type RunningApp } from './app';
import { AUDIT_USAGE, auditVerify, EXIT_NOT_CHECKED } from './cli/audit-verify';
import type { CliIo } from './cli/admin-client';
import { adminCommandOf, runAdminCommand } from './cli/admin-commands';
import { ConfigError, loadConfig } from './config/load-config';
import { SETTINGS } from './config/spec';
import { MeridianError } from './errors';
import { createDnsClient } from './peers/dns-client';
import { createLogger } from './telemetry/logger';

const EXIT_CONFIG = 2;
const EXIT_START = 1;

function usage(): string {
  const lines = SETTINGS.map((s) => {
    const flag = s.flag === null ? '' : ` (--${s.flag})`;
    const def = s.defaultValue === null ? 'required' : `default ${JSON.stringify(s.defaultValue)}`;
    return `  ${s.env}${flag}: ${s.help} [${def}]`;
  });
  return `Usage: meridian [--FLAG=VALUE ...]\n       meridian --version\n       meridian audit verify FILE…\nSettings (environment variable, flag):\n${lines.join('\n')}\n`;
}

function flagOverrides(argv: string[]): Record<string, string> | 'help' | 'version' {
  const options: Record<string, { type: 'string' } | { type: 'boolean' }> = {
    help: { type: 'boolean' },
    version: { type: 'boolean' },
  };
  for (const setting of SETTINGS)
    if (setting.flag !== null) options[setting.flag] = { type: 'string' };
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  if (values['help'] === true) return 'help';
  if (values['version'] === true) return 'version';
  const overrides: Record<string, string> = {};
  for (const setting of SETTINGS) {
    const value = setting.flag === null ? undefined : values[setting.flag];
    if (typeof value === 'string') overrides[setting.env] = value;
  }
  return overrides;
}

function packageVersion(): string {
  const text = readFileSync(join(__dirname, '..', 'package.json'), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/** One query of `meridian drill` may take this long: an answer later than that is no answer to a client. */
const DRILL_QUERY_TIMEOUT_MS = 1_000;

/** The outside world of a client command; SIGINT and SIGTERM end a `--watch`. */
function cliIo(): CliIo {
  const interrupted = new AbortController();
  const stop = (): void => interrupted.abort();
  process.once('SIGINT', stop).once('SIGTERM', stop);
  return {
    fetch,
    readFile: (path) => readFile(path, 'utf8'),
    write: (text) => process.stdout.write(text),
    writeError: (text) => process.stderr.write(text),
    sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
    signal: interrupted.signal,
    env: process.env,
    connectKube: async (kubeconfigPath) =>
      (await import('./k8s/client/kube-client.js')).createKubeApi({ kubeconfigPath }),
    // Written beside and renamed over, so that a reader never sees half a manifest.
    writeFile: async (path, text) => {
      const temporary = `${path}.meridian-${process.pid}.tmp`;
      await mkdir(dirname(path), { recursive: true });
      await writeFile(temporary, text, 'utf8');
      await rename(temporary, path);
    },
    now: Date.now,
    userName: userInfo().username,
    query: createDnsClient(DRILL_QUERY_TIMEOUT_MS),
  };
}

async function main(): Promise<void> {
  let overrides: Record<string, string> | 'help' | 'version';
  try {
    overrides = flagOverrides(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`meridian: ${(err as Error).message}\n${usage()}`);
    process.exit(EXIT_CONFIG);
  }
  if (overrides === 'help' || overrides === 'version') {
    // The version is the one meridian_build_info reports.
    const version = `meridian ${packageVersion()} (Node.js ${process.versions.node})\n`;
    process.stdout.write(overrides === 'help' ? usage() : version);
    return;
  }
  let config;
  try {
    config = loadConfig(process.env, overrides);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`meridian: ${err.code}: ${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  const logger = createLogger(config.logLevel);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const app = buildApp(config, {
    logger,
    registry,
    version: packageVersion(),
    nodeVersion: process.versions.node,
    platform: { os: process.platform, arch: process.arch },
    now: Date.now,
    instanceName: `${hostname()}-${process.pid}`,
    // Loaded only in Kubernetes mode: the client library costs start-up time
    // that standalone mode has no use for.
    connectKube: async (kubeconfigPath) =>
      (await import('./k8s/client/kube-client.js')).createKubeApi({ kubeconfigPath }),
  });
  let running: RunningApp;
  try {
    running = await app.start();
  } catch (err) {
    const code = err instanceof MeridianError ? err.code : 'MERIDIAN_ERR_INTERNAL';
    logger.fatal({ err, code }, `cannot start: ${(err as Error).message}`);
    process.exit(EXIT_START);
  }
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(EXIT_START);
    }
    signalled = true;
    logger.info({ signal }, 'signal received');
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(EXIT_START);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** `meridian audit …`: only `verify` so far. */
async function audit(args: string[]): Promise<number> {
  if (args[0] !== 'verify') {
    process.stderr.write(AUDIT_USAGE);
    return EXIT_NOT_CHECKED;
  }
  return auditVerify(args.slice(1), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
}

// A write past a file-size limit (RLIMIT_FSIZE, `ulimit -f`) raises SIGXFSZ,
// whose default action ends the process. Node itself ignores it (since 12.4),
// but an embedder or a runtime that restores default signal handling would
// not: with a handler the write fails with EFBIG, which the audit writer
// counts and recovers from (it rotates the file), and DNS goes on answering.
process.on('SIGXFSZ', () => undefined);

/** The audit check, a client command, or the server. */
async function entry(): Promise<void> {
  const args = process.argv.slice(2);
  // exitCode, not exit(): a piped report is written out before the process ends.
  if (args[0] === 'audit') {
    process.exitCode = await audit(args.slice(1));
    return;
  }
  const adminCommand = adminCommandOf(process.argv);
  if (adminCommand === null) return main();
  process.exitCode = await runAdminCommand(adminCommand, cliIo());
}

entry().catch((err: unknown) => {
  process.stderr.write(`meridian: unexpected failure: ${String(err)}\n`);
  process.exit(EXIT_START);
});
