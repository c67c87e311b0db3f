/**
 * Builds queries and reads replies with dns-packet, independently of the
 * code under test, so answer tests check bytes against a second decoder.
 */
import * as dnsPacket from 'dns-packet';

/** Options of a test query. */
export interface QueryOptions {
  readonly id?: number;
  readonly recursionDesired?: boolean;
  readonly qclass?: dnsPacket.RecordClass;
  readonly edns?: {
    readonly dnssecOk?: boolean;
    readonly clientSubnet?: string;
    readonly extraOptions?: readonly { code: number; data: Buffer }[];
  };
}

/** Encodes a query for `name`/`type`. */
export function query(name: string, type: string, options: QueryOptions = {}): Buffer {
  const packet: dnsPacket.Packet = {
    type: 'query',
    id: options.id ?? 4242,
    flags: options.recursionDesired === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as dnsPacket.RecordType, class: options.qclass ?? 'IN' }],
  };
  if (options.edns !== undefined) {
    const opts: dnsPacket.PacketOpt[] = [];
    if (options.edns.clientSubnet !== undefined) {
      const [ip, prefix] = options.edns.clientSubnet.split('/');
      opts.push({ code: 8, ip: ip ?? '', sourcePrefixLength: Number(prefix) });
    }
    for (const extra of options.edns.extraOptions ?? []) {
      opts.push(extra as unknown as dnsPacket.PacketOpt);
    }
    packet.additionals = [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: 4096,
        flags: options.edns.dnssecOk === true ? dnsPacket.DNSSEC_OK : 0,
        options: opts,
      } as dnsPacket.OptAnswer,
    ];
  }
  return dnsPacket.encode(packet);
}

/** A decoded reply with the fields tests assert on. */
export interface DecodedReply {
  readonly id: number;
  readonly rcode: string;
  readonly flags: { qr: boolean; aa: boolean; tc: boolean; rd: boolean };
  readonly questions: dnsPacket.Question[];
  readonly answers: dnsPacket.Answer[];
  readonly authorities: dnsPacket.Answer[];
  readonly additionals: dnsPacket.Answer[];
  readonly opt: dnsPacket.OptAnswer | undefined;
  readonly extendedRcode: number;
}

/** Decodes a reply, failing the test if dns-packet cannot. */
export function decodeReply(bytes: Uint8Array): DecodedReply {
  const packet = dnsPacket.decode(Buffer.from(bytes));
  const flags = packet.flags ?? 0;
  const opt = (packet.additionals ?? []).find((r): r is dnsPacket.OptAnswer => r.type === 'OPT');
  return {
    id: packet.id ?? -1,
    rcode: (packet as { rcode?: string }).rcode ?? '?',
    flags: {
      qr: packet.type === 'response',
      aa: (flags & dnsPacket.AUTHORITATIVE_ANSWER) !== 0,
      tc: (flags & dnsPacket.TRUNCATED_RESPONSE) !== 0,
      rd: (flags & dnsPacket.RECURSION_DESIRED) !== 0,
    },
    questions: packet.questions ?? [],
    answers: packet.answers ?? [],
    authorities: packet.authorities ?? [],
    additionals: packet.additionals ?? [],
    opt,
    extendedRcode: opt?.extendedRcode ?? 0,
  };
}

/** Returns `name TTL TYPE data` lines for a section, for readable assertions. */
export function rrLines(records: readonly dnsPacket.Answer[]): string[] {
  return records.map((r) => {
    const data = 'data' in r ? r.data : '';
    const text =
      typeof data === 'object' && !Buffer.isBuffer(data) ? JSON.stringify(data) : String(data);
    return `${r.name} ${'ttl' in r ? r.ttl : ''} ${r.type} ${text}`;
  });
}

/** Returns the address of each A or AAAA record (other records are skipped). */
export function addressesOf(records: readonly dnsPacket.Answer[]): string[] {
  return records.flatMap((r) => (r.type === 'A' || r.type === 'AAAA' ? [r.data] : []));
}
