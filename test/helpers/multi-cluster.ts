/**
 * Three clusters on one machine, as k8gb runs them: each its own
 * kube-apiserver + etcd, Meridian in Kubernetes mode and a CoreDNS in front
 * of it, every CoreDNS on its own loopback address (127.0.0.1, .2, .3) and
 * one shared port; a real BIND 9 as the edge DNS holding the parent zone,
 * into which each cluster's Meridian writes its own delegation of
 * cloud.example.org (RFC 2136 signed with TSIG; glue from its DNS Service's
 * load-balancer address). Each Meridian finds its peers through that glue
 * (read into its ZoneDelegation's status) and polls their CoreDNS, so what
 * one cluster answers depends on what the others publish, over real DNS.
 *
 * Failure injection on a cluster's CoreDNS address: killed (nothing listens,
 * so a query is refused at once) or black-holed (a socket that reads and
 * never replies, so a query times out); a partition moves clusters' DNS
 * addresses to black holes (their Meridians write that glue, the peers read
 * it) while the test still reaches every CoreDNS directly. A cluster's
 * Meridian can be restarted, with other settings if need be: its peers given
 * explicitly, one of them through a delay relay (a distant link).
 */
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBind, type Bind, type BindCluster, type Delegation } from './bind';
import { startDelayRelay, type DelayRelay } from './delay-relay';
import { dig, type DigReply } from '../../harness/dig';
import { decodeReply, query } from '../../harness/dns-case';
import { writeGeoDatabase, type GeoNetwork } from './geo-database';
import {
  backend,
  create,
  expectOk,
  setLoadBalancer,
  gslbRef,
  ingress,
  setReady,
  startKubeMeridian,
  ZONE,
  type KubeMeridian,
} from '../../harness/kube-meridian';
import { coreDnsBinary, freePort } from '../../harness/processes';
import { MERIDIAN_NAMESPACE } from '../../harness/service-account';
import { poll } from '../../harness/eventually';

export const PARENT_ZONE = 'example.org';
export const GLUE_PREFIX = 'gslb-ns-';

/** One cluster: its geotag, where its CoreDNS listens and the targets it publishes. */
export interface ClusterSpec {
  readonly geoTag: string;
  readonly address: string;
  /** CLUSTER_EXPOSED_IPS: what every Gslb of the cluster serves when healthy. */
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
  /** The datacenter of its targets in the geo database. */
  readonly datacenter: string;
}

/** Distinct targets per cluster, of different counts, so that answer sets tell clusters apart. */
export const CLUSTERS: readonly ClusterSpec[] = [
  {
    geoTag: 'eu',
    address: '127.0.0.1',
    ipv4: ['192.0.2.11', '192.0.2.12'],
    ipv6: ['2001:db8:1::11'],
    datacenter: 'eu-west',
  },
  {
    geoTag: 'us',
    address: '127.0.0.2',
    ipv4: ['198.51.100.21'],
    ipv6: ['2001:db8:2::21'],
    datacenter: 'us-east',
  },
  {
    geoTag: 'ap',
    address: '127.0.0.3',
    ipv4: ['203.0.113.31', '203.0.113.32'],
    ipv6: [],
    datacenter: 'ap-south',
  },
];

/**
 * Client networks of the two sites in the geo database (in the same
 * datacenters as the eu and us targets), and one the database does not know.
 */
export const SITE_CLIENTS = {
  euSite: '10.10.7.0/24',
  usSite: '10.20.7.0/24',
  unknown: '10.99.7.0/24',
} as const;

const SITE_NETWORKS: readonly GeoNetwork[] = [
  { network: '10.10.0.0/16', datacenter: 'eu-west' },
  { network: '10.20.0.0/16', datacenter: 'us-east' },
];

/** Where the glue of a partitioned cluster points: loopback addresses only black holes hold. */
const PARTITION_ADDRESSES: Readonly<Record<string, string>> = {
  eu: '127.0.0.11',
  us: '127.0.0.12',
  ap: '127.0.0.13',
};

/** How often and how patiently peers are polled; the minimum interval Meridian accepts is 0.5 s. */
export const PEERS = {
  pollIntervalMs: 1_000,
  /** Below the poll interval, as Meridian requires. */
  queryTimeoutMs: 700,
  discoveryIntervalMs: 1_000,
  /** Meridian's defaults of MERIDIAN_PEER_DOWN_AFTER and MERIDIAN_PEER_UP_AFTER. */
  downAfter: 2,
  upAfter: 2,
} as const;

// ---------------------------------------------------------------------------
// DNS over UDP to one CoreDNS, many queries in flight

