/**
 * Reads every setting once, validates it, and returns a frozen Config, or
 * throws one ConfigError listing every problem found. Never reads
 * process.env itself: the caller passes the environment in. Defaults live in
 * spec.ts only.
 */
import { MeridianError } from '../errors';
import { DEFAULT_TTL_SECONDS } from '../gslb/k8gb-naming';
import type { ZoneSpec } from '../table/model';
import {
  parseDnsServers,
  parseGrpcListen,
  parseHostPort,
  type GrpcListen,
  type HostPort,
} from './host-port';
import { readDelegationSettings, type DelegationSettings } from './delegation';
import { readPeerSettings, type ParseSetting, type PeerSettings } from './peers';
import { SETTINGS } from './spec';
import {
  integerIn,
  InvalidValue,
  parseFieldList,
  parseGeoTag,
  parseGeoTagList,
  parseHostPolicy,
  parseIpList,
  parseLabel,
  parseLogLevel,
  seconds,
  type LogLevel,
} from './value-parsers';
import { parseZones } from './zones';

export type { GrpcListen, HostPort } from './host-port';
export type { PeerSettings, StaticPeer } from './peers';
export { LOG_LEVELS } from './value-parsers';

/** Files for gRPC TLS; clientCaFile set means mutual TLS. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile: string | null;
}

/** The geoip strategy's database, if any. */
export interface GeoIpSettings {
  /** The MaxMind DB file; null: geoip answers every healthy target. */
  readonly databasePath: string | null;
  readonly fields: readonly string[];
  readonly checkIntervalMs: number;
}

/** The audit file (src/audit); path null: no audit file. */
export interface AuditSettings {
  readonly path: string | null;
  /** Longest time written lines wait for an fsync; 0: after every write. */
  readonly fsyncIntervalMs: number;
  /** Size past which the file is rotated. */
  readonly maxBytes: number;
}

/** The admin listener (docs/explain.md); null listen: off. */
export interface AdminSettings {
  readonly listen: HostPort | null;
  /** MERIDIAN_ADMIN_TOKEN_FILE; null: requests need no token. */
  readonly tokenFile: string | null;
}

/** Validated configuration. */
export interface Config {
  readonly zones: readonly ZoneSpec[];
  readonly clusterGeoTag: string;
  readonly peerGeoTags: readonly string[];
  /** GLUEA_PREFIX: the start of every zone name-server name. */
  readonly gluePrefix: string;
  /** Standalone mode when non-empty; Kubernetes mode otherwise. */
  readonly manifestsDir: string;
  /** Kubernetes mode: a kubeconfig file, or null for the in-cluster service account. */
  readonly kubeconfigPath: string | null;
  /** CLUSTER_EXPOSED_IPS, canonical. */
  readonly clusterExposedIps: readonly string[];
  /** MERIDIAN_HOST_POLICY: namespace → the name suffixes it may claim; null: no policy. */
  readonly hostPolicy: ReadonlyMap<string, readonly string[]> | null;
  /** EDGE_DNS_SERVERS; empty means the system's resolvers. */
  readonly edgeDnsServers: readonly HostPort[];
  readonly reconcileIntervalMs: number;
  /** Namespace of the writer Lease. */
  readonly podNamespace: string;
  /** Identity in the writer Lease; '' means host name and pid (filled in by the caller). */
  readonly podName: string;
  /** MERIDIAN_DNS_SERVICE: the Service whose drain annotation drains the cluster; null: none. */
  readonly dnsServiceName: string | null;
  readonly grpcListen: GrpcListen;
  readonly grpcTls: TlsFiles | null;
  readonly dnsListen: HostPort | null;
  readonly metricsAddress: HostPort;
  readonly admin: AdminSettings;
  readonly logLevel: LogLevel;
  readonly shutdownGraceMs: number;
  readonly reloadDebounceMs: number;
  readonly rescanIntervalMs: number;
  /** MERIDIAN_DRAIN_TTL_SECONDS. */
  readonly drainTtlSeconds: number;
  /** The default TTL of a Gslb without dnsTtlSeconds. */
  readonly defaultTtlSeconds: number;
  readonly peers: PeerSettings;
  readonly geoIp: GeoIpSettings;
  readonly audit: AuditSettings;
  readonly delegation: DelegationSettings;
}

