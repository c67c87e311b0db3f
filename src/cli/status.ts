/**
 * `meridian status [--server URL] [--token-file PATH] [--json] [--watch]
 * [--interval SECONDS]`: every Gslb with its hosts, strategy, each cluster's
 * state and what is served now, with the last change, read page by page
 * from /v1/status. `--watch` prints it again every interval until
 * interrupted. At most MAX_PAGES pages are read, so that a status is bounded
 * whatever the table holds.
 */
import { parseArgs } from 'node:util';
import {
  adminTarget,
  CliError,
  errorOf,
  getAdmin,
  type AdminTarget,
  type CliIo,
} from './admin-client';

/** Pages of 500 Gslbs read at most: 50,000 Gslbs. */
export const MAX_PAGES = 100;
/** Seconds between two prints of `--watch` unless `--interval` says otherwise. */
export const WATCH_INTERVAL_SECONDS = 2;

interface PeerState {
  readonly geoTag: string;
  readonly state?: string;
  readonly lastSuccess?: string | null;
  readonly failedPolls?: number;
  readonly lastError?: string | null;
  readonly answeredHosts?: number;
  readonly role?: string;
  readonly healthyHosts?: number;
  readonly hosts?: number;
}

interface HostState {
  readonly host: string;
  readonly localHealthy: boolean;
  readonly served: { readonly A: readonly string[]; readonly AAAA: readonly string[] };
  readonly lastChange: {
    readonly time: string;
    readonly type: string;
    readonly before: readonly string[];
    readonly after: readonly string[];
    readonly causes: readonly string[];
  } | null;
}

interface GslbState {
  readonly id: string;
  readonly strategy: string;
  readonly ttlSeconds: number;
  readonly clusters: readonly PeerState[];
  readonly hosts: readonly HostState[];
}

/** This cluster's delegation in one parent zone, when Meridian writes it. */
interface DelegationState {
  readonly zone: string;
  readonly parent: string;
  readonly nameServer: string;
  readonly state: string;
  readonly lastWritten: string | null;
  readonly lastError: string | null;
}

/** The whole status, every page joined. */
export interface StatusReport {
  readonly table: { readonly generation: number; readonly serial: number };
  readonly geoTag: string;
  readonly delegation?: readonly DelegationState[];
  readonly peers: readonly PeerState[];
  readonly total: number;
  readonly gslbs: readonly GslbState[];
}

export const STATUS_USAGE =
  'Usage: meridian status [--server URL] [--token-file PATH] [--json] [--watch] [--interval SECONDS]\n';

/** Runs `status` with the arguments after the command; resolves to the exit status. */
export async function runStatus(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      server: { type: 'string' },
      'token-file': { type: 'string' },
      json: { type: 'boolean' },
      watch: { type: 'boolean' },
      interval: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new CliError(`status takes no NAME\n${STATUS_USAGE}`);
  const interval = Number(values.interval ?? WATCH_INTERVAL_SECONDS);
  if (!Number.isFinite(interval) || interval < 0.2 || interval > 3600)
    throw new CliError('--interval must be a number of seconds from 0.2 to 3600');
  const target = await adminTarget(values, io);
  const print = async (): Promise<void> => {
    const report = await readStatus(target, io);
    io.write(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
  };
  await print();
  while (values.watch === true && !io.signal.aborted) {
    await io.sleep(interval * 1000, io.signal);
    if (io.signal.aborted) break;
    // A screen refresh: clear, then the new status.
    if (values.json !== true) io.write('\u001b[2J\u001b[H');
    await print();
  }
  return 0;
}

/** Every page of /v1/status. */
export async function readStatus(target: AdminTarget, io: CliIo): Promise<StatusReport> {
  let after: string | null = null;
  let first: StatusReport | null = null;
  const gslbs: GslbState[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ limit: '500' });
    if (after !== null) query.set('after', after);
    const response = await getAdmin(target, `/v1/status?${query.toString()}`, io);
    if (response.status !== 200) throw new CliError(errorOf(response));
    const body = response.body as StatusReport & { readonly next: string | null };
    first ??= body;
    gslbs.push(...body.gslbs);
    after = body.next;
    if (after === null) break;
  }
  return { ...first!, gslbs };
}

/** The status as a short table of text. */
export function formatStatus(report: StatusReport): string {
  const lines = [
    `cluster ${report.geoTag}: ${report.total} Gslbs; table generation ${report.table.generation}, serial ${report.table.serial}`,
  ];
  for (const peer of report.peers) lines.push(`  peer ${peerLine(peer)}`);
  for (const zone of report.delegation ?? []) lines.push(`  ${delegationLine(zone)}`);
  if (report.gslbs.length < report.total)
    lines.push(`  (${report.total - report.gslbs.length} more Gslbs not shown)`);
  for (const gslb of report.gslbs) {
    lines.push(`${gslb.id}  ${gslb.strategy}  TTL ${gslb.ttlSeconds}s`);
    lines.push(`  clusters: ${gslb.clusters.map(clusterOf).join('; ')}`);
    for (const host of gslb.hosts) lines.push(...hostLines(host));
  }
  return `${lines.join('\n')}\n`;
}

function delegationLine(zone: DelegationState): string {
  const where = `delegation of ${zone.zone} in ${zone.parent} (${zone.nameServer})`;
  if (zone.state === 'written') return `${where}: written, last ${zone.lastWritten ?? 'unknown'}`;
  return `${where}: ${zone.state}${zone.lastError === null ? '' : `, last error: ${zone.lastError}`}`;
}

function peerLine(peer: PeerState): string {
  const since =
    peer.lastSuccess === null || peer.lastSuccess === undefined
      ? 'never answered'
      : peer.lastSuccess;
  if (peer.state === 'up') return `${peer.geoTag} up (last answer ${since})`;
  const error =
    peer.lastError === null || peer.lastError === undefined
      ? ''
      : `, last error: ${peer.lastError}`;
  return `${peer.geoTag} ${peer.state ?? 'unknown'} since after ${since} (${peer.failedPolls ?? 0} failed polls${error})`;
}

function clusterOf(cluster: PeerState): string {
  if (cluster.role === 'local')
    return `${cluster.geoTag} (local) ${cluster.healthyHosts ?? 0}/${cluster.hosts ?? 0} hosts healthy`;
  return `${cluster.geoTag} (peer) ${cluster.state ?? 'unknown'}, targets for ${cluster.answeredHosts ?? 0} hosts`;
}

function hostLines(host: HostState): string[] {
  const served = [
    ...(host.served.A.length > 0 ? [`A ${host.served.A.join(', ')}`] : []),
    ...(host.served.AAAA.length > 0 ? [`AAAA ${host.served.AAAA.join(', ')}`] : []),
  ];
  const lines = [
    `  ${host.host}  ${served.length === 0 ? 'serves nothing' : served.join('; ')}${host.localHealthy ? '' : '  (not healthy here)'}`,
  ];
  const last = host.lastChange;
  if (last !== null)
    lines.push(
      `    last change ${last.time} ${last.type}: ${last.before.join(', ') || '(none)'} → ${last.after.join(', ') || '(none)'} (${last.causes.join(', ')})`,
    );
  return lines;
}