/** What one reply said. */
export interface Reply {
  readonly rcode: string;
  /** Addresses of the answer's A or AAAA records, sorted. */
  readonly addresses: readonly string[];
  /** Types of the authority section's records. */
  readonly authority: readonly string[];
}

/** Options of one query. */
export interface AskOptions {
  readonly type?: 'A' | 'AAAA';
  /** EDNS Client Subnet, `IP/PREFIX`. */
  readonly clientSubnet?: string;
  readonly timeoutMs?: number;
}

/** A UDP client of one server address; queries run concurrently, matched by id and question. */
export interface UdpClient {
  /** Null when no reply came in time. */
  ask(name: string, options?: AskOptions): Promise<Reply | null>;
  close(): Promise<void>;
}

export async function udpClient(address: string, port: number): Promise<UdpClient> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const pending = new Map<number, { name: string; deliver: (reply: Reply) => void }>();
  let nextId = 1;
  socket.on('message', (bytes) => {
    let reply;
    try {
      reply = decodeReply(bytes);
    } catch {
      return;
    }
    const waiting = pending.get(reply.id);
    // A late reply to an abandoned query may carry a reused id: the question must match too.
    if (waiting === undefined || reply.questions[0]?.name.toLowerCase() !== waiting.name) return;
    pending.delete(reply.id);
    waiting.deliver({
      rcode: reply.rcode,
      addresses: reply.answers
        .flatMap((r) => (r.type === 'A' || r.type === 'AAAA' ? [r.data] : []))
        .sort(),
      authority: reply.authorities.map((r) => r.type),
    });
  });
  return {
    ask(name, options = {}) {
      let id = nextId;
      // Skip ids still waiting for a reply (many queries in flight).
      for (let tries = 0; pending.has(id) && tries < 65_535; tries++) id = (id % 65_535) + 1;
      if (pending.has(id)) return Promise.reject(new Error('65,535 queries in flight'));
      nextId = (id % 65_535) + 1;
      const bytes = query(name, options.type ?? 'A', {
        id,
        ...(options.clientSubnet === undefined
          ? {}
          : { edns: { clientSubnet: options.clientSubnet } }),
      });
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve(null);
        }, options.timeoutMs ?? 500);
        pending.set(id, {
          name: name.toLowerCase(),
          deliver: (reply) => {
            clearTimeout(timer);
            resolve(reply);
          },
        });
        socket.send(bytes, port, address);
      });
    },
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------
// Black holes

/** Sockets on `address:port` that take queries and never answer. */
export interface BlackHole {
  /** Datagrams and TCP connections received so far. */
  readonly received: () => { datagrams: number; connections: number };
  close(): Promise<void>;
}

/** A UDP socket that reads and never replies, and a TCP listener that accepts and never answers. */
export async function startBlackHole(address: string, port: number): Promise<BlackHole> {
  const udp: UdpSocket = createSocket('udp4');
  let datagrams = 0;
  let connections = 0;
  udp.on('message', () => {
    datagrams++;
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, address, () => {
      udp.off('error', reject);
      resolve();
    });
  });
  const open = new Set<Socket>();
  const tcp = createServer((socket) => {
    connections++;
    open.add(socket);
    // Read and drop whatever arrives, so the sender never blocks on a full window.
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => open.delete(socket));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, address, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    throw err;
  }
  return {
    received: () => ({ datagrams, connections }),
    async close() {
      for (const socket of open) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => tcp.close(() => resolve())),
        new Promise<void>((resolve) => udp.close(() => resolve())),
      ]);
    },
  };
}

// ---------------------------------------------------------------------------
// The clusters

/** One running cluster. */
export interface MemberCluster {
  readonly spec: ClusterSpec;
  readonly geoTag: string;
  readonly address: string;
  readonly port: number;
  readonly env: KubeMeridian;
  /** UDP client of this cluster's CoreDNS. */
  readonly client: UdpClient;
  /** Kills its CoreDNS (SIGKILL); nothing listens on its address any more. */
  killCoreDns(): Promise<void>;
  /** Stops its CoreDNS and puts a black hole on its address and port. */
  blackHole(): Promise<BlackHole>;
  /** Removes the black hole, if any, and starts CoreDNS again on the same address and port. */
  restoreCoreDns(): Promise<void>;
  /**
   * Stops its Meridian (SIGTERM) and starts it again with the settings it
   * was first started with plus `overrides` (none: those settings alone);
   * resolves once the new process reports ready (/readyz).
   */
  restartMeridian(
    overrides?: Readonly<Record<string, string>>,
    options?: RestartOptions,
  ): Promise<MeridianRestart>;
}

