/**
 * `meridian drill`: a failover test that writes its own evidence. It reads
 * every cluster's admin listener, samples what each listed DNS server
 * answers, drains one cluster for one Gslb (as `meridian drain` does),
 * measures how long each server takes to stop naming it, holds, undrains,
 * measures the return, and writes the report as JSON, Markdown and an SVG
 * timeline (docs/drill.md). An interrupt or a lost connection ends the drill
 * early, never with the cluster left drained, and the partial report says so.
 */
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import type { DnsServer } from '../peers/dns-client';
import {
  adminTarget,
  CliError,
  explainPath,
  getAdmin,
  type AdminTarget,
  type CliIo,
} from './admin-client';
import { drainSwitchOf, namespacedName, type DrainSwitch } from './drain';
import { formatDrillMarkdown } from './drill-markdown';
import { readDecisions, readPlan, type DrillPlan } from './drill-plan';
import { buildReport, type DrillReport } from './drill-report';
import { POLL_MS, runDrillSteps } from './drill-run';
import { drawTimeline } from './drill-timeline';

export const DRILL_USAGE = `Usage: meridian drill --gslb NAMESPACE/NAME --fail GEOTAG --servers IP[:PORT],… --admin URL,…
         [--host NAME] [--type A|AAAA] [--hold 60s] [--objective 90s] [--report DIR]
         [--kubeconfig PATH | --manifest FILE] [--by NAME] [--token-file PATH]
  Drains cluster GEOTAG for the Gslb (through --kubeconfig, which must reach that cluster), asks every
  server every ${POLL_MS} ms until none names it, holds, undrains, measures the return, and writes
  drill-report.json, .md and .svg to DIR. Exit status 0 when the drill passed its objective.
`;

/** Bounds of the flags, so that a drill is bounded in time and in rate. */
const MAX_SERVERS = 32;
const MAX_ADMINS = 16;
const MAX_SECONDS = 3_600;
/** How long the drained cluster's Meridian may take to show the drain before the drill gives up. */
const CONFIRM_MS = 10_000;
const CONFIRM_EVERY_MS = 250;

/** Runs `drill` with the arguments after the command; resolves to the exit status. */
export async function runDrill(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      gslb: { type: 'string' },
      fail: { type: 'string' },
      servers: { type: 'string' },
      admin: { type: 'string' },
      host: { type: 'string' },
      type: { type: 'string' },
      hold: { type: 'string' },
      objective: { type: 'string' },
      report: { type: 'string' },
      kubeconfig: { type: 'string' },
      manifest: { type: 'string' },
      by: { type: 'string' },
      'token-file': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0)
    throw new CliError(`drill takes no positional argument\n${DRILL_USAGE}`);
  const { gslb, fail, type, servers, holdMs, objectiveMs } = checkedFlags(values);
  const admins = await adminsOf(required(values.admin, '--admin URL,…'), values['token-file'], io);
  const query = io.query;
  if (query === undefined) throw new CliError('no DNS client in this build');
  const plan = await readPlan({ gslb, host: values.host ?? null, type, fail, admins }, io);
  const requestedBy = values.by ?? io.userName ?? 'unknown';
  const inner = await drainSwitchOf({ ...values, gslb, by: requestedBy }, io);
  const drainSwitch = confirmed(inner, plan, admins, io);
  io.write(
    `drill: ${fail} out of ${plan.host} (${plan.strategy}, TTL ${plan.ttlSeconds} s); standing: ${plan.standing.join(', ')}; ${servers.length} servers\n`,
  );
  const run = await runDrillSteps(
    {
      servers,
      host: plan.host,
      type,
      fail,
      clustersOf: (address) => plan.owners.get(address) ?? [],
      holdMs,
      objectiveMs,
      drainSwitch,
      query,
      say: (line) => io.write(`drill: ${line}\n`),
    },
    io,
  );
  // After an interrupt the listeners are still read: the evidence matters most then.
  const evidenceIo: CliIo = { ...io, signal: new AbortController().signal };
  const decisions = await readDecisions(plan, admins, run.marks.startedAt - 1_000, evidenceIo);
  const report = buildReport({
    plan,
    run,
    decisions,
    drainedVia: drainSwitch.describe,
    requestedBy,
    objectiveMs,
    holdMs,
    pollMs: POLL_MS,
  });
  const dir = values.report ?? `meridian-drill-${compactTime(run.marks.startedAt)}`;
  await writeReport(dir, report, io);
  io.write(`${report.summary}\ndrill: report in ${dir}/drill-report.md\n`);
  return report.outcome === 'pass' ? 0 : 1;
}

interface CheckedFlags {
  readonly gslb: string;
  readonly fail: string;
  readonly type: 'A' | 'AAAA';
  readonly servers: DnsServer[];
  readonly holdMs: number;
  readonly objectiveMs: number;
}

