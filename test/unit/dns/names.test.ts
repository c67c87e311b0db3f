import { canonicalName, checkName, findZone } from '../../../src/dns/names';

describe('canonicalName and checkName', () => {
  test.each<[string, string]>([
    ['Cloud.Example.ORG.', 'cloud.example.org'],
    ['cloud.example.org', 'cloud.example.org'],
    ['a..', 'a.'],
    ['.', ''],
  ])('canonicalName(%j) is %j', (name, expected) => {
    expect(canonicalName(name)).toBe(expected);
  });

  const label63 = 'a'.repeat(63);
  const name253 = `${label63}.${label63}.${label63}.${'b'.repeat(61)}`;
  test.each<[string, string | null]>([
    ['cloud.example.org', null],
    ['x-1.example', null],
    ['a', null],
    [`${label63}.example`, null],
    [name253, null],
    ['', 'empty name'],
    [`${name253}c`, `${name253}c is longer than 253 characters`],
    [`${label63}a.example`, `${label63}a.example has an invalid label "${label63}a"`],
    ['under_score.example', 'under_score.example has an invalid label "under_score"'],
    ['a.-b.example', 'a.-b.example has an invalid label "-b"'],
    ['b-.example', 'b-.example has an invalid label "b-"'],
    ['Upper.example', 'Upper.example has an invalid label "Upper"'],
    ['*.example', '*.example has an invalid label "*"'],
    ['trailing.', 'trailing. has an invalid label ""'],
  ])('checkName(%j)', (name, expected) => {
    expect(name253).toHaveLength(253);
    expect(checkName(name)).toBe(expected);
  });
});

describe('findZone', () => {
  const zones = new Map([
    ['example.org', 'outer'],
    ['cloud.example.org', 'inner'],
  ]);
  test.each<[string, string | null]>([
    ['app.cloud.example.org', 'inner'],
    ['cloud.example.org', 'inner'],
    ['a.b.cloud.example.org', 'inner'],
    ['other.example.org', 'outer'],
    ['evilcloud.example.org', 'outer'],
    ['example.com', null],
    ['org', null],
  ])('%s lies in %j (longest suffix at a label boundary)', (name, expected) => {
    expect(findZone(name, zones)).toBe(expected);
  });
});
