/**
 * The Query handler's fault paths, with a stand-in responder: DNS outcomes
 * come back as messages; only faults become gRPC statuses, never NOT_FOUND.
 */
import { status, type sendUnaryData, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { createQueryHandler, type DnsPacket } from '../../../src/grpc/dns-service';
import type { Responder } from '../../../src/serving/responder';
import { capturingLogger, metricsOnNewRegistry } from '../../helpers/telemetry';

interface Outcome {
  readonly error: Partial<ServiceError> | null;
  readonly reply: DnsPacket | undefined;
  readonly logs: Record<string, unknown>[];
  readonly registry: Registry;
}

function call(respond: Responder, msg: unknown = Buffer.from([0, 1])): Outcome {
  const { registry, metrics } = metricsOnNewRegistry();
  const { logger, logs } = capturingLogger();
  let error: Partial<ServiceError> | null = null;
  let reply: DnsPacket | undefined;
  const callback: sendUnaryData<DnsPacket> = (err, value) => {
    error = err;
    reply = value ?? undefined;
  };
  const request = { request: { msg } } as unknown as ServerUnaryCall<DnsPacket, DnsPacket>;
  createQueryHandler(respond, metrics, logger)(request, callback);
  return { error, reply, logs, registry };
}

const counter = async (registry: Registry, code: string): Promise<string> =>
  (await registry.getSingleMetricAsString('meridian_grpc_errors_total'))
    .split('\n')
    .find((l) => l.includes(`code="${code}"`)) ?? '';

test('before the first table: UNAVAILABLE with MERIDIAN_ERR_NOT_READY, counted', async () => {
  const outcome = call(() => ({ kind: 'not-ready' }));
  expect(outcome.error).toEqual({
    code: status.UNAVAILABLE,
    details: 'MERIDIAN_ERR_NOT_READY: not answering yet (table not built or peers not polled)',
  });
  expect(await counter(outcome.registry, 'UNAVAILABLE')).toBe(
    'meridian_grpc_errors_total{code="UNAVAILABLE"} 1',
  );
});

test('an exception while answering: INTERNAL, logged once with its code, counted', async () => {
  const outcome = call(() => {
    throw new Error('boom');
  });
  expect(outcome.error).toEqual({ code: status.INTERNAL, details: 'MERIDIAN_ERR_INTERNAL: boom' });
  expect(outcome.logs).toHaveLength(1);
  expect(outcome.logs[0]).toMatchObject({
    level: 'error',
    code: 'MERIDIAN_ERR_INTERNAL',
    msg: 'query failed unexpectedly',
  });
  expect(await counter(outcome.registry, 'INTERNAL')).toBe(
    'meridian_grpc_errors_total{code="INTERNAL"} 1',
  );
});

test('a message that is not a Buffer is copied into one before answering', () => {
  let seen: Buffer | null = null;
  const reply = Buffer.from([9]);
  const outcome = call(
    (_transport, message) => {
      seen = message;
      return { kind: 'answered', reply, rcode: 0, qtype: 1, parts: {} as never };
    },
    new Uint8Array([1, 2, 3]),
  );
  expect(Buffer.isBuffer(seen)).toBe(true);
  expect(outcome).toMatchObject({ error: null, reply: { msg: reply } });
});
