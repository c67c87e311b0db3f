import { Registry } from 'prom-client';
import {
  createProbeMetrics,
  PROBE_METRIC_NAMES,
  probeOutcomeOf,
} from '../../../src/telemetry/probe-metrics';

test.each([
  [null, 'ok'],
  ['timeout', 'timeout'],
  ['refused', 'refused'],
  ['connection closed', 'closed'],
  ['TLS error: CERT_HAS_EXPIRED', 'tls_error'],
  ['status 503', 'status'],
  ['body mismatch', 'body_mismatch'],
  ['EHOSTUNREACH: no route', 'other'],
])('the outcome of %j is %s', (error, outcome) => {
  expect(probeOutcomeOf(error)).toBe(outcome);
});

test('checks by type and outcome, their duration, skips, and the probes running and down', async () => {
  const registry = new Registry();
  const metrics = createProbeMetrics(registry, () => ({ probes: 3, down: 1 }));
  metrics.recordCheck('https', 'status 503', 0.02);
  metrics.recordCheck('https', null, 0.01);
  metrics.recordSkipped('tcp');
  const text = await registry.metrics();
  expect(text).toContain(`${PROBE_METRIC_NAMES.checks}{type="https",outcome="status"} 1`);
  expect(text).toContain(`${PROBE_METRIC_NAMES.checks}{type="https",outcome="ok"} 1`);
  // Every series exists from the start, at zero.
  expect(text).toContain(`${PROBE_METRIC_NAMES.checks}{type="tcp",outcome="refused"} 0`);
  expect(text).toContain(`${PROBE_METRIC_NAMES.duration}_count{type="https"} 2`);
  expect(text).toContain(`${PROBE_METRIC_NAMES.skipped}{type="tcp"} 1`);
  expect(text).toContain(`${PROBE_METRIC_NAMES.probes} 3`);
  expect(text).toContain(`${PROBE_METRIC_NAMES.down} 1`);
});
