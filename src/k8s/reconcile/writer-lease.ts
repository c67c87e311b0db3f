/**
 * Which replica writes. Every replica watches and answers DNS; only the
 * holder of a coordination.k8s.io Lease writes status, Events and owned
 * objects, so two replicas never send the same Event twice or double the
 * write load on the apiserver. The algorithm is client-go's leader election:
 * the holder renews the Lease every `renewIntervalMs`; another replica takes it
 * over once it has seen the same record unchanged for `leaseDurationMs` by its
 * own clock (never comparing clocks across machines); every change is an
 * update with the resourceVersion read, so two candidates cannot both win.
 */
import type { KubeApi } from '../client/kube-api';

/** Options of {@link WriterLease}. */
export interface WriterLeaseOptions {
  readonly api: KubeApi;
  readonly namespace: string;
  readonly name: string;
  /** This replica's identity in `spec.holderIdentity`. */
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewIntervalMs: number;
  /** Called when this replica starts or stops being the writer. */
  readonly onChange: (leading: boolean) => void;
  /** Monotonic milliseconds, for expiry; wall-clock time is written for humans only. */
  readonly monotonicMs?: () => number;
  readonly now?: () => Date;
}

interface LeaseObject {
  metadata: { resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export class WriterLease {
  private leading = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The record last seen and when (monotonic) it was first seen unchanged. */
  private observed: { key: string; at: number } | null = null;
  /** When this replica last renewed successfully (monotonic). */
  private renewedAt = 0;
  private readonly monotonicMs: () => number;
  private readonly now: () => Date;

  constructor(private readonly options: WriterLeaseOptions) {
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
    this.now = options.now ?? (() => new Date());
  }

  /** True while this replica holds the Lease. */
  isLeading(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  /** Stops renewing and gives the Lease up, so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.setLeading(false);
    const lease = await this.read().catch(() => null);
    if (lease?.spec?.holderIdentity !== this.options.identity) return;
    // An empty holder is client-go's "released": others acquire without waiting.
    await this.write(lease, { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 }).catch(
      () => false,
    );
  }

  private path(name?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.options.namespace)}/leases`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.attempt();
    } catch {
      // No answer: treated like a failed renewal below.
    }
    if (this.leading && this.monotonicMs() - this.renewedAt > this.options.leaseDurationMs)
      this.setLeading(false);
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.options.renewIntervalMs);
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    const lease = await this.read();
    if (lease === null) {
      if (await this.create()) this.renewed();
      return;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    if (holder !== this.options.identity && holder !== '' && !this.expired(lease)) {
      if (this.leading) this.setLeading(false);
      return;
    }
    const next = this.claim(spec, holder !== this.options.identity);
    if (await this.write(lease, next)) this.renewed();
  }

  /** The spec that makes this replica the holder, renewed now. */
  private claim(spec: NonNullable<LeaseObject['spec']>, taking: boolean): LeaseObject['spec'] {
    const time = this.timestamp();
    const transitions = (spec.leaseTransitions ?? 0) + (spec.holderIdentity ? 1 : 0);
    return {
      ...spec,
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.ceil(this.options.leaseDurationMs / 1000),
      renewTime: time,
      ...(taking ? { acquireTime: time, leaseTransitions: transitions } : {}),
    };
  }

  /** Expired when this replica has seen the same record for a whole lease duration. */
  private expired(lease: LeaseObject): boolean {
    const key = `${lease.metadata.resourceVersion ?? ''} ${lease.spec?.holderIdentity ?? ''}`;
    const now = this.monotonicMs();
    if (this.observed?.key !== key) {
      this.observed = { key, at: now };
      return false;
    }
    const duration = (lease.spec?.leaseDurationSeconds ?? 0) * 1000 || this.options.leaseDurationMs;
    return now - this.observed.at > duration;
  }

  private renewed(): void {
    this.renewedAt = this.monotonicMs();
    if (!this.leading) this.setLeading(true);
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.options.onChange(leading);
  }

  private timestamp(): string {
    // MicroTime: RFC 3339 with exactly six fractional digits.
    return this.now()
      .toISOString()
      .replace(/\.(\d{3})Z$/, '.$1000Z');
  }

  private async read(): Promise<LeaseObject | null> {
    const reply = await this.options.api.request('GET', this.path(this.options.name));
    if (reply.status === 404) return null;
    if (reply.status !== 200) throw new Error(`GET lease: HTTP ${reply.status}`);
    return reply.body as LeaseObject;
  }

  private async create(): Promise<boolean> {
    const time = this.timestamp();
    const reply = await this.options.api.request('POST', this.path(), {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.options.name, namespace: this.options.namespace },
      spec: {
        holderIdentity: this.options.identity,
        leaseDurationSeconds: Math.ceil(this.options.leaseDurationMs / 1000),
        acquireTime: time,
        renewTime: time,
        leaseTransitions: 0,
      },
    });
    return reply.status === 201;
  }

  /** An update conditional on the resourceVersion read: a 409 means someone else wrote first. */
  private async write(lease: LeaseObject, spec: LeaseObject['spec']): Promise<boolean> {
    const reply = await this.options.api.request('PUT', this.path(this.options.name), {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.options.name,
        namespace: this.options.namespace,
        resourceVersion: lease.metadata.resourceVersion,
      },
      spec,
    });
    return reply.status === 200;
  }
}
