/**
 * `GET /v1/explain`: for one host, type and client, the answer served now
 * (through the real answer path), the Gslb's strategy and parameters, every
 * cluster with its targets, health and the source of that health, why each
 * is in or out, the host's last decision records, and the table generation
 * and serial. Everything is read from memory: the served snapshot, what it
 * was built from, the decision history and the source's provenance.
 */
import { findZone } from '../dns/names';
import type { InspectedClient } from '../dns/inspect';
import { LOCAL_TARGETS_PREFIX } from '../gslb/k8gb-naming';
import type { ProbeView } from '../probes/probe-stage';
import type { DecisionRecord } from '../serving/decisions';
import type { GslbProvenance } from '../serving/provenance';
import type { TablePipeline } from '../serving/table-pipeline';
import type { GslbRecord } from '../table/model';
import type { RecordSnapshot } from '../table/snapshot';
import { answerNow, type AnswerNow } from './answer-now';
import type { DecisionHistory } from './decision-history';
import { clustersOfHost, type HostCluster } from './host-clusters';
import { judge, type ClusterVerdict, type StrategyVerdict } from './strategy-reasons';

/** What the admin endpoints read; all in memory. */
export interface AdminInputs {
  /** The served snapshot, or null before the first build. */
  readonly table: () => RecordSnapshot | null;
  readonly pipeline: Pick<TablePipeline, 'builtFrom' | 'problems' | 'drainView'>;
  readonly history: DecisionHistory;
  /** The source's provenance of a Gslb (null before the source starts, or when it cannot say). */
  readonly provenanceOf: (gslbId: string) => GslbProvenance | null;
  readonly localGeoTag: string;
  /** Meridian's version, shown by the status page. */
  readonly version?: string;
  /** This cluster's delegation in each parent zone (docs/delegation.md), for the status page. */
  readonly delegation?: () => readonly unknown[];
  /** The probes of each Gslb's targets in this cluster (docs/probes.md). */
  readonly probes?: ProbeView;
}

/** An explain request, validated. */
export interface ExplainRequest {
  /** Canonical host name. */
  readonly name: string;
  readonly type: 'A' | 'AAAA';
  readonly client: InspectedClient | null;
}

/** A JSON reply of an admin endpoint. */
export interface AdminReply {
  readonly status: number;
  readonly body: unknown;
}

/** One cluster in an explanation: its facts, its source and its verdict. */
export type ExplainedCluster = Omit<HostCluster, 'addresses' | 'unhealthyBecause'> &
  Omit<ClusterVerdict, 'geoTag'> & {
    readonly role: 'local' | 'peer';
    /** Its targets of the type asked about. */
    readonly targets: readonly string[];
  };

/** Explains the answer to `request`. */
export function explain(inputs: AdminInputs, request: ExplainRequest): AdminReply {
  const snapshot = inputs.table();
  if (snapshot === null) return notReady();
  const { answer, clientSubnet } = answerNow(snapshot, request.name, request.type, request.client);
  const built = inputs.pipeline.builtFrom();
  const entry = snapshot.names.get(request.name);
  const record = entry === undefined ? undefined : built.records.get(entry.owner);
  if (entry === undefined || record === undefined)
    return unknownHost(inputs, snapshot, request, answer);
  const provenance = inputs.provenanceOf(record.id);
  const clusters = clustersOfHost({
    record,
    host: request.name,
    peers: built.peers,
    snapshot,
    localGeoTag: inputs.localGeoTag,
    provenance,
  });
  const ofType = (address: string): boolean => address.includes(':') === (request.type === 'AAAA');
  const geo = {
    locator: built.locator,
    hasClient: clientSubnet !== null,
    match: clientSubnet === null ? null : (built.locator?.locate(clientSubnet) ?? null),
  };
  const facts = clusters.map((c) => ({
    geoTag: c.geoTag,
    healthy: c.healthy,
    addresses: c.addresses.filter(ofType),
    ...(c.unhealthyBecause === undefined ? {} : { unhealthyBecause: c.unhealthyBecause }),
  }));
  const verdict = judge(record, request.type, facts, geo);
  const servedNow = entry.served.filter(ofType);
  return {
    status: 200,
    body: {
      name: request.name,
      type: request.type,
      client: request.client,
      table: { generation: snapshot.generation, serial: snapshot.serial },
      answer,
      gslb: gslbOf(record),
      drain: inputs.pipeline.drainView.stateOf(record.id) ?? null,
      probes: probesOf(inputs.probes, record.id),
      why: verdict.summary,
      clientLocation: record.strategy === 'geoip' && clientSubnet !== null ? geo.match : undefined,
      clusters: explainedClusters(clusters, facts, verdict),
      servable: servedNow,
      consistent: consistent(verdict, servedNow, answer),
      history: historyOf(inputs.history.recordsOf(request.name), request.type),
    },
  };
}

