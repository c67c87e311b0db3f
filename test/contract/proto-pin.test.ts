/**
 * proto/dns.proto is CoreDNS's contract byte for byte (pb/dns.proto of
 * github.com/coredns/coredns v1.14.7); a changed file must be a deliberate
 * upgrade, with proto/README.md updated alongside this hash.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const COREDNS_V1_14_7_DNS_PROTO_SHA256 =
  '91466eb8d58ef663419582cec53a84ef9af70230576e15f47525cafa66d9f986';

test('proto/dns.proto is the upstream file unchanged', () => {
  const bytes = readFileSync(join(__dirname, '..', '..', 'proto', 'dns.proto'));
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(COREDNS_V1_14_7_DNS_PROTO_SHA256);
});

test('the CoreDNS the tests build is the version the proto was taken from', () => {
  const goMod = readFileSync(join(__dirname, '..', '..', 'tools', 'coredns', 'go.mod'), 'utf8');
  expect(goMod).toMatch(/^require github\.com\/coredns\/coredns v1\.14\.7$/m);
});
