/**
 * The gRPC server CoreDNS's grpc plugin talks to: DnsService from
 * proto/dns.proto, the standard health service, CoreDNS's message-size caps,
 * and optional TLS or mutual TLS.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { HealthImplementation } from 'grpc-health-check';
import { MeridianError, messageOf } from '../errors';
import type { GrpcListen, TlsFiles } from '../config/load-config';
import type { QueryHandler } from './dns-service';

/** Path of the verbatim CoreDNS contract, relative to the package root. */
export const PROTO_PATH = join(__dirname, '..', '..', 'proto', 'dns.proto');

/** CoreDNS caps both directions at dns.MaxMsgSize plus 4 bytes of protobuf framing (plugin/grpc/proxy.go). */
export const MAX_GRPC_MESSAGE_BYTES = 65_535 + 4;

/** Concurrent gRPC calls per connection. */
export const MAX_CONCURRENT_STREAMS = 1024;

/** The service name health checks use. */
export const DNS_SERVICE_NAME = 'coredns.dns.DnsService';

/** A listening gRPC server. */
export interface GrpcEndpoint {
  /** The bound TCP port, or 0 for a unix socket. */
  readonly port: number;
  /** Sets the health of '' and the DNS service. */
  setServing(serving: boolean): void;
  /** Stops accepting calls, lets in-flight calls finish for up to `deadlineMs`, then cuts. */
  shutdown(deadlineMs: number): Promise<void>;
}

/** Loads the DnsService definition from proto/dns.proto. */
export function loadDnsServiceDefinition(): grpc.ServiceDefinition {
  const definition = protoLoader.loadSync(PROTO_PATH, { keepCase: true, defaults: false });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    coredns: { dns: { DnsService: grpc.ServiceClientConstructor } };
  };
  return loaded.coredns.dns.DnsService.service;
}

/** Starts the server; rejects with MERIDIAN_ERR_LISTEN or MERIDIAN_ERR_TLS. */
export async function startGrpcServer(
  listen: GrpcListen,
  tls: TlsFiles | null,
  handler: QueryHandler,
): Promise<GrpcEndpoint> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
    // CoreDNS keeps one connection open for good; answer its keepalive pings.
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000,
    // Channelz keeps per-call statistics and references for a debugging
    // service Meridian does not expose; it costs CPU and memory on every query.
    'grpc.enable_channelz': 0,
    // A bound on concurrent calls per connection; CoreDNS's client queues
    // further queries until a stream frees up (HTTP/2 flow control), so this
    // caps memory without failing queries.
    'grpc.max_concurrent_streams': MAX_CONCURRENT_STREAMS,
  });
  server.addService(loadDnsServiceDefinition(), { Query: handler });
  const health = new HealthImplementation({ '': 'NOT_SERVING', [DNS_SERVICE_NAME]: 'NOT_SERVING' });
  health.addToServer(server);

  const credentials = serverCredentials(tls);
  const address =
    listen.kind === 'unix' ? `unix:${listen.path}` : `${bracketed(listen.host)}:${listen.port}`;
  if (listen.kind === 'unix' && existsSync(listen.path)) rmSync(listen.path);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (err, boundPort) => {
      if (err === null) resolve(boundPort);
      else
        reject(
          new MeridianError('MERIDIAN_ERR_LISTEN', `gRPC ${address}: ${err.message}`, {
            cause: err,
          }),
        );
    });
  });

  return {
    port: listen.kind === 'unix' ? 0 : port,
    setServing(serving) {
      const state = serving ? 'SERVING' : 'NOT_SERVING';
      health.setStatus('', state);
      health.setStatus(DNS_SERVICE_NAME, state);
    },
    shutdown: (deadlineMs) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, deadlineMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

function serverCredentials(tls: TlsFiles | null): grpc.ServerCredentials {
  if (tls === null) return grpc.ServerCredentials.createInsecure();
  const read = (file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new MeridianError('MERIDIAN_ERR_TLS', `cannot read ${file}: ${messageOf(err)}`, {
        cause: err,
      });
    }
  };
  const keyPair = { cert_chain: read(tls.certFile), private_key: read(tls.keyFile) };
  const clientCa = tls.clientCaFile === null ? null : read(tls.clientCaFile);
  try {
    return grpc.ServerCredentials.createSsl(clientCa, [keyPair], clientCa !== null);
  } catch (err) {
    throw new MeridianError('MERIDIAN_ERR_TLS', `invalid TLS material: ${messageOf(err)}`, {
      cause: err,
    });
  }
}

function bracketed(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
