import {
  hostPortText,
  parseDnsServer,
  parseDnsServers,
  parseHostPort,
  usableDnsServers,
} from '../../../src/config/host-port';

describe('parseHostPort', () => {
  test.each<[string, { host: string; port: number }]>([
    ['127.0.0.1:5353', { host: '127.0.0.1', port: 5353 }],
    ['[2001:db8::1]:53', { host: '2001:db8::1', port: 53 }],
    ['dns.internal:53', { host: 'dns.internal', port: 53 }],
  ])('parseHostPort(%j)', (value, expected) => {
    expect(parseHostPort(value)).toStrictEqual(expected);
  });

  test.each<[string, string]>([
    ['53', 'must be HOST:PORT or [IPV6]:PORT'],
    ['[::1]', 'must be HOST:PORT or [IPV6]:PORT'],
    ['host:99999', 'port must be from 0 to 65535'],
    ['[fe80::1%]:53', 'fe80::1% is not an IPv6 address'],
  ])('parseHostPort(%j) throws %j', (value, message) => {
    expect(() => parseHostPort(value)).toThrow(new Error(message));
  });
});

describe('DNS servers', () => {
  test.each<[string, { host: string; port: number }]>([
    ['10.0.0.53', { host: '10.0.0.53', port: 53 }],
    ['10.0.0.53:1053', { host: '10.0.0.53', port: 1053 }],
    ['::1', { host: '::1', port: 53 }],
    ['[::1]:5353', { host: '::1', port: 5353 }],
    ['[::1]', { host: '::1', port: 53 }],
  ])('parseDnsServer(%j)', (text, expected) => {
    expect(parseDnsServer(text)).toEqual(expected);
  });

  test('a list keeps its order; the text form brackets IPv6', () => {
    const servers = parseDnsServers(' 10.0.0.53:1053, ,2001:db8::54');
    expect(servers).toEqual([
      { host: '10.0.0.53', port: 1053 },
      { host: '2001:db8::54', port: 53 },
    ]);
    expect(servers.map(hostPortText)).toEqual(['10.0.0.53:1053', '[2001:db8::54]:53']);
  });

  test('usableDnsServers skips what cannot be asked and says why', () => {
    const skipped: string[] = [];
    expect(
      usableDnsServers(['10.0.0.53', '10.0.0.54:0', 'dns.example.org'], (text, reason) =>
        skipped.push(`${text}: ${reason}`),
      ),
    ).toEqual([{ host: '10.0.0.53', port: 53 }]);
    expect(skipped).toEqual([
      '10.0.0.54:0: "10.0.0.54:0": port must be 1-65535',
      'dns.example.org: "dns.example.org" is not IP or IP:PORT (use an address, not a name)',
    ]);
  });
});