/** Options of {@link MemberCluster.restartMeridian}. */
export interface RestartOptions {
  /**
   * CoreDNS's gRPC client tries a refused Meridian again only after a
   * backoff (about 1 s, then 1.6 s, 2.6 s, … each ±20 %), so when it is
   * back after a restart is luck: up to seconds after Meridian listens. With `holdCoreDns` the new Meridian listens for gRPC on another
   * port and a forwarder on the one CoreDNS dials holds each connection
   * until the new Meridian listens: CoreDNS is back the moment Meridian
   * listens, the earliest it could be. The forwarder stays until the next
   * restart.
   */
  readonly holdCoreDns?: boolean;
}

/** When a restart's steps ended, as performance.now(). */
export interface MeridianRestart {
  /** The old process had exited. */
  readonly stoppedAt: number;
  /** The new one answered /readyz with 200. */
  readonly readyAt: number;
}

/** The running clusters and the edge DNS. */
export interface MultiCluster {
  readonly clusters: readonly MemberCluster[];
  readonly bind: Bind;
  /** The port every cluster's CoreDNS listens on (MERIDIAN_PEER_PORT). */
  readonly port: number;
  readonly geoDatabasePath: string;
  cluster(geoTag: string): MemberCluster;
  /**
   * Points the glue of `geoTags` at black holes, so that peers' polls of
   * those clusters time out while the test still asks their CoreDNS
   * directly; returns the black holes. An empty list restores the real glue.
   */
  partition(geoTags: readonly string[]): Promise<readonly BlackHole[]>;
  stop(): Promise<void>;
}

/** The delegation BIND holds: cloud.example.org to one name server per cluster, with glue. */
function delegationOf(clusters: readonly BindCluster[]): Delegation {
  return { parent: PARENT_ZONE, zone: ZONE, gluePrefix: GLUE_PREFIX, clusters };
}

const REAL_GLUE: readonly BindCluster[] = CLUSTERS.map((c) => ({
  geoTag: c.geoTag,
  addresses: [c.address],
}));

/** The geo database: the two sites' client networks, and every cluster's targets in its datacenter. */
export function geoNetworks(): GeoNetwork[] {
  return [
    ...SITE_NETWORKS,
    ...CLUSTERS.flatMap((c) =>
      [...c.ipv4.map((ip) => `${ip}/32`), ...c.ipv6.map((ip) => `${ip}/128`)].map((network) => ({
        network,
        datacenter: c.datacenter,
      })),
    ),
  ];
}

/**
 * Fails unless the test CoreDNS has the `bind` plugin. Without it every
 * CoreDNS binds all addresses with SO_REUSEPORT, so three of them on one
 * port would all start and the kernel would hand each query to any of them.
 */
function requireBindPlugin(): void {
  const binary = coreDnsBinary();
  const plugins = execFileSync(binary, ['-plugins'], { encoding: 'utf8', timeout: 10_000 });
  if (!/^\s*(dns\.)?bind$/m.test(plugins))
    throw new Error(
      `the test CoreDNS (${binary}) has no bind plugin, so three CoreDNS cannot listen on one port ` +
        'at different loopback addresses: tools/coredns/main.go must import ' +
        'github.com/coredns/coredns/plugin/bind',
    );
}

/** A port free for UDP and TCP on every address given, at the time of the call. */
async function portFreeOn(addresses: readonly string[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePort();
    const holes: BlackHole[] = [];
    try {
      for (const address of addresses) holes.push(await startBlackHole(address, port));
      return port;
    } catch {
      /* taken on one of them: try another */
    } finally {
      await Promise.all(holes.map((h) => h.close()));
    }
  }
  throw new Error(`no port free on ${addresses.join(', ')}`);
}