function checkedFlags(
  values: Readonly<Record<string, string | boolean | undefined>>,
): CheckedFlags {
  const text = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const gslb = required(text('gslb'), '--gslb NAMESPACE/NAME');
  namespacedName(gslb, '--gslb');
  const type = text('type') ?? 'A';
  if (type !== 'A' && type !== 'AAAA') throw new CliError('--type must be A or AAAA');
  return {
    gslb,
    fail: required(text('fail'), '--fail GEOTAG'),
    type,
    servers: serversOf(required(text('servers'), '--servers IP[:PORT],…')),
    holdMs: durationMs(text('hold') ?? '60s', '--hold', 0),
    objectiveMs: durationMs(text('objective') ?? '90s', '--objective', 1),
  };
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new CliError(`give ${flag}\n${DRILL_USAGE}`);
  return value;
}

/** `IP[:PORT]` or `[IPv6]:PORT`, comma separated; port 53 unless given. */
export function serversOf(list: string): DnsServer[] {
  const servers = list.split(',').map((item) => {
    const text = item.trim();
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
    const plain = /^([^:]+)(?::(\d+))?$/.exec(text);
    const [host, port] = bracketed
      ? [bracketed[1]!, bracketed[2]]
      : plain
        ? [plain[1]!, plain[2]]
        : [text, undefined];
    const portNumber = Number(port ?? '53');
    if (isIP(host) === 0 || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65_535)
      throw new CliError(`--servers: ${JSON.stringify(text)} is no IP[:PORT] (e.g. 10.0.0.53:53)`);
    return { host, port: portNumber };
  });
  if (servers.length > MAX_SERVERS) throw new CliError(`--servers: at most ${MAX_SERVERS}`);
  return servers;
}

/** `90s`, `2m` or a number of seconds, from `min` to an hour, in ms. */
export function durationMs(text: string, flag: string, min: number): number {
  const match = /^(\d+(?:\.\d+)?)(s|m)?$/.exec(text.trim());
  const value = match === null ? NaN : Number(match[1]) * (match[2] === 'm' ? 60 : 1);
  if (!(value >= min && value <= MAX_SECONDS))
    throw new CliError(`${flag} must be from ${min} s to ${MAX_SECONDS} s (e.g. 60s or 2m)`);
  return value * 1000;
}

async function adminsOf(
  list: string,
  tokenFile: string | undefined,
  io: CliIo,
): Promise<AdminTarget[]> {
  const urls = list.split(',').map((url) => url.trim());
  if (urls.length > MAX_ADMINS) throw new CliError(`--admin: at most ${MAX_ADMINS}`);
  return Promise.all(urls.map((server) => adminTarget({ server, 'token-file': tokenFile }, io)));
}

/**
 * The drain, confirmed by the drained cluster's own Meridian: a kubeconfig
 * of the wrong cluster would drain the wrong one, and the drill would time
 * the wrong thing. Unconfirmed, the set fails and the drill undrains.
 */
function confirmed(
  inner: DrainSwitch,
  plan: DrillPlan,
  admins: readonly AdminTarget[],
  io: CliIo,
): DrainSwitch {
  const index = plan.clusters.findIndex((c) => c.geoTag === plan.fail);
  const admin = admins[index];
  if (admin === undefined) return inner;
  const now = io.now ?? Date.now;
  const path = explainPath(plan.host, plan.type);
  return {
    describe: inner.describe,
    async set(drainedAt) {
      await inner.set(drainedAt);
      if (drainedAt === null) return;
      const deadline = now() + CONFIRM_MS;
      while (now() < deadline && !io.signal.aborted) {
        const reply = await getAdmin(admin, path, io).catch(() => null);
        const drain = (reply?.body as { drain?: unknown } | null | undefined)?.drain;
        if (drain !== null && drain !== undefined) return;
        await io.sleep(CONFIRM_EVERY_MS, io.signal);
      }
      throw new CliError(
        `${inner.describe} was drained, but ${plan.fail}'s Meridian (${admin.server}) does not show it: does --kubeconfig reach ${plan.fail}?`,
      );
    },
  };
}

async function writeReport(dir: string, report: DrillReport, io: CliIo): Promise<void> {
  const write = io.writeFile;
  if (write === undefined) throw new CliError('no file writing in this build');
  try {
    await write(`${dir}/drill-report.json`, `${JSON.stringify(report, null, 2)}\n`);
    await write(`${dir}/drill-report.svg`, drawTimeline(report));
    await write(`${dir}/drill-report.md`, formatDrillMarkdown(report, 'drill-report.svg'));
  } catch (err) {
    throw new CliError(`cannot write the report to ${dir}: ${(err as Error).message}`);
  }
}

function compactTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}