/** Each probed target's verdict, last error and recent results, times as ISO text. */
function probesOf(view: ProbeView | undefined, id: string): unknown[] {
  const iso = (ms: number | null): string | null =>
    ms === null ? null : new Date(ms).toISOString();
  return (view?.targetsOf(id) ?? []).map((t) => ({
    address: t.address,
    type: t.type,
    port: t.port,
    host: t.host,
    verdict: t.verdict,
    lastError: t.lastError,
    lastResult: iso(t.lastMs),
    history: t.history.map((r) => ({ at: iso(r.atMs), ok: r.ok, error: r.error })),
  }));
}

/** The strategy and its parameters, as the table was built with them. */
export function gslbOf(record: GslbRecord): Record<string, unknown> {
  return {
    id: record.id,
    strategy: record.strategy,
    ttlSeconds: record.ttlSeconds,
    primaryGeoTag: record.primaryGeoTag,
    fallbackGeoTags: record.fallbackGeoTags,
    weights: record.weights,
    failOpen: record.failOpen,
  };
}

function explainedClusters(
  clusters: readonly HostCluster[],
  facts: readonly { readonly addresses: readonly string[] }[],
  verdict: StrategyVerdict,
): ExplainedCluster[] {
  return clusters.map((cluster, i) => {
    // The verdicts are in the order of the clusters: its geoTag is the cluster's.
    return {
      ...verdict.clusters[i]!,
      geoTag: cluster.geoTag,
      role: cluster.source.kind,
      targets: facts[i]?.addresses ?? [],
      healthy: cluster.healthy,
      source: cluster.source,
    };
  });
}

/**
 * True when the retelling agrees with the table: the addresses it says some
 * query can get are those the snapshot serves, and this answer is among the
 * addresses it says this client's answer is drawn from.
 */
function consistent(
  verdict: StrategyVerdict,
  servedNow: readonly string[],
  answer: AnswerNow,
): boolean {
  const same = (a: readonly string[], b: readonly string[]): boolean =>
    a.length === b.length && a.every((x) => b.includes(x));
  const drawable = new Set(verdict.forClient);
  return (
    same(verdict.servable, servedNow) && answer.addresses.every((address) => drawable.has(address))
  );
}

/** Decision records of the type asked about, newest first. */
function historyOf(records: readonly DecisionRecord[], type: 'A' | 'AAAA'): DecisionRecord[] {
  return records.filter((record) => record.type === type);
}

function notReady(): AdminReply {
  return { status: 503, body: { error: 'not ready', reason: 'the record table is not built yet' } };
}

/** 404 with what the name is, and the answer it gets. */
function unknownHost(
  inputs: AdminInputs,
  snapshot: RecordSnapshot,
  request: ExplainRequest,
  answer: AnswerNow,
): AdminReply {
  return {
    status: 404,
    body: {
      error: 'unknown host',
      name: request.name,
      reason: whyUnknown(inputs, snapshot, request.name),
      answer,
      table: { generation: snapshot.generation, serial: snapshot.serial },
    },
  };
}

function whyUnknown(inputs: AdminInputs, snapshot: RecordSnapshot, name: string): string {
  const problem = inputs.pipeline.problems().find((p) => p.host === name);
  if (problem !== undefined)
    return `Gslb ${problem.gslb} names it but it is not served: ${problem.reason}`;
  const entry = snapshot.names.get(name);
  if (entry?.apex === true) return 'the apex of a zone: SOA and NS, no Gslb';
  if (entry !== undefined && name.startsWith(LOCAL_TARGETS_PREFIX))
    return `what peers poll: this cluster's targets of ${name.slice(LOCAL_TARGETS_PREFIX.length)} while it is Healthy here; explain that host`;
  if (entry !== undefined) return 'a name between a host and its zone: NODATA, no Gslb';
  return findZone(name, snapshot.zones) === null
    ? 'outside every zone of DNS_ZONES: REFUSED'
    : 'no Gslb serves this name: NXDOMAIN';
}
