/**
 * The /metrics page: prom-client's registry, then any families too many to
 * keep as prom-client series (k8gb's per-Gslb series: a dozen per Gslb,
 * 120,000 at 10,000 Gslbs). prom-client renders each scrape as one string
 * with a few microseconds of work per series, which at that size stalls the
 * event loop, and so every DNS answer, for a third of a second per scrape
 * and doubles the process's peak memory; those families are written here in
 * chunks instead, yielding between them (docs/adr/0004-per-gslb-series.md).
 */
import type { Registry } from 'prom-client';

/** A metric family's name, type and help, for docs and tests. */
export interface FamilyInfo {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly labelNames: readonly string[];
}

/** Families rendered outside prom-client, a chunk of text at a time. */
export interface SeriesSource {
  readonly families: readonly FamilyInfo[];
  /** The exposition text of every family, in chunks of bounded size. */
  chunks(): Iterable<string>;
}

/** Writes one chunk; resolves when the reader can take more. */
export type ChunkWriter = (chunk: string) => Promise<void>;

/** prom-client's registry plus the sources rendered after it. */
export class MetricsPage {
  private readonly sources: SeriesSource[] = [];

  constructor(readonly registry: Registry) {}

  get contentType(): string {
    return this.registry.contentType;
  }

  add(source: SeriesSource): void {
    this.sources.push(source);
  }

  /** Every family defined, prom-client's and the sources'. */
  families(): FamilyInfo[] {
    return this.sources.flatMap((source) => source.families);
  }

  /** Writes the page: the registry's text, then each source's chunks, yielding between chunks. */
  async write(writeChunk: ChunkWriter): Promise<void> {
    await writeChunk(await this.registry.metrics());
    for (const source of this.sources)
      for (const chunk of source.chunks()) {
        await writeChunk(chunk);
        await new Promise((resolve) => setImmediate(resolve));
      }
  }

  /** The whole page as one string (tests, small pages). */
  async text(): Promise<string> {
    const parts: string[] = [];
    await this.write((chunk) => {
      parts.push(chunk);
      return Promise.resolve();
    });
    return parts.join('');
  }
}

/** A label value escaped for the text format: backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** The `# HELP` and `# TYPE` lines of a family. */
export function familyHeader(family: FamilyInfo): string {
  const help = family.help.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
  return `# HELP ${family.name} ${help}\n# TYPE ${family.name} ${family.type}\n`;
}
