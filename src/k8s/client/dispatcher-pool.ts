/**
 * One undici dispatcher shared by the requests to the apiserver.
 * client-node builds a new Agent on every applySecurityAuthentication, so
 * using it as given opens a TLS connection per request: 110–190 were open at
 * once while writing 10,000 statuses, 7 % of Meridian's CPU. Reusing one keeps
 * connections alive; replacing it after a while picks up rotated
 * certificates, and a connection-level failure replaces it at once.
 */
/** What the pool needs of a dispatcher (undici's Agent). */
export interface ClosableDispatcher {
  /** Stops taking requests and resolves once those in flight are done. */
  close(): Promise<void>;
}

/**
 * Keeps one of the dispatchers client-node hands out and lends it to every
 * request until it is `maxAgeMs` old or a request through it failed to
 * connect; the one it replaces closes once its requests are done.
 */
export class DispatcherPool<Dispatcher extends ClosableDispatcher> {
  private current: { dispatcher: Dispatcher; since: number } | null = null;

  constructor(
    private readonly maxAgeMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The dispatcher to use, given the one client-node just built for this request. */
  pick(fresh: Dispatcher | undefined): Dispatcher | undefined {
    if (fresh === undefined) return undefined;
    const current = this.current;
    if (current !== null && this.now() - current.since < this.maxAgeMs) {
      // The fresh one never connected; nothing to close.
      return current.dispatcher;
    }
    this.current = { dispatcher: fresh, since: this.now() };
    if (current !== null) retire(current.dispatcher);
    return fresh;
  }

  /** A request through `dispatcher` failed below HTTP: the next one starts a new pool. */
  discard(dispatcher: Dispatcher | undefined): void {
    if (dispatcher === undefined || this.current?.dispatcher !== dispatcher) return;
    this.current = null;
    retire(dispatcher);
  }
}

function retire(dispatcher: ClosableDispatcher): void {
  // close() lets requests in flight finish; a failure to close leaks nothing we could still free.
  dispatcher.close().catch(() => undefined);
}
