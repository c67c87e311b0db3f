/**
 * Reads every setting once, validates it, and returns a frozen Config, or
 * throws one ConfigError listing every problem found. Never reads
 * process.env itself: the caller passes the environment in.
 */
import { isIP } from 'node:net';
import { MeridianError } from '../errors';
import { parseAddressList } from '../gslb/gslb-spec';
import { DEFAULT_TTL_SECONDS, type ZoneSpec } from '../table/model';
import { SETTINGS } from './spec';

/** HOST:PORT for a TCP or UDP listener. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Where the gRPC server listens. */
export type GrpcListen =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

/** Files for gRPC TLS; clientCaFile set means mutual TLS. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile: string | null;
}

/** A peer cluster given explicitly (MERIDIAN_PEERS) instead of discovered. */
export interface StaticPeer {
  readonly geoTag: string;
  /** Its DNS servers, tried in this order. */
  readonly servers: readonly HostPort[];
}

/** The geoip strategy's database, if any. */
export interface GeoIpSettings {
  /** The MaxMind DB file; null: geoip answers every healthy target. */
  readonly databasePath: string | null;
  readonly fields: readonly string[];
  readonly checkIntervalMs: number;
}

/** How peers are found and polled. */
export interface PeerSettings {
  /** MERIDIAN_PEERS; null means the peers are discovered through the edge DNS. */
  readonly staticPeers: readonly StaticPeer[] | null;
  /** Port of discovered peers' DNS servers. */
  readonly port: number;
  readonly discoveryIntervalMs: number;
  readonly pollIntervalMs: number;
  readonly queryTimeoutMs: number;
  readonly maxInFlight: number;
  /** Consecutive failed polls that make a peer down. */
  readonly downAfter: number;
  /** Consecutive answered polls that make a down peer up. */
  readonly upAfter: number;
}

/** Log levels pino knows. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

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
  /** EDGE_DNS_SERVERS as `IP` or `IP:PORT`. */
  readonly edgeDnsServers: readonly string[];
  readonly reconcileIntervalMs: number;
  /** Namespace of the writer Lease. */
  readonly podNamespace: string;
  /** Identity in the writer Lease; '' means host name and pid (filled in by the caller). */
  readonly podName: string;
  readonly grpcListen: GrpcListen;
  readonly grpcTls: TlsFiles | null;
  readonly dnsListen: HostPort | null;
  readonly metricsAddress: HostPort;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly shutdownGraceMs: number;
  readonly reloadDebounceMs: number;
  readonly rescanIntervalMs: number;
  /** The default TTL of a Gslb without dnsTtlSeconds. */
  readonly defaultTtlSeconds: number;
  readonly peers: PeerSettings;
  readonly geoIp: GeoIpSettings;
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

/** Thrown by a value parser; becomes one line of the ConfigError. */
class Invalid extends Error {}

