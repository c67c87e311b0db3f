/**
 * The probes as a record stage: a target whose probe is down leaves this
 * cluster's answers and its localtargets- name, all down makes the cluster
 * unhealthy (addresses kept for fail-open), unknown serves; probes of the
 * same request are shared across Gslbs; each verdict change wakes the
 * pipeline and reaches the decision record as probe-failed or
 * probe-recovered with the probe's last error.
 */
import { parseProbe } from '../../../src/gslb/probe-spec';
import { ProbeStage, type ProberControl } from '../../../src/probes/probe-stage';
import type { ProbeSpec, ProbeState } from '../../../src/probes/prober';
import type { ProbeVerdict, VerdictChange } from '../../../src/probes/rise-fall';
import type { DecisionRecord } from '../../../src/serving/decisions';
import { TablePipeline } from '../../../src/serving/table-pipeline';
import { sealRecord, type GslbRecord } from '../../../src/table/model';
import { TableHolder } from '../../../src/table/table-holder';
import { APP, gslb, served, ZONE } from '../../helpers/table-fixtures';
import { capturingLogger } from '../../helpers/telemetry';

class FakeProber implements ProberControl {
  specs: readonly ProbeSpec[] = [];
  readonly verdicts = new Map<string, ProbeVerdict>();
  readonly staleAt = new Map<string, number>();
  set(specs: readonly ProbeSpec[]): void {
    this.specs = specs;
  }
  describe(key: string): ProbeState {
    return {
      verdict: this.verdicts.get(key) ?? 'unknown',
      lastError: this.verdicts.get(key) === 'down' ? 'status 503' : null,
      lastMs: null,
      staleAtMs: this.staleAt.get(key) ?? null,
      history: [],
    };
  }
  keyOf(address: string): string {
    const spec = this.specs.find((s) => s.check.address === address);
    if (spec === undefined) throw new Error(`no probe of ${address}`);
    return spec.key;
  }
}

const PROBE = parseProbe({ type: 'http', port: 8080, path: '/healthz', intervalSeconds: 1 })!;
const withProbe = (record: GslbRecord): GslbRecord => ({ ...record, probe: PROBE });
const change = (from: ProbeVerdict, to: ProbeVerdict, error: string | null): VerdictChange => ({
  from,
  to,
  result: { ok: error === null, atMs: 1, error },
});

function stageRig() {
  const prober = new FakeProber();
  const stage = new ProbeStage({ localGeoTag: 'eu', prober, maxProbes: 100 });
  let wakes = 0;
  stage.attach(() => wakes++);
  return { prober, stage, wakes: () => wakes };
}

test('a Gslb without a probe passes as it is; one with a probe has each local target probed', () => {
  const { prober, stage } = stageRig();
  const plain = sealRecord(gslb('shop/plain', ['plain.cloud.example.org'], ['192.0.2.9']));
  const probed = sealRecord(
    withProbe({
      ...gslb('shop/web', [APP], ['192.0.2.1', '192.0.2.2']),
      clusters: [
        { geoTag: 'eu', addresses: ['192.0.2.1', '192.0.2.2'] },
        { geoTag: 'us', addresses: ['198.51.100.1'] },
      ],
    }),
  );
  const out = stage.apply([plain, probed]);
  expect(out.records[0]).toBe(plain);
  // Unknown verdicts serve: nothing has been probed yet.
  expect(out.records[1]).toBe(probed);
  expect(out.causes).toEqual([]);
  expect(
    prober.specs.map((s) => [s.check.address, s.check.port, s.check.path, s.check.host]),
  ).toEqual([
    ['192.0.2.1', 8080, '/healthz', APP],
    ['192.0.2.2', 8080, '/healthz', APP],
  ]);
  expect(prober.specs[0]).toMatchObject({ intervalMs: 1_000, rise: 2, fall: 3 });
  expect(stage.targetsOf('shop/web').map((t) => [t.address, t.verdict])).toEqual([
    ['192.0.2.1', 'unknown'],
    ['192.0.2.2', 'unknown'],
  ]);
  expect(stage.targetsOf('shop/plain')).toEqual([]);
});

test('a down target leaves the answer; all down makes the cluster unhealthy with its addresses kept', () => {
  const { prober, stage } = stageRig();
  const record = sealRecord(withProbe(gslb('shop/web', [APP], ['192.0.2.1', '192.0.2.2'])));
  stage.apply([record]);
  prober.verdicts.set(prober.keyOf('192.0.2.1'), 'down');
  prober.staleAt.set(prober.keyOf('192.0.2.1'), 5_000);
  const one = stage.apply([record]);
  expect(one.records[0]!.clusters).toEqual([
    { geoTag: 'eu', addresses: ['192.0.2.2'], probeFailures: ['192.0.2.1:8080 status 503'] },
  ]);
  // Its verdict turns unknown at the stale time: the pipeline is woken then.
  expect(one.nextStepMs).toBe(5_000);
  // The same outcome is the same object: the build reuses its work.
  expect(stage.apply([record]).records[0]).toBe(one.records[0]);
  prober.verdicts.set(prober.keyOf('192.0.2.2'), 'down');
  expect(stage.apply([record]).records[0]!.clusters).toEqual([
    {
      geoTag: 'eu',
      addresses: ['192.0.2.1', '192.0.2.2'],
      healthy: false,
      probeFailures: ['192.0.2.1:8080 status 503', '192.0.2.2:8080 status 503'],
    },
  ]);
  prober.verdicts.set(prober.keyOf('192.0.2.1'), 'up');
  prober.verdicts.set(prober.keyOf('192.0.2.2'), 'up');
  expect(stage.apply([record]).records[0]).toBe(record);
});

