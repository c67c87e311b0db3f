import fc from 'fast-check';
import type { ClientSubnet } from '../../../src/dns/query';
import { hostSubnet, lookupKey } from '../../../src/geo/lookup-address';

function subnet(family: 1 | 2, sourcePrefixLength: number, bytes: number[]): ClientSubnet {
  return { family, sourcePrefixLength, address: Buffer.from(bytes) };
}

const MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

describe('lookupKey', () => {
  it.each([
    ['IPv4 /24', subnet(1, 24, [10, 1, 2]), 6, '10.1.2.0', 24, 0],
    ['IPv4 /32 in an IPv4 tree', subnet(1, 32, [10, 1, 2, 3]), 4, '10.1.2.3', 32, 0],
    ['IPv4 bits past the prefix', subnet(1, 12, [10, 0xff]), 6, '10.240.0.0', 12, 0],
    [
      'IPv6 /56',
      subnet(2, 56, [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0x22]),
      6,
      '2001:db8:1:2200:0:0:0:0',
      56,
      0,
    ],
    ['IPv4-mapped /120', subnet(2, 120, [...MAPPED, 10, 2, 3]), 6, '10.2.3.0', 24, 96],
    [
      'IPv4-mapped in an IPv4 tree',
      subnet(2, 128, [...MAPPED, 10, 2, 3, 4]),
      4,
      '10.2.3.4',
      32,
      96,
    ],
    ['IPv4-mapped /100, bits cut', subnet(2, 100, [...MAPPED, 0xff]), 6, '240.0.0.0', 4, 96],
  ])('%s', (_name, input, ipVersion, address, sourcePrefixLength, prefixOffset) => {
    expect(lookupKey(input, ipVersion)).toEqual({ address, sourcePrefixLength, prefixOffset });
  });

  it.each([
    ['a SOURCE PREFIX-LENGTH of 0 (IPv4)', subnet(1, 0, []), 6],
    ['a SOURCE PREFIX-LENGTH of 0 (IPv6)', subnet(2, 0, []), 6],
    ['the whole mapped range (::ffff:0:0/96)', subnet(2, 96, MAPPED), 6],
    ['IPv6 in an IPv4 tree', subnet(2, 64, [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0]), 4],
    [
      'a prefix shorter than the mapped range, in an IPv4 tree',
      subnet(2, 80, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      4,
    ],
  ])('is null for %s', (_name, input, ipVersion) => {
    expect(lookupKey(input, ipVersion)).toBeNull();
  });

  it('looks a prefix shorter than the mapped range up as IPv6', () => {
    expect(lookupKey(subnet(2, 80, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 6)).toEqual({
      address: '0:0:0:0:0:0:0:0',
      sourcePrefixLength: 80,
      prefixOffset: 0,
    });
  });
});

describe('hostSubnet', () => {
  it.each([
    ['10.1.2.3', 1, [10, 1, 2, 3]],
    ['0.0.0.0', 1, [0, 0, 0, 0]],
    ['::', 2, Array(16).fill(0)],
    ['::1', 2, [...Array(15).fill(0), 1]],
    ['1::', 2, [0, 1, ...Array(14).fill(0)]],
    ['2001:db8::1:0:0:1', 2, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]],
    ['::ffff:10.1.0.1', 2, [...MAPPED, 10, 1, 0, 1]],
    ['::FFFF:a01:1', 2, [...MAPPED, 10, 1, 0, 1]],
    ['fe80::1%eth0', 2, [0xfe, 0x80, ...Array(13).fill(0), 1]],
  ])('parses %s', (text, family, bytes) => {
    const parsed = hostSubnet(text);
    expect(parsed).toEqual({
      family,
      sourcePrefixLength: family === 1 ? 32 : 128,
      address: Buffer.from(bytes),
    });
  });

  it.each(['', 'eu', '10.1.2', '10.1.2.256', '1:2:3:4:5:6:7:8:9', '1::2::3', '10.1.2.3/32'])(
    'rejects %p',
    (text) => {
      expect(hostSubnet(text)).toBeNull();
    },
  );

  it('agrees with the WHATWG URL parser on every IPv6 spelling it produces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const groups: string[] = [];
        for (let i = 0; i < 16; i += 2)
          groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
        // The URL parser writes the shortest form (RFC 5952), `::` included.
        const shortest = new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
        expect(hostSubnet(shortest)?.address).toEqual(Buffer.from(bytes));
        expect(hostSubnet(groups.join(':'))?.address).toEqual(Buffer.from(bytes));
      }),
    );
  });
});