const GEOTAG = /^[A-Za-z0-9-]+$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

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
  const parse = <T>(name: string, parser: (value: string) => T, fallback: T): T => {
    const value = raw(name);
    if (value === '' && SETTINGS.find((s) => s.env === name)?.defaultValue === null)
      return fallback;
    try {
      return parser(value);
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      problems.push(`${name}=${JSON.stringify(value)}: ${err.message}`);
      return fallback;
    }
  };

  const clusterGeoTag = parse('CLUSTER_GEO_TAG', parseGeoTag, '');
  const peerGeoTags = parse('EXT_GSLB_CLUSTERS_GEO_TAGS', parseGeoTagList, [] as string[]);
  const gluePrefix = raw('GLUEA_PREFIX');
  const nsTtl = parse('NS_RECORD_TTL', integerIn(1, 2_147_483_647), 30);
  const geoTags = [...new Set([clusterGeoTag, ...peerGeoTags].filter((t) => t !== ''))];
  const zones = parse(
    'DNS_ZONES',
    (value) => parseZones(value, { gluePrefix, geoTags, nsTtl }),
    [] as ZoneSpec[],
  );
  const manifestsDir = raw('MERIDIAN_MANIFESTS_DIR');
  const kubeconfig = raw('KUBECONFIG');
  const clusterExposedIps = parse('CLUSTER_EXPOSED_IPS', parseIpList, [] as string[]);
  const edgeDnsServers = parse('EDGE_DNS_SERVERS', parseDnsServers, [] as string[]);
  const reconcileIntervalMs = parse('RECONCILE_REQUEUE_SECONDS', seconds(1, 86_400), 30_000);
  const podNamespace = parse('POD_NAMESPACE', parseLabel, 'meridian');
  const podName = raw('POD_NAME');
  const grpcListen = parse('MERIDIAN_GRPC_LISTEN', parseGrpcListen, {
    kind: 'tcp',
    host: '127.0.0.1',
    port: 9053,
  });
  const grpcTls = readTls(raw, problems);
  const dnsListenText = raw('MERIDIAN_DNS_LISTEN');
  const dnsListen = dnsListenText === '' ? null : parse('MERIDIAN_DNS_LISTEN', parseHostPort, null);
  const metricsAddress = parse('METRICS_ADDRESS', parseHostPort, { host: '0.0.0.0', port: 8080 });
  const logLevel = parse('LOG_LEVEL', parseLogLevel, 'info');
  const shutdownGraceMs = parse('MERIDIAN_SHUTDOWN_GRACE_SECONDS', seconds(0, 300), 5000);
  const reloadDebounceMs = parse('MERIDIAN_RELOAD_DEBOUNCE_MS', integerIn(0, 60_000), 100);
  const rescanIntervalMs = parse('MERIDIAN_RESCAN_SECONDS', seconds(1, 86_400), 30_000);
  const peers = readPeerSettings(parse, clusterGeoTag, problems);
  const geoIpDatabase = raw('MERIDIAN_GEOIP_DATABASE');
  const geoIp: GeoIpSettings = {
    databasePath: geoIpDatabase === '' ? null : geoIpDatabase,
    fields: parse('MERIDIAN_GEOIP_FIELDS', parseFieldList, ['datacenter']),
    checkIntervalMs: parse('MERIDIAN_GEOIP_CHECK_SECONDS', seconds(1, 3_600), 30_000),
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
    edgeDnsServers,
    reconcileIntervalMs,
    podNamespace,
    podName,
    grpcListen,
    grpcTls,
    dnsListen,
    metricsAddress,
    logLevel,
    shutdownGraceMs,
    reloadDebounceMs,
    rescanIntervalMs,
    defaultTtlSeconds: DEFAULT_TTL_SECONDS,
    peers,
    geoIp,
  });
}

type Parse = <T>(name: string, parser: (value: string) => T, fallback: T) => T;

function readPeerSettings(parse: Parse, clusterGeoTag: string, problems: string[]): PeerSettings {
  const staticPeers = parse('MERIDIAN_PEERS', parseStaticPeers, null);
  const pollIntervalMs = parse('MERIDIAN_PEER_POLL_INTERVAL_SECONDS', seconds(0.5, 3_600), 5_000);
  const queryTimeoutMs = parse('MERIDIAN_PEER_QUERY_TIMEOUT_MS', integerIn(10, 60_000), 1_500);
  // A query that may outlive the poll would be cut by the next poll's start,
  // so a slow but healthy peer would look dead: refuse the combination.
  if (queryTimeoutMs >= pollIntervalMs)
    problems.push(
      `MERIDIAN_PEER_QUERY_TIMEOUT_MS (${queryTimeoutMs}) must be below MERIDIAN_PEER_POLL_INTERVAL_SECONDS (${pollIntervalMs} ms)`,
    );
  const local = staticPeers?.find((p) => p.geoTag.toLowerCase() === clusterGeoTag.toLowerCase());
  if (local !== undefined)
    problems.push(`MERIDIAN_PEERS lists ${local.geoTag}, which is CLUSTER_GEO_TAG (this cluster)`);
  return {
    staticPeers,
    port: parse('MERIDIAN_PEER_PORT', integerIn(1, 65_535), 53),
    discoveryIntervalMs: parse('MERIDIAN_PEER_DISCOVERY_SECONDS', seconds(1, 86_400), 60_000),
    pollIntervalMs,
    queryTimeoutMs,
    maxInFlight: parse('MERIDIAN_PEER_MAX_IN_FLIGHT', integerIn(1, 65_536), 256),
    downAfter: parse('MERIDIAN_PEER_DOWN_AFTER', integerIn(1, 100), 2),
    upAfter: parse('MERIDIAN_PEER_UP_AFTER', integerIn(1, 100), 2),
  };
}

