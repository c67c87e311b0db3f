/**
 * Building blocks the strategies share: merging clusters' records, and the
 * two ways of serving one list (fixed order, rotating).
 */
import type { ClusterRecords, RRSetSelector, Selection, SelectorPlan } from '../selector';

/** Records in a list, with the addresses they answer. */
export interface RecordList {
  readonly addresses: readonly string[];
  readonly records: readonly Buffer[];
}

/**
 * The records of several clusters in cluster order, each address once: two
 * clusters may list one address (a shared load balancer), and an answer
 * repeats no record.
 */
export function mergeClusters(clusters: readonly ClusterRecords[]): RecordList {
  if (clusters.length === 1 && clusters[0] !== undefined) return clusters[0];
  const addresses: string[] = [];
  const records: Buffer[] = [];
  const seen = new Set<string>();
  for (const cluster of clusters) {
    cluster.addresses.forEach((address, i) => {
      const record = cluster.records[i];
      if (seen.has(address) || record === undefined) return;
      seen.add(address);
      addresses.push(address);
      records.push(record);
    });
  }
  return { addresses, records };
}

/** One list, the same for every query. */
export function fixedSelection(records: readonly Buffer[], scope = 0): Selection {
  return { section: { bytes: Buffer.concat([...records]), count: records.length }, scope };
}

/** Serves `list` in its order to every query; the selector has no state, so hosts share it. */
export function fixedPlan(list: RecordList): SelectorPlan {
  const selection = fixedSelection(list.records);
  const selector: RRSetSelector = { select: () => selection };
  return { recordCount: list.records.length, addresses: list.addresses, create: () => selector };
}

/**
 * Every rotation of `records`: rotation k starts at record k. All are views
 * into one buffer holding the records twice, so a query costs an index
 * increment and no allocation. Records of one RRset share one type and TTL,
 * hence one length (16 bytes for A, 28 for AAAA), which makes every rotation a
 * contiguous window of the doubled buffer.
 */
export function rotationsOf(records: readonly Buffer[]): readonly Selection[] {
  const recordLength = records[0]?.length ?? 0;
  if (records.some((record) => record.length !== recordLength)) {
    throw new Error('round-robin needs records of equal length');
  }
  const doubled = Buffer.concat([...records, ...records]);
  return records.map((_, start) => ({
    section: {
      bytes: doubled.subarray(start * recordLength, (start + records.length) * recordLength),
      count: records.length,
    },
    scope: 0,
  }));
}

/** Serves the rotations of one list in turn; one per host. */
export class RotatingSelector implements RRSetSelector {
  private readonly rotations: readonly Selection[];
  private cursor = 0;

  constructor(rotations: readonly Selection[]) {
    this.rotations = rotations;
  }

  select(): Selection {
    const selection = this.rotations[this.cursor] as Selection;
    this.cursor = this.cursor + 1 === this.rotations.length ? 0 : this.cursor + 1;
    return selection;
  }
}

/** Serves `list` with the order rotating by one per query. */
export function rotatingPlan(list: RecordList): SelectorPlan {
  const rotations = rotationsOf(list.records);
  return {
    recordCount: list.records.length,
    addresses: list.addresses,
    create: () => new RotatingSelector(rotations),
  };
}