/** Starts BIND and the three clusters; the caller must call stop(). */
export async function startMultiCluster(): Promise<MultiCluster> {
  requireBindPlugin();
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };
  try {
    const port = await portFreeOn([
      ...CLUSTERS.map((c) => c.address),
      ...Object.values(PARTITION_ADDRESSES),
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'meridian-multi-'));
    stops.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    const geoDatabasePath = join(dir, 'sites.mmdb');
    writeGeoDatabase(geoDatabasePath, geoNetworks());
    // The parent zone starts without the delegation: each cluster's Meridian writes its own.
    const key = randomBytes(32).toString('base64');
    const updateKey = { name: 'meridian-clusters', algorithm: 'hmac-sha256' as const, secret: key };
    const bind = await startBind(delegationOf([]), { updateKey });
    stops.push(() => bind.stop());
    const keyFile = join(dir, 'update.key');
    writeFileSync(
      keyFile,
      `key "${updateKey.name}" { algorithm hmac-sha256; secret "${key}"; };\n`,
    );
    const started = await Promise.allSettled(
      CLUSTERS.map((spec) =>
        startKubeMeridian({
          coreDns: { address: spec.address, port },
          meridianEnv: {
            CLUSTER_GEO_TAG: spec.geoTag,
            EXT_GSLB_CLUSTERS_GEO_TAGS: CLUSTERS.map((c) => c.geoTag).join(','),
            GLUEA_PREFIX: GLUE_PREFIX,
            EDGE_DNS_SERVERS: bind.server,
            CLUSTER_EXPOSED_IPS: [...spec.ipv4, ...spec.ipv6].join(','),
            MERIDIAN_PEER_PORT: String(port),
            MERIDIAN_PEER_POLL_INTERVAL_SECONDS: String(PEERS.pollIntervalMs / 1000),
            MERIDIAN_PEER_QUERY_TIMEOUT_MS: String(PEERS.queryTimeoutMs),
            MERIDIAN_PEER_DISCOVERY_SECONDS: String(PEERS.discoveryIntervalMs / 1000),
            MERIDIAN_PEER_DOWN_AFTER: String(PEERS.downAfter),
            MERIDIAN_PEER_UP_AFTER: String(PEERS.upAfter),
            MERIDIAN_GEOIP_DATABASE: geoDatabasePath,
            // Every decision record on disk at once, for the evidence tests.
            MERIDIAN_AUDIT_FILE: join(dir, `${spec.geoTag}-audit.jsonl`),
            MERIDIAN_AUDIT_FSYNC_SECONDS: '0',
            // The delegation, written by Meridian: glue from the DNS Service's load balancer.
            MERIDIAN_DELEGATION: 'rfc2136',
            MERIDIAN_DELEGATION_SERVER: bind.server,
            MERIDIAN_DELEGATION_TSIG_KEY_FILE: keyFile,
            MERIDIAN_DNS_SERVICE: DNS_SERVICE,
            MERIDIAN_DELEGATION_INTERVAL_SECONDS: '1',
          },
        }),
      ),
    );
    for (const result of started)
      if (result.status === 'fulfilled') stops.push(() => result.value.stop());
    const failed = started.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const envs = started.map((r) => (r as PromiseFulfilledResult<KubeMeridian>).value);
    for (const [i, spec] of CLUSTERS.entries()) await exposeDns(envs[i]!, spec.address);
    await glueServed(bind, REAL_GLUE);
    const clusters: MemberCluster[] = [];
    for (const [i, spec] of CLUSTERS.entries()) {
      const member = await memberCluster(spec, envs[i] as KubeMeridian, port);
      stops.push(() => member.closeBlackHole());
      stops.push(() => member.closeForwarder());
      stops.push(() => member.client.close());
      clusters.push(member);
    }
    let partitionHoles: BlackHole[] = [];
    const closePartition = async (): Promise<void> => {
      await Promise.all(partitionHoles.map((h) => h.close()));
      partitionHoles = [];
    };
    stops.push(closePartition);
    return {
      clusters,
      bind,
      port,
      geoDatabasePath,
      cluster(geoTag) {
        const member = clusters.find((c) => c.geoTag === geoTag);
        if (member === undefined) throw new Error(`no cluster ${geoTag}`);
        return member;
      },
      async partition(geoTags) {
        if (geoTags.length === 0) {
          // The real glue first: until peers have read it, their polls still go to the holes.
          for (const [i, glue] of REAL_GLUE.entries())
            await setDnsAddress(envs[i]!, glue.addresses[0]!);
          await glueServed(bind, REAL_GLUE);
          await closePartition();
          return [];
        }
        if (partitionHoles.length > 0) throw new Error('already partitioned: restore first');
        for (const tag of geoTags) {
          const address = PARTITION_ADDRESSES[tag];
          if (address === undefined) throw new Error(`no partition address for ${tag}`);
          // Kept one by one, so that stop() closes those opened before a failure.
          partitionHoles.push(await startBlackHole(address, port));
        }
        // Each partitioned cluster's DNS address moves to its hole; its Meridian writes that
        // glue, and the peers, reading it from the edge, poll the hole.
        const glue = REAL_GLUE.map((real) =>
          geoTags.includes(real.geoTag)
            ? { geoTag: real.geoTag, addresses: [PARTITION_ADDRESSES[real.geoTag] as string] }
            : real,
        );
        for (const [i, moved] of glue.entries()) await setDnsAddress(envs[i]!, moved.addresses[0]!);
        await glueServed(bind, glue);
        return partitionHoles;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The Service whose load-balancer address each Meridian writes as its glue. */
const DNS_SERVICE = 'dns';

/** Creates the cluster's DNS Service, its load balancer at `address`. */
async function exposeDns(env: KubeMeridian, address: string): Promise<void> {
  await create(env.cluster, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: DNS_SERVICE, namespace: MERIDIAN_NAMESPACE },
    spec: { type: 'LoadBalancer', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] },
  } as never);
  await setDnsAddress(env, address);
}

