/**
 * `meridian explain NAME [--type AAAA] [--client IP] [--server URL]
 * [--token-file PATH] [--json]`: asks the admin listener's /v1/explain and
 * prints the reply as a short account (or as it came, with --json). The
 * account reads the JSON loosely: a field it does not know is left out, so
 * that an older CLI still explains a newer Meridian.
 */
import { parseArgs } from 'node:util';
import { adminTarget, CliError, errorOf, explainPath, getAdmin, type CliIo } from './admin-client';

/** The parts of an explanation the account prints. */
interface Explanation {
  readonly name: string;
  readonly type: string;
  readonly client: { readonly address: string; readonly subnet: string } | null;
  readonly table: { readonly generation: number; readonly serial: number };
  readonly answer: {
    readonly rcode: string;
    readonly addresses: readonly string[];
    readonly ttl: number | null;
    readonly clientSubnetScope: number | null;
  };
  readonly gslb?: Record<string, unknown>;
  readonly why?: string;
  readonly clientLocation?: { readonly datacenter?: string } | null;
  readonly clusters?: readonly ExplainedCluster[];
  readonly history?: readonly HistoryRecord[];
  readonly probes?: readonly ProbedTarget[];
  readonly consistent?: boolean;
}

interface ProbedTarget {
  readonly address: string;
  readonly type: string;
  readonly port: number;
  readonly verdict: string;
  readonly lastError: string | null;
  readonly history?: readonly { readonly ok: boolean }[];
}

interface ExplainedCluster {
  readonly geoTag: string;
  readonly role: string;
  readonly targets: readonly string[];
  readonly inAnswer: boolean;
  readonly reason: string;
  readonly source: {
    readonly kind: string;
    readonly provenance?: Provenance | null;
    readonly peer?: {
      readonly state: string;
      readonly lastSuccess: string | null;
      readonly server: string | null;
    } | null;
    readonly answered?: {
      readonly addresses: readonly string[];
      readonly lastSuccess: string | null;
    };
  };
}

interface Provenance {
  readonly source: string;
  readonly gslb: { readonly name: string; readonly namespace?: string; readonly file?: string };
  readonly hosts: readonly {
    readonly host: string;
    readonly health: string;
    readonly detail: string;
    readonly reads: readonly {
      readonly kind: string;
      readonly namespace?: string;
      readonly name: string;
    }[];
  }[];
}

interface HistoryRecord {
  readonly time: string;
  readonly before: readonly { readonly address: string }[];
  readonly after: readonly { readonly address: string }[];
  readonly causes: readonly { readonly kind: string; readonly detail?: string }[];
}

export const EXPLAIN_USAGE =
  'Usage: meridian explain NAME [--type A|AAAA] [--client IP] [--server URL] [--token-file PATH] [--json]\n';

/** Runs `explain` with the arguments after the command; resolves to the exit status. */
export async function runExplain(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      type: { type: 'string' },
      client: { type: 'string' },
      server: { type: 'string' },
      'token-file': { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0)
    throw new CliError(`one NAME is needed\n${EXPLAIN_USAGE}`);
  const target = await adminTarget(values, io);
  const response = await getAdmin(target, explainPath(name, values.type ?? 'A', values.client), io);
  if (values.json === true) io.write(`${JSON.stringify(response.body, null, 2)}\n`);
  else if (response.status === 200) io.write(formatExplanation(response.body as Explanation));
  else if (response.status === 404) io.write(formatUnknown(response.body as UnknownHost));
  if (response.status !== 200) {
    if (values.json !== true && response.status !== 404)
      io.writeError(`meridian explain: ${errorOf(response)}\n`);
    return 1;
  }
  return 0;
}

const list = (addresses: readonly string[]): string =>
  addresses.length === 0 ? '(none)' : addresses.join(', ');

/** A 404: the name no Gslb serves, why, and the answer it gets. */
interface UnknownHost {
  readonly name: string;
  readonly reason: string;
  readonly answer: Explanation['answer'];
  readonly table: Explanation['table'];
}

/** A name no Gslb serves, in short. */
export function formatUnknown(u: UnknownHost): string {
  return [
    `${u.name}: no Gslb serves it: ${u.reason}`,
    `  answer: ${u.answer.rcode} ${list(u.answer.addresses)}`,
    `  table generation ${u.table.generation}, serial ${u.table.serial}`,
    '',
  ].join('\n');
}

/** `probe https 192.0.2.1:443: down (status 503), recent ++---` (+ passed, - failed). */
function probeLine(p: ProbedTarget): string {
  const recent = (p.history ?? []).map((r) => (r.ok ? '+' : '-')).join('');
  const error = p.lastError === null ? '' : ` (${p.lastError})`;
  return `probe ${p.type} ${p.address}:${p.port}: ${p.verdict}${error}${recent === '' ? '' : `, recent ${recent}`}`;
}

