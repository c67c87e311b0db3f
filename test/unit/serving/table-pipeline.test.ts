/**
 * The table pipeline, the one owner of the record table: a burst of input
 * changes within the batching window is one build; a failed build keeps the
 * last table and the last problems; every build, whichever input triggered
 * it, hands its problems to the source (a flush returns them, a scheduled
 * build tells the listener); records are sealed on the way in; a
 * reloaded geo database locates the targets again.
 */
import type { PeerView } from '../../../src/peers/peer-view';
import {
  TablePipeline,
  type PipelineTimers,
  type TablePipelineOptions,
} from '../../../src/serving/table-pipeline';
import { buildSnapshot, type BuildProblem } from '../../../src/table/build-snapshot';
import type { GeoLocator } from '../../../src/table/geo-locator';
import { isSealed, type GslbRecord } from '../../../src/table/model';
import { TableHolder } from '../../../src/table/table-holder';
import { MAX_RECORDS_PER_RRSET } from '../../../src/table/target-encoding';
import { served, gslb, ZONE, APP } from '../../helpers/table-fixtures';
import { capturingLogger } from '../../helpers/telemetry';

/** Timers that fire only when the test says so. */
class ManualTimers implements PipelineTimers {
  private next = 1;
  readonly scheduled = new Map<number, { callback: () => void; ms: number }>();

  setTimeout(callback: () => void, ms: number): unknown {
    const handle = this.next++;
    this.scheduled.set(handle, { callback, ms });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.scheduled.delete(handle as number);
  }

  fireAll(): void {
    const due = [...this.scheduled.values()];
    this.scheduled.clear();
    for (const { callback } of due) callback();
  }
}

interface Rig {
  readonly pipeline: TablePipeline;
  readonly holder: TableHolder;
  readonly timers: ManualTimers;
  readonly builds: { problems: number }[];
  readonly logs: Record<string, unknown>[];
  readonly heard: (readonly BuildProblem[])[];
  readonly internal: string[];
}

function rig(options: Partial<TablePipelineOptions> = {}): Rig {
  const holder = new TableHolder();
  const timers = new ManualTimers();
  const builds: { problems: number }[] = [];
  const internal: string[] = [];
  const { logger, logs } = capturingLogger();
  const pipeline = new TablePipeline({
    zones: [ZONE],
    localGeoTag: 'eu',
    holder,
    metrics: {
      recordBuild: (_seconds, problems) => builds.push({ problems }),
      recordInternalError: (component) => internal.push(component),
    },
    logger,
    now: () => 1_790_000_000_000,
    batchMs: 20,
    timers,
    ...options,
  });
  const heard: (readonly BuildProblem[])[] = [];
  pipeline.onProblems((problems) => heard.push(problems));
  return { pipeline, holder, timers, builds, logs, heard, internal };
}

function peerView(host: string, geoTag: string, addresses: string[]): PeerView {
  return {
    peers: new Map(),
    hosts: new Map([[host, new Map([[geoTag, { addresses, state: 'up', lastSuccessMs: 1 }]])]]),
  };
}

const WEB = (): GslbRecord => gslb('shop/web', [APP], ['192.0.2.1']);

test('a burst of source, peer and geo changes within the batching window is one build', () => {
  const { pipeline, holder, timers, builds } = rig();
  for (let i = 0; i < 10; i++) {
    pipeline.setRecords([gslb('shop/web', [APP], [`192.0.2.${i + 1}`])]);
    pipeline.setPeerView(peerView(APP, 'us', [`198.51.100.${i + 1}`]));
    pipeline.geoLocatorChanged();
  }
  expect(builds).toHaveLength(0);
  expect(timers.scheduled.size).toBe(1);
  expect([...timers.scheduled.values()][0]?.ms).toBe(20);
  timers.fireAll();
  expect(builds).toHaveLength(1);
  expect(pipeline.buildCount).toBe(1);
  const snapshot = holder.current()!;
  expect(snapshot.generation).toBe(1);
  // The one build saw the last of every input.
  expect(served(snapshot, APP).sort()).toEqual(['192.0.2.10', '198.51.100.10']);
});

test('flush builds at once, joining the pending changes, and cancels the scheduled build', () => {
  const { pipeline, holder, timers, builds } = rig();
  pipeline.setPeerView(peerView(APP, 'us', ['198.51.100.1']));
  pipeline.setRecords([WEB()]);
  pipeline.flush();
  expect(builds).toHaveLength(1);
  expect(timers.scheduled.size).toBe(0);
  expect(served(holder.current()!, APP).sort()).toEqual(['192.0.2.1', '198.51.100.1']);
  // Nothing pending and a table served: nothing to build.
  pipeline.flush();
  expect(builds).toHaveLength(1);
});

test('flush with nothing submitted builds the empty table once, so that a source with no Gslbs is served', () => {
  const { pipeline, holder, builds } = rig();
  expect(pipeline.flush()).toEqual([]);
  expect(holder.current()?.hostCount).toBe(0);
  expect(builds).toHaveLength(1);
});

