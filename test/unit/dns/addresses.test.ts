/**
 * One spelling per address and one rule for what can be served: the
 * canonical forms, the refusals (zone-scoped IPv6, anything not an address)
 * and IPv4-mapped IPv6 read as the IPv4 address it maps.
 */
import { canonicalAddress, parseAddress } from '../../../src/dns/addresses';

test.each([
  ['192.0.2.1', { family: 4, address: '192.0.2.1' }],
  ['2001:DB8:0:0:0:0:0:1', { family: 6, address: '2001:db8::1' }],
  ['::ffff:192.0.2.1', { family: 4, address: '192.0.2.1' }],
  ['::FFFF:C000:0201', { family: 4, address: '192.0.2.1' }],
  ['0:0:0:0:0:ffff:cb00:71ff', { family: 4, address: '203.0.113.255' }],
  // Not mapped: an IPv4-compatible (deprecated) and a NAT64 address stay IPv6.
  ['::192.0.2.1', { family: 6, address: '::c000:201' }],
  ['64:ff9b::192.0.2.1', { family: 6, address: '64:ff9b::c000:201' }],
])('%s is %j', (text, parsed) => {
  expect(parseAddress(text)).toEqual(parsed);
});

test.each(['fe80::1%eth0', 'fe80::1%25eth0', '192.0.2.300', 'a'.repeat(300), '', ' 192.0.2.1'])(
  '%j is not servable, and canonicalAddress leaves it as it is',
  (text) => {
    expect(parseAddress(text)).toBeNull();
    expect(canonicalAddress(text)).toBe(text);
  },
);