/** Parses MERIDIAN_GEOIP_FIELDS: dotted paths separated by commas or spaces. */
function parseFieldList(value: string): string[] {
  const paths = value.split(/[\s,]+/).filter((p) => p !== '');
  if (paths.length === 0) throw new Invalid('at least one field path is needed');
  const bad = paths.filter((p) => !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(p));
  if (bad.length > 0)
    throw new Invalid(`not dotted field paths: ${bad.map((p) => JSON.stringify(p)).join(', ')}`);
  return paths;
}

/** Parses MERIDIAN_PEERS, `GEOTAG=IP[:PORT],…`; '' means discovery (null). */
function parseStaticPeers(value: string): StaticPeer[] | null {
  if (value === '') return null;
  const byTag = new Map<string, HostPort[]>();
  const errors: string[] = [];
  for (const entry of value.split(',').map((e) => e.trim())) {
    const eq = entry.indexOf('=');
    const geoTag = entry.slice(0, eq).trim();
    const address = entry.slice(eq + 1).trim();
    if (eq === -1 || !GEOTAG.test(geoTag)) {
      errors.push(`${JSON.stringify(entry)} is not GEOTAG=IP[:PORT]`);
      continue;
    }
    try {
      const server = parseDnsServer(address);
      const servers = byTag.get(geoTag) ?? [];
      if (servers.some((s) => s.host === server.host && s.port === server.port))
        throw new Invalid(`${geoTag}=${address} is listed twice`);
      byTag.set(geoTag, [...servers, server]);
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      errors.push(err.message);
    }
  }
  if (errors.length > 0) throw new Invalid(errors.join('; '));
  return [...byTag].map(([geoTag, servers]) => ({ geoTag, servers }));
}

function parseGeoTag(value: string): string {
  if (!GEOTAG.test(value)) throw new Invalid(`must be letters, digits and '-'`);
  return value;
}

function parseGeoTagList(value: string): string[] {
  if (value === '') return [];
  const tags = value.split(',').map((t) => t.trim());
  const bad = tags.filter((t) => !GEOTAG.test(t));
  if (bad.length > 0)
    throw new Invalid(`geotags must be letters, digits and '-': ${bad.join(', ')}`);
  if (new Set(tags).size !== tags.length) throw new Invalid('geotags must be unique');
  return tags;
}

function parseIpList(value: string): string[] {
  try {
    return parseAddressList(value, 'expected comma-separated IP addresses');
  } catch (err) {
    throw new Invalid((err as Error).message);
  }
}

/** k8gb's `host[:port]` list, limited to IP addresses (node:dns queries servers by address). */
function parseDnsServers(value: string): string[] {
  const servers = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const server of servers) parseDnsServer(server);
  return servers;
}

/**
 * Parses one DNS server as EDGE_DNS_SERVERS writes it: `IP`, `IP:PORT`, a bare
 * IPv6 address or `[IPV6]:PORT`; the port defaults to 53. Throws an Error
 * that says what is wrong.
 */
export function parseDnsServer(server: string): HostPort {
  const [host, port] = splitServer(server);
  if (isIP(host) === 0)
    throw new Invalid(
      `${JSON.stringify(server)} is not IP or IP:PORT (use an address, not a name)`,
    );
  if (port === undefined) return { host, port: 53 };
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65_535)
    throw new Invalid(`${JSON.stringify(server)}: port must be 1-65535`);
  return { host, port: Number(port) };
}

/** Splits `IP`, `IP:PORT`, `IPV6` or `[IPV6]:PORT`; a host of '' means unreadable. */
function splitServer(server: string): [string, string | undefined] {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  if (bracketed !== null) {
    const host = bracketed[1] ?? '';
    return [isIP(host) === 6 ? host : '', bracketed[2]];
  }
  if (isIP(server) === 6) return [server, undefined];
  const parts = server.split(':');
  return parts.length > 2 ? ['', undefined] : [parts[0] ?? '', parts[1]];
}

/** A namespace name (RFC 1123 label). */
function parseLabel(value: string): string {
  if (!LABEL.test(value))
    throw new Invalid('must be a lower-case RFC 1123 label (a namespace name)');
  return value;
}

