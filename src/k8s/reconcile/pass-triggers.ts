/**
 * The objects whose watch events touched each dependency since the last
 * pass, so that a decision record can name the object and version behind a
 * changed answer (pass-causes.ts). Bounded: past the bound a dependency is
 * still a cause, only without its object.
 */
import type { KubeObject } from '../client/kube-api';
import type { Dependency } from '../ingest/object-index';
import type { Trigger } from './pass-causes';

/** Dependencies remembered between two passes; a pass usually sees a handful. */
const MAX_TRIGGERS = 10_000;

export class PassTriggers {
  private triggers = new Map<Dependency, Trigger>();

  /** Remembers that `object` (of `kind`) touched `touched`; the latest event wins. */
  record(kind: string, object: KubeObject, touched: Iterable<Dependency>): void {
    const trigger = triggerOf(kind, object);
    for (const dependency of touched) {
      if (this.triggers.size >= MAX_TRIGGERS && !this.triggers.has(dependency)) continue;
      this.triggers.set(dependency, trigger);
    }
  }

  /** What was recorded since the last take, and forgets it. */
  take(): ReadonlyMap<Dependency, Trigger> {
    const taken = this.triggers;
    this.triggers = new Map();
    return taken;
  }
}

function triggerOf(kind: string, object: KubeObject): Trigger {
  const { name, namespace, resourceVersion, generation } = object.metadata;
  return {
    kind,
    name: typeof name === 'string' ? name : '',
    ...(typeof namespace === 'string' ? { namespace } : {}),
    ...(typeof resourceVersion === 'string' ? { resourceVersion } : {}),
    ...(typeof generation === 'number' ? { generation } : {}),
  };
}