/** Thrown by loadConfig with every problem found. */
export class ConfigError extends MeridianError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('MERIDIAN_ERR_CONFIG', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Returns the configuration from `env`, with `overrides` (from flags) taking
 * precedence. Throws ConfigError listing every problem.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  overrides: Readonly<Record<string, string>> = {},
): Config {
  const problems: string[] = [];
  const raw = (name: string): string => {
    const spec = SETTINGS.find((s) => s.env === name);
    const value = (overrides[name] ?? env[name])?.trim();
    if (value !== undefined && (value !== '' || spec?.emptyAllowed === true)) return value;
    if (spec?.defaultValue === null) {
      problems.push(`${name} is required (${spec.help})`);
      return '';
    }
    return spec?.defaultValue ?? '';
  };
  // A setting that is missing or invalid has no value: its problem is listed
  // and loadConfig throws before any value is used, so `parse` returns
  // nothing for it rather than a stand-in that could pass for a default.
  const parse = <T>(name: string, parser: (value: string) => T): T => {
    const value = raw(name);
    if (value === '' && SETTINGS.find((s) => s.env === name)?.defaultValue === null)
      return undefined as never;
    try {
      return parser(value);
    } catch (err) {
      if (!(err instanceof InvalidValue)) throw err;
      problems.push(`${name}=${JSON.stringify(value)}: ${err.message}`);
      return undefined as never;
    }
  };

  const clusterGeoTag = parse('CLUSTER_GEO_TAG', parseGeoTag);
  const peerGeoTags = parse('EXT_GSLB_CLUSTERS_GEO_TAGS', parseGeoTagList);
  const gluePrefix = raw('GLUEA_PREFIX');
  const nsTtl = parse('NS_RECORD_TTL', integerIn(1, 2_147_483_647));
  const geoTags = [...new Set([clusterGeoTag, ...(peerGeoTags ?? [])].filter((t) => t))];
  const zones = parse('DNS_ZONES', (value) => parseZones(value, { gluePrefix, geoTags, nsTtl }));
  const manifestsDir = raw('MERIDIAN_MANIFESTS_DIR');
  const kubeconfig = raw('KUBECONFIG');
  const clusterExposedIps = parse('CLUSTER_EXPOSED_IPS', parseIpList);
  const edgeDnsServers = parse('EDGE_DNS_SERVERS', parseDnsServers);
  const hostPolicy = parse('MERIDIAN_HOST_POLICY', parseHostPolicy);
  const reconcileIntervalMs = parse('RECONCILE_REQUEUE_SECONDS', seconds(1, 86_400));
  const podNamespace = parse('POD_NAMESPACE', parseLabel);
  const podName = raw('POD_NAME');
  const grpcListen = parse('MERIDIAN_GRPC_LISTEN', parseGrpcListen);
  const grpcTls = readTls(raw, problems);
  const dnsListen = optionalHostPort('MERIDIAN_DNS_LISTEN', raw, parse);
  const metricsAddress = parse('METRICS_ADDRESS', parseHostPort);
  const admin = readAdmin(raw, parse);
  const logLevel = parse('LOG_LEVEL', parseLogLevel);
  const shutdownGraceMs = parse('MERIDIAN_SHUTDOWN_GRACE_SECONDS', seconds(0, 300));
  const reloadDebounceMs = parse('MERIDIAN_RELOAD_DEBOUNCE_MS', integerIn(0, 60_000));
  const rescanIntervalMs = parse('MERIDIAN_RESCAN_SECONDS', seconds(1, 86_400));
  const peers = readPeerSettings(parse, clusterGeoTag, problems);
  // Read here, before the problems are judged; spread into the result below.
  const lateSettings = {
    geoIp: readGeoIp(raw, parse),
    audit: readAudit(raw, parse),
    dnsServiceName: parse('MERIDIAN_DNS_SERVICE', (v) => (v === '' ? null : parseLabel(v))),
    drainTtlSeconds: parse('MERIDIAN_DRAIN_TTL_SECONDS', integerIn(1, 3_600)),
    delegation: readDelegationSettings(raw, parse, problems, manifestsDir !== ''),
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    zones,
    clusterGeoTag,
    peerGeoTags,
    gluePrefix,
    manifestsDir,
    kubeconfigPath: kubeconfig === '' ? null : kubeconfig,
    clusterExposedIps,
    hostPolicy,
    edgeDnsServers,
    reconcileIntervalMs,
    podNamespace,
    podName,
    grpcListen,
    grpcTls,
    dnsListen,
    metricsAddress,
    admin,
    logLevel,
    shutdownGraceMs,
    reloadDebounceMs,
    rescanIntervalMs,
    defaultTtlSeconds: DEFAULT_TTL_SECONDS,
    peers,
    ...lateSettings,
  });
}

