/**
 * One collection's list-then-watch, run as sessions under a WatchSupervisor,
 * over an injected transport: the `request` function of a KubeApi and a
 * `watch` function shaped like client-node's Watch.watch. It imports no
 * client library, so every path runs against fakes in unit tests.
 *
 * A session lists (page by page) when the view must be rebuilt: the first
 * time, when the supervisor asks for a relist, and after 410 Gone. A complete
 * list reports the deletions it implies. The session then watches from the
 * last resourceVersion seen. What was seen is kept as stubs (name, namespace,
 * resourceVersion), so events are deduplicated against it: a relist or a
 * resumed watch reports only what changed. ERROR events and failed requests
 * end the session with a KubeRequestError; a watch that ends quietly (the
 * server's timeout, client-node's 30 s of silence) ends it cleanly, and the
 * supervisor starts the next one.
 */
import {
  collectionPath,
  describeError,
  KubeRequestError,
  type KubeApi,
  type KubeObject,
  type KubeReply,
  type WatchEvent,
  type WatchHandlers,
  type WatchedResource,
  type Watcher,
} from './kube-api';
import {
  createWatchSupervisor,
  type SupervisorTimers,
  type WatchSessionHandle,
  type WatchSessionSink,
  type WatchSessionStart,
} from './watch-supervisor';

/** Page size of lists: bounds the memory of one reply at 10,000s of objects. */
const LIST_PAGE_SIZE = 500;
/**
 * Cap of the restart backoff. After an apiserver outage every watcher is
 * back within this (client-go's 30 s would leave answers stale for that
 * long); the jitter still spreads many replicas over the window.
 */
const MAX_BACKOFF_MS = 5_000;
/** Server-side end of a watch; the session then resumes from its resourceVersion. */
const WATCH_TIMEOUT_SECONDS = 290;

/** Query parameters of a watch request. */
export type WatchQuery = Readonly<Record<string, string | number | boolean>>;

/**
 * Starts a streaming watch of `path`, as client-node's Watch.watch does:
 * `onEvent` gets each event's type (ADDED, MODIFIED, DELETED, BOOKMARK,
 * ERROR) and object, `onDone` is called once when the stream ends (with
 * null or the error), and the promise resolves once the server accepted the
 * watch, with a handle that aborts it.
 */
export type WatchFunction = (
  path: string,
  query: WatchQuery,
  onEvent: (phase: string, object: KubeObject) => void,
  onDone: (error: unknown) => void,
) => Promise<{ abort(): void }>;

/** Options of {@link startListWatch}. */
export interface ListWatchOptions {
  readonly resource: WatchedResource;
  readonly request: KubeApi['request'];
  readonly watch: WatchFunction;
  readonly handlers: WatchHandlers;
  /** Drives the supervisor's backoff jitter; for tests. */
  readonly random?: () => number;
  /** The supervisor's timers; for tests. */
  readonly timers?: SupervisorTimers;
}

type Request = KubeApi['request'];

interface ListPage {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
  readonly items?: readonly KubeObject[];
}

/** Lists and watches `resource` under supervision until the returned watcher is stopped. */
export function startListWatch(options: ListWatchOptions): Watcher {
  const session = new ListWatch(options);
  const supervisor = createWatchSupervisor<WatchEvent>({
    startSession: (sink, start) => session.startSession(sink, start),
    maxBackoffMs: MAX_BACKOFF_MS,
    onEvent: (event) => session.accept(event),
    onSynced: () => session.synced(),
    onError: (error) => session.failed(error),
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.timers === undefined ? {} : { timers: options.timers }),
  });
  supervisor.start();
  return {
    stop: () => supervisor.stop(),
    restarts: () => supervisor.status().restarts,
  };
}

/** What lasts across the sessions of one collection: the stubs and the resourceVersion. */
class ListWatch {
  private readonly path: string;
  // Stubs only (name, namespace, resourceVersion): the source keeps its own
  // small records, so full objects are never held twice.
  private readonly cache = new Map<string, KubeObject>();
  /** The last resourceVersion seen; '' when the next session must list. */
  private resourceVersion = '';
  private reportedSynced = false;

  constructor(private readonly options: ListWatchOptions) {
    this.path = collectionPath(options.resource);
  }

  /** Reports the first list once (or a collection found not to be served). */
  synced(): void {
    if (this.reportedSynced) return;
    this.reportedSynced = true;
    this.options.handlers.onSynced();
  }

  /** An event of the current session: the cache follows it, then the caller hears of it. */
  accept(event: WatchEvent): void {
    // Only the current session's events arrive here, so a stale watch never
    // touches the cache.
    if (event.type === 'delete') this.cache.delete(keyOf(event.object));
    else this.cache.set(keyOf(event.object), stub(event.object));
    this.options.handlers.onEvent(event);
  }

  failed(error: unknown): void {
    this.options.handlers.onError(
      error instanceof KubeRequestError
        ? error
        : new KubeRequestError(`watch ${this.path}: ${describeError(error)}`, undefined),
    );
  }