test('a failing build keeps the last table and the last problems, and tells the source so', () => {
  let fail = false;
  const { pipeline, holder, heard, logs, timers, internal } = rig({
    build: (input) => {
      if (fail) throw new Error('encoder exploded');
      return buildSnapshot(input);
    },
  });
  pipeline.setRecords([WEB(), gslb('other/web', [APP], ['192.0.2.9'])]);
  const problems = pipeline.flush();
  expect(problems).toEqual([
    {
      gslb: 'shop/web',
      host: APP,
      reason: 'host is already served by Gslb other/web, which claimed it first',
      kind: 'host-conflict',
    },
  ]);
  const table = holder.current();
  fail = true;
  pipeline.setRecords([WEB()]);
  expect(pipeline.flush()).toBe(problems);
  expect(holder.current()).toBe(table);
  expect(pipeline.problems()).toBe(problems);
  // A scheduled build that fails tells the listener the problems still standing.
  pipeline.setPeerView(peerView(APP, 'us', ['198.51.100.1']));
  timers.fireAll();
  expect(holder.current()).toBe(table);
  expect(heard).toEqual([problems]);
  expect(logs).toContainEqual(
    expect.objectContaining({
      level: 'error',
      code: 'MERIDIAN_ERR_INTERNAL',
      err: 'encoder exploded',
      changes: ['source'],
    }),
  );
  expect(internal).toEqual(['table', 'table']);
  // The next good build serves again.
  fail = false;
  pipeline.setRecords([WEB()]);
  expect(pipeline.flush()).toEqual([]);
  expect(holder.current()).not.toBe(table);
});

test("a peer-triggered build's problems reach the source", () => {
  const { pipeline, timers, heard } = rig();
  pipeline.setRecords([WEB()]);
  expect(pipeline.flush()).toEqual([]);
  expect(heard).toEqual([]);
  const many = Array.from(
    { length: MAX_RECORDS_PER_RRSET + 5 },
    (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  );
  pipeline.setPeerView(peerView(APP, 'us', many));
  timers.fireAll();
  expect(heard).toHaveLength(1);
  expect(heard[0]).toEqual([
    {
      gslb: 'shop/web',
      host: APP,
      reason: `${MAX_RECORDS_PER_RRSET + 6} A targets; only the first ${MAX_RECORDS_PER_RRSET} are served`,
    },
  ]);
  expect(pipeline.problems()).toBe(heard[0]);
});

test('records are sealed on the way in, and a problem is logged once while it lasts', () => {
  const { pipeline, logs } = rig();
  const records = [WEB(), gslb('other/web', [APP], ['192.0.2.9'])];
  pipeline.setRecords(records);
  pipeline.flush();
  expect(records.every(isSealed)).toBe(true);
  pipeline.setRecords(records);
  pipeline.flush();
  const warnings = logs.filter((l) => l['code'] === 'MERIDIAN_ERR_GSLB');
  expect(warnings).toHaveLength(1);
  expect(pipeline.hosts()).toEqual([APP, APP]);
});

test('a reloaded geo database locates the targets again, for the same records', () => {
  const datacenters = new Map([
    ['192.0.2.1', 'eu'],
    ['198.51.100.1', 'us'],
  ]);
  const locator: GeoLocator = {
    locate: () => ({ datacenter: 'eu', scopePrefixLength: 24 }),
    locateTarget: (address) => datacenters.get(address) ?? null,
  };
  const { pipeline, holder, timers } = rig();
  pipeline.setGeoLocator(locator);
  const record: GslbRecord = {
    ...gslb('shop/web', [APP], ['192.0.2.1']),
    strategy: 'geoip',
    clusters: [
      { geoTag: 'eu', addresses: ['192.0.2.1'] },
      { geoTag: 'us', addresses: ['198.51.100.1'] },
    ],
  };
  pipeline.setRecords([record]);
  pipeline.flush();
  const fromEu = { edns: { clientSubnet: '10.1.0.0/24' } };
  expect(served(holder.current()!, APP, 'A', fromEu)).toEqual(['192.0.2.1']);
  // The sites swap in the database; the records do not change.
  datacenters.set('192.0.2.1', 'us').set('198.51.100.1', 'eu');
  pipeline.geoLocatorChanged();
  timers.fireAll();
  expect(served(holder.current()!, APP, 'A', fromEu)).toEqual(['198.51.100.1']);
});

test('stop cancels a scheduled build and the table keeps serving', () => {
  const { pipeline, holder, timers, builds } = rig();
  pipeline.setRecords([WEB()]);
  pipeline.flush();
  pipeline.setRecords([gslb('shop/web', [APP], ['192.0.2.7'])]);
  pipeline.stop();
  expect(timers.scheduled.size).toBe(0);
  expect(builds).toHaveLength(1);
  expect(served(holder.current()!, APP)).toEqual(['192.0.2.1']);
});
