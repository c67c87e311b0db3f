/**
 * A DnsService client built from proto/dns.proto, as CoreDNS's grpc plugin
 * would call it.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';

/** Outcome of one call: the reply bytes or the gRPC error. */
export type CallResult = { ok: true; msg: Buffer } | { ok: false; code: number; details: string };

/** A connected client. */
export interface DnsClient {
  query(message: Buffer, timeoutMs?: number): Promise<CallResult>;
  close(): void;
}

type RawClient = grpc.Client & {
  Query(
    request: { msg: Buffer },
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, reply?: { msg: Buffer }) => void,
  ): void;
};

/** Connects to `address` (host:port or unix:/path). */
export function createDnsClient(
  address: string,
  credentials = grpc.credentials.createInsecure(),
  options: grpc.ChannelOptions = {},
): DnsClient {
  const definition = protoLoader.loadSync(join(__dirname, '..', '..', 'proto', 'dns.proto'), {
    keepCase: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    coredns: {
      dns: {
        DnsService: new (
          a: string,
          c: grpc.ChannelCredentials,
          o: grpc.ChannelOptions,
        ) => RawClient;
      };
    };
  };
  const client = new loaded.coredns.dns.DnsService(address, credentials, {
    'grpc.max_receive_message_length': 65_539,
    'grpc.max_send_message_length': 1 << 20,
    ...options,
  });
  return {
    query: (message, timeoutMs = 5_000) =>
      new Promise((resolve) => {
        client.Query({ msg: message }, { deadline: Date.now() + timeoutMs }, (err, reply) => {
          if (err !== null) resolve({ ok: false, code: err.code, details: err.details });
          else resolve({ ok: true, msg: reply?.msg ?? Buffer.alloc(0) });
        });
      }),
    close: () => client.close(),
  };
}
