/**
 * Hysteresis of one peer's state, fed one verdict per poll. k8gb has none: a
 * single lost reply drops a peer's targets for a whole reconcile. Here a peer
 * is down after `downAfter` consecutive failed polls and up again after
 * `upAfter` consecutive answered ones. A peer starts down; its first answer
 * ever brings it up at once, since there is no flapping to smooth yet and
 * waiting would hide every peer for the first polls after a restart.
 */

/** Whether a peer's targets are served. */
export type PeerState = 'up' | 'down';

/**
 * One poll's verdict for a peer: some query answered (`answered`), queries
 * were sent and none answered (`failed`), or nothing completed (`none`: no
 * hosts to ask, or the poll was cut short), which changes nothing.
 */
export type PollVerdict = 'answered' | 'failed' | 'none';

/** Thresholds of {@link PeerHealth}. */
export interface Hysteresis {
  readonly downAfter: number;
  readonly upAfter: number;
}

export class PeerHealth {
  private current: PeerState = 'down';
  private everUp = false;
  private answeredStreak = 0;
  private failedStreak = 0;

  constructor(private readonly thresholds: Hysteresis) {}

  get state(): PeerState {
    return this.current;
  }

  /** Consecutive polls that got no answer. */
  get failedPolls(): number {
    return this.failedStreak;
  }

  /** Counts one poll; returns true when the state changed. */
  record(verdict: PollVerdict): boolean {
    if (verdict === 'none') return false;
    const before = this.current;
    if (verdict === 'answered') {
      this.failedStreak = 0;
      this.answeredStreak++;
      if (
        this.current === 'down' &&
        (!this.everUp || this.answeredStreak >= this.thresholds.upAfter)
      ) {
        this.current = 'up';
        this.everUp = true;
      }
    } else {
      this.answeredStreak = 0;
      this.failedStreak++;
      if (this.current === 'up' && this.failedStreak >= this.thresholds.downAfter)
        this.current = 'down';
    }
    return this.current !== before;
  }
}
