import { boundedCache } from '../../../src/geo/bounded-cache';

describe('boundedCache', () => {
  it('returns what was stored', () => {
    const cache = boundedCache(2);
    cache.set(1, 'one');
    cache.set('two', 2);
    expect(cache.get(1)).toBe('one');
    expect(cache.get('two')).toBe(2);
    expect(cache.get(3)).toBeUndefined();
  });

  it('never holds more than its bound, dropping the oldest entry first', () => {
    const cache = boundedCache(3);
    for (let key = 0; key < 10; key++) cache.set(key, key);
    expect([0, 1, 2, 3, 4, 5, 6].map((key): unknown => cache.get(key))).toEqual(
      Array(7).fill(undefined),
    );
    expect([7, 8, 9].map((key): unknown => cache.get(key))).toEqual([7, 8, 9]);
  });

  it('replaces a key in place without evicting another', () => {
    const cache = boundedCache(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3);
    expect([cache.get('a'), cache.get('b')]).toEqual([3, 2]);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects a bound of %p', (bound) => {
    expect(() => boundedCache(bound)).toThrow(RangeError);
  });
});
