/**
 * Which Gslbs depend on what, for incremental passes: for each dependency
 * (an object, a scan of a namespace, a Service's readiness, a host name; see
 * Dependency in ingest/object-index.ts) the ids (GslbSource.id) of the Gslbs
 * whose last resolution read it. A pass asks which Gslbs a set of changes can
 * affect and resolves only those. Bounded by the reads of the Gslbs it holds.
 */
import { legacyGslbId } from '../ingest/gslb-objects';
import type { Dependency } from '../ingest/object-index';

export class Dependents {
  /** Dependency → keys of the Gslbs whose last resolution read it. */
  private readonly byDependency = new Map<Dependency, Set<string>>();

  /** Records that the Gslb `key` read `reads`. */
  link(key: string, reads: ReadonlySet<Dependency>): void {
    for (const dependency of reads) {
      let keys = this.byDependency.get(dependency);
      if (keys === undefined) this.byDependency.set(dependency, (keys = new Set()));
      keys.add(key);
    }
  }

  /** Forgets that the Gslb `key` read `reads`. */
  unlink(key: string, reads: ReadonlySet<Dependency>): void {
    for (const dependency of reads) {
      const keys = this.byDependency.get(dependency);
      keys?.delete(key);
      if (keys?.size === 0) this.byDependency.delete(dependency);
    }
  }

  /** The ids of the Gslbs `changes` can affect: those that read one, and the Gslbs changed. */
  affected(changes: ReadonlySet<Dependency>): Set<string> {
    const keys = new Set<string>();
    for (const dependency of changes) {
      for (const key of this.byDependency.get(dependency) ?? []) keys.add(key);
      // A Gslb depends on itself (a new one has no recorded reads yet) and on
      // what the table made of its hosts.
      if (dependency.startsWith('Gslb|') && !dependency.endsWith('/*'))
        keys.add(dependency.slice('Gslb|'.length));
      if (dependency.startsWith('LegacyGslb|') && !dependency.endsWith('/*'))
        keys.add(legacyGslbId(dependency.slice('LegacyGslb|'.length)));
      if (dependency.startsWith('Table|')) keys.add(dependency.slice('Table|'.length));
    }
    return keys;
  }
}

/** True when some change is of one of the kinds named by `prefixes` (`Gslb|`, …). */
export function touchesKinds(
  changes: ReadonlySet<Dependency>,
  prefixes: readonly string[],
): boolean {
  for (const dependency of changes)
    if (prefixes.some((prefix) => dependency.startsWith(prefix))) return true;
  return false;
}