  /** Starts one session: a list when needed, then a watch. */
  startSession(sink: WatchSessionSink<WatchEvent>, start: WatchSessionStart): WatchSessionHandle {
    const path = this.path;
    let controller: { abort(): void } | undefined;
    let cancelled = false;
    // An ERROR event (a Status) comes before the server closes the stream.
    let statusError: KubeRequestError | undefined;
    const live = (): boolean => !cancelled && sink.current;

    const onWatchEvent = (phase: string, object: KubeObject): void => {
      if (!live()) return;
      if (phase === 'ERROR') {
        const status = object as unknown as { code?: number; message?: string };
        statusError = new KubeRequestError(
          `watch ${path}: ${status.message ?? 'error'}`,
          status.code,
        );
        // 410 Gone: the resourceVersion is compacted away; only a list helps.
        if (status.code === 410) this.resourceVersion = '';
        return;
      }
      if (phase === 'BOOKMARK') sink.bookmark();
      else if (phase === 'DELETED') {
        if (this.cache.has(keyOf(object))) sink.event({ type: 'delete', object });
        else sink.bookmark();
      } else this.changed(object, sink);
      const version = object.metadata.resourceVersion;
      if (version !== undefined && version !== '') this.resourceVersion = version;
    };

    const onDone = (thrown: unknown): void => {
      if (!live()) return;
      // client-node ends a watch that was silent for 30 s: a normal end.
      const quiet = thrown instanceof Error && thrown.name === 'TimeoutError';
      if (thrown === null || thrown === undefined || quiet) {
        sink.ended(statusError);
        return;
      }
      const statusCode = (thrown as { statusCode?: unknown }).statusCode;
      const error = new KubeRequestError(
        `watch ${path}: ${describeError(thrown)}`,
        typeof statusCode === 'number' ? statusCode : undefined,
        { cause: thrown },
      );
      if (error.statusCode === 410) this.resourceVersion = '';
      sink.ended(error);
    };

    const run = async (): Promise<void> => {
      if ((start.relist || this.resourceVersion === '') && !(await this.list(sink, live))) return;
      const query = {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: WATCH_TIMEOUT_SECONDS,
      };
      const started = await this.options.watch(path, query, onWatchEvent, onDone);
      if (cancelled) started.abort();
      else controller = started;
      if (live()) sink.connected();
    };

    run().catch((err: unknown) => {
      if (live())
        sink.ended(new KubeRequestError(`watch ${path}: ${describeError(err)}`, undefined));
    });
    return {
      cancel: () => {
        cancelled = true;
        controller?.abort();
      },
    };
  }

  /** Emits add or update, unless the cache already has this version. */
  private changed(object: KubeObject, sink: WatchSessionSink<WatchEvent>): void {
    const known = this.cache.get(keyOf(object));
    if (known === undefined) sink.event({ type: 'add', object });
    else if (known.metadata.resourceVersion !== object.metadata.resourceVersion)
      sink.event({ type: 'update', object });
  }

  /** Reports the deletions a complete list implies: what the cache has and the list had not. */
  private deleteUnseen(seen: ReadonlySet<string>, sink: WatchSessionSink<WatchEvent>): void {
    for (const [key, object] of [...this.cache]) {
      if (!seen.has(key)) sink.event({ type: 'delete', object });
    }
  }

  /** A full list into the cache; false when it failed or the session is no longer live. */
  private async list(sink: WatchSessionSink<WatchEvent>, live: () => boolean): Promise<boolean> {
    const path = this.path;
    const seen = new Set<string>();
    let listedVersion: string;
    try {
      listedVersion = await listAll(this.options.request, path, (item) => {
        if (!live()) return;
        seen.add(keyOf(item));
        this.changed(item, sink);
      });
    } catch (err) {
      const error =
        err instanceof KubeRequestError
          ? err
          : new KubeRequestError(`list ${path}: ${describeError(err)}`, undefined);
      if (!live()) return false;
      if (error.statusCode === 404 && !this.reportedSynced) {
        // Not served (CRD not installed): empty for now, looked for again
        // after a backoff. Only before the first list: a 404 later (an
        // apiserver still starting) must not drop what is known.
        this.synced();
      }
      sink.ended(error);
      return false;
    }
    if (!live()) return false;
    this.deleteUnseen(seen, sink);
    this.resourceVersion = listedVersion;
    sink.listed();
    this.options.handlers.onListed?.();
    return true;
  }
}

/**
 * A full list, page by page, each item handed to `onItem` as it arrives so
 * that only one page is held at a time; resolves with the list's
 * resourceVersion, for the watch that follows.
 */
async function listAll(
  request: Request,
  path: string,
  onItem: (item: KubeObject) => void,
): Promise<string> {
  let token = '';
  for (;;) {
    const query = `?limit=${LIST_PAGE_SIZE}${token === '' ? '' : `&continue=${encodeURIComponent(token)}`}`;
    const reply = await request('GET', `${path}${query}`);
    if (reply.status !== 200)
      throw new KubeRequestError(`list ${path}: ${statusMessage(reply)}`, reply.status);
    const page = reply.body as ListPage;
    const kind = page.kind?.replace(/List$/, '');
    // List items carry no apiVersion/kind; watch events do. Make them alike.
    for (const item of page.items ?? [])
      onItem({ apiVersion: page.apiVersion, kind, ...item } as KubeObject);
    token = page.metadata?.continue ?? '';
    if (token === '') return page.metadata?.resourceVersion ?? '';
  }
}

/** The message of a Status body, or the HTTP status. */
function statusMessage(reply: KubeReply): string {
  const message = (reply.body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : `HTTP ${reply.status}`;
}

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/** What the watcher remembers of an object: enough to dedupe and to report a deletion. */
function stub(object: KubeObject): KubeObject {
  const { name, namespace, resourceVersion } = object.metadata;
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: { name, namespace, resourceVersion },
  } as KubeObject;
}