async function setDnsAddress(env: KubeMeridian, address: string): Promise<void> {
  await setLoadBalancer(env.cluster, 'Service', MERIDIAN_NAMESPACE, DNS_SERVICE, [{ ip: address }]);
}

/** Waits until BIND serves every cluster's NS record and exactly `glue`. */
async function glueServed(bind: Bind, glue: readonly BindCluster[]): Promise<void> {
  const ask = async (name: string, type: string): Promise<string[]> => {
    const reply = await dig('dig', [
      `@${bind.address}`,
      '-p',
      String(bind.port),
      '+norec',
      name,
      type,
    ]);
    return [...reply.answer, ...reply.authority]
      .filter((r) => r.type === type && r.name === `${name}.`)
      .map((r) => r.data)
      .sort();
  };
  const nsName = (geoTag: string): string => `${GLUE_PREFIX}${geoTag}-cloud.${PARENT_ZONE}`;
  const wanted = JSON.stringify({
    ns: glue.map((g) => `${nsName(g.geoTag)}.`).sort(),
    glue: glue.map((g) => [...g.addresses].sort()),
  });
  await poll(
    async () =>
      JSON.stringify({
        ns: await ask(ZONE, 'NS'),
        glue: await Promise.all(glue.map((g) => ask(nsName(g.geoTag), 'A'))),
      }),
    (seen) => seen === wanted,
    { timeoutMs: 20_000, intervalMs: 100, what: `the delegation Meridian writes (${wanted})` },
  );
}

async function memberCluster(
  spec: ClusterSpec,
  env: KubeMeridian,
  port: number,
): Promise<MemberCluster & { closeBlackHole(): Promise<void>; closeForwarder(): Promise<void> }> {
  const client = await udpClient(spec.address, port);
  // restartMeridian starts the process with env.meridianEnv, the object itself: it is rewritten.
  const firstEnv = { ...env.meridianEnv };
  let forwarder: HoldingForwarder | null = null;
  let hole: BlackHole | null = null;
  let down = false;
  const member = {
    spec,
    geoTag: spec.geoTag,
    address: spec.address,
    port,
    env,
    client,
    async killCoreDns() {
      if (down) throw new Error(`${spec.geoTag}'s CoreDNS is already down`);
      down = true;
      await env.coredns.stop('SIGKILL');
    },
    async blackHole() {
      await member.killCoreDns();
      const opened = await startBlackHole(spec.address, port);
      hole = opened;
      return opened;
    },
    async restoreCoreDns() {
      if (!down) throw new Error(`${spec.geoTag}'s CoreDNS is running`);
      await hole?.close();
      hole = null;
      await env.restartCoreDns();
      down = false;
    },
    async restartMeridian(overrides = {}, options: RestartOptions = {}) {
      await env.meridian.stop('SIGTERM');
      const stoppedAt = performance.now();
      await member.closeForwarder();
      const settings: Record<string, string> = { ...firstEnv, ...overrides };
      if (options.holdCoreDns === true) {
        const dialed = hostPortOf(firstEnv['MERIDIAN_GRPC_LISTEN'] ?? '');
        const listen = { host: '127.0.0.1', port: await freePort() };
        settings['MERIDIAN_GRPC_LISTEN'] = `${listen.host}:${listen.port}`;
        forwarder = await startHoldingForwarder(dialed, listen);
      }
      for (const name of Object.keys(env.meridianEnv)) delete env.meridianEnv[name];
      Object.assign(env.meridianEnv, settings);
      await env.restartMeridian();
      return { stoppedAt, readyAt: performance.now() };
    },
    /** For clean-up: closes the forwarder of a held restart. */
    async closeForwarder() {
      await forwarder?.close();
      forwarder = null;
    },
    /** For clean-up: closes a black hole left open. */
    async closeBlackHole() {
      await hole?.close();
      hole = null;
    },
  };
  return member;
}

/** `HOST:PORT` (an IPv4 address or a name) as host and port. */
function hostPortOf(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port)) throw new Error(`${address} is not HOST:PORT`);
  return { host: address.slice(0, colon), port };
}

