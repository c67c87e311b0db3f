/**
 * The coredns.dns.DnsService/Query handler. DNS outcomes, including FORMERR,
 * go back as DNS messages with gRPC OK; non-OK statuses are kept for faults,
 * because CoreDNS turns any of them into SERVFAIL (and NOT_FOUND into an
 * NXDOMAIN without SOA).
 */
import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { messageOf } from '../errors';
import type { Responder } from '../serving/responder';
import type { Logger } from '../telemetry/logger';
import type { Metrics } from '../telemetry/metrics';

/** The protobuf message of both directions: `bytes msg = 1`. */
export interface DnsPacket {
  msg: Buffer;
}

/** A unary handler as grpc-js calls it. */
export type QueryHandler = (
  call: ServerUnaryCall<DnsPacket, DnsPacket>,
  callback: sendUnaryData<DnsPacket>,
) => void;

/** Creates the Query handler; synchronous from request to callback. */
export function createQueryHandler(
  respond: Responder,
  metrics: Metrics,
  logger: Logger,
): QueryHandler {
  return (call, callback) => {
    try {
      const message = call.request.msg;
      const result = respond(
        'grpc',
        Buffer.isBuffer(message) ? message : Buffer.from(message ?? []),
      );
      switch (result.kind) {
        case 'answered':
          callback(null, { msg: result.reply });
          return;
        case 'unanswerable':
          metrics.recordGrpcError('INVALID_ARGUMENT');
          callback({
            code: status.INVALID_ARGUMENT,
            details: `MERIDIAN_ERR_BAD_QUERY: ${result.reason}`,
          });
          return;
        case 'not-ready':
          metrics.recordGrpcError('UNAVAILABLE');
          callback({
            code: status.UNAVAILABLE,
            details:
              'MERIDIAN_ERR_NOT_READY: not answering yet (table not built or peers not polled)',
          });
          return;
      }
    } catch (err) {
      metrics.recordGrpcError('INTERNAL');
      logger.error({ err, code: 'MERIDIAN_ERR_INTERNAL' }, 'query failed unexpectedly');
      callback({ code: status.INTERNAL, details: `MERIDIAN_ERR_INTERNAL: ${messageOf(err)}` });
    }
  };
}
