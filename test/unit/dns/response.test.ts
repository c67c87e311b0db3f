import { Flag } from '../../../src/dns/constants';
import type { EdnsInfo } from '../../../src/dns/query';
import {
  EMPTY_SECTION,
  writeReply,
  writeTruncatedReply,
  type ReplyParts,
  type SectionBytes,
} from '../../../src/dns/response';
import { encodeRecordTail } from '../../../src/dns/wire';
import { decodeReply, query, rrLines } from '../../../harness/dns-case';

const NAME = 'app.cloud.example.org';
/** QNAME, QTYPE and QCLASS as a query carries them. */
const QUESTION = query(NAME, 'A').subarray(12);

/** Records owned by the question name (pointer 0xC00C). */
function section(...tails: Buffer[]): SectionBytes {
  return {
    bytes: Buffer.concat(tails.map((tail) => Buffer.concat([Buffer.from([0xc0, 0x0c]), tail]))),
    count: tails.length,
  };
}

const aTail = (address: string): Buffer => encodeRecordTail({ type: 'A', ttl: 30, address });
const TWO_A = section(aTail('192.0.2.1'), aTail('192.0.2.2'));
const SOA = section(
  encodeRecordTail({
    type: 'SOA',
    ttl: 60,
    mname: 'ns.example.org',
    rname: 'hostmaster.example.org',
    serial: 7,
    refresh: 7200,
    retry: 1800,
    expire: 86400,
    minimum: 60,
  }),
);

const EDNS: EdnsInfo = { udpPayloadSize: 512, dnssecOk: false, clientSubnet: null };
const EDNS_DO: EdnsInfo = { ...EDNS, dnssecOk: true };
const EDNS_ECS: EdnsInfo = {
  ...EDNS,
  clientSubnet: { family: 1, sourcePrefixLength: 24, address: Buffer.from([198, 51, 100]) },
};
const EDNS_ECS6: EdnsInfo = {
  ...EDNS,
  clientSubnet: {
    family: 2,
    sourcePrefixLength: 56,
    address: Buffer.from([0x20, 1, 0xd, 0xb8, 0, 1, 2]),
  },
};

function parts(patch: Partial<ReplyParts> = {}): ReplyParts {
  return {
    id: 0x1234,
    requestFlags: Flag.RD,
    authoritative: true,
    rcode: 0,
    question: QUESTION,
    answer: TWO_A,
    authority: EMPTY_SECTION,
    edns: null,
    clientSubnetScope: 0,
    ...patch,
  };
}

/** QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT. */
function counts(reply: Buffer): number[] {
  return [4, 6, 8, 10].map((offset) => reply.readUInt16BE(offset));
}

