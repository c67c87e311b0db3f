/**
 * The drain state machine, through the table pipeline and real table builds:
 * the TTL is lowered first, the cluster withdrawn once the old TTL has passed
 * (its localtargets- name then answers NODATA), the undrain goes back in the
 * reverse order, every step is a decision record with cause `drain` and who
 * asked, and a restart in the middle resumes from the declared time alone.
 */
import type { DecisionRecord } from '../../../src/serving/decisions';
import { Drains } from '../../../src/serving/drains';
import { TablePipeline, type PipelineTimers } from '../../../src/serving/table-pipeline';
import { sealRecord, type DrainRequest, type GslbRecord } from '../../../src/table/model';
import { TableHolder } from '../../../src/table/table-holder';
import { APP, ask, gslb, served, ZONE } from '../../helpers/table-fixtures';
import { capturingLogger } from '../../helpers/telemetry';

const T0 = Date.parse('2026-12-07T09:00:00Z');
const LOCAL = ['192.0.2.1'];
const PEER = ['198.51.100.1'];

/** Timers fired by moving the clock. */
class Clock implements PipelineTimers {
  now = T0;
  private next = 1;
  private readonly due = new Map<number, { at: number; callback: () => void }>();

  setTimeout(callback: () => void, ms: number): unknown {
    const handle = this.next++;
    this.due.set(handle, { at: this.now + ms, callback });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }

  /** Moves to `at`, firing what falls due on the way, in order. */
  advanceTo(at: number): void {
    for (;;) {
      const [handle, next] = [...this.due].sort((a, b) => a[1].at - b[1].at)[0] ?? [];
      if (next === undefined || next.at > at) break;
      this.due.delete(handle!);
      this.now = Math.max(this.now, next.at);
      next.callback();
    }
    this.now = at;
  }
}

function request(sinceMs: number, requestedBy = 'alice'): DrainRequest {
  return {
    sinceMs,
    requestedBy,
    declaredOn: { kind: 'Gslb', namespace: 'shop', name: 'web', resourceVersion: '7' },
  };
}

/** shop/web, failover with eu (this cluster) first, us a peer; TTL 30. */
function web(drain?: DrainRequest, drainChangedBy?: string): GslbRecord {
  return {
    ...gslb('shop/web', [APP], LOCAL, { ttl: 30, strategy: 'failover' }),
    primaryGeoTag: 'eu',
    clusters: [
      { geoTag: 'eu', addresses: LOCAL },
      { geoTag: 'us', addresses: PEER },
    ],
    ...(drain === undefined ? {} : { drain }),
    ...(drainChangedBy === undefined ? {} : { drainChangedBy }),
  };
}

function rig(drainTtlSeconds = 5) {
  const clock = new Clock();
  const holder = new TableHolder();
  const pipeline = new TablePipeline({
    zones: [ZONE],
    localGeoTag: 'eu',
    holder,
    metrics: { recordBuild: () => undefined, recordInternalError: () => undefined },
    logger: capturingLogger().logger,
    now: () => clock.now,
    batchMs: 10,
    timers: clock,
    drainTtlSeconds,
  });
  const records: DecisionRecord[] = [];
  pipeline.onDecisions((batch) => records.push(...batch));
  pipeline.openAnswers();
  const table = () => holder.current()!;
  const ttlOf = (name: string): number | undefined =>
    (ask(table(), name, 'A').answers[0] as { ttl?: number } | undefined)?.ttl;
  return { clock, pipeline, records, table, ttlOf };
}

