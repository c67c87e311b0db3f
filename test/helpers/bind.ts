/**
 * A real BIND 9 (`named` from Debian's bind9, installed by
 * scripts/ensure-debian-tools.sh) as the edge DNS: authoritative for the
 * parent zone, holding the delegation of the load-balanced zone to one name
 * server per cluster and those name servers' glue records. It runs in the
 * foreground as the current user, with its own directory for the pid and
 * session-key files and no control channel (no rndc): zone changes are
 * rewritten and loaded with SIGHUP. Every wait is bounded.
 */
import { poll } from '../../harness/eventually';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nameServerName } from '../../src/gslb/k8gb-naming';
import { freePort, startChild, waitUntilReady, type Child } from '../../harness/processes';

/** One cluster's name server: its geotag and glue addresses (IPv4 and IPv6). */
export interface BindCluster {
  readonly geoTag: string;
  readonly addresses: readonly string[];
}

/** The delegation the parent zone holds. */
export interface Delegation {
  readonly parent: string;
  readonly zone: string;
  readonly gluePrefix: string;
  readonly clusters: readonly BindCluster[];
}

/** A running named. */
export interface Bind {
  /** `IP:PORT`, as EDGE_DNS_SERVERS takes it. */
  readonly server: string;
  readonly address: string;
  readonly port: number;
  /** Rewrites the parent zone with `clusters` and waits until named serves it. */
  setClusters(clusters: readonly BindCluster[]): Promise<void>;
  /**
   * SIGSTOP: named keeps its sockets but answers nothing (queries time out).
   * Resolves once every thread of named is stopped: a worker thread still
   * running when the signal is sent can otherwise answer a query or two.
   */
  pause(): Promise<void>;
  /** SIGCONT after pause(). */
  resume(): void;
  /** named's own log (it runs with -g). */
  output(): string;
  stop(): Promise<void>;
}

/** A TSIG key named allows dynamic updates of the parent zone with (RFC 2136). */
export interface BindKey {
  readonly name: string;
  readonly algorithm: 'hmac-sha256' | 'hmac-sha512';
  /** Base64, as named.conf and tsig-keygen write it. */
  readonly secret: string;
}

export interface BindOptions {
  /** Updates of the parent zone signed with this key are allowed; no other update is. */
  readonly updateKey?: BindKey;
}

const READY_TIMEOUT_MS = 15_000;
const RELOAD_TIMEOUT_MS = 10_000;
const PAUSE_TIMEOUT_MS = 2_000;

/** The named binary: on PATH, or where Debian puts it (sbin is not on every user's PATH). */
export function namedBinary(): string {
  for (const candidate of ['named', '/usr/sbin/named']) {
    try {
      execFileSync(candidate, ['-v'], { stdio: 'ignore', timeout: 5_000 });
      return candidate;
    } catch {
      /* try the next */
    }
  }
  throw new Error('named (BIND 9) is missing: run scripts/ensure-debian-tools.sh');
}

/**
 * Starts named on 127.0.0.1 and a free port (named listens only on addresses
 * configured on an interface, and a plain lo has only 127.0.0.1, although
 * Linux routes all of 127/8 to it). With `delegation`, it is authoritative for
 * its parent zone; without, it serves no zone and answers REFUSED to
 * everything.
 */
