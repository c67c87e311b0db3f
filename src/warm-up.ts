/**
 * The warm start: wait until the source has been read, then for the peers'
 * first poll (bounded by MERIDIAN_PEER_STARTUP_SECONDS), then build the table
 * that holds both and open. A restart then never answers with this cluster
 * alone, which resolvers would cache for the TTL.
 */
import { messageOf } from './errors';
import type { PeerSync } from './peers/peer-sync';
import type { TablePipeline } from './serving/table-pipeline';
import type { RunningSource } from './start-source';
import type { Logger } from './telemetry/logger';

/** How often the warm-up looks whether the source has been read. */
const SOURCE_READY_CHECK_MS = 20;

export interface WarmUpParts {
  readonly source: RunningSource;
  readonly peers: PeerSync;
  readonly pipeline: TablePipeline;
  readonly deadlineMs: number;
  readonly logger: Logger;
  readonly peerLogger: Logger;
  /** True once Meridian is stopping: the warm-up gives up waiting. */
  readonly stopping: () => boolean;
}

/** Waits as above, then builds, opens the answers and calls `open`. Never rejects. */
export async function warmUp(parts: WarmUpParts, open: () => void): Promise<void> {
  const { source, peers, pipeline } = parts;
  try {
    while (source.notReadyReason() !== null && !parts.stopping())
      await new Promise((resolve) => setTimeout(resolve, SOURCE_READY_CHECK_MS));
    const outcome = await peers.warmUp(parts.deadlineMs);
    if (outcome === 'deadline')
      parts.peerLogger.warn(
        { waitedMs: parts.deadlineMs, code: 'MERIDIAN_ERR_PEER' },
        'not every peer was polled within MERIDIAN_PEER_STARTUP_SECONDS; answering with what is known',
      );
  } catch (err) {
    parts.logger.error(
      { err: messageOf(err), code: 'MERIDIAN_ERR_INTERNAL' },
      'warm-up failed; answering with what is known',
    );
  }
  pipeline.flush();
  // From here on every change of what is served is a decision record.
  pipeline.openAnswers();
  open();
}
