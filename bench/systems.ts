/**
 * The two systems under test. Both are the same CoreDNS server block and
 * differ only in the plugin that answers the zone:
 *   A (the product): grpc, forwarding every query to a Meridian process;
 *   B (the ceiling): file, answering from a zone file inside CoreDNS.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startCoreDns, startMeridianProcess } from '../test/helpers/processes';
import type { Cleanup } from './cleanup';
import { pinProcess } from './proc';
import {
  GEO_TAG,
  PARENT_ZONE,
  TTL_SECONDS,
  ZONE,
  writeManifests,
  writeZoneFile,
  type Host,
} from './workload';

/** A server process whose CPU and memory are reported. */
export interface ServerProcess {
  readonly role: Role;
  readonly pid: number;
}

export type Role = 'CoreDNS' | 'Meridian';

/** A running system, answering DNS on 127.0.0.1:dnsPort. */
export interface System {
  readonly id: SystemId;
  readonly label: string;
  readonly dnsPort: number;
  readonly servers: readonly ServerProcess[];
}

export type SystemId = 'meridian' | 'file';

/** What answers the zone inside CoreDNS, and the processes behind it. */
interface Backend {
  /** The plugin directive; `{$VAR}`s are filled from `env` by CoreDNS. */
  readonly directive: string;
  readonly env: Readonly<Record<string, string>>;
  readonly servers: readonly ServerProcess[];
}

/** How to set up one system's backend in `dir` for `hosts`. */
interface SystemSpec {
  readonly id: SystemId;
  readonly label: string;
  prepare(dir: string, hosts: readonly Host[], cleanup: Cleanup): Promise<Backend>;
}

/** The systems in the order they are run: A, B, A, B … */
export const SYSTEM_SPECS: readonly SystemSpec[] = [
  { id: 'meridian', label: 'A: CoreDNS → grpc → Meridian', prepare: meridianBackend },
  { id: 'file', label: 'B: CoreDNS file (ceiling)', prepare: zoneFileBackend },
];

/** How long Meridian may take to read 10,000 Gslbs and become ready. */
const MERIDIAN_READY_TIMEOUT_MS = 120_000;

async function meridianBackend(
  dir: string,
  hosts: readonly Host[],
  cleanup: Cleanup,
): Promise<Backend> {
  const manifests = join(dir, 'manifests');
  writeManifests(manifests, hosts);
  const grpcAddress = `127.0.0.1:${await freePort()}`;
  const meridian = await startMeridianProcess(
    {
      DNS_ZONES: `${PARENT_ZONE}:${ZONE}:${TTL_SECONDS}`,
      CLUSTER_GEO_TAG: GEO_TAG,
      MERIDIAN_MANIFESTS_DIR: manifests,
      MERIDIAN_GRPC_LISTEN: grpcAddress,
      METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
      LOG_LEVEL: 'warn',
      // The default keeps answering for 5 s after SIGTERM; nobody is asking here.
      MERIDIAN_SHUTDOWN_GRACE_SECONDS: '0',
    },
    MERIDIAN_READY_TIMEOUT_MS,
  );
  cleanup.defer('stop Meridian', () => meridian.stop());
  return {
    directive: 'grpc . {$MERIDIAN_GRPC_ADDRESS}',
    env: { MERIDIAN_GRPC_ADDRESS: grpcAddress },
    servers: [{ role: 'Meridian', pid: pidOf(meridian.process.pid) }],
  };
}

function zoneFileBackend(dir: string, hosts: readonly Host[]): Promise<Backend> {
  const zoneFile = join(dir, `${ZONE}.zone`);
  writeZoneFile(zoneFile, hosts);
  return Promise.resolve({
    directive: 'file {$ZONE_FILE}',
    env: { ZONE_FILE: zoneFile },
    servers: [],
  });
}

/**
 * The Corefile of both systems. No log plugin: logging every query would
 * measure the disk, not the data plane. No cache either: it would answer
 * repeated names without asking the backend under test.
 */
function corefile(directive: string): string {
  return [
    `${ZONE}:{$DNS_PORT} {`,
    '  errors',
    '  ready {$READY_ADDRESS}',
    `  ${directive}`,
    '}',
    '',
  ].join('\n');
}

/**
 * Starts `spec`'s backend and the CoreDNS in front of it, registering their
 * shutdown with `cleanup`; pins every server process to `cpu` unless null.
 */
export async function startSystem(
  spec: SystemSpec,
  workdir: string,
  hosts: readonly Host[],
  cleanup: Cleanup,
  cpu: number | null,
): Promise<System> {
  const dir = join(workdir, spec.id);
  mkdirSync(dir, { recursive: true });
  const backend = await spec.prepare(dir, hosts, cleanup);
  // Pinned to one CPU, Go would size GOMAXPROCS from the affinity mask at
  // launch; CoreDNS is pinned only after launch, so say it explicitly.
  const goEnv: Record<string, string> = cpu === null ? {} : { GOMAXPROCS: '1' };
  const dnsPort = await freePort();
  const coredns = await startCoreDns(
    corefile(backend.directive),
    { ...backend.env, ...goEnv },
    dnsPort,
  );
  const pid = pidOf(coredns.process.pid);
  cleanup.defer(`stop CoreDNS (${spec.id})`, () => coredns.stop());
  const servers: ServerProcess[] = [{ role: 'CoreDNS', pid }, ...backend.servers];
  if (cpu !== null) for (const server of servers) await pinProcess(server.pid, cpu);
  return { id: spec.id, label: spec.label, dnsPort, servers };
}

function pidOf(pid: number | undefined): number {
  if (pid === undefined) throw new Error('child process has no pid');
  return pid;
}
