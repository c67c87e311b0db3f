import {
  DEFAULT_GEO_FIELDS,
  fieldValue,
  firstFieldValue,
  parseFieldPaths,
} from '../../../src/geo/field-paths';

describe('parseFieldPaths', () => {
  it.each([
    [['datacenter'], [['datacenter']]],
    [
      ['country.iso_code', 'continent.code'],
      [
        ['country', 'iso_code'],
        ['continent', 'code'],
      ],
    ],
    [['a.b.c'], [['a', 'b', 'c']]],
  ])('splits %j', (paths, expected) => {
    expect(parseFieldPaths(paths)).toEqual(expected);
  });

  it("defaults to k8gb's single datacenter field", () => {
    expect(parseFieldPaths(DEFAULT_GEO_FIELDS)).toEqual([['datacenter']]);
  });

  it('names every bad path at once', () => {
    expect(() => parseFieldPaths(['ok', '', 'a..b', '.a', 'a.', 'has space'])).toThrow(
      "invalid geo field path '', 'a..b', '.a', 'a.', 'has space'",
    );
  });

  it('rejects an empty list', () => {
    expect(() => parseFieldPaths([])).toThrow('no geo field path given');
  });
});

describe('fieldValue', () => {
  const record = {
    datacenter: 'eu',
    empty: '',
    number: 7,
    flag: true,
    list: ['eu'],
    country: { iso_code: 'DE', names: { en: 'Germany' } },
    nothing: null,
  };

  it.each([
    [['datacenter'], 'eu'],
    [['country', 'iso_code'], 'DE'],
    [['country', 'names', 'en'], 'Germany'],
    [['country'], null], // a map is not a name
    [['empty'], null],
    [['number'], null],
    [['flag'], null],
    [['list'], null],
    [['list', '0'], null], // arrays are not walked
    [['nothing'], null],
    [['nothing', 'x'], null],
    [['missing'], null],
    [['datacenter', 'deeper'], null],
    [['constructor'], null], // own properties only
    [['toString'], null],
    [['__proto__'], null],
  ])('%j → %j', (path, expected) => {
    expect(fieldValue(record, path)).toBe(expected);
  });

  it.each([null, undefined, 'eu', 42, ['datacenter']])('finds nothing in %j', (value) => {
    expect(fieldValue(value, ['datacenter'])).toBeNull();
  });
});

describe('firstFieldValue', () => {
  const paths = parseFieldPaths(['datacenter', 'site.code', 'country.iso_code']);

  it.each([
    [{ datacenter: 'eu', site: { code: 'fra' } }, 'eu'],
    [{ site: { code: 'fra' }, country: { iso_code: 'DE' } }, 'fra'],
    [{ datacenter: '', site: { code: 7 }, country: { iso_code: 'DE' } }, 'DE'],
    [{ other: 'x' }, null],
  ])('%j → %j', (record, expected) => {
    expect(firstFieldValue(record, paths)).toBe(expected);
  });
});