/** A running {@link startHoldingForwarder}. */
interface HoldingForwarder {
  close(): Promise<void>;
}

/**
 * Listens on `listen` (TCP) and forwards each connection to `target`; while
 * nothing listens there it holds the connection, unread, and tries again
 * every 10 ms.
 */
async function startHoldingForwarder(
  listen: { readonly host: string; readonly port: number },
  target: { readonly host: string; readonly port: number },
): Promise<HoldingForwarder> {
  const open = new Set<Socket>();
  const retries = new Set<NodeJS.Timeout>();
  let closing = false;
  const server = createServer((client) => {
    open.add(client);
    let upstream: Socket | null = null;
    client.on('error', () => undefined);
    client.on('close', () => {
      open.delete(client);
      upstream?.destroy();
    });
    const attempt = (): void => {
      if (closing || client.destroyed) return;
      const socket = connect(target.port, target.host);
      socket.on('error', () => {
        if (upstream === socket) client.destroy();
        else {
          const retry = setTimeout(() => {
            retries.delete(retry);
            attempt();
          }, 10);
          retries.add(retry);
        }
      });
      socket.once('connect', () => {
        upstream = socket;
        open.add(socket);
        socket.on('close', () => {
          open.delete(socket);
          client.destroy();
        });
        // What the client sent meanwhile waited, unread, in its socket.
        client.pipe(socket);
        socket.pipe(client);
      });
    };
    attempt();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    async close() {
      closing = true;
      for (const retry of retries) clearTimeout(retry);
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------
// A distant peer link

/** A delay relay on the link from one cluster to one peer, and the settings that route it so. */
export interface DelayedLink {
  readonly relay: DelayRelay;
  /**
   * For `from`'s Meridian (restartMeridian): MERIDIAN_PEERS with every other
   * cluster's CoreDNS, `to` at the relay instead, and a query timeout above
   * the link's round trip.
   */
  readonly meridianEnv: Readonly<Record<string, string>>;
}

/**
 * Starts a relay that holds every datagram and TCP chunk between `from`'s
 * Meridian and `to`'s CoreDNS `delayMs` each way; only `from`'s polls of
 * `to` go through it, once `from` runs with the returned settings. The
 * caller closes the relay.
 */
export async function delayedPeerLink(
  mc: MultiCluster,
  from: string,
  to: string,
  delayMs: number,
): Promise<DelayedLink> {
  // A round trip, plus room for the peer's CoreDNS and Meridian to answer.
  const queryTimeoutMs = 2 * delayMs + 300;
  if (queryTimeoutMs >= PEERS.pollIntervalMs)
    throw new Error(
      `a ${delayMs} ms link needs a query timeout of ${queryTimeoutMs} ms, not below the poll interval`,
    );
  const target = mc.cluster(to);
  const relay = await startDelayRelay({ host: target.address, port: mc.port }, delayMs);
  const peers = mc.clusters
    .filter((c) => c.geoTag !== from)
    .map((c) =>
      c.geoTag === to
        ? `${c.geoTag}=127.0.0.1:${relay.port}`
        : `${c.geoTag}=${c.address}:${mc.port}`,
    );
  return {
    relay,
    meridianEnv: {
      MERIDIAN_PEERS: peers.join(','),
      MERIDIAN_PEER_QUERY_TIMEOUT_MS: String(queryTimeoutMs),
    },
  };
}

// ---------------------------------------------------------------------------
// One application in several clusters

/** A Gslb of the same host in several clusters. */
export interface App {
  readonly namespace: string;
  readonly host: string;
  /** The clusters that have it. */
  readonly members: readonly MemberCluster[];
}

const INGRESS_REF = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' };
let apps = 0;

/**
 * Creates in each of `members` the same namespace, a Service with one ready
 * endpoint, an Ingress for `<prefix>.<namespace>.cloud.example.org` and a
 * Gslb on it with `strategy`; its targets are the cluster's
 * CLUSTER_EXPOSED_IPS, unless `extraOf` gives a cluster's Gslb annotations
 * (its own exposed addresses, say) or more spec fields (a probe).
 */
export async function deployApp(
  members: readonly MemberCluster[],
  prefix: string,
  strategy: Record<string, unknown>,
  extraOf: (geoTag: string) => {
    annotations?: Record<string, string>;
    spec?: Record<string, unknown>;
  } = () => ({}),
): Promise<App> {
  const namespace = `${prefix}-${Date.now().toString(36)}-${++apps}`;
  const host = `app.${namespace}.${ZONE}`;
  await Promise.all(
    members.map(async ({ geoTag, env: { cluster } }) => {
      expectOk(
        await cluster.request('POST', '/api/v1/namespaces', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: namespace },
        }),
      );
      await backend(cluster, namespace, 'app', true);
      await create(cluster, ingress(namespace, 'app', [host], 'app'));
      await create(
        cluster,
        gslbRef(
          namespace,
          'app',
          { ...INGRESS_REF, name: 'app' },
          { strategy, ...extraOf(geoTag) },
        ),
      );
    }),
  );
  return { namespace, host, members };
}

/** Sets the readiness of the app's endpoint in the clusters of `geoTags`. */
export async function setHealth(
  app: App,
  health: Readonly<Record<string, boolean>>,
): Promise<void> {
  await Promise.all(
    Object.entries(health).map(([geoTag, ready]) => {
      const member = app.members.find((m) => m.geoTag === geoTag);
      if (member === undefined) throw new Error(`${app.host} is not in ${geoTag}`);
      return setReady(member.env.cluster, app.namespace, 'app', ready);
    }),
  );
}

// ---------------------------------------------------------------------------
// Expected answers and waiting for them

/** The IPv4 targets of the clusters of `geoTags`, sorted. */
export function targetsOf(...geoTags: string[]): string[] {
  return geoTags
    .flatMap((tag) => {
      const spec = CLUSTERS.find((c) => c.geoTag === tag);
      if (spec === undefined) throw new Error(`no cluster ${tag}`);
      return spec.ipv4;
    })
    .sort();
}

/** The IPv6 targets of the clusters of `geoTags`, sorted. */
export function ipv6TargetsOf(...geoTags: string[]): string[] {
  return CLUSTERS.filter((c) => geoTags.includes(c.geoTag))
    .flatMap((c) => c.ipv6)
    .sort();
}

/** What each asked cluster must answer: addresses (NOERROR), or an rcode with no answer. */
export type Expectation = readonly string[] | { readonly rcode: string };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function matches(reply: Reply | null, expected: Expectation): boolean {
  if (reply === null) return false;
  if ('rcode' in expected) return reply.rcode === expected.rcode && reply.addresses.length === 0;
  const want = [...expected].sort();
  return (
    reply.rcode === 'NOERROR' &&
    reply.addresses.length === want.length &&
    reply.addresses.every((a, i) => a === want[i])
  );
}

/** Options of {@link converge}. */
export interface ConvergeOptions extends Omit<AskOptions, 'timeoutMs'> {
  /** Bound on the whole wait. */
  readonly timeoutMs: number;
  /** Start of the clock the returned times are measured from (performance.now()); default: the call. */
  readonly since?: number;
  /** Pause between two queries to one cluster. */
  readonly intervalMs?: number;
}

/**
 * Asks every cluster of `expected` (geotag → expectation) until each gives
 * its expected answer; returns, per geotag, the ms from `since` to the first
 * reply that did. Fails after `timeoutMs` with every cluster's last reply.
 */
export async function converge(
  mc: MultiCluster,
  host: string,
  expected: Readonly<Record<string, Expectation>>,
  options: ConvergeOptions,
): Promise<Record<string, number>> {
  const since = options.since ?? performance.now();
  const deadline = since + options.timeoutMs;
  const last: Record<string, Reply | null> = {};
  const reached: Record<string, number> = {};
  await Promise.all(
    Object.entries(expected).map(async ([geoTag, want]) => {
      const { client } = mc.cluster(geoTag);
      for (;;) {
        const reply = await client.ask(host, { ...options, timeoutMs: 250 });
        const now = performance.now();
        last[geoTag] = reply;
        if (matches(reply, want)) {
          reached[geoTag] = now - since;
          return;
        }
        if (now > deadline) return;
        await sleep(options.intervalMs ?? 5);
      }
    }),
  );
  const missing = Object.keys(expected).filter((tag) => reached[tag] === undefined);
  if (missing.length > 0)
    throw new Error(
      `${host} ${options.type ?? 'A'}${options.clientSubnet === undefined ? '' : ` from ${options.clientSubnet}`}: ` +
        `not answered as expected within ${options.timeoutMs} ms by ${missing.join(', ')}; ` +
        `expected ${JSON.stringify(expected)}, last replies ${JSON.stringify(last)}`,
    );
  return reached;
}

/** What kdig printed, in short: status, sorted answer data, and for an empty answer whether the SOA came. */
export interface Seen {
  readonly status: string;
  readonly answer: readonly string[];
  readonly soa?: boolean;
}

/**
 * Asks every cluster of `expected` every 50 ms for `durationMs` and fails at
 * the first reply that is not its expectation: what was converged on stays,
 * with no transient wrong answer.
 */
export async function holds(
  mc: MultiCluster,
  host: string,
  expected: Readonly<Record<string, Expectation>>,
  durationMs: number,
  options: Omit<AskOptions, 'timeoutMs'> = {},
): Promise<void> {
  const until = performance.now() + durationMs;
  await Promise.all(
    Object.entries(expected).map(async ([geoTag, want]) => {
      const { client } = mc.cluster(geoTag);
      while (performance.now() < until) {
        const reply = await client.ask(host, { ...options, timeoutMs: 1_000 });
        if (!matches(reply, want))
          throw new Error(
            `${host}: ${geoTag} answered ${JSON.stringify(reply)} where ${JSON.stringify(want)} ` +
              `should have held for ${durationMs} ms`,
          );
        await sleep(50);
      }
    }),
  );
}

/**
 * Asks every cluster of `geoTags` with kdig, a real DNS client independent
 * of the code under test.
 */
export async function kdigAnswers(
  mc: MultiCluster,
  host: string,
  geoTags: readonly string[],
  options: { type?: 'A' | 'AAAA'; clientSubnet?: string } = {},
): Promise<Record<string, Seen>> {
  const replies = await Promise.all(
    geoTags.map(async (tag) => {
      const member = mc.cluster(tag);
      const reply: DigReply = await dig('kdig', [
        `@${member.address}`,
        '-p',
        String(member.port),
        '+time=2',
        '+retry=1',
        ...(options.clientSubnet === undefined ? [] : [`+subnet=${options.clientSubnet}`]),
        host,
        options.type ?? 'A',
      ]);
      const answer = reply.answer.map((r) => r.data).sort();
      const seen: Seen =
        answer.length > 0
          ? { status: reply.status, answer }
          : { status: reply.status, answer, soa: reply.authority.some((r) => r.type === 'SOA') };
      return [tag, seen] as const;
    }),
  );
  return Object.fromEntries(replies);
}

/**
 * What kdig must see per cluster for `expected` (as {@link converge} takes
 * it): the addresses with NOERROR, and an empty answer always with the zone
 * SOA (README, "DNS answers").
 */
export function seenAs(expected: Readonly<Record<string, Expectation>>): Record<string, Seen> {
  return Object.fromEntries(
    Object.entries(expected).map(([tag, want]) => {
      if ('rcode' in want) return [tag, { status: want.rcode, answer: [], soa: true }];
      const answer = [...want].sort();
      return [
        tag,
        answer.length > 0
          ? { status: 'NOERROR', answer }
          : { status: 'NOERROR', answer, soa: true },
      ];
    }),
  );
}

/**
 * Asks `count` times, `concurrency` queries in flight, and counts the
 * answers by their (sorted) address set; unanswered queries count under ''.
 */
export async function countAnswers(
  client: UdpClient,
  host: string,
  count: number,
  concurrency: number,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (sent < count) {
      sent++;
      const reply = await client.ask(host, { timeoutMs: 2_000 });
      const key = reply === null || reply.rcode !== 'NOERROR' ? '' : reply.addresses.join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return counts;
}

/** One query of {@link askEvery}: when it was sent and answered (performance.now()), and the reply. */
export interface Sample {
  readonly sentAt: number;
  readonly doneAt: number;
  /** Null when no reply came within the timeout. */
  readonly reply: Reply | null;
}

/** A running {@link askEvery}. */
export interface Asking {
  /** The queries answered or timed out so far, in the order they were sent. */
  samples(): readonly Sample[];
  /** Sends no more and resolves, once every query in flight has ended, with all of them. */
  stop(): Promise<readonly Sample[]>;
}

/**
 * Sends a query for `host` every `everyMs`, not waiting for the replies
 * (several may be in flight), until stop().
 */
export function askEvery(
  client: UdpClient,
  host: string,
  everyMs: number,
  options: AskOptions = {},
): Asking {
  const slots: (Sample | undefined)[] = [];
  const inFlight = new Set<Promise<void>>();
  const send = (): void => {
    const slot = slots.length;
    slots.push(undefined);
    const sentAt = performance.now();
    const done = client.ask(host, { timeoutMs: 1_000, ...options }).then(
      (reply) => {
        slots[slot] = { sentAt, doneAt: performance.now(), reply };
      },
      () => {
        slots[slot] = { sentAt, doneAt: performance.now(), reply: null };
      },
    );
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  };
  send();
  const timer = setInterval(send, everyMs);
  const ended = (): Sample[] => slots.filter((s): s is Sample => s !== undefined);
  return {
    samples: ended,
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      return ended();
    },
  };
}