export async function startBind(
  delegation: Delegation | null,
  options: BindOptions = {},
): Promise<Bind> {
  const address = '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bind-'));
  const port = await freePort();
  const zoneFile = join(dir, 'parent.zone');
  let serial = 1;
  if (delegation !== null)
    writeFileSync(zoneFile, zoneText(delegation, delegation.clusters, serial));
  writeFileSync(
    join(dir, 'named.conf'),
    namedConf(dir, address, port, delegation, zoneFile, options.updateKey ?? null),
  );
  const child: Child = startChild(
    namedBinary(),
    ['-g', '-n', '1', '-c', join(dir, 'named.conf')],
    {},
    dir,
  );
  const server = `${address}:${port}`;
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([server]);
  const soaSerial = async (): Promise<number | 'answering' | null> => {
    if (delegation === null) {
      // Any DNS reply, REFUSED included, means it is up.
      const code = await resolver.resolve4('probe.example').then(
        () => 'answering',
        (err: { code?: string }) => err.code,
      );
      return code === 'ETIMEOUT' || code === 'ECONNREFUSED' ? null : 'answering';
    }
    return resolver.resolveSoa(delegation.parent).then(
      (soa) => soa.serial,
      () => null,
    );
  };
  try {
    await waitUntilReady(
      'named',
      child,
      async () => (await soaSerial()) !== null,
      READY_TIMEOUT_MS,
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const pid = child.process.pid ?? 0;
  return {
    server,
    address,
    port,
    async setClusters(clusters) {
      if (delegation === null) throw new Error('this named serves no zone');
      serial++;
      writeFileSync(zoneFile, zoneText(delegation, clusters, serial));
      child.process.kill('SIGHUP');
      await waitUntilReady(
        'named reload',
        child,
        async () => (await soaSerial()) === serial,
        RELOAD_TIMEOUT_MS,
      );
    },
    pause: async () => {
      process.kill(pid, 'SIGSTOP');
      await waitForStopped(pid, PAUSE_TIMEOUT_MS);
    },
    resume: () => process.kill(pid, 'SIGCONT'),
    output: () => child.output(),
    async stop() {
      if (child.process.exitCode === null) process.kill(pid, 'SIGCONT');
      await child.stop('SIGTERM', 5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function namedConf(
  dir: string,
  address: string,
  port: number,
  delegation: Delegation | null,
  zoneFile: string,
  updateKey: BindKey | null,
): string {
  // The key may also transfer the zone: external-dns's rfc2136 provider reads it so.
  const update =
    updateKey === null
      ? ''
      : ` allow-update { key "${updateKey.name}"; }; allow-transfer { key "${updateKey.name}"; };`;
  const zone =
    delegation === null
      ? ''
      : `zone "${delegation.parent}" { type primary; file "${zoneFile}";${update} };\n`;
  const key =
    updateKey === null
      ? ''
      : `key "${updateKey.name}" { algorithm ${updateKey.algorithm}; secret "${updateKey.secret}"; };`;
  return [
    key,
    'options {',
    `  directory "${dir}";`,
    `  pid-file "${join(dir, 'named.pid')}";`,
    `  session-keyfile "${join(dir, 'session.key')}";`,
    `  managed-keys-directory "${dir}";`,
    `  listen-on port ${port} { ${address}; };`,
    '  listen-on-v6 { none; };',
    '  recursion no;',
    '  dnssec-validation no;',
    '  notify no;',
    '};',
    // No control channel: nothing listens for rndc.
    'controls { };',
    zone,
  ].join('\n');
}

/** The parent zone: SOA, its own NS, the delegation's NS records and their glue. */
function zoneText(
  delegation: Delegation,
  clusters: readonly BindCluster[],
  serial: number,
): string {
  const { parent, zone, gluePrefix } = delegation;
  const lines = [
    '$TTL 30',
    `@ IN SOA ns.${parent}. hostmaster.${parent}. ${serial} 7200 1800 86400 30`,
    `@ IN NS ns.${parent}.`,
    `ns IN A 127.0.0.1`,
  ];
  for (const cluster of clusters) {
    const name = nameServerName(gluePrefix, cluster.geoTag, zone, parent);
    lines.push(`${zone}. IN NS ${name}.`);
    for (const address of cluster.addresses)
      lines.push(`${name}. IN ${address.includes(':') ? 'AAAA' : 'A'} ${address}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Resolves once every thread of `pid` is in state T (stopped), polling /proc; fails after `timeoutMs`. */
async function waitForStopped(pid: number, timeoutMs: number): Promise<void> {
  const threadStates = (): string =>
    readdirSync(`/proc/${pid}/task`)
      .map((task) => {
        const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      })
      .join('');
  await poll(threadStates, (states) => /^[Tt]+$/.test(states), {
    timeoutMs,
    intervalMs: 5,
    what: `named ${pid} stopped (thread states)`,
  });
}
