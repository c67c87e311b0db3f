/**
 * What decision records cost the table build, at 10,000 Gslbs: the
 * pipeline's build (which runs the answer differ) against the builder alone
 * on the same inputs in the same run, for a rebuild where one Gslb changed
 * and for one where a peer going down changes every host; and the heap the
 * differ keeps. `npm run bench:decisions`. Not a test: it prints ratios.
 */
import type { PeerView } from '../src/peers/peer-view';
import { withPeerTargets, type PeerMergeMemo } from '../src/peers/peer-view';
import { TablePipeline } from '../src/serving/table-pipeline';
import { BuildReuse } from '../src/table/build-reuse';
import { buildSnapshot } from '../src/table/build-snapshot';
import { sealRecord, type GslbRecord, type SealedRecord } from '../src/table/model';
import { TableHolder } from '../src/table/table-holder';
import { createLogger } from '../src/telemetry/logger';

const GSLBS = 10_000;
const ROUNDS = 20;
const ZONE = {
  name: 'cloud.example.org',
  parent: 'example.org',
  negativeTtlSeconds: 30,
  nameServers: ['gslb-ns-eu-cloud.example.org'],
  nameServerTtlSeconds: 30,
};
const hosts = Array.from({ length: GSLBS }, (_, i) => `h${i}.cloud.example.org`);

const base: GslbRecord[] = hosts.map((host, i) => ({
  id: `bench/g${i}`,
  hosts: [host],
  strategy: 'roundRobin',
  ttlSeconds: 30,
  clusters: [{ geoTag: 'eu', addresses: [`10.${(i >> 8) & 255}.${i & 255}.1`] }],
}));

/** The records with the first Gslb at `version`; the others keep their objects, as the sources do. */
function records(version: number): GslbRecord[] {
  const first = base[0]!;
  return [
    { ...first, clusters: [{ geoTag: 'eu', addresses: [`10.0.0.${version}`] }] },
    ...base.slice(1),
  ];
}

function peers(up: boolean): PeerView {
  const entry = {
    addresses: up ? ['198.51.100.1'] : [],
    state: up ? 'up' : 'down',
    lastSuccessMs: 1,
  } as const;
  return {
    peers: new Map([
      [
        'us',
        {
          state: entry.state,
          lastSuccessMs: 1,
          failedPolls: up ? 0 : 2,
          lastError: null,
          server: null,
        },
      ],
    ]),
    hosts: new Map(hosts.map((host) => [host, new Map([['us', entry]])])),
  };
}

const ms = (started: bigint): number => Number(process.hrtime.bigint() - started) / 1e6;
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1048576;
}

const holder = new TableHolder();
let decided = 0;
const pipeline = new TablePipeline({
  zones: [ZONE],
  localGeoTag: 'eu',
  holder,
  metrics: { recordBuild: () => undefined, recordInternalError: () => undefined },
  logger: createLogger('silent'),
  now: Date.now,
  batchMs: 20,
  timers: { setTimeout: () => 0, clearTimeout: () => undefined },
});
pipeline.onDecisions((batch) => (decided += batch.length));
const heapBefore = heapMiB();
pipeline.setPeerView(peers(true));
pipeline.setRecords(records(1));
pipeline.flush();
pipeline.openAnswers();
const heapAfter = heapMiB();

// The builder alone, with its own reuse and peer merge, on the same inputs.
const reuse = new BuildReuse();
const memo: PeerMergeMemo = new WeakMap();
const sealedBase = base.map(sealRecord);
const sealedOf = (version: number): SealedRecord[] => [
  sealRecord(records(version)[0]!),
  ...sealedBase.slice(1),
];
let sealed: SealedRecord[] = sealedOf(1);
const plain = (view: PeerView): void => {
  buildSnapshot({
    zones: [ZONE],
    gslbs: withPeerTargets(sealed, view, memo),
    localGeoTag: 'eu',
    reuse,
    serial: 1,
    generation: 1,
  });
};
plain(peers(true));

const sample = {
  oneGslb: { pipeline: [] as number[], builder: [] as number[] },
  everyHost: { pipeline: [] as number[], builder: [] as number[] },
};
for (let round = 0; round < ROUNDS; round++) {
  const version = 2 + (round % 2);
  let started = process.hrtime.bigint();
  pipeline.setRecords(records(version));
  pipeline.flush();
  sample.oneGslb.pipeline.push(ms(started));
  sealed = sealedOf(version);
  started = process.hrtime.bigint();
  plain(peers(true));
  sample.oneGslb.builder.push(ms(started));

  const view = peers(round % 2 === 1);
  started = process.hrtime.bigint();
  pipeline.setPeerView(view);
  pipeline.flush();
  sample.everyHost.pipeline.push(ms(started));
  started = process.hrtime.bigint();
  plain(view);
  sample.everyHost.builder.push(ms(started));
}

for (const [label, { pipeline: p, builder: b }] of Object.entries(sample))
  process.stdout.write(
    `${label.padEnd(10)} pipeline ${mean(p).toFixed(1).padStart(7)} ms  builder alone ${mean(b).toFixed(1).padStart(7)} ms  ratio ${(mean(p) / mean(b)).toFixed(2)}\n`,
  );
process.stdout.write(
  `differ state: ${pipeline.decisionStateSize} entries; heap of pipeline with its first table ${(heapAfter - heapBefore).toFixed(1)} MiB; ${decided} records over ${ROUNDS * 2} builds\n`,
);
