/**
 * When an Ingress Meridian made for an embedded Gslb may be deleted because
 * its Gslb is gone. Missing data must never delete a production object, so
 * an owner counts as gone only when Meridian saw it go (it was in one pass and
 * not in a later one) while the Gslb collection was served, and it stayed gone
 * for a grace period during which the collection stayed served. A Gslb list
 * answered 404 (the CRD not yet or no longer served: an apiserver starting, a
 * restore in the wrong order, a CRD removed) forgets every pending deletion,
 * and an owner Meridian never saw (deleted while it was down) is left to the
 * garbage collector. Pure: time comes in as arguments.
 */

/** How long an owner must stay gone, the collection served, before its Ingress is deleted. */
export const ORPHAN_GRACE_MS = 5_000;
/** Owners remembered as gone at most; beyond that the oldest are forgotten (never deleted). */
const MAX_GONE = 100_000;

/** Whether the Gslb collection is served, and since when (ms); null while it is not. */
export interface OrphanClock {
  readonly nowMs: number;
  readonly gslbsServedSince: number | null;
}

export class OrphanWatch {
  private known = new Set<string>();
  /** Owner uid → when it was first seen gone. */
  private readonly gone = new Map<string, number>();

  /** Takes the Gslb uids of this pass; notes those that went since the last one. */
  observe(uids: ReadonlySet<string>, clock: OrphanClock): void {
    if (clock.gslbsServedSince === null) {
      // Not served: nothing can be known to be deleted.
      this.gone.clear();
      this.known = new Set(uids);
      return;
    }
    for (const uid of this.known)
      if (!uids.has(uid) && !this.gone.has(uid)) this.gone.set(uid, clock.nowMs);
    for (const uid of uids) this.gone.delete(uid);
    while (this.gone.size > MAX_GONE) this.gone.delete(this.gone.keys().next().value as string);
    this.known = new Set(uids);
  }

  /** True when the Ingresses of owner `uid` may be deleted now. */
  mayDelete(uid: string, clock: OrphanClock): boolean {
    const since = clock.gslbsServedSince;
    const goneAt = this.gone.get(uid);
    if (since === null || goneAt === undefined) return false;
    return goneAt >= since && clock.nowMs - goneAt >= ORPHAN_GRACE_MS;
  }

  /** Milliseconds until the grace of the next owner seen gone ends, or null when none waits. */
  nextDueInMs(nowMs: number): number | null {
    let next: number | null = null;
    for (const goneAt of this.gone.values()) {
      const due = goneAt + ORPHAN_GRACE_MS - nowMs;
      if (due > 0 && (next === null || due < next)) next = due;
    }
    return next;
  }
}
