/**
 * The MaxMind locator against databases written by MaxMind's mmdbwriter:
 * clients and targets of two sites over IPv4 and IPv6, scopes, field
 * priority, and the file's life (replaced, corrupted, removed, closed).
 */
import { waitFor } from '../../harness/eventually';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Reader } from 'maxmind';
import type { ClientSubnet } from '../../src/dns/query';
import {
  GeoDatabaseError,
  openMaxmindLocator,
  type GeoDatabaseInfo,
  type MaxmindLocator,
  type MaxmindLocatorOptions,
} from '../../src/geo/maxmind-locator';
import {
  geoDatabaseBytes,
  mmdbWriterBinary,
  replaceFile,
  writeGeoDatabase,
  type GeoNetwork,
} from '../helpers/geo-database';

const TWO_SITES: readonly GeoNetwork[] = [
  { network: '10.1.0.0/16', datacenter: 'eu' },
  { network: '10.2.0.0/16', datacenter: 'us' },
  { network: '2001:db8:1::/48', datacenter: 'eu' },
  { network: '2001:db8:2:8000::/49', datacenter: 'us' },
];
/** TWO_SITES with eu and us swapped. */
const SWAPPED: readonly GeoNetwork[] = TWO_SITES.map((n) => ({
  ...n,
  datacenter: n['datacenter'] === 'eu' ? 'us' : 'eu',
}));

// Long enough that only the directory watch can explain a reload within the test.
const NO_POLL_MS = 3_600_000;
// The bound a reload after a rename must meet (typically a few ms plus the debounce).
const RELOAD_BOUND_MS = 2_000;

/** A client subnet as the query parser delivers it: the address cut to the prefix. */
function subnet(cidr: string): ClientSubnet {
  const [address = '', prefix = ''] = cidr.split('/');
  const sourcePrefixLength = Number(prefix);
  const family = address.includes(':') ? 2 : 1;
  const bytes = family === 1 ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
  return {
    family,
    sourcePrefixLength,
    address: bytes.subarray(0, Math.ceil(sourcePrefixLength / 8)),
  };
}