function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max) {
      throw new Invalid(`must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

function seconds(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new Invalid(`must be a number of seconds from ${min} to ${max}`);
    }
    return Math.round(n * 1000);
  };
}

function parseLogLevel(value: string): Config['logLevel'] {
  const level = LOG_LEVELS.find((l) => l === value.toLowerCase());
  if (level === undefined) throw new Invalid(`must be one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

/** Parses HOST:PORT or [IPV6]:PORT; throws Invalid. */
export function parseHostPort(value: string): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  if (match === null) throw new Invalid('must be HOST:PORT or [IPV6]:PORT');
  const host = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  if (port > 65_535) throw new Invalid('port must be from 0 to 65535');
  if (match[1] !== undefined && isIP(host) !== 6)
    throw new Invalid(`${host} is not an IPv6 address`);
  return { host, port };
}

function parseGrpcListen(value: string): GrpcListen {
  if (value.startsWith('unix:')) {
    const path = value.slice('unix:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path.startsWith('/')) throw new Invalid('unix socket path must be absolute (unix:/PATH)');
    return { kind: 'unix', path };
  }
  return { kind: 'tcp', ...parseHostPort(value) };
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

interface ZoneNaming {
  readonly gluePrefix: string;
  readonly geoTags: readonly string[];
  readonly nsTtl: number;
}

/**
 * Parses k8gb's DNS_ZONES (`parent:zone:negTTL;…`) and derives each zone's
 * name servers exactly as k8gb names its glue: `<prefix><geotag>-<zone minus
 * parent, dots as dashes>.<parent>`.
 */
export function parseZones(value: string, naming: ZoneNaming): ZoneSpec[] {
  const zones: ZoneSpec[] = [];
  const errors: string[] = [];
  for (const entry of value
    .split(';')
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    try {
      const zone = parseZoneEntry(entry, naming);
      if (zones.some((z) => z.name === zone.name)) throw new Invalid('zone listed twice');
      zones.push(zone);
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      errors.push(`"${entry}": ${err.message}`);
    }
  }
  if (errors.length > 0) throw new Invalid(errors.join('; '));
  if (zones.length === 0) throw new Invalid('at least one zone is required');
  return zones;
}

function parseZoneEntry(entry: string, naming: ZoneNaming): ZoneSpec {
  const fields = entry.split(':').map((f) => canonicalName(f.trim()));
  if (fields.length !== 3) throw new Invalid('must be PARENT:ZONE:NEGTTL');
  const [parent = '', name = '', negTtlText = ''] = fields;
  const nameError = [parent, name].map(checkName).find((e) => e !== null);
  if (nameError !== undefined) throw new Invalid(nameError);
  if (!name.endsWith(`.${parent}`)) throw new Invalid(`${name} is not inside ${parent}`);
  const negTtl = Number(negTtlText);
  if (!/^\d+$/.test(negTtlText) || negTtl > 2_147_483_647)
    throw new Invalid('NEGTTL must be a non-negative integer');
  const nameServers = naming.geoTags.map((tag) =>
    nameServerName(naming.gluePrefix, tag, name, parent),
  );
  const badNs = nameServers.map(checkName).find((e) => e !== null);
  if (badNs !== undefined) throw new Invalid(`derived name-server name ${badNs}`);
  return {
    name,
    parent,
    negativeTtlSeconds: negTtl,
    nameServers,
    nameServerTtlSeconds: naming.nsTtl,
  };
}

/**
 * The name of cluster `geoTag`'s name server for `zone` under `parent`, as
 * k8gb names its glue (k8gb-io/k8gb:controllers/resolver/ns_names.go):
 * `<prefix><geotag>-<zone minus ".<parent>", dots as dashes>.<parent>`, so
 * `cloud.example.org` under `example.org` gives `gslb-ns-eu-cloud.example.org`.
 * Lower case: DNS names are case-insensitive, and a geotag written `EU` names
 * `…-eu-…`.
 */
export function nameServerName(
  gluePrefix: string,
  geoTag: string,
  zone: string,
  parent: string,
): string {
  const dashed = zone.slice(0, -(parent.length + 1)).replaceAll('.', '-');
  return `${gluePrefix}${geoTag}-${dashed}.${parent}`.toLowerCase();
}

/** Lower-cases a DNS name and drops one trailing dot. */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Returns null when `name` is a valid host name (LDH labels, RFC 1035 limits), else why not. */
export function checkName(name: string): string | null {
  if (name === '') return 'empty name';
  if (name.length > 253) return `${name} is longer than 253 characters`;
  const bad = name.split('.').find((label) => !LABEL.test(label));
  if (bad !== undefined) return `${name} has an invalid label "${bad}"`;
  return null;
}
