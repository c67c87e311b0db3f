/**
 * Addresses in settings: listeners (`HOST:PORT`, `[IPV6]:PORT`, `unix:/PATH`)
 * and DNS servers as k8gb writes EDGE_DNS_SERVERS (`IP`, `IP:PORT`, a bare
 * IPv6 address or `[IPV6]:PORT`, port 53 by default). Parsed once, at
 * start-up; everything after sees HostPort values. Pure.
 */
import { isIP } from 'node:net';
import { InvalidValue } from './value-parsers';

/** HOST:PORT for a TCP or UDP listener, or a DNS server. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Where the gRPC server listens. */
export type GrpcListen =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

/** Parses HOST:PORT or [IPV6]:PORT; throws InvalidValue. */
export function parseHostPort(value: string): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  if (match === null) throw new InvalidValue('must be HOST:PORT or [IPV6]:PORT');
  const host = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  if (port > 65_535) throw new InvalidValue('port must be from 0 to 65535');
  if (match[1] !== undefined && isIP(host) !== 6)
    throw new InvalidValue(`${host} is not an IPv6 address`);
  return { host, port };
}

/** Parses MERIDIAN_GRPC_LISTEN: a TCP address or `unix:/PATH`. */
export function parseGrpcListen(value: string): GrpcListen {
  if (value.startsWith('unix:')) {
    const path = value.slice('unix:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path.startsWith('/'))
      throw new InvalidValue('unix socket path must be absolute (unix:/PATH)');
    return { kind: 'unix', path };
  }
  return { kind: 'tcp', ...parseHostPort(value) };
}

/**
 * Parses one DNS server as EDGE_DNS_SERVERS writes it: `IP`, `IP:PORT`, a bare
 * IPv6 address or `[IPV6]:PORT`; the port defaults to 53. Throws InvalidValue
 * that says what is wrong.
 */
export function parseDnsServer(server: string): HostPort {
  const [host, port] = splitServer(server);
  if (isIP(host) === 0)
    throw new InvalidValue(
      `${JSON.stringify(server)} is not IP or IP:PORT (use an address, not a name)`,
    );
  if (port === undefined) return { host, port: 53 };
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65_535)
    throw new InvalidValue(`${JSON.stringify(server)}: port must be 1-65535`);
  return { host, port: Number(port) };
}

/** Parses k8gb's comma-separated `host[:port]` list, limited to IP addresses. */
export function parseDnsServers(value: string): HostPort[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(parseDnsServer);
}

/** `IP:PORT`, or `[IPV6]:PORT`: the form node:dns and logs take. */
export function hostPortText(server: HostPort): string {
  return server.host.includes(':')
    ? `[${server.host}]:${server.port}`
    : `${server.host}:${server.port}`;
}

/** Splits `IP`, `IP:PORT`, `IPV6` or `[IPV6]:PORT`; a host of '' means unreadable. */
function splitServer(server: string): [string, string | undefined] {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  if (bracketed !== null) {
    const host = bracketed[1] ?? '';
    return [isIP(host) === 6 ? host : '', bracketed[2]];
  }
  if (isIP(server) === 6) return [server, undefined];
  const parts = server.split(':');
  return parts.length > 2 ? ['', undefined] : [parts[0] ?? '', parts[1]];
}

/**
 * The servers among `texts` (the system's resolvers, say) that can be asked:
 * forms parseDnsServer refuses are passed to `skipped` with the reason instead.
 */
export function usableDnsServers(
  texts: readonly string[],
  skipped: (text: string, reason: string) => void,
): HostPort[] {
  return texts.flatMap((text) => {
    try {
      return [parseDnsServer(text)];
    } catch (err) {
      if (!(err instanceof InvalidValue)) throw err;
      skipped(text, err.message);
      return [];
    }
  });
}
