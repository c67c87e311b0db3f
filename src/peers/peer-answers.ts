/**
 * What one peer last answered, per host and address type, and which of it
 * may be served. Pure: the poller feeds it outcomes and the peer's state; it
 * keeps no time of its own.
 *
 * Rules:
 * - an answer (NOERROR with or without data, NXDOMAIN) replaces the last one
 *   for its host and type;
 * - `downAfter` failed queries in a row for a host and type forget its answer;
 * - nothing is served while the peer is down, and an answer received before
 *   the peer last went down is never served again (its epoch is over): only
 *   answers received since.
 */
import type { AddressType, QueryOutcome } from '../dns/client-message';

/** The address types asked for, in the order their addresses are served. */
export const ADDRESS_TYPES: readonly AddressType[] = ['A', 'AAAA'];

/** The last answer for one host and type. */
interface Answer {
  readonly addresses: readonly string[];
  /** NOERROR without addresses: the name is there and holds none (a drained Meridian peer). */
  readonly noData: boolean;
  readonly lastSuccessMs: number;
  /** The peer's epoch when received; answers from an older epoch are not served. */
  readonly epoch: number;
  failures: number;
}

/** What is served for a peer: its state and, per host, its addresses joined. */
export interface Served {
  readonly up: boolean;
  readonly hosts: ReadonlyMap<string, string>;
}

/** One peer's answers. */
export class PeerAnswers {
  private epoch = 0;
  private readonly answers = new Map<string, Partial<Record<AddressType, Answer>>>();

  constructor(private readonly downAfter: number) {}

  /** Forgets the hosts no longer asked about. */
  keepOnly(hosts: ReadonlySet<string>): void {
    for (const host of this.answers.keys()) if (!hosts.has(host)) this.answers.delete(host);
  }

  /** Records one query's outcome, received at `nowMs`. */
  record(host: string, type: AddressType, outcome: QueryOutcome, nowMs: number): void {
    const answers = this.answers.get(host) ?? {};
    this.answers.set(host, answers);
    if (outcome.ok) {
      const addresses = [...outcome.addresses].sort();
      const noData = outcome.rcode !== 'NXDOMAIN' && addresses.length === 0;
      answers[type] = { addresses, noData, lastSuccessMs: nowMs, epoch: this.epoch, failures: 0 };
      return;
    }
    const last = answers[type];
    if (last !== undefined && ++last.failures >= this.downAfter) delete answers[type];
  }

  /** The peer went down: what it answered so far is never served again. */
  wentDown(): void {
    this.epoch++;
  }

  /** The addresses served for `host`: none unless `up`; answers of the current epoch only. */
  servedAddresses(host: string, up: boolean): readonly string[] {
    if (!up) return [];
    const answers = this.answers.get(host);
    if (answers === undefined) return [];
    return ADDRESS_TYPES.flatMap((type) => {
      const answer = answers[type];
      return answer !== undefined && answer.epoch === this.epoch ? answer.addresses : [];
    });
  }

  /**
   * True when the peer withdrew `host` on purpose: both types answered NODATA
   * in the current epoch. A Meridian cluster under a drain answers so; an
   * unhealthy host is NXDOMAIN (k8gb's only way to say no targets).
   */
  withdrawn(host: string): boolean {
    const answers = this.answers.get(host);
    return ADDRESS_TYPES.every((type) => {
      const answer = answers?.[type];
      return answer !== undefined && answer.epoch === this.epoch && answer.noData;
    });
  }

  /** Wall-clock ms of the last answer for `host`, of either type, or null. */
  lastSuccessMs(host: string): number | null {
    const answers = this.answers.get(host);
    const times = ADDRESS_TYPES.map((t) => answers?.[t]?.lastSuccessMs ?? -1);
    const last = Math.max(...times);
    return last < 0 ? null : last;
  }

  /** What is served: the state and every host with addresses. */
  served(up: boolean): Served {
    const hosts = new Map<string, string>();
    for (const host of this.answers.keys()) {
      const addresses = this.servedAddresses(host, up);
      if (addresses.length > 0) hosts.set(host, addresses.join(','));
    }
    return { up, hosts };
  }
}

/** True when two served states give the same answers. */
export function sameServed(a: Served, b: Served): boolean {
  if (a.up !== b.up || a.hosts.size !== b.hosts.size) return false;
  for (const [host, addresses] of a.hosts) if (b.hosts.get(host) !== addresses) return false;
  return true;
}
