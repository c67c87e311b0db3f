/**
 * The last decision records of each host, for explanations and the status
 * page: a DecisionListener registered on the table pipeline. Bounded twice,
 * so that no churn of hosts or flapping of one host grows it: at most
 * `perHost` records per host (the oldest dropped) and at most `maxHosts`
 * hosts, the one least recently changed dropped first. The decision log and
 * the audit trail keep everything; this is a window for looking.
 */
import type { DecisionListener, DecisionRecord } from '../serving/decisions';

/** Records kept per host. */
export const HISTORY_PER_HOST = 20;
/** Hosts kept. */
export const HISTORY_MAX_HOSTS = 10_000;

export class DecisionHistory {
  /** Host → its records, oldest first; Map order is least recently changed first. */
  private readonly byHost = new Map<string, DecisionRecord[]>();
  /** Registered on the pipeline with onDecisions. */
  readonly listener: DecisionListener = (records) => {
    for (const record of records) this.add(record);
  };

  constructor(
    private readonly perHost = HISTORY_PER_HOST,
    private readonly maxHosts = HISTORY_MAX_HOSTS,
  ) {}

  /** Hosts with records. */
  get size(): number {
    return this.byHost.size;
  }

  /** The host's records, newest first (at most `perHost`). */
  recordsOf(host: string): readonly DecisionRecord[] {
    return [...(this.byHost.get(host) ?? [])].reverse();
  }

  /** The host's newest record, or null. */
  lastOf(host: string): DecisionRecord | null {
    return this.byHost.get(host)?.at(-1) ?? null;
  }

  private add(record: DecisionRecord): void {
    const records = this.byHost.get(record.host) ?? [];
    // Re-inserting moves the host to the most recently changed end.
    this.byHost.delete(record.host);
    records.push(record);
    if (records.length > this.perHost) records.splice(0, records.length - this.perHost);
    this.byHost.set(record.host, records);
    if (this.byHost.size > this.maxHosts) {
      const oldest = this.byHost.keys().next();
      if (oldest.done !== true) this.byHost.delete(oldest.value);
    }
  }
}