/** The explanation as a short account. */
export function formatExplanation(e: Explanation): string {
  const lines = [...answerLines(e)];
  for (const cluster of e.clusters ?? []) lines.push(...clusterLines(cluster, e.name));
  for (const probe of e.probes ?? []) lines.push(`  ${probeLine(probe)}`);
  const history = e.history ?? [];
  if (history.length > 0) lines.push('  recent changes:');
  for (const record of history.slice(0, 5)) lines.push(`    ${changeLine(record)}`);
  if (e.consistent === false)
    lines.push('  WARNING: the explanation disagrees with the served table');
  lines.push(`  table generation ${e.table.generation}, serial ${e.table.serial}`);
  return `${lines.join('\n')}\n`;
}

function answerLines(e: Explanation): string[] {
  const client =
    e.client === null
      ? 'a client without ECS'
      : `client ${e.client.address} (ECS ${e.client.subnet})`;
  const scope =
    e.answer.clientSubnetScope === null ? '' : `, ECS scope /${e.answer.clientSubnetScope}`;
  const ttl = e.answer.ttl === null ? '' : `, TTL ${e.answer.ttl}s`;
  const lines = [
    `${e.name} ${e.type} for ${client}`,
    `  answer: ${e.answer.rcode} ${list(e.answer.addresses)}${ttl}${scope}`,
  ];
  if (e.gslb !== undefined) lines.push(`  Gslb ${text(e.gslb['id'])}: ${parametersOf(e.gslb)}`);
  if (e.why !== undefined) lines.push(`  why: ${e.why}`);
  if (e.clientLocation !== undefined && e.clientLocation !== null)
    lines.push(`  client located in datacenter ${e.clientLocation.datacenter ?? '?'}`);
  return lines;
}

/** A JSON value as text: strings and numbers as they are, anything else as JSON. */
const text = (value: unknown): string =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);

function parametersOf(gslb: Record<string, unknown>): string {
  const parts = [text(gslb['strategy'])];
  if (gslb['primaryGeoTag'] !== undefined) parts.push(`primary ${text(gslb['primaryGeoTag'])}`);
  const fallbacks = gslb['fallbackGeoTags'];
  if (Array.isArray(fallbacks) && fallbacks.length > 0)
    parts.push(`fallback ${fallbacks.join(' → ')}`);
  const weights = gslb['weights'];
  if (typeof weights === 'object' && weights !== null)
    parts.push(
      `weights ${Object.entries(weights)
        .map(([tag, w]) => `${tag}=${text(w)}`)
        .join(' ')}`,
    );
  if (gslb['failOpen'] === true) parts.push('failOpen');
  parts.push(`TTL ${text(gslb['ttlSeconds'])}s`);
  return parts.join(', ');
}

function clusterLines(cluster: ExplainedCluster, host: string): string[] {
  const mark = cluster.inAnswer ? '+' : '-';
  const targets = list(cluster.targets);
  return [
    `  ${mark} ${cluster.geoTag} (${cluster.role}) ${targets}: ${cluster.reason}`,
    `      ${sourceLine(cluster.source, host)}`,
  ];
}

function sourceLine(source: ExplainedCluster['source'], host: string): string {
  if (source.kind === 'peer') return peerLine(source);
  if (source.provenance === null || source.provenance === undefined)
    return 'this cluster: its source gives no provenance';
  return provenanceLine(source.provenance, host);
}

function peerLine(source: ExplainedCluster['source']): string {
  const peer = source.peer ?? null;
  if (peer === null) return 'peer not polled yet';
  const server = peer.server === null ? '' : ` at ${peer.server}`;
  const answered = source.answered ?? { addresses: [], lastSuccess: null };
  const when = answered.lastSuccess ?? peer.lastSuccess;
  return `peer ${peer.state}${server}; answered ${list(answered.addresses)}${when === null ? '' : ` at ${when}`}`;
}

function provenanceLine(p: Provenance, host: string): string {
  const gslb = `Gslb ${p.gslb.namespace ?? ''}/${p.gslb.name}${p.gslb.file === undefined ? '' : ` (${p.gslb.file})`}`;
  const health = p.hosts.find((h) => h.host === host);
  if (health === undefined) return `${p.source}: ${gslb}`;
  const reads = health.reads.map((r) => `${r.kind} ${r.namespace ?? ''}/${r.name}`);
  return `${p.source}: ${gslb}; ${health.health}: ${health.detail}${reads.length === 0 ? '' : `; from ${reads.join(', ')}`}`;
}

function changeLine(record: HistoryRecord): string {
  const addresses = (targets: readonly { readonly address: string }[]): string =>
    list(targets.map((t) => t.address));
  const causes = record.causes.map((c) =>
    c.detail === undefined ? c.kind : `${c.kind} (${c.detail})`,
  );
  return `${record.time} ${addresses(record.before)} → ${addresses(record.after)}: ${causes.join('; ') || 'no cause recorded'}`;
}