// The expanded form via the WHATWG URL parser, an implementation independent of src/geo.
function ipv6Bytes(address: string): Buffer {
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = '', tail = ''] = canonical.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const missing = canonical.includes('::') ? 8 - headGroups.length - tailGroups.length : 0;
  const groups = [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(Number.parseInt(group, 16), i * 2));
  return bytes;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('MaxMind locator over mmdbwriter databases', () => {
  let dir: string;
  let path: string;
  let open: MaxmindLocator[];
  let errors: GeoDatabaseError[];
  let reloads: GeoDatabaseInfo[];

  beforeAll(() => {
    // Builds the writer unless an earlier run left it in the cache (about
    // 2 min with empty Go caches, instant when cached).
    mmdbWriterBinary();
  }, 600_000);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'meridian-geo-'));
    path = join(dir, 'geoip.mmdb');
    open = [];
    errors = [];
    reloads = [];
  });

  afterEach(async () => {
    await Promise.all(open.map((locator) => locator.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function locatorFor(options: Partial<MaxmindLocatorOptions> = {}): Promise<MaxmindLocator> {
    const locator = await openMaxmindLocator({
      path,
      onError: (error) => errors.push(error),
      onReload: (info) => reloads.push(info),
      ...options,
    });
    open.push(locator);
    return locator;
  }

  describe('lookups', () => {
    let locator: MaxmindLocator;

    beforeEach(async () => {
      writeGeoDatabase(path, TWO_SITES);
      locator = await locatorFor({ pollIntervalMs: NO_POLL_MS });
    });

    it('reports what the database is', () => {
      expect(locator.database()).toMatchObject({
        path,
        databaseType: 'Meridian-Test-GeoIP',
        ipVersion: 6,
        bytes: readFileSync(path).length,
      });
      expect(locator.database().nodeCount).toBeGreaterThan(0);
    });

    it.each([
      ['10.1.2.0/24', 'eu', 16],
      ['10.1.255.255/32', 'eu', 16],
      ['10.2.200.0/24', 'us', 16],
      ['10.2.0.0/16', 'us', 16],
      // The source covers 10.2/16 (us) and 10.3/16 (unknown): the network of
      // the padded address is longer than the source (RFC 7871 §7.2.1).
      ['10.2.0.0/15', 'us', 16],
      ['2001:db8:1:2::/64', 'eu', 48],
      ['2001:db8:1::/56', 'eu', 48],
      ['2001:db8:2:8000::/56', 'us', 49],
      // IPv4-mapped IPv6 is located as IPv4, its scope in IPv6 bits (96 + 16).
      ['::ffff:10.2.3.0/120', 'us', 112],
      ['::ffff:10.1.0.0/112', 'eu', 112],
    ])('locates client %s in %s with scope %d', (cidr, datacenter, scope) => {
      expect(locator.locate(subnet(cidr))).toEqual({ datacenter, scopePrefixLength: scope });
    });

    it.each([
      '192.0.2.0/24',
      '10.3.0.0/16',
      '10.0.0.0/8', // padded to 10.0.0.0, which no site holds
      '2001:db8:2::/48',
      '2001:db8::/32',
      '::ffff:192.0.2.0/120',
      '::ffff:10.1.0.0/104', // IPv4 10.0.0.0/8
      '0.0.0.0/0',
      '::/0',
    ])('does not locate client %s', (cidr) => {
      expect(locator.locate(subnet(cidr))).toBeNull();
    });

    it('ignores address bits past the source prefix', () => {
      const sloppy: ClientSubnet = {
        family: 1,
        sourcePrefixLength: 12,
        address: Buffer.from([10, 1]),
      };
      // 10.1 cut to 12 bits is 10.0.0.0: no site.
      expect(locator.locate(sloppy)).toBeNull();
    });

    it.each([
      ['10.1.0.10', 'eu'],
      ['10.2.255.255', 'us'],
      ['2001:db8:1::10', 'eu'],
      ['2001:0db8:0001:0000:0000:0000:0000:0001', 'eu'],
      ['2001:db8:2:8000::1', 'us'],
      ['::ffff:10.2.0.1', 'us'],
      ['::ffff:a01:1', 'eu'],
      ['192.0.2.1', null],
      ['2001:db8:2::1', null],
      ['not-an-address', null],
      ['', null],
    ])('locates target %s in %s', (address, datacenter) => {
      expect(locator.locateTarget(address)).toBe(datacenter);
    });
  });

  it('answers from an IPv4-only database: IPv4 and IPv4-mapped, never IPv6', async () => {
    writeGeoDatabase(path, TWO_SITES.slice(0, 2), { ipVersion: 4 });
    const locator = await locatorFor();
    expect(locator.database().ipVersion).toBe(4);
    expect(locator.locate(subnet('10.2.9.0/24'))).toEqual({
      datacenter: 'us',
      scopePrefixLength: 16,
    });
    expect(locator.locate(subnet('::ffff:10.1.0.0/112'))).toEqual({
      datacenter: 'eu',
      scopePrefixLength: 112,
    });
    // Without the guard, the IPv6 bits would walk the IPv4 tree: 0a01:: → 10.1.0.0.
    expect(locator.locate(subnet('a01::/16'))).toBeNull();
    expect(locator.locateTarget('a01::1')).toBeNull();
    expect(locator.locateTarget('::ffff:10.2.0.1')).toBe('us');
  });

  it('takes the first configured field that names a datacenter', async () => {
    writeGeoDatabase(path, [
      { network: '10.1.0.0/16', datacenter: 'eu', site: { code: 'fra' } },
      { network: '10.2.0.0/16', site: { code: 'iad' }, country: { iso_code: 'US' } },
      { network: '10.4.0.0/16', datacenter: '', site: { code: 'sin' } },
      { network: '10.5.0.0/16', datacenter: 7, flags: [1, 2], ok: true },
    ]);
    const byDatacenter = await locatorFor();
    const bySiteFirst = await locatorFor({ fields: ['site.code', 'datacenter'] });
    const withFallback = await locatorFor({ fields: ['datacenter', 'site.code'] });

    expect(byDatacenter.locateTarget('10.1.0.1')).toBe('eu');
    expect(byDatacenter.locateTarget('10.2.0.1')).toBeNull();
    expect(bySiteFirst.locateTarget('10.1.0.1')).toBe('fra');
    expect(withFallback.locateTarget('10.1.0.1')).toBe('eu');
    expect(withFallback.locate(subnet('10.2.0.0/24'))).toEqual({
      datacenter: 'iad',
      scopePrefixLength: 16,
    });
    // An empty string and a number do not name a datacenter.
    expect(withFallback.locateTarget('10.4.0.1')).toBe('sin');
    expect(withFallback.locateTarget('10.5.0.1')).toBeNull();
    expect(byDatacenter.locateTarget('10.5.0.1')).toBeNull();
  });

  it('reloads a database renamed over the file, through the directory watch', async () => {
    writeGeoDatabase(path, TWO_SITES);
    const locator = await locatorFor({ pollIntervalMs: NO_POLL_MS, debounceMs: 20 });
    expect(locator.locate(subnet('10.1.0.0/24'))?.datacenter).toBe('eu');
    const swapped = geoDatabaseBytes(SWAPPED);

    replaceFile(path, swapped);
    const tookMs = await waitFor(
      () => locator.locate(subnet('10.1.0.0/24'))?.datacenter === 'us',
      RELOAD_BOUND_MS,
      'reload after rename',
    );

    expect(tookMs).toBeLessThan(RELOAD_BOUND_MS);
    expect(locator.locateTarget('2001:db8:1::1')).toBe('us');
    expect(locator.locateTarget('10.2.0.1')).toBe('eu');
    expect(reloads).toHaveLength(1);
    expect(reloads[0]).toMatchObject({ path, bytes: swapped.length, ipVersion: 6 });
    expect(errors).toEqual([]);
  });

  it('finds a change no directory event announces, through the periodic check', async () => {
    // Kubernetes volume layout: the watched path is a symlink into a
    // directory that is swapped elsewhere, so the watched directory sees nothing.
    const data = join(dir, 'data');
    const watched = join(dir, 'watched');
    mkdirSync(join(data, 'v1'), { recursive: true });
    mkdirSync(join(data, 'v2'));
    mkdirSync(watched);
    writeGeoDatabase(join(data, 'v1', 'geoip.mmdb'), TWO_SITES);
    writeGeoDatabase(join(data, 'v2', 'geoip.mmdb'), SWAPPED);
    symlinkSync('v1', join(data, 'current'));
    const link = join(watched, 'geoip.mmdb');
    symlinkSync(join(data, 'current', 'geoip.mmdb'), link);
    const locator = await locatorFor({ path: link, pollIntervalMs: 200 });
    expect(locator.locateTarget('10.1.0.1')).toBe('eu');

    symlinkSync('v2', join(data, 'next'));
    replaceLink(join(data, 'next'), join(data, 'current'));
    const tookMs = await waitFor(
      () => locator.locateTarget('10.1.0.1') === 'us',
      200 + RELOAD_BOUND_MS,
      'reload by the periodic check',
    );

    expect(tookMs).toBeLessThan(200 + RELOAD_BOUND_MS);
    expect(reloads).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('follows the directory when it is replaced by a new one', async () => {
    const poll = 1_500;
    const old = `${dir}.old`;
    writeGeoDatabase(path, TWO_SITES);
    const locator = await locatorFor({ pollIntervalMs: poll, debounceMs: 10 });

    try {
      // The rename is the last event the old directory's watch sends here.
      renameSync(dir, old);
      mkdirSync(dir);
      writeGeoDatabase(path, SWAPPED);
      await waitFor(
        () => locator.locateTarget('10.1.0.1') === 'us',
        poll + RELOAD_BOUND_MS,
        'reload from the new directory',
      );

      // Faster than the periodic check: only a watch on the new directory sees this.
      replaceFile(path, geoDatabaseBytes(TWO_SITES));
      const tookMs = await waitFor(
        () => locator.locateTarget('10.1.0.1') === 'eu',
        poll / 2,
        'reload through the new watch',
      );
      expect(tookMs).toBeLessThan(poll / 2);
      expect(reloads).toHaveLength(2);
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  });

  it('keeps serving the old database when the replacement is corrupt, and reports it once', async () => {
    writeGeoDatabase(path, TWO_SITES);
    const locator = await locatorFor({ pollIntervalMs: 100, debounceMs: 10 });
    const good = readFileSync(path);

    // A database cut short (as by an interrupted copy) loses its metadata.
    replaceFile(path, good.subarray(0, Math.floor(good.length / 2)));
    await waitFor(() => errors.length > 0, RELOAD_BOUND_MS, 'report of the corrupt file');
    await sleep(400); // several periodic checks of the same bad file

    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(GeoDatabaseError);
    expect(errors[0]).toMatchObject({ problem: 'invalid', path });
    expect(errors[0]?.message).toContain(path);
    expect(locator.locate(subnet('10.1.0.0/24'))).toEqual({
      datacenter: 'eu',
      scopePrefixLength: 16,
    });
    expect(reloads).toEqual([]);

    // A different bad file is a new problem; then a good one is loaded again.
    replaceFile(path, gzipSync(good));
    await waitFor(() => errors.length > 1, RELOAD_BOUND_MS, 'report of the gzip file');
    expect(errors[1]?.message).toMatch(/gzip/);
    writeGeoDatabase(path, SWAPPED);
    await waitFor(() => locator.locateTarget('10.1.0.1') === 'us', RELOAD_BOUND_MS, 'recovery');
    expect(errors).toHaveLength(2);
    expect(reloads).toHaveLength(1);
  });

  it('answers unknown, never throws, when a record is damaged where loading did not look', async () => {
    const bytes = geoDatabaseBytes(TWO_SITES.slice(0, 2));
    // The first record ({datacenter: 'eu'}: a 1-entry map, then the key) starts the
    // data section; the us record reuses its key through a pointer. An invalid
    // extended type there breaks both records, and no empty network.
    const dataStart = new Reader(bytes).metadata.searchTreeSize + 16;
    const record = bytes.indexOf(Buffer.from('\xe1\x4adatacenter', 'latin1'), dataStart);
    expect(record).toBe(dataStart);
    bytes.writeUInt16BE(0, record);
    replaceFile(path, bytes);
    const locator = await locatorFor({ pollIntervalMs: NO_POLL_MS });

    expect(locator.locate(subnet('10.1.0.0/24'))).toBeNull();
    expect(locator.locateTarget('10.2.0.1')).toBeNull();
    expect(locator.locateTarget('192.0.2.1')).toBeNull();
    await waitFor(() => errors.length > 0, RELOAD_BOUND_MS, 'report of the damage');
    await sleep(50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ problem: 'lookup', path });
    expect(errors[0]?.message).toMatch(/lookup of 10\.1\.0\.0 .* failed: Invalid Extended Type/);
  });

  it('keeps serving when the file is removed, and loads it when it is back', async () => {
    writeGeoDatabase(path, TWO_SITES);
    const locator = await locatorFor({ pollIntervalMs: 100, debounceMs: 10 });

    rmSync(path);
    await waitFor(() => errors.length > 0, RELOAD_BOUND_MS, 'report of the missing file');
    await sleep(300);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ problem: 'read' });
    expect(locator.locateTarget('10.1.0.1')).toBe('eu');

    writeGeoDatabase(path, SWAPPED);
    await waitFor(() => locator.locateTarget('10.1.0.1') === 'us', RELOAD_BOUND_MS, 'reload');
    expect(errors).toHaveLength(1);
  });

  it('stops watching and checking on close(), and keeps answering from the last database', async () => {
    writeGeoDatabase(path, TWO_SITES);
    const locator = await locatorFor({ pollIntervalMs: 100, debounceMs: 10 });
    const swapped = geoDatabaseBytes(SWAPPED);

    await locator.close();
    replaceFile(path, swapped);
    await sleep(600); // six poll intervals

    expect(locator.locateTarget('10.1.0.1')).toBe('eu');
    expect(reloads).toEqual([]);
    expect(errors).toEqual([]);
    // The same file is picked up by a locator that is still open.
    const other = await locatorFor({ pollIntervalMs: 100 });
    expect(other.locateTarget('10.1.0.1')).toBe('us');
  });

  it('reloads on refresh() only when the file changed', async () => {
    writeGeoDatabase(path, TWO_SITES);
    const locator = await locatorFor({ pollIntervalMs: NO_POLL_MS });
    await locator.refresh();
    expect(reloads).toEqual([]);

    // Written in place (no rename): the identity still changes.
    writeFileSync(path, geoDatabaseBytes(SWAPPED));
    await locator.refresh();
    expect(locator.locateTarget('10.1.0.1')).toBe('us');
    expect(reloads.length).toBeGreaterThanOrEqual(1);
  });

  describe('refuses to start', () => {
    it('without the file', async () => {
      await expect(locatorFor()).rejects.toMatchObject({
        name: 'GeoDatabaseError',
        problem: 'read',
        path,
      });
    });

    it('with a file that is not a MaxMind DB', async () => {
      writeFileSync(path, 'datacenter,network\neu,10.1.0.0/16\n');
      await expect(locatorFor()).rejects.toMatchObject({ problem: 'invalid' });
    });

    it('with a search tree cut short', async () => {
      const bytes = geoDatabaseBytes(TWO_SITES);
      const metadata = bytes.lastIndexOf(Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1'));
      writeFileSync(path, Buffer.concat([bytes.subarray(0, 10), bytes.subarray(metadata)]));
      await expect(locatorFor()).rejects.toMatchObject({
        problem: 'invalid',
        message: expect.stringMatching(/search tree runs past the end/),
      });
    });

    it('with a file over the size limit', async () => {
      writeGeoDatabase(path, TWO_SITES);
      await expect(locatorFor({ maxBytes: 100 })).rejects.toMatchObject({
        problem: 'too-large',
        message: expect.stringMatching(/more than the limit of 100/),
      });
    });

    it('with a directory in place of the file', async () => {
      await expect(locatorFor({ path: dir })).rejects.toMatchObject({ problem: 'read' });
    });

    it.each([
      [{ pollIntervalMs: 10 }, /pollIntervalMs must be an integer from 100/],
      [{ debounceMs: -1 }, /debounceMs/],
      [{ fields: ['site..code'] }, /invalid geo field path 'site\.\.code'/],
      [{ fields: [] }, /no geo field path/],
    ])('with invalid options %j', async (options, message) => {
      writeGeoDatabase(path, TWO_SITES);
      await expect(locatorFor(options)).rejects.toThrow(message);
    });
  });
});

/** Points `link` where `replacement` points, atomically (a rename over it). */
function replaceLink(replacement: string, link: string): void {
  renameSync(replacement, link);
}