const MIB = 1024 * 1024;

function readAudit(raw: (name: string) => string, parse: ParseSetting): AuditSettings {
  const path = raw('MERIDIAN_AUDIT_FILE');
  return {
    path: path === '' ? null : path,
    fsyncIntervalMs: parse('MERIDIAN_AUDIT_FSYNC_SECONDS', seconds(0, 3_600)),
    maxBytes: parse('MERIDIAN_AUDIT_MAX_MIB', integerIn(1, 1_048_576)) * MIB,
  };
}

function readGeoIp(raw: (name: string) => string, parse: ParseSetting): GeoIpSettings {
  const databasePath = raw('MERIDIAN_GEOIP_DATABASE');
  return {
    databasePath: databasePath === '' ? null : databasePath,
    fields: parse('MERIDIAN_GEOIP_FIELDS', parseFieldList),
    checkIntervalMs: parse('MERIDIAN_GEOIP_CHECK_SECONDS', seconds(1, 3_600)),
  };
}

/** A HOST:PORT setting that may be empty: off. */
function optionalHostPort(
  name: string,
  raw: (name: string) => string,
  parse: ParseSetting,
): HostPort | null {
  return raw(name) === '' ? null : parse(name, parseHostPort);
}

function readAdmin(raw: (name: string) => string, parse: ParseSetting): AdminSettings {
  const tokenFile = raw('MERIDIAN_ADMIN_TOKEN_FILE');
  return {
    listen: optionalHostPort('MERIDIAN_ADMIN_LISTEN', raw, parse),
    tokenFile: tokenFile === '' ? null : tokenFile,
  };
}

function readTls(raw: (name: string) => string, problems: string[]): TlsFiles | null {
  const certFile = raw('MERIDIAN_GRPC_TLS_CERT_FILE');
  const keyFile = raw('MERIDIAN_GRPC_TLS_KEY_FILE');
  const clientCaFile = raw('MERIDIAN_GRPC_TLS_CLIENT_CA_FILE');
  if (certFile === '' && keyFile === '') {
    if (clientCaFile !== '') {
      problems.push(
        'MERIDIAN_GRPC_TLS_CLIENT_CA_FILE needs MERIDIAN_GRPC_TLS_CERT_FILE and _KEY_FILE',
      );
    }
    return null;
  }
  if (certFile === '' || keyFile === '') {
    problems.push(
      'MERIDIAN_GRPC_TLS_CERT_FILE and MERIDIAN_GRPC_TLS_KEY_FILE must be set together',
    );
    return null;
  }
  return { certFile, keyFile, clientCaFile: clientCaFile === '' ? null : clientCaFile };
}