test('a drain lowers the TTL first, withdraws after the old TTL, and undrains in reverse', () => {
  const { clock, pipeline, records, table, ttlOf } = rig();
  pipeline.setRecords([web()]);
  pipeline.flush();
  expect(served(table(), APP)).toEqual(LOCAL);
  expect(ttlOf(APP)).toBe(30);

  // Step 1: drained at T0 + 1 s; the TTL is lowered, the targets stay.
  clock.advanceTo(T0 + 1_000);
  pipeline.setRecords([web(request(T0 + 1_000))]);
  pipeline.flush();
  expect(served(table(), APP)).toEqual(LOCAL);
  expect(ttlOf(APP)).toBe(5);
  expect(served(table(), `localtargets-${APP}`)).toEqual(LOCAL);
  expect(pipeline.drainView.stateOf('shop/web')).toMatchObject({
    phase: 'ttl-lowered',
    nextStepMs: T0 + 31_000,
  });
  const lowered = records.at(-1)!;
  expect(lowered.ttl).toEqual({ before: 30, after: 5 });
  expect(lowered.before).toEqual(lowered.after);
  expect(lowered.causes).toEqual([
    expect.objectContaining({
      kind: 'drain',
      requestedBy: 'alice',
      object: expect.objectContaining({ kind: 'Gslb', name: 'web' }) as unknown,
      detail: expect.stringContaining('TTL lowered from 30 s to 5 s') as unknown,
    }),
  ]);

  // Nothing is withdrawn a moment before the old TTL has passed…
  clock.advanceTo(T0 + 30_999);
  expect(served(table(), APP)).toEqual(LOCAL);
  // …and at that moment the clock alone moves it: the peer answers, NODATA for peers.
  clock.advanceTo(T0 + 31_100);
  expect(served(table(), APP)).toEqual(PEER);
  expect(ttlOf(APP)).toBe(5);
  const published = ask(table(), `localtargets-${APP}`, 'A');
  expect(published.rcode).toBe('NOERROR');
  expect(published.answers).toEqual([]);
  const withdrawn = records.at(-1)!;
  expect(withdrawn.after.map((t) => t.address)).toEqual(PEER);
  expect(withdrawn.causes[0]).toMatchObject({ kind: 'drain', requestedBy: 'alice' });
  expect(withdrawn.causes[0]?.detail).toContain('withdrawn');

  // Undrain: the targets return at once with the short TTL, which returns after one old TTL.
  clock.advanceTo(T0 + 40_000);
  pipeline.setRecords([web(undefined, 'bob')]);
  pipeline.flush();
  expect(served(table(), APP)).toEqual(LOCAL);
  expect(ttlOf(APP)).toBe(5);
  expect(records.at(-1)!.causes[0]).toMatchObject({ kind: 'drain', requestedBy: 'bob' });
  expect(records.at(-1)!.causes[0]?.detail).toContain('undrained');
  clock.advanceTo(T0 + 70_100);
  expect(ttlOf(APP)).toBe(30);
  expect(records.at(-1)!.ttl).toEqual({ before: 5, after: 30 });
  expect(records.at(-1)!.causes[0]?.detail).toContain('TTL back to 30 s');
  expect(pipeline.drainView.stateOf('shop/web')).toBeUndefined();
  // Every step was a record with cause drain.
  expect(records.slice(-4).every((r) => r.causes.some((c) => c.kind === 'drain'))).toBe(true);
});

test('a restart in the middle resumes from the declared time: withdrawn at once, or when due', () => {
  // Restarted 40 s after the drain was asked: past the old TTL, withdrawn from the first build.
  const late = rig();
  late.clock.advanceTo(T0 + 40_000);
  late.pipeline.setRecords([web(request(T0))]);
  late.pipeline.flush();
  expect(served(late.table(), APP)).toEqual(PEER);
  expect(late.ttlOf(APP)).toBe(5);

  // Restarted 10 s after: the TTL is low at once, and the withdrawal comes at T0 + 30 s, not later.
  const early = rig();
  early.clock.advanceTo(T0 + 10_000);
  early.pipeline.setRecords([web(request(T0))]);
  early.pipeline.flush();
  expect(served(early.table(), APP)).toEqual(LOCAL);
  expect(early.ttlOf(APP)).toBe(5);
  early.clock.advanceTo(T0 + 30_100);
  expect(served(early.table(), APP)).toEqual(PEER);
});

test('a cluster-wide drain applies to every Gslb; the earlier of two declarations counts', () => {
  const { clock, pipeline, table } = rig();
  const other: GslbRecord = { ...web(), id: 'shop/api', hosts: [`api.${ZONE.name}`] };
  pipeline.setRecords([web(request(T0 + 20_000)), other]);
  pipeline.setClusterDrain(
    { ...request(T0, 'platform'), declaredOn: { kind: 'Service', name: 'meridian-dns' } },
    'platform',
  );
  pipeline.flush();
  expect(pipeline.drainView.stateOf('shop/web')).toMatchObject({
    scope: 'cluster',
    nextStepMs: T0 + 30_000,
  });
  clock.advanceTo(T0 + 30_100);
  expect(served(table(), APP)).toEqual(PEER);
  expect(served(table(), `api.${ZONE.name}`)).toEqual(PEER);
  // The cluster undrained, the Gslb's own declaration still holds it out.
  pipeline.setClusterDrain(null, 'platform');
  clock.advanceTo(T0 + 31_000);
  expect(served(table(), APP)).toEqual(PEER);
  expect(served(table(), `api.${ZONE.name}`)).toEqual(LOCAL);
});

test('a drain TTL above the Gslb TTL never raises it; a drain without a time counts from first sight', () => {
  const drains = new Drains({ drainTtlSeconds: 60, localGeoTag: 'eu' });
  const record = sealRecord(web({ ...request(NaN) }));
  const first = drains.apply([record], T0);
  expect(first.records[0]?.ttlSeconds).toBe(30);
  expect(first.nextStepMs).toBe(T0 + 30_000);
  // Seen again later: still counted from the first sight, and the same record object.
  const again = drains.apply([record], T0 + 5_000);
  expect(again.nextStepMs).toBe(T0 + 30_000);
  expect(again.records[0]).toBe(first.records[0]);
  expect(again.causes).toEqual([]);
  const withdrawn = drains.apply([record], T0 + 30_000).records[0]!;
  expect(withdrawn.clusters.find((c) => c.geoTag === 'eu')).toEqual({
    geoTag: 'eu',
    addresses: [],
    healthy: false,
    withdrawn: true,
  });
});
