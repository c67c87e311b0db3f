/**
 * One row per setting: environment variable, command-line flag, default and
 * help. load-config.ts parses and validates them; the table of
 * docs/configuration.md is kept equal to this list by test/contract/docs-sync.test.ts.
 * Settings that k8gb also has keep k8gb's names and meanings.
 */

/** A configurable setting. */
export interface SettingSpec {
  readonly env: string;
  /** Long command-line flag (without `--`) that overrides the variable, if any. */
  readonly flag: string | null;
  /** Default as the user would write it; null when required. */
  readonly defaultValue: string | null;
  readonly help: string;
  /** True when setting the variable to '' means "empty", not "use the default". */
  readonly emptyAllowed?: boolean;
}

/** Every setting Meridian reads. */
export const SETTINGS: readonly SettingSpec[] = Object.freeze([
  {
    env: 'DNS_ZONES',
    flag: 'dns-zones',
    defaultValue: null,
    help: 'Load-balanced zones, k8gb format `PARENT:ZONE:NEGTTL;…` (e.g. `example.org:cloud.example.org:30`).',
  },
  {
    env: 'CLUSTER_GEO_TAG',
    flag: 'geo-tag',
    defaultValue: null,
    help: "This cluster's geotag: letters, digits and `-`.",
  },
  {
    env: 'EXT_GSLB_CLUSTERS_GEO_TAGS',
    flag: null,
    defaultValue: '',
    help: 'Comma-separated geotags of the peer clusters; with CLUSTER_GEO_TAG they name the zone NS records.',
  },
  {
    env: 'GLUEA_PREFIX',
    flag: null,
    defaultValue: 'gslb-ns-',
    help: 'Prefix of the name-server names `PREFIX<geotag>-<zone-dashed>.<parent>`; may be empty.',
    emptyAllowed: true,
  },
  {
    env: 'NS_RECORD_TTL',
    flag: null,
    defaultValue: '30',
    help: 'TTL in seconds of the apex NS records (≥ 1).',
  },
  {
    env: 'METRICS_ADDRESS',
    flag: 'metrics-address',
    defaultValue: '0.0.0.0:8080',
    help: 'HOST:PORT of the HTTP server for `/metrics`, `/healthz` and `/readyz`.',
  },
  {
    env: 'MERIDIAN_ADMIN_LISTEN',
    flag: 'admin-listen',
    defaultValue: '127.0.0.1:9054',
    help: 'HOST:PORT of the admin listener (`/v1/explain`, `/v1/status`; docs/explain.md); it reveals topology, hence loopback. Empty means off.',
    emptyAllowed: true,
  },
  {
    env: 'MERIDIAN_ADMIN_TOKEN_FILE',
    flag: null,
    defaultValue: '',
    help: 'File holding the bearer token every admin request must carry (read once at start-up, 16 characters or more); empty means no token.',
  },
  {
    env: 'LOG_LEVEL',
    flag: 'log-level',
    defaultValue: 'info',
    help: 'One of trace, debug, info, warn, error, fatal. Logs are JSON lines on standard output.',
  },
  {
    env: 'MERIDIAN_MANIFESTS_DIR',
    flag: 'manifests',
    defaultValue: '',
    help: 'Standalone mode: directory of YAML files holding `k8gb.io/v1beta1` Gslb objects; watched for changes. Empty means Kubernetes mode.',
  },
  {
    env: 'KUBECONFIG',
    flag: 'kubeconfig',
    defaultValue: '',
    help: "Kubernetes mode: kubeconfig file to use (its current context); empty means the Pod's service account.",
  },
  {
    env: 'POD_NAMESPACE',
    flag: null,
    defaultValue: 'meridian',
    help: "Kubernetes mode: Meridian's own namespace, where replicas elect the one that writes (Lease `meridian-writer`).",
  },
  {
    env: 'POD_NAME',
    flag: null,
    defaultValue: '',
    help: "Kubernetes mode: this replica's name in the writer Lease; empty means the host name and process id.",
  },
  {
    env: 'MERIDIAN_DNS_SERVICE',
    flag: null,
    defaultValue: '',
    help: "Kubernetes mode: the Service in POD_NAMESPACE that fronts this cluster's CoreDNS (the chart's `<release>-dns`); the annotation `meridian.dev/drain` on it drains the whole cluster. Empty means no cluster-wide drain.",
  },
  {
    env: 'CLUSTER_EXPOSED_IPS',
    flag: null,
    defaultValue: '',
    help: 'Comma-separated addresses to publish for every Gslb without an exposed-* annotation, instead of its Ingress, Service or Gateway status (IPv4 and IPv6).',
  },
  {
    env: 'MERIDIAN_HOST_POLICY',
    flag: null,
    defaultValue: '',
    help: 'Which namespaces may claim which host names, for clusters that segregate tenants: `NAMESPACE=SUFFIX[|SUFFIX…],…` (a host is the suffix or a name below it); a Gslb claiming another host gets `HostNotAllowed` for it. Empty means any namespace may claim any host in DNS_ZONES.',
  },
  {
    env: 'EDGE_DNS_SERVERS',
    flag: null,
    defaultValue: '',
    help: "Comma-separated `IP[:PORT]` of the edge DNS servers that resolve exposed host names; empty means the system's resolvers.",
  },
  {
    env: 'RECONCILE_REQUEUE_SECONDS',
    flag: null,
    defaultValue: '30',
    help: 'Kubernetes mode: seconds between full reconciles (exposed host names resolved again), on top of reacting to every change.',
  },
  {
    env: 'MERIDIAN_PEERS',
    flag: 'peers',
    defaultValue: '',
    help: 'Peer clusters as `GEOTAG=IP[:PORT],…` (`[IPV6]:PORT` for IPv6; a geotag may repeat for more addresses), polled instead of those found through EDGE_DNS_SERVERS; empty means discovery.',
  },
  {
    env: 'MERIDIAN_PEER_PORT',
    flag: null,
    defaultValue: '',
    help: "Port of the peers' DNS servers found through discovery (the glue records carry no port); empty means k8gb's rule: the port of the first EDGE_DNS_SERVERS entry, then the other entries' ports that are not 53, then 53 unless an entry uses it, tried in that order.",
  },
  {
    env: 'MERIDIAN_PEER_DISCOVERY_SECONDS',
    flag: null,
    defaultValue: '60',
    help: "Seconds between look-ups of the peers' name-server addresses through EDGE_DNS_SERVERS; a failed look-up keeps the last known addresses.",
  },
  {
    env: 'MERIDIAN_PEER_POLL_INTERVAL_SECONDS',
    flag: null,
    defaultValue: '5',
    help: 'Seconds between two polls of every peer for every host (`localtargets-<host>`, A and AAAA); a poll never runs longer.',
  },
  {
    env: 'MERIDIAN_PEER_QUERY_TIMEOUT_MS',
    flag: null,
    defaultValue: '1500',
    help: 'Milliseconds one DNS query to a peer or an edge server may take, TCP retry included; below the poll interval.',
  },
  {
    env: 'MERIDIAN_PEER_MAX_IN_FLIGHT',
    flag: null,
    defaultValue: '256',
    help: 'Most peer queries outstanding at once, shared equally between the peers.',
  },
  {
    env: 'MERIDIAN_PEER_DOWN_AFTER',
    flag: null,
    defaultValue: '2',
    help: 'Consecutive failed polls (no answer at all: timeout, network error, SERVFAIL, REFUSED, FORMERR) after which a peer is down and its targets are no longer served.',
  },
  {
    env: 'MERIDIAN_PEER_UP_AFTER',
    flag: null,
    defaultValue: '2',
    help: 'Consecutive answered polls after which a down peer is up again (its first answer ever brings it up at once).',
  },
  {
    env: 'MERIDIAN_PEER_STARTUP_SECONDS',
    flag: null,
    defaultValue: '',
    help: 'Longest wait at start-up, once the source has been read, for the first poll of every peer before answering (until then /readyz is 503 and gRPC health NOT_SERVING, so a restart never serves this cluster alone); empty means three poll intervals.',
  },
  {
    env: 'MERIDIAN_GEOIP_DATABASE',
    flag: 'geoip-database',
    defaultValue: '',
    help: "MaxMind-format database (k8gb's `geodatafilepath`) in which the `geoip` strategy locates clients (from EDNS Client Subnet) and targets. Read at start-up (Meridian exits if it cannot) and reloaded when the file changes; a bad replacement keeps the last good one. Empty: `geoip` answers every healthy target.",
  },
  {
    env: 'MERIDIAN_GEOIP_FIELDS',
    flag: null,
    defaultValue: 'datacenter',
    help: "Dotted record field paths naming a location, in priority order, separated by commas (k8gb's `geodatafields`, e.g. `datacenter` or `country.iso_code`); the first holding a string wins.",
  },
  {
    env: 'MERIDIAN_GEOIP_CHECK_SECONDS',
    flag: null,
    defaultValue: '30',
    help: 'Seconds between checks of the geoip database file for changes no file-system event announced (1–3600).',
  },
  {
    env: 'MERIDIAN_GRPC_LISTEN',
    flag: 'grpc-listen',
    defaultValue: '127.0.0.1:9053',
    help: 'Where CoreDNS reaches Meridian: HOST:PORT, `[IPV6]:PORT` or `unix:/PATH`.',
  },
  {
    env: 'MERIDIAN_GRPC_TLS_CERT_FILE',
    flag: null,
    defaultValue: '',
    help: 'PEM certificate chain for gRPC TLS; set together with MERIDIAN_GRPC_TLS_KEY_FILE.',
  },
  {
    env: 'MERIDIAN_GRPC_TLS_KEY_FILE',
    flag: null,
    defaultValue: '',
    help: 'PEM private key for gRPC TLS.',
  },
  {
    env: 'MERIDIAN_GRPC_TLS_CLIENT_CA_FILE',
    flag: null,
    defaultValue: '',
    help: 'PEM CA bundle; when set, clients (CoreDNS) must present a certificate it signed (mutual TLS).',
  },
  {
    env: 'MERIDIAN_DNS_LISTEN',
    flag: 'dns-listen',
    defaultValue: '',
    help: 'HOST:PORT for an optional plain DNS listener on UDP and TCP, for use without CoreDNS; empty means off.',
  },
  {
    env: 'MERIDIAN_SHUTDOWN_GRACE_SECONDS',
    flag: null,
    defaultValue: '5',
    help: 'On SIGTERM/SIGINT: seconds to keep answering while reporting not ready, before closing.',
  },
  {
    env: 'MERIDIAN_RELOAD_DEBOUNCE_MS',
    flag: null,
    defaultValue: '100',
    help: 'Milliseconds of quiet after a change in the manifest directory before it is re-read.',
  },
  {
    env: 'MERIDIAN_RESCAN_SECONDS',
    flag: null,
    defaultValue: '30',
    help: 'Seconds between full re-reads of the manifest directory, in case a file-system event was missed.',
  },
  {
    env: 'MERIDIAN_DRAIN_TTL_SECONDS',
    flag: null,
    defaultValue: '5',
    help: "TTL (1–3600 s) served for a drained Gslb's names while the drain is under way: from the drain until this cluster's targets are withdrawn one old TTL later, and for one TTL after the undrain (docs/drain.md).",
  },
  {
    env: 'MERIDIAN_DELEGATION',
    flag: null,
    defaultValue: 'none',
    help: "How this cluster's NS record and glue get into each zone's parent: `none` (written elsewhere, e.g. by hand), `rfc2136` (dynamic updates signed with TSIG) or `external-dns` (Kubernetes mode: k8gb's DNSEndpoint, published by external-dns); k8gb's `EXTDNS_ENABLED=true` means `external-dns` (docs/delegation.md).",
  },
  {
    env: 'MERIDIAN_DELEGATION_SERVER',
    flag: null,
    defaultValue: '',
    help: "With `rfc2136`: `IP[:PORT]` of the parent zones' primary server, which takes the updates.",
  },
  {
    env: 'MERIDIAN_DELEGATION_TSIG_KEY_FILE',
    flag: null,
    defaultValue: '',
    help: 'With `rfc2136`: a TSIG key file as `tsig-keygen` writes it (`key "NAME" { algorithm hmac-sha256; secret "…"; };`; HMAC-SHA256 or HMAC-SHA512). Empty: updates unsigned.',
  },
  {
    env: 'MERIDIAN_DELEGATION_GLUE',
    flag: null,
    defaultValue: '',
    help: "Comma-separated addresses of this cluster's DNS server (its CoreDNS as the edge reaches it), written as the glue of its name server: IPv4 as A, IPv6 as AAAA. Needed in standalone mode; in Kubernetes mode the default is the load-balancer addresses of the Service named by `MERIDIAN_DNS_SERVICE`.",
  },
  {
    env: 'MERIDIAN_DELEGATION_INTERVAL_SECONDS',
    flag: null,
    defaultValue: '60',
    help: "Seconds between two writes of the delegation (1–86400); each repairs what was changed behind Meridian's back, and a write that changes nothing changes no serial.",
  },
  {
    env: 'MERIDIAN_AUDIT_FILE',
    flag: 'audit-file',
    defaultValue: '',
    help: 'Path of the tamper-evident audit file (JSON Lines, each line chained to the one before by SHA-256; docs/audit.md); rotated files sit beside it as `PATH.000001`, …. Empty means off.',
  },
  {
    env: 'MERIDIAN_AUDIT_FSYNC_SECONDS',
    flag: null,
    defaultValue: '1',
    help: 'Seconds between fsyncs of the audit file while it is being written (0: after every write); at most this much of it can be lost at a power loss.',
  },
  {
    env: 'MERIDIAN_AUDIT_MAX_MIB',
    flag: null,
    defaultValue: '64',
    help: 'Size in MiB (1–1048576) past which the audit file is rotated: renamed to the next `PATH.NNNNNN` and a new file started, chained to it.',
  },
]);
