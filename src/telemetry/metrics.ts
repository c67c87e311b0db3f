/**
 * Every metric Meridian exports, defined once on an injected registry. Label
 * sets are closed (qtype and rcode mnemonics, transport) and pre-bound, so the
 * query path does a map lookup and an increment. The tables of docs/metrics.md
 * are kept equal to the registry by test/contract/docs-sync.test.ts.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { QTYPE_LABELS, RCODE_LABELS, qtypeName, rcodeName } from '../dns/constants';

/** How a query reached Meridian. */
export type Transport = 'grpc' | 'udp' | 'tcp';

/** Metric names, for tests and docs. */
export const METRIC_NAMES = Object.freeze({
  queries: 'meridian_dns_queries_total',
  queryDuration: 'meridian_dns_query_duration_seconds',
  badRequests: 'meridian_dns_bad_requests_total',
  grpcErrors: 'meridian_grpc_errors_total',
  tableHosts: 'meridian_table_hosts',
  tableRecords: 'meridian_table_records',
  tableGeneration: 'meridian_table_generation',
  tableSerial: 'meridian_table_serial',
  tableBuilds: 'meridian_table_builds_total',
  tableBuildDuration: 'meridian_table_build_duration_seconds',
  tableLastBuild: 'meridian_table_last_build_timestamp_seconds',
  gslbProblems: 'meridian_gslb_problems',
  internalErrors: 'meridian_internal_errors_total',
  manifestErrors: 'meridian_manifest_errors',
  ready: 'meridian_ready',
  buildInfo: 'meridian_build_info',
});

const TRANSPORTS: readonly Transport[] = ['grpc', 'udp', 'tcp'];

/** Where an internal error was caught (the loops that must never stop). */
export type InternalComponent = 'table' | 'kubernetes' | 'manifests' | 'peers';

const INTERNAL_COMPONENTS: readonly InternalComponent[] = [
  'table',
  'kubernetes',
  'manifests',
  'peers',
];

/** Point-in-time facts read when Prometheus scrapes. */
export interface TableFacts {
  hosts(): number;
  records(): number;
  generation(): number;
  serial(): number;
  ready(): boolean;
}

/** The metrics and the calls that update them. */
export interface Metrics {
  /** Counts one answered query and observes its latency. */
  recordQuery(transport: Transport, qtype: number, rcode: number, seconds: number): void;
  /** Counts a message with no readable DNS header. */
  recordBadRequest(transport: Transport): void;
  /** Counts a gRPC call answered with an error status. */
  recordGrpcError(code: string): void;
  /** Records one completed table build. */
  recordBuild(seconds: number, problems: number, nowMs: number): void;
  /** Sets the number of manifest files currently invalid. */
  setManifestErrors(count: number): void;
  /** Counts a failure no input should cause, caught so that the loop goes on. */
  recordInternalError(component: InternalComponent): void;
}

/** Defines every metric on `registry` and returns the update calls. */
export function createMetrics(
  registry: Registry,
  facts: TableFacts,
  build: { version: string; nodeVersion: string },
): Metrics {
  const registers = [registry];
  const queries = new Counter({
    name: METRIC_NAMES.queries,
    help: 'DNS queries answered, by transport, query type and response code.',
    labelNames: ['transport', 'qtype', 'rcode'] as const,
    registers,
  });
  const duration = new Histogram({
    name: METRIC_NAMES.queryDuration,
    help: 'Time to answer one query inside Meridian (decode, look up, encode), by transport.',
    labelNames: ['transport'] as const,
    buckets: [0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.005],
    registers,
  });
  const badRequests = new Counter({
    name: METRIC_NAMES.badRequests,
    help: 'Messages without a readable DNS header (gRPC INVALID_ARGUMENT, or dropped on UDP/TCP).',
    labelNames: ['transport'] as const,
    registers,
  });
  const grpcErrors = new Counter({
    name: METRIC_NAMES.grpcErrors,
    help: 'gRPC Query calls answered with a non-OK status, by status code.',
    labelNames: ['code'] as const,
    registers,
  });
  const builds = new Counter({
    name: METRIC_NAMES.tableBuilds,
    help: 'Record tables built and swapped in.',
    registers,
  });
  const buildDuration = new Histogram({
    name: METRIC_NAMES.tableBuildDuration,
    help: 'Time to build one record table.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers,
  });
  const lastBuild = new Gauge({
    name: METRIC_NAMES.tableLastBuild,
    help: 'Unix time of the last table swap.',
    registers,
  });
  const gslbProblems = new Gauge({
    name: METRIC_NAMES.gslbProblems,
    help: 'Hosts the last build could not serve as written (see the log for each).',
    registers,
  });
  const internalErrors = new Counter({
    name: METRIC_NAMES.internalErrors,
    help: 'Failures no input should cause, caught where they happened (the last table keeps serving), by component.',
    labelNames: ['component'] as const,
    registers,
  });
  for (const component of INTERNAL_COMPONENTS) internalErrors.labels(component).inc(0);
  const manifestErrors = new Gauge({
    name: METRIC_NAMES.manifestErrors,
    help: 'Standalone manifest files currently invalid (their last good content is served).',
    registers,
  });
  const pointInTime = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  };
  pointInTime(METRIC_NAMES.tableHosts, 'Host names served by Gslbs in the table.', () =>
    facts.hosts(),
  );
  pointInTime(METRIC_NAMES.tableRecords, 'A and AAAA records in the served table.', () =>
    facts.records(),
  );
  pointInTime(METRIC_NAMES.tableGeneration, 'Tables built since start.', () => facts.generation());
  pointInTime(METRIC_NAMES.tableSerial, 'SOA serial of the served table.', () => facts.serial());
  pointInTime(
    METRIC_NAMES.ready,
    '1 when ready to answer, 0 before the first table or while stopping.',
    () => (facts.ready() ? 1 : 0),
  );
  new Gauge({
    name: METRIC_NAMES.buildInfo,
    help: 'Always 1; labels carry the Meridian and Node.js versions.',
    labelNames: ['version', 'node_version'] as const,
    registers,
  }).set({ version: build.version, node_version: build.nodeVersion }, 1);

  const queryChildren = new Map<string, Counter.Internal>();
  for (const transport of TRANSPORTS) {
    badRequests.labels(transport).inc(0);
    for (const qtype of QTYPE_LABELS) {
      for (const rcode of RCODE_LABELS) {
        const child = queries.labels(transport, qtype, rcode);
        queryChildren.set(`${transport} ${qtype} ${rcode}`, child);
      }
    }
  }
  const durationChildren = new Map(TRANSPORTS.map((t) => [t, duration.labels(t)]));

  return {
    recordQuery(transport, qtype, rcode, seconds) {
      const qtypeLabel = qtype === 0 ? 'NONE' : qtypeName(qtype);
      queryChildren.get(`${transport} ${qtypeLabel} ${rcodeName(rcode)}`)?.inc();
      durationChildren.get(transport)?.observe(seconds);
    },
    recordBadRequest(transport) {
      badRequests.labels(transport).inc();
    },
    recordGrpcError(code) {
      grpcErrors.labels(code).inc();
    },
    recordBuild(seconds, problems, nowMs) {
      builds.inc();
      buildDuration.observe(seconds);
      lastBuild.set(nowMs / 1000);
      gslbProblems.set(problems);
    },
    setManifestErrors(count) {
      manifestErrors.set(count);
    },
    recordInternalError(component) {
      internalErrors.labels(component).inc();
    },
  };
}
