/**
 * The field readers of parsed JSON: defaults for missing or mistyped fields,
 * never an exception; and canonical JSON text.
 */
import { at, canonicalJson, list, strings, text } from '../../../../src/k8s/ingest/json-fields';

describe('canonicalJson', () => {
  test('canonicalJson sorts keys at every depth and keeps array order', () => {
    const a = { b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } };
    const b = { a: { c: null, d: [3, { y: 2, z: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson(b)).toBe(canonicalJson(a));
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  test.each<[unknown, string]>([
    ['text', '"text"'],
    [7, '7'],
    [null, 'null'],
    [[], '[]'],
    [{}, '{}'],
  ])('canonicalJson(%j) is %s', (value, json) => {
    expect(canonicalJson(value)).toBe(json);
  });
});

describe('field readers', () => {
  test('strings keeps the string values of an object', () => {
    expect(strings({ a: 'x', b: 1, c: null, d: ['y'] })).toEqual({ a: 'x' });
    expect([strings(null), strings('a'), strings(['a'])]).toEqual([{}, {}, {}]);
  });

  test('list is the array, or empty', () => {
    expect(list([1, 'a'])).toEqual([1, 'a']);
    expect([list(undefined), list({ 0: 'a' }), list('ab')]).toEqual([[], [], []]);
  });

  test('text is the string, or empty', () => {
    expect(text('a')).toBe('a');
    expect([text(undefined), text(1), text(['a'])]).toEqual(['', '', '']);
  });

  test('at follows a path through objects', () => {
    const value = { spec: { rules: [{ host: 'a' }] }, status: 'up' };
    expect(at(value, 'spec', 'rules')).toEqual([{ host: 'a' }]);
    expect(at(value)).toBe(value);
    expect([at(value, 'status', 'x'), at(value, 'nope', 'x'), at(null, 'a')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});
