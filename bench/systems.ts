/**
 * The systems under test. All are the same CoreDNS server block and differ
 * only in the plugin that answers the zone:
 *   A (the product): grpc, forwarding every query to a Meridian process;
 *   B (the ceiling): file, answering from a zone file inside CoreDNS;
 *   C (k8gb): k8gb's k8s_crd plugin, answering from DNSEndpoints it watches
 *     on a kube-apiserver (k8gb.ts); run only when its binary is given.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startCoreDns, startMeridianProcess } from '../harness/processes';
import { waitUntilAnswering } from './check';
import type { Cleanup } from './cleanup';
import { K8S_CRD_BLOCK, startK8gbControlPlane } from './k8gb';
import { pinProcess } from './proc';
import {
  GEO_TAG,
  PARENT_ZONE,
  TTL_SECONDS,
  ZONE,
  writeManifests,
  writeZoneFile,
  type Workload,
} from './workload';

/** A process whose CPU and memory are reported. */
export interface ServerProcess<R extends string = Role> {
  readonly role: R;
  readonly pid: number;
}

/** Processes on the query path: their CPU per query is the cost of an answer. */
export type Role = 'CoreDNS' | 'Meridian';
/** Processes a system needs but no query touches; their memory is reported as context. */
export type ContextRole = 'kube-apiserver' | 'etcd';

/** A running system, answering DNS on 127.0.0.1:dnsPort. */
export interface System {
  readonly id: SystemId;
  readonly label: string;
  readonly dnsPort: number;
  readonly servers: readonly ServerProcess[];
  readonly context: readonly ServerProcess<ContextRole>[];
  /** What setting the system up took, as report lines. */
  readonly setupNotes: readonly string[];
}

export type SystemId = 'meridian' | 'meridian-audit' | 'file' | 'k8gb';

/** What answers the zone inside CoreDNS, and the processes behind it. */
interface Backend {
  /** The plugin's lines in the server block; `{$VAR}`s are filled from `env` by CoreDNS. */
  readonly directive: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly servers: readonly ServerProcess[];
  readonly context?: readonly ServerProcess<ContextRole>[];
  /** The CoreDNS build to run; the test CoreDNS when absent. */
  readonly coreDnsBinary?: string;
  readonly setupNotes?: readonly string[];
}

/** How to set up one system's backend in `dir` for a workload. */
export interface SystemSpec {
  readonly id: SystemId;
  readonly label: string;
  prepare(dir: string, workload: Workload, cleanup: Cleanup, progress: Progress): Promise<Backend>;
}

type Progress = (message: string) => void;

/** How long Meridian may take to read 10,000 Gslbs and become ready. */
const MERIDIAN_READY_TIMEOUT_MS = 120_000;
/** How long a system may take, once CoreDNS is up, to answer every name (k8gb: informer sync). */
const ANSWERING_TIMEOUT_MS = 300_000;

export const MERIDIAN_SPEC: SystemSpec = {
  id: 'meridian',
  label: 'A: CoreDNS → grpc → Meridian',
  prepare: (dir, workload, cleanup) => meridianBackend(dir, workload, cleanup),
};
/**
 * A again with the audit file on: nothing of the audit file is on the query
 * path, so its throughput must be A's (BENCH_AUDIT=1).
 */
export const MERIDIAN_AUDIT_SPEC: SystemSpec = {
  id: 'meridian-audit',
  label: "A': A with MERIDIAN_AUDIT_FILE on",
  prepare: (dir, workload, cleanup) =>
    meridianBackend(dir, workload, cleanup, {
      MERIDIAN_AUDIT_FILE: join(dir, 'audit', 'meridian-audit.jsonl'),
    }),
};
export const FILE_SPEC: SystemSpec = {
  id: 'file',
  label: 'B: CoreDNS file (ceiling)',
  prepare: zoneFileBackend,
};

/** System C for the k8gb CoreDNS at `binary`. */
export function k8gbSpec(binary: string): SystemSpec {
  return {
    id: 'k8gb',
    label: 'C: CoreDNS k8s_crd (k8gb)',
    prepare: (_dir, workload, cleanup, progress) =>
      k8gbBackend(binary, workload, cleanup, progress),
  };
}

/**
 * The systems in the order they are run: A, (A',) B, C, A, (A',) B, C …
 * (A' only when asked for, C only with its binary).
 */
export function systemSpecs(k8gbCoreDns: string | null, audit = false): SystemSpec[] {
  return [
    MERIDIAN_SPEC,
    ...(audit ? [MERIDIAN_AUDIT_SPEC] : []),
    FILE_SPEC,
    ...(k8gbCoreDns === null ? [] : [k8gbSpec(k8gbCoreDns)]),
  ];
}

