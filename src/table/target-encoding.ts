/**
 * Encodes a Gslb's targets into answer records once per build of that Gslb:
 * each distinct address once, parallel to the Gslb's clusters and split by
 * type, within the per-RRset cap that keeps every reply inside 64 KiB. Pure.
 */
import { parseAddress } from '../dns/addresses';
import { MAX_MESSAGE_BYTES } from '../dns/constants';
import { encodeRecordTail } from '../dns/wire';
import type { GslbRecord } from './model';
import type { ClusterRecords } from './selector';

/** Largest number of records of one type served for a name, so a reply always fits 64 KiB. */
export const MAX_RECORDS_PER_RRSET = Math.floor((MAX_MESSAGE_BYTES - 600) / 28);

const POINTER_TO_QUESTION = Buffer.from([0xc0, 0x0c]);

/** A record tail with the owner pointer 0xC00C (the question's name) in front. */
export function withPointer(tail: Buffer): Buffer {
  return Buffer.concat([POINTER_TO_QUESTION, tail]);
}

/** Every cluster's records by type, parallel to the Gslb's `clusters`. */
export interface EncodedClusters {
  readonly v4: readonly ClusterRecords[];
  readonly v6: readonly ClusterRecords[];
}

/**
 * Encodes every cluster's targets. An address is encoded once per Gslb and
 * counts once towards MAX_RECORDS_PER_RRSET however many clusters list it;
 * past the cap, further addresses are left out, in cluster order. Why a
 * target is not served is added to `reasons`.
 */
export function encodeClusters(gslb: GslbRecord, reasons: string[]): EncodedClusters {
  const encoder = new TargetEncoder(gslb.ttlSeconds, reasons);
  const v4: ClusterRecords[] = [];
  const v6: ClusterRecords[] = [];
  for (const cluster of gslb.clusters) {
    const healthy = cluster.healthy !== false;
    const families = {
      4: emptyRecords(cluster.geoTag, healthy),
      6: emptyRecords(cluster.geoTag, healthy),
    };
    for (const address of new Set(cluster.addresses)) {
      const encoded = encoder.encode(address);
      if (encoded === null) continue;
      families[encoded.family].addresses.push(address);
      families[encoded.family].records.push(encoded.record);
    }
    v4.push(families[4]);
    v6.push(families[6]);
  }
  encoder.reportCaps();
  return { v4, v6 };
}

interface MutableRecords extends ClusterRecords {
  readonly addresses: string[];
  readonly records: Buffer[];
}

function emptyRecords(geoTag: string, healthy: boolean): MutableRecords {
  return { geoTag, healthy, addresses: [], records: [] };
}

interface EncodedTarget {
  readonly family: 4 | 6;
  readonly record: Buffer;
}

/** Encodes addresses once each, reporting bad ones once and counting towards the cap. */
class TargetEncoder {
  private readonly ttl: number;
  private readonly reasons: string[];
  /** Address → its record; null when it is not served (not an IP, or over the cap). */
  private readonly known = new Map<string, EncodedTarget | null>();
  private readonly served = { 4: 0, 6: 0 };
  private readonly leftOut = { 4: 0, 6: 0 };

  constructor(ttl: number, reasons: string[]) {
    this.ttl = ttl;
    this.reasons = reasons;
  }

  encode(address: string): EncodedTarget | null {
    const known = this.known.get(address);
    if (known !== undefined) return known;
    const encoded = this.encodeNew(address);
    this.known.set(address, encoded);
    return encoded;
  }

  /** Adds the problem of each type whose targets were cut. */
  reportCaps(): void {
    for (const [family, type] of [
      [4, 'A'],
      [6, 'AAAA'],
    ] as const) {
      const leftOut = this.leftOut[family];
      if (leftOut === 0) continue;
      this.reasons.push(
        `${MAX_RECORDS_PER_RRSET + leftOut} ${type} targets; only the first ${MAX_RECORDS_PER_RRSET} are served`,
      );
    }
  }

  private encodeNew(address: string): EncodedTarget | null {
    const family = parseAddress(address)?.family;
    if (family === undefined) {
      this.reasons.push(`target ${JSON.stringify(address)} is not an IP address`);
      return null;
    }
    if (this.served[family] === MAX_RECORDS_PER_RRSET) {
      this.leftOut[family]++;
      return null;
    }
    this.served[family]++;
    const type = family === 4 ? 'A' : 'AAAA';
    return { family, record: withPointer(encodeRecordTail({ type, ttl: this.ttl, address })) };
  }
}
