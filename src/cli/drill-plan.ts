/**
 * What a drill needs to know before it touches anything, read from every
 * cluster's admin listener: which cluster each listener is (and its Meridian
 * version and table), the Gslb's host, TTL and generation, and which cluster
 * each served address belongs to. The drill refuses here, with nothing
 * drained, when it could not tell the drained cluster's answers from the
 * others' or when no other cluster would serve the host.
 */
import {
  CliError,
  errorOf,
  explainPath,
  getAdmin,
  type AdminTarget,
  type CliIo,
} from './admin-client';
import { readStatus, type StatusReport } from './status';

/** One cluster as its admin listener describes itself. */
export interface DrillCluster {
  readonly geoTag: string;
  readonly admin: string;
  readonly version: string | null;
  readonly table: { readonly generation: number; readonly serial: number } | null;
  /** The Gslb's metadata.generation and resourceVersion as this cluster last read it. */
  readonly gslbGeneration: number | null;
  readonly gslbResourceVersion: string | null;
  /** Its own targets of the host, of the type drilled. */
  readonly targets: readonly string[];
}

/** The drill's subject and what the clusters said of it before the drain. */
export interface DrillPlan {
  readonly gslb: string;
  readonly host: string;
  readonly type: 'A' | 'AAAA';
  readonly fail: string;
  readonly strategy: string;
  readonly ttlSeconds: number;
  readonly clusters: readonly DrillCluster[];
  /** Address → the clusters reporting it (their own, or a peer's as polled). */
  readonly owners: ReadonlyMap<string, readonly string[]>;
  /** The drained cluster's targets. */
  readonly drainedTargets: readonly string[];
  /** Clusters other than the drained one that are healthy and have targets. */
  readonly standing: readonly string[];
}

/** What names the drill's subject. */
export interface PlanRequest {
  readonly gslb: string;
  readonly host: string | null;
  readonly type: 'A' | 'AAAA';
  readonly fail: string;
  readonly admins: readonly AdminTarget[];
}

interface ExplainedCluster {
  readonly geoTag: string;
  readonly role: string;
  readonly healthy: boolean;
  readonly targets: readonly string[];
  readonly gslbObject: { generation: number | null; resourceVersion: string | null };
}

/** Reads every admin listener and checks that the drill can be told apart and survived. */
export async function readPlan(request: PlanRequest, io: CliIo): Promise<DrillPlan> {
  if (request.admins.length === 0) throw new CliError('give every cluster’s --admin URL');
  const seen = await Promise.all(request.admins.map((admin) => readCluster(admin, request, io)));
  const tags = seen.map((s) => s.cluster.geoTag);
  const twice = tags.find((tag, i) => tags.indexOf(tag) !== i);
  if (twice !== undefined) throw new CliError(`two --admin URLs are cluster ${twice}`);
  const first = seen[0]!;
  const draining = seen.find((s) => s.drainPhase !== null);
  if (draining !== undefined)
    throw new CliError(
      `${request.gslb} is in drain phase ${draining.drainPhase} at ${draining.cluster.geoTag}: a drill starts from the normal state (an undrain ends one TTL after it)`,
    );
  const owners = ownersOf(seen.flatMap((s) => s.explained));
  const drainedTargets = [...owners].filter(([, tags]) => tags.includes(request.fail));
  if (drainedTargets.length === 0)
    throw new CliError(
      `no cluster reports ${request.type} targets of ${request.fail} for ${first.host}: nothing to drain (is --fail a geoTag of these clusters?)`,
    );
  const shared = drainedTargets.find(([, tags]) => tags.length > 1);
  if (shared !== undefined)
    throw new CliError(
      `${shared[0]} is a target of ${shared[1].join(' and ')}: the drill could not see ${request.fail} leave`,
    );
  const standing = [
    ...new Set(
      seen.flatMap(({ explained }) =>
        explained
          .filter((c) => c.geoTag !== request.fail && c.healthy && c.targets.length > 0)
          .map((c) => c.geoTag),
      ),
    ),
  ].sort();
  if (standing.length === 0)
    throw new CliError(
      `no cluster but ${request.fail} serves ${first.host} now: draining it would leave the host unanswered`,
    );
  return {
    gslb: request.gslb,
    host: first.host,
    type: request.type,
    fail: request.fail,
    strategy: first.strategy,
    ttlSeconds: first.ttlSeconds,
    clusters: seen.map((s) => s.cluster),
    owners,
    drainedTargets: drainedTargets.map(([address]) => address),
    standing,
  };
}

/** Address → the clusters any listener says it is a target of. */
function ownersOf(clusters: readonly ExplainedCluster[]): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  for (const cluster of clusters)
    for (const address of cluster.targets) {
      const list = owners.get(address) ?? [];
      if (!list.includes(cluster.geoTag)) list.push(cluster.geoTag);
      owners.set(address, list);
    }
  return owners;
}

interface ClusterReading {
  readonly cluster: DrillCluster;
  readonly host: string;
  readonly strategy: string;
  readonly ttlSeconds: number;
  readonly explained: readonly ExplainedCluster[];
  /** The Gslb's drain phase at this cluster, or null when it is not draining. */
  readonly drainPhase: string | null;
}