describe('writeReply', () => {
  test('header, question and answer records', () => {
    const bytes = writeReply(parts());
    expect(counts(bytes)).toEqual([1, 2, 0, 0]);
    expect(bytes.length).toBe(12 + QUESTION.length + TWO_A.bytes.length);
    const reply = decodeReply(bytes);
    expect(reply.id).toBe(0x1234);
    expect(reply.flags).toEqual({ qr: true, aa: true, tc: false, rd: true });
    expect(reply.rcode).toBe('NOERROR');
    expect(reply.questions).toEqual([{ name: NAME, type: 'A', class: 'IN' }]);
    expect(rrLines(reply.answers)).toEqual([`${NAME} 30 A 192.0.2.1`, `${NAME} 30 A 192.0.2.2`]);
    expect(reply.opt).toBeUndefined();
  });

  test.each<[string, number, boolean, number, number]>([
    ['RD copied', Flag.RD, true, 0, Flag.QR | Flag.AA | Flag.RD],
    ['nothing to copy, not authoritative', 0, false, 5, Flag.QR | 5],
    [
      'CD and the opcode copied',
      Flag.CD | (2 << 11),
      true,
      0,
      Flag.QR | Flag.AA | Flag.CD | (2 << 11),
    ],
    [
      'TC, RA, AD, AA and the rcode of the query are not copied',
      Flag.TC | Flag.RA | Flag.AD | Flag.AA | 0x000f,
      false,
      3,
      Flag.QR | 3,
    ],
    ['only the low four bits of an extended rcode', Flag.RD, false, 16, Flag.QR | Flag.RD],
  ])('flags: %s', (_label, requestFlags, authoritative, rcode, expected) => {
    const bytes = writeReply(parts({ requestFlags, authoritative, rcode }));
    expect(bytes.readUInt16BE(2)).toBe(expected);
  });

  test('no question: QDCOUNT 0', () => {
    const bytes = writeReply(parts({ question: null, answer: EMPTY_SECTION, rcode: 1 }));
    expect(counts(bytes)).toEqual([0, 0, 0, 0]);
    expect(bytes).toHaveLength(12);
    expect(decodeReply(bytes).rcode).toBe('FORMERR');
  });

  test.each<[string, Partial<ReplyParts>, object]>([
    [
      'plain',
      { edns: EDNS },
      { udpPayloadSize: 1232, ednsVersion: 0, extendedRcode: 0, flag_do: false, options: [] },
    ],
    ['DO echoed', { edns: EDNS_DO }, { flag_do: true, options: [] }],
    [
      'extended rcode BADVERS in the OPT TTL',
      { edns: EDNS, rcode: 16 },
      { extendedRcode: 1, ednsVersion: 0, flag_do: false },
    ],
    [
      'client subnet echoed with the scope',
      { edns: EDNS_ECS, clientSubnetScope: 24 },
      {
        options: [
          { code: 8, family: 1, sourcePrefixLength: 24, scopePrefixLength: 24, ip: '198.51.100.0' },
        ],
      },
    ],
    [
      'IPv4 scope capped at 32',
      { edns: EDNS_ECS, clientSubnetScope: 64 },
      { options: [expect.objectContaining({ scopePrefixLength: 32 })] },
    ],
    [
      'IPv6 client subnet',
      { edns: EDNS_ECS6, clientSubnetScope: 48 },
      {
        options: [
          {
            code: 8,
            family: 2,
            sourcePrefixLength: 56,
            scopePrefixLength: 48,
            ip: '2001:db8:1:200::',
          },
        ],
      },
    ],
    [
      'IPv6 scope capped at 128',
      { edns: EDNS_ECS6, clientSubnetScope: 200 },
      { options: [expect.objectContaining({ scopePrefixLength: 128 })] },
    ],
  ])('OPT: %s', (_label, patch, opt) => {
    const bytes = writeReply(parts(patch));
    expect(counts(bytes)).toEqual([1, 2, 0, 1]);
    const reply = decodeReply(bytes);
    expect(reply.opt).toMatchObject({ name: '.', type: 'OPT', ...opt });
    expect(reply.answers).toHaveLength(2);
  });
});

describe('writeTruncatedReply', () => {
  const MANY_A = section(...Array.from({ length: 100 }, (_, i) => aTail(`198.51.100.${i}`)));

  test.each<[string, Partial<ReplyParts>]>([
    ['answer without EDNS', {}],
    ['100 answers with EDNS', { answer: MANY_A, edns: EDNS }],
    [
      'NXDOMAIN with an SOA authority and DO',
      { rcode: 3, answer: EMPTY_SECTION, authority: SOA, edns: EDNS_DO },
    ],
    ['client subnet', { edns: EDNS_ECS, clientSubnetScope: 24 }],
    ['not authoritative, RD clear', { authoritative: false, requestFlags: 0, rcode: 5 }],
  ])('%s: TC set, answer and authority dropped, header and OPT kept', (_label, patch) => {
    const input = parts(patch);
    const full = decodeReply(writeReply(input));
    const bytes = writeTruncatedReply(input);
    const hasOpt = input.edns !== null ? 1 : 0;
    expect(counts(bytes)).toEqual([1, 0, 0, hasOpt]);
    expect(bytes.length).toBeLessThanOrEqual(512);
    expect(bytes.readUInt16BE(2)).toBe(writeReply(input).readUInt16BE(2) | Flag.TC);
    const reply = decodeReply(bytes);
    expect(reply.flags).toEqual({ ...full.flags, tc: true });
    expect(reply.id).toBe(0x1234);
    expect(reply.rcode).toBe(full.rcode);
    expect(reply.questions).toEqual([{ name: NAME, type: 'A', class: 'IN' }]);
    expect(reply.answers).toEqual([]);
    expect(reply.authorities).toEqual([]);
    expect(reply.opt).toEqual(full.opt);
    expect(reply.additionals).toHaveLength(hasOpt);
  });

  test('the parts are left as they were', () => {
    const input = parts({ authority: SOA });
    writeTruncatedReply(input);
    expect(input.answer).toBe(TWO_A);
    expect(input.authority).toBe(SOA);
    expect(counts(writeReply(input))).toEqual([1, 2, 1, 0]);
  });
});
