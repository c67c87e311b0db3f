import { buildSnapshot } from '../../../src/table/build-snapshot';
import type { RecordSnapshot } from '../../../src/table/snapshot';
import { TableHolder } from '../../../src/table/table-holder';
import { ZONE } from '../../helpers/table-fixtures';

function snapshotWith(serial: number, generation: number): RecordSnapshot {
  return buildSnapshot({ zones: [ZONE], gslbs: [], serial, generation }).snapshot;
}

/** Builds and swaps in the next snapshot the way the rebuild loop does; returns its serial. */
function rebuild(holder: TableHolder, nowMs: number): RecordSnapshot {
  const next = snapshotWith(holder.nextSerial(nowMs), holder.nextGeneration());
  holder.swap(next);
  return next;
}

const T = 1_763_800_000; // a Unix time in seconds

describe('TableHolder', () => {
  test('holds nothing before the first swap, then the swapped snapshot itself', () => {
    const holder = new TableHolder();
    expect(holder.current()).toBeNull();
    const first = snapshotWith(5, 1);
    holder.swap(first);
    expect(holder.current()).toBe(first);
    const second = snapshotWith(6, 2);
    holder.swap(second);
    expect(holder.current()).toBe(second);
  });

  test.each<[string, number | null, number, number]>([
    ['empty holder: Unix seconds', null, T * 1000, T],
    ['empty holder: milliseconds are floored', null, T * 1000 + 999, T],
    ['empty holder at time 0: serial 1', null, 0, 1],
    ['clock ahead of the serial: Unix seconds', 100, T * 1000 + 1, T],
    ['clock equal to the serial: serial + 1', T, T * 1000 + 500, T + 1],
    [
      'clock behind the serial (restart after a fast clock): serial + 1',
      T + 3600,
      T * 1000,
      T + 3601,
    ],
  ])('nextSerial: %s', (_label, currentSerial, nowMs, expected) => {
    const holder = new TableHolder();
    if (currentSerial !== null) holder.swap(snapshotWith(currentSerial, 1));
    expect(holder.nextSerial(nowMs)).toBe(expected);
  });

  test('nextSerial does not change the holder', () => {
    const holder = new TableHolder();
    holder.swap(snapshotWith(T, 1));
    expect(holder.nextSerial(T * 1000)).toBe(T + 1);
    expect(holder.nextSerial(T * 1000)).toBe(T + 1);
    expect(holder.current()?.serial).toBe(T);
  });

  test('serials increase strictly on every rebuild while the clock stands still', () => {
    const holder = new TableHolder();
    const serials = [1, 2, 3, 4, 5].map(() => rebuild(holder, T * 1000).serial);
    expect(serials).toEqual([T, T + 1, T + 2, T + 3, T + 4]);
  });

  test('serials follow the clock again once it passes them', () => {
    const holder = new TableHolder();
    const nows = [T * 1000, T * 1000, T * 1000, (T + 10) * 1000, (T + 10) * 1000 + 999];
    expect(nows.map((now) => rebuild(holder, now).serial)).toEqual([
      T,
      T + 1,
      T + 2,
      T + 10,
      T + 11,
    ]);
  });

  test('generations count up from 1', () => {
    const holder = new TableHolder();
    expect(holder.nextGeneration()).toBe(1);
    const generations = [1, 2, 3, 4].map(() => rebuild(holder, T * 1000).generation);
    expect(generations).toEqual([1, 2, 3, 4]);
    expect(holder.nextGeneration()).toBe(5);
  });
});