async function readCluster(
  admin: AdminTarget,
  request: PlanRequest,
  io: CliIo,
): Promise<ClusterReading> {
  const status = await readStatus(admin, io);
  const { gslb, host } = gslbAndHost(status, admin, request);
  const reply = await getAdmin(admin, explainPath(host, request.type), io);
  if (reply.status !== 200)
    throw new CliError(`explain ${host} at ${status.geoTag}: ${errorOf(reply)}`);
  const explained = clustersOf(reply.body);
  const local = explained.find((c) => c.role === 'local');
  const version = (status as { version?: unknown }).version;
  return {
    host,
    drainPhase: drainPhaseOf(reply.body),
    strategy: gslb.strategy,
    ttlSeconds: gslb.ttlSeconds,
    explained,
    cluster: {
      geoTag: status.geoTag,
      admin: admin.server,
      version: typeof version === 'string' ? version : null,
      table: status.table,
      gslbGeneration: local?.gslbObject.generation ?? null,
      gslbResourceVersion: local?.gslbObject.resourceVersion ?? null,
      targets: local?.targets ?? [],
    },
  };
}

function gslbAndHost(
  status: StatusReport,
  admin: AdminTarget,
  request: PlanRequest,
): { gslb: StatusReport['gslbs'][number]; host: string } {
  const gslb = status.gslbs.find((g) => g.id === request.gslb);
  if (gslb === undefined)
    throw new CliError(`cluster ${status.geoTag} (${admin.server}) serves no Gslb ${request.gslb}`);
  const hosts = gslb.hosts.map((h) => h.host);
  const host = request.host ?? hosts[0];
  if (host === undefined || !hosts.includes(host))
    throw new CliError(
      `Gslb ${request.gslb} at ${status.geoTag} has no host ${host ?? ''} (it has ${hosts.join(', ') || 'none'})`,
    );
  return { gslb, host };
}

/** The drain phase an explanation shows, or null when the Gslb is not draining. */
function drainPhaseOf(body: unknown): string | null {
  const drain = (body as { drain?: { phase?: unknown } | null } | null)?.drain;
  if (drain === null || drain === undefined) return null;
  return typeof drain.phase === 'string' ? drain.phase : 'unknown';
}

/** The clusters of an explanation, read loosely (another version may add or drop fields). */
function clustersOf(body: unknown): ExplainedCluster[] {
  const clusters = (body as { clusters?: unknown } | null)?.clusters;
  if (!Array.isArray(clusters)) return [];
  return clusters.flatMap((raw: unknown) => {
    const c = raw as Record<string, unknown> | null;
    if (typeof c?.['geoTag'] !== 'string') return [];
    const targets = Array.isArray(c['targets'])
      ? (c['targets'] as unknown[]).filter((t): t is string => typeof t === 'string')
      : [];
    const object = ((c['source'] as { provenance?: { gslb?: unknown } } | undefined)?.provenance
      ?.gslb ?? {}) as { generation?: unknown; resourceVersion?: unknown };
    return [
      {
        geoTag: c['geoTag'],
        role: typeof c['role'] === 'string' ? c['role'] : 'peer',
        healthy: c['healthy'] === true,
        targets,
        gslbObject: {
          generation: typeof object.generation === 'number' ? object.generation : null,
          resourceVersion:
            typeof object.resourceVersion === 'string' ? object.resourceVersion : null,
        },
      },
    ];
  });
}

/** A cluster's decision records of the host during the drill, or why they are missing. */
export interface ClusterDecisions {
  readonly geoTag: string;
  readonly records: readonly DrillDecision[];
  readonly error?: string;
}

/** A decision record as the report keeps it: the fields it reads, and the record whole. */
export interface DrillDecision {
  readonly time: string;
  readonly before: readonly string[];
  readonly after: readonly string[];
  readonly ttl: { readonly before: number; readonly after: number } | null;
  readonly causes: readonly { readonly kind: string; readonly requestedBy: string | null }[];
  readonly record: unknown;
}

/** Each cluster's records of `host` from `sinceMs` on (its explain history), oldest first. */
export async function readDecisions(
  plan: DrillPlan,
  admins: readonly AdminTarget[],
  sinceMs: number,
  io: CliIo,
): Promise<ClusterDecisions[]> {
  const path = explainPath(plan.host, plan.type);
  return Promise.all(
    admins.map(async (admin, i) => {
      const geoTag = plan.clusters[i]?.geoTag ?? admin.server;
      try {
        const reply = await getAdmin(admin, path, io);
        if (reply.status !== 200) return { geoTag, records: [], error: errorOf(reply) };
        const history = (reply.body as { history?: unknown } | null)?.history;
        const records = (Array.isArray(history) ? history : [])
          .map(decisionOf)
          .filter((r): r is DrillDecision => r !== null && Date.parse(r.time) >= sinceMs)
          .sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
        return { geoTag, records };
      } catch (err) {
        return { geoTag, records: [], error: (err as Error).message };
      }
    }),
  );
}

function decisionOf(raw: unknown): DrillDecision | null {
  const r = raw as Record<string, unknown> | null;
  if (typeof r?.['time'] !== 'string' || Number.isNaN(Date.parse(r['time']))) return null;
  const addresses = (targets: unknown): string[] =>
    Array.isArray(targets)
      ? targets.flatMap((t: unknown) => {
          const address = (t as { address?: unknown } | null)?.address;
          return typeof address === 'string' ? [address] : [];
        })
      : [];
  const ttl = r['ttl'] as { before?: unknown; after?: unknown } | undefined;
  const causes = Array.isArray(r['causes']) ? (r['causes'] as unknown[]) : [];
  return {
    time: r['time'],
    before: addresses(r['before']),
    after: addresses(r['after']),
    ttl:
      typeof ttl?.before === 'number' && typeof ttl.after === 'number'
        ? { before: ttl.before, after: ttl.after }
        : null,
    causes: causes.flatMap((c: unknown) => {
      const cause = c as { kind?: unknown; requestedBy?: unknown } | null;
      if (typeof cause?.kind !== 'string') return [];
      const by = cause.requestedBy;
      return [{ kind: cause.kind, requestedBy: typeof by === 'string' ? by : null }];
    }),
    record: raw,
  };
}
