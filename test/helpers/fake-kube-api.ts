/**
 * The one fake KubeApi of the tests: replies scripted per method and path,
 * every request recorded, and watches whose handlers the test drives by hand
 * (events, first lists, errors). Unscripted requests get `fallback`.
 */
import type {
  KubeApi,
  KubeBodyType,
  KubeReply,
  WatchHandlers,
  WatchedResource,
  Watcher,
} from '../../src/k8s/client/kube-api';

/** A request as the fake received it. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly bodyType: KubeBodyType | undefined;
}

/** A reply: sent as is, rejected with (no answer), or never settled ('hang'). */
export type ScriptedReply = KubeReply | Error | 'hang';

/** Answers every matching request. */
export type Responder = (request: RecordedRequest) => ScriptedReply | Promise<KubeReply>;

/** `'*'` matches anything; a path string matches the path with or without its query. */
type PathMatch = string | RegExp;

/** A watch the fake was asked for. */
export interface FakeWatch {
  readonly resource: WatchedResource;
  readonly handlers: WatchHandlers;
  stopped: boolean;
}

interface Rule {
  readonly method: string;
  readonly path: PathMatch;
  /** Queued replies, each used once; or a responder that answers every time. */
  readonly replies: ScriptedReply[] | Responder;
}

export class FakeKubeApi implements KubeApi {
  readonly requests: RecordedRequest[] = [];
  readonly watches: FakeWatch[] = [];
  /** The reply to a request no script matches. */
  fallback: KubeReply = { status: 200, body: {} };
  /** What every watcher's restarts() says. */
  restartsEach = 0;
  private readonly rules: Rule[] = [];

  constructor(private readonly identity = 'fake') {}

  /** Queues replies for requests matching `method` and `path`, used once each, in order. */
  reply(method: string, path: PathMatch, ...replies: ScriptedReply[]): this {
    this.rules.push({ method, path, replies });
    return this;
  }

  /** Answers every request matching `method` and `path` with `responder` (after queued replies). */
  respond(method: string, path: PathMatch, responder: Responder): this {
    this.rules.push({ method, path, replies: responder });
    return this;
  }

  /** The requests sent so far as `METHOD path`. */
  sent(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  /** The latest watch of `resource` (compared by group, version and plural). */
  watchOf(resource: WatchedResource): FakeWatch {
    const watch = this.watches.findLast(
      (w) =>
        w.resource.group === resource.group &&
        w.resource.version === resource.version &&
        w.resource.plural === resource.plural,
    );
    if (watch === undefined) throw new Error(`${resource.plural} is not watched`);
    return watch;
  }

  watch(resource: WatchedResource, handlers: WatchHandlers): Watcher {
    const watch: FakeWatch = { resource, handlers, stopped: false };
    this.watches.push(watch);
    return {
      stop: () => {
        watch.stopped = true;
      },
      restarts: () => this.restartsEach,
    };
  }

  request(
    method: string,
    path: string,
    body?: unknown,
    bodyType?: KubeBodyType,
  ): Promise<KubeReply> {
    const request: RecordedRequest = { method, path, body, bodyType };
    this.requests.push(request);
    const reply = this.replyTo(request);
    if (reply === 'hang') return new Promise(() => undefined);
    if (reply instanceof Error) return Promise.reject(reply);
    return Promise.resolve(reply);
  }

  describe(): string {
    return this.identity;
  }

  private replyTo(request: RecordedRequest): ScriptedReply | Promise<KubeReply> {
    const matching = this.rules.filter((rule) => matches(rule, request));
    for (const rule of matching)
      if (Array.isArray(rule.replies) && rule.replies.length > 0) return rule.replies.shift()!;
    for (const rule of matching)
      if (typeof rule.replies === 'function') return rule.replies(request);
    return this.fallback;
  }
}

function matches(rule: Rule, request: RecordedRequest): boolean {
  if (rule.method !== '*' && rule.method !== request.method) return false;
  if (rule.path instanceof RegExp) return rule.path.test(request.path);
  return (
    rule.path === '*' || rule.path === request.path || rule.path === request.path.split('?')[0]
  );
}
