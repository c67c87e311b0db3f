/**
 * A size-bounded map for mmdb-lib's decoder, which otherwise decodes a record
 * on every lookup. Eviction is oldest-inserted first: the records of a geo
 * database are few and hot, so recency tracking would cost more than it saves.
 */
import type { Reader } from 'maxmind';

/** The cache interface mmdb-lib's Reader takes (not exported by name). */
export type DecoderCache = NonNullable<
  NonNullable<ConstructorParameters<typeof Reader>[1]>['cache']
>;

/** Returns a cache holding at most `maxEntries` decoded values. */
export function boundedCache(maxEntries: number): DecoderCache {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`cache size must be a positive integer, got ${maxEntries}`);
  }
  const entries = new Map<string | number, unknown>();
  return {
    get: (key) => entries.get(key),
    set: (key, value: unknown) => {
      if (entries.size >= maxEntries && !entries.has(key)) {
        const oldest = entries.keys().next();
        if (oldest.done !== true) entries.delete(oldest.value);
      }
      entries.set(key, value);
    },
  };
}