async function meridianBackend(
  dir: string,
  workload: Workload,
  cleanup: Cleanup,
  settings: Readonly<Record<string, string>> = {},
): Promise<Backend> {
  const manifests = join(dir, 'manifests');
  writeManifests(manifests, workload);
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
      ...settings,
    },
    MERIDIAN_READY_TIMEOUT_MS,
  );
  cleanup.defer('stop Meridian', () => meridian.stop());
  return {
    directive: ['grpc . {$MERIDIAN_GRPC_ADDRESS}'],
    env: { MERIDIAN_GRPC_ADDRESS: grpcAddress },
    servers: [{ role: 'Meridian', pid: pidOf(meridian.process.pid) }],
  };
}

function zoneFileBackend(dir: string, workload: Workload): Promise<Backend> {
  const zoneFile = join(dir, `${ZONE}.zone`);
  writeZoneFile(zoneFile, workload.hosts);
  return Promise.resolve({
    directive: ['file {$ZONE_FILE}'],
    env: { ZONE_FILE: zoneFile },
    servers: [],
  });
}

async function k8gbBackend(
  binary: string,
  workload: Workload,
  cleanup: Cleanup,
  progress: Progress,
): Promise<Backend> {
  const plane = await startK8gbControlPlane(workload, cleanup, progress);
  return {
    directive: K8S_CRD_BLOCK,
    // Read by the plugin's `kubecontroller local`: the admin of the test
    // cluster (authorization AlwaysAllow), where k8gb runs as a service
    // account allowed to list and watch DNSEndpoints.
    env: { KUBECONFIG: plane.cluster.kubeconfigPath },
    servers: [],
    context: [
      { role: 'kube-apiserver', pid: plane.apiserverPid },
      { role: 'etcd', pid: plane.etcdPid },
    ],
    coreDnsBinary: binary,
    setupNotes: [
      `${workload.hosts.length.toLocaleString('en-US')} DNSEndpoints created in ` +
        `${(plane.createdMs / 1000).toFixed(1)} s`,
    ],
  };
}

/**
 * The Corefile of every system. No log plugin: logging every query would
 * measure the disk, not the data plane. No cache either: it would answer
 * repeated names without asking the backend under test.
 */
function corefile(directive: readonly string[]): string {
  return [
    `${ZONE}:{$DNS_PORT} {`,
    '  errors',
    '  ready {$READY_ADDRESS}',
    ...directive.map((line) => `  ${line}`),
    '}',
    '',
  ].join('\n');
}

/**
 * Starts `spec`'s backend and the CoreDNS in front of it, registering their
 * shutdown with `cleanup`; pins every server process to `cpu` unless null;
 * returns once the system answers a sample of the names correctly.
 */
export async function startSystem(
  spec: SystemSpec,
  workdir: string,
  workload: Workload,
  cleanup: Cleanup,
  cpu: number | null,
  progress: Progress = () => undefined,
): Promise<System> {
  const dir = join(workdir, spec.id);
  mkdirSync(dir, { recursive: true });
  const backend = await spec.prepare(dir, workload, cleanup, progress);
  // Pinned to one CPU, Go would size GOMAXPROCS from the affinity mask at
  // launch; CoreDNS is pinned only after launch, so say it explicitly.
  const goEnv: Record<string, string> = cpu === null ? {} : { GOMAXPROCS: '1' };
  const dnsPort = await freePort();
  const coredns = await startCoreDns(
    corefile(backend.directive),
    { ...backend.env, ...goEnv },
    dnsPort,
    backend.coreDnsBinary,
  );
  cleanup.defer(`stop CoreDNS (${spec.id})`, () => coredns.stop());
  const servers: ServerProcess[] = [
    { role: 'CoreDNS', pid: pidOf(coredns.process.pid) },
    ...backend.servers,
  ];
  if (cpu !== null) for (const server of servers) await pinProcess(server.pid, cpu);
  const answer = { label: spec.label, dnsPort };
  const answeringMs = await waitUntilAnswering(answer, workload.hosts, ANSWERING_TIMEOUT_MS);
  const setupNotes = [
    ...(backend.setupNotes ?? []),
    `answering correctly ${(answeringMs / 1000).toFixed(1)} s after CoreDNS was ready`,
  ];
  return {
    ...answer,
    id: spec.id,
    servers,
    context: backend.context ?? [],
    setupNotes,
  };
}

function pidOf(pid: number | undefined): number {
  if (pid === undefined) throw new Error('child process has no pid');
  return pid;
}