test('probes of the same request are one probe, whichever Gslbs declare it; the bound caps them', () => {
  const { prober, stage } = stageRig();
  const shared = { ...PROBE, host: 'shared' };
  const a = sealRecord({ ...gslb('a/web', [APP], ['192.0.2.1']), probe: shared });
  const b = sealRecord({ ...gslb('b/web', ['b.cloud.example.org'], ['192.0.2.1']), probe: shared });
  const c = sealRecord(withProbe(gslb('c/web', ['c.cloud.example.org'], ['192.0.2.1'])));
  stage.apply([a, b, c]);
  // a and b ask the same (same host header); c asks with its own host.
  expect(prober.specs).toHaveLength(2);
  const small = new ProbeStage({ localGeoTag: 'eu', prober, maxProbes: 1 });
  small.apply([a, c]);
  expect(prober.specs).toHaveLength(1);
  // c's target is not probed: served on its source's health alone.
  expect(small.targetsOf('c/web')).toEqual([]);
});

test('an unhealthy or withdrawn local cluster is left as its source or drain made it', () => {
  const { prober, stage } = stageRig();
  const record = sealRecord(
    withProbe({
      ...gslb('shop/web', [APP], []),
      clusters: [{ geoTag: 'eu', addresses: ['192.0.2.1'], healthy: false }],
    }),
  );
  stage.apply([record]);
  prober.verdicts.set(prober.keyOf('192.0.2.1'), 'down');
  expect(stage.apply([record]).records[0]).toBe(record);
});

test('verdict changes wake the pipeline and become causes of the Gslbs using the probe', () => {
  const { prober, stage, wakes } = stageRig();
  const record = sealRecord(withProbe(gslb('shop/web', [APP], ['192.0.2.1'])));
  stage.apply([record]);
  const key = prober.keyOf('192.0.2.1');
  stage.verdictChanged(key, change('unknown', 'up', null));
  stage.verdictChanged(key, change('up', 'down', 'status 503'));
  stage.verdictChanged(key, change('down', 'up', null));
  stage.verdictChanged('no such probe', change('up', 'down', 'timeout'));
  expect(wakes()).toBe(4);
  expect(stage.apply([record]).causes).toEqual([
    {
      kind: 'probe-failed',
      gslbs: ['shop/web'],
      detail: `http probe of 192.0.2.1:8080 (host ${APP}) failed: status 503`,
    },
    {
      kind: 'probe-recovered',
      gslbs: ['shop/web'],
      detail: `http probe of 192.0.2.1:8080 (host ${APP}) passes again`,
    },
  ]);
  // Taken once.
  expect(stage.apply([record]).causes).toEqual([]);
});

test('through the pipeline: a failed probe withdraws the target from the answer and localtargets-, with its decision record', () => {
  const prober = new FakeProber();
  const stage = new ProbeStage({ localGeoTag: 'eu', prober, maxProbes: 100 });
  const holder = new TableHolder();
  const pipeline = new TablePipeline({
    zones: [ZONE],
    localGeoTag: 'eu',
    holder,
    metrics: { recordBuild: () => undefined, recordInternalError: () => undefined },
    logger: capturingLogger().logger,
    now: () => 1_790_000_000_000,
    batchMs: 10,
    stages: [stage],
  });
  const records: DecisionRecord[] = [];
  pipeline.onDecisions((batch) => records.push(...batch));
  pipeline.openAnswers();
  pipeline.setRecords([withProbe(gslb('shop/web', [APP], ['192.0.2.1', '192.0.2.2']))]);
  pipeline.flush();
  expect(served(holder.current()!, APP)).toEqual(['192.0.2.1', '192.0.2.2']);
  const key = prober.keyOf('192.0.2.1');
  prober.verdicts.set(key, 'down');
  stage.verdictChanged(key, change('up', 'down', 'timeout'));
  pipeline.flush();
  expect(served(holder.current()!, APP)).toEqual(['192.0.2.2']);
  expect(served(holder.current()!, `localtargets-${APP}`)).toEqual(['192.0.2.2']);
  expect(records.at(-1)!.causes).toEqual([
    expect.objectContaining({
      kind: 'probe-failed',
      detail: expect.stringContaining('failed: timeout') as unknown,
    }),
  ]);
  pipeline.stop();
});
