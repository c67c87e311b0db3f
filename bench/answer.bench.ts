/**
 * Micro-benchmark of the query path alone: answerMessage over a prepared
 * snapshot, no transport. `npm run bench:micro`. Not a test: it asserts
 * nothing about time; it prints ns per call so a change to the hot path can be
 * compared before and after on the same machine.
 */
import { buildSnapshot } from '../src/table/build-snapshot';
import { answerMessage } from '../src/table/answer';
import type { GslbRecord } from '../src/table/model';
import { query } from '../harness/dns-case';

const HOSTS = 10_000;
const ITERATIONS = 300_000;

function snapshotOf(hosts: number): ReturnType<typeof buildSnapshot>['snapshot'] {
  const gslbs: GslbRecord[] = Array.from({ length: hosts }, (_, i) => ({
    id: `bench/h${i}`,
    hosts: [`h${i}.cloud.example.org`],
    strategy: 'roundRobin',
    ttlSeconds: 30,
    clusters: [
      { geoTag: 'eu', addresses: [`198.18.${i >> 8}.${i & 255}`, `198.19.${i >> 8}.${i & 255}`] },
    ],
  }));
  const zone = {
    name: 'cloud.example.org',
    parent: 'example.org',
    negativeTtlSeconds: 30,
    nameServers: ['gslb-ns-eu-cloud.example.org'],
    nameServerTtlSeconds: 30,
  };
  return buildSnapshot({ zones: [zone], gslbs, serial: 1, generation: 1 }).snapshot;
}

function measure(label: string, messages: Buffer[], snapshot: ReturnType<typeof snapshotOf>): void {
  let sink = 0;
  for (let i = 0; i < 20_000; i++)
    sink += answerMessage(snapshot, messages[i % messages.length] as Buffer).kind.length;
  const started = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++)
    sink += answerMessage(snapshot, messages[i % messages.length] as Buffer).kind.length;
  const ns = Number(process.hrtime.bigint() - started) / ITERATIONS;
  process.stdout.write(
    `${label.padEnd(40)} ${ns.toFixed(0).padStart(6)} ns/query  (${sink > 0 ? 'ok' : '?'})\n`,
  );
}

const snapshot = snapshotOf(HOSTS);
const names = Array.from({ length: 1000 }, (_, i) => `h${i * 7}.cloud.example.org`);
process.stdout.write(
  `answerMessage over ${HOSTS.toLocaleString('en')} hosts, ${ITERATIONS.toLocaleString('en')} calls each\n`,
);
measure(
  'A, hit',
  names.map((n) => query(n, 'A')),
  snapshot,
);
measure(
  'A, hit, EDNS + client subnet',
  names.map((n) => query(n, 'A', { edns: { clientSubnet: '198.51.100.0/24' } })),
  snapshot,
);
measure(
  'A, NXDOMAIN',
  names.map((n) => query(`x${n}`, 'A')),
  snapshot,
);
measure(
  'AAAA, NODATA',
  names.map((n) => query(n, 'AAAA')),
  snapshot,
);
measure(
  'malformed (trailing bytes): FORMERR',
  names.map((n) => Buffer.concat([query(n, 'A'), Buffer.from([0])])),
  snapshot,
);
