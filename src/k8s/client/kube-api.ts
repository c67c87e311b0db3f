/**
 * What the Kubernetes source needs from an apiserver, as plain types. The one
 * implementation over `@kubernetes/client-node` lives in kube-client.ts and is
 * wired by main.ts; everything else (and every unit test) sees only this, so
 * no other module loads the client library.
 */

/** A Kubernetes object as the apiserver sent it, parsed from JSON. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly resourceVersion?: string;
    readonly generation?: number;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly ownerReferences?: readonly OwnerReference[];
    readonly [field: string]: unknown;
  };
  readonly [field: string]: unknown;
}

/** metadata.ownerReferences[] */
export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
}

/** A collection to list and watch, cluster-wide. */
export interface WatchedResource {
  /** API group; '' for the core group (`/api/v1`). */
  readonly group: string;
  readonly version: string;
  /** e.g. `endpointslices` */
  readonly plural: string;
}

/** One change to a watched collection, deduplicated against what was seen before. */
export interface WatchEvent {
  readonly type: 'add' | 'update' | 'delete';
  readonly object: KubeObject;
}

/** Callbacks of one watched collection. */
export interface WatchHandlers {
  readonly onEvent: (event: WatchEvent) => void;
  /**
   * The collection has been listed once, or found not to be served (its CRD
   * is not installed: it then counts as empty and is looked for again).
   */
  readonly onSynced: () => void;
  /** Every complete list (the collection is served), the first one included. */
  readonly onListed?: () => void;
  /** A failed list or watch; the watcher retries by itself. */
  readonly onError: (error: KubeRequestError) => void;
}

/** The handle of a running watcher. */
export interface Watcher {
  stop(): void;
  /** Sessions started beyond the first: restarts after errors, silence or relists. */
  restarts(): number;
}

/** A failed request, with the HTTP status when there was one. */
export class KubeRequestError extends Error {
  readonly statusCode: number | undefined;

  constructor(message: string, statusCode: number | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeRequestError';
    this.statusCode = statusCode;
  }
}

/** The message of `err` and of its cause, for the message of a KubeRequestError. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

/** The answer to a request. */
export interface KubeReply {
  readonly status: number;
  /** The parsed body; undefined when it was empty or not JSON. */
  readonly body: unknown;
}

/** Content types of writes. */
export type KubeBodyType = 'json' | 'merge-patch';

/** A connection to one apiserver. */
export interface KubeApi {
  /** Lists and watches `resource` under supervision until stopped. */
  watch(resource: WatchedResource, handlers: WatchHandlers): Watcher;
  /**
   * One request; resolves with any HTTP status (the caller decides what a
   * 404 or 409 means) and rejects only when no answer came.
   */
  request(
    method: string,
    path: string,
    body?: unknown,
    bodyType?: KubeBodyType,
  ): Promise<KubeReply>;
  /** The identity in use, for logs (server URL and user name). */
  describe(): string;
}

/** The collection path of `resource`, cluster-wide or in one namespace. */
export function collectionPath(resource: WatchedResource, namespace?: string): string {
  const root =
    resource.group === ''
      ? `/api/${resource.version}`
      : `/apis/${resource.group}/${resource.version}`;
  const scope = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `${root}${scope}/${resource.plural}`;
}

/** The path of one namespaced object of `resource`. */
export function objectPath(resource: WatchedResource, namespace: string, name: string): string {
  return `${collectionPath(resource, namespace)}/${encodeURIComponent(name)}`;
}
