/**
 * Reads the Prometheus text format back into samples, for tests of pages
 * that are written by hand rather than by prom-client: `name{labels} value`
 * lines, label values unescaped, HELP and TYPE lines kept per family.
 */

/** One series line of a page. */
export interface TextSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** A page read back: its samples in order and each family's HELP and TYPE. */
export interface ParsedPage {
  readonly samples: TextSample[];
  readonly families: Map<string, { help?: string; type?: string }>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;

/** Parses `text`; throws on a line that is neither a comment nor a sample. */
export function parsePage(text: string): ParsedPage {
  const samples: TextSample[] = [];
  const families = new Map<string, { help?: string; type?: string }>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment !== null) {
      const family = families.get(comment[2]!) ?? {};
      if (comment[1] === 'HELP') family.help = comment[3]!;
      else family.type = comment[3]!;
      families.set(comment[2]!, family);
      continue;
    }
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    samples.push({ name: match[1]!, labels: labelsOf(match[2] ?? ''), value: Number(match[3]) });
  }
  return { samples, families };
}

function labelsOf(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let consumed = 0;
  for (let m = LABEL.exec(text); m !== null; m = LABEL.exec(text)) {
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    consumed = LABEL.lastIndex;
  }
  if (consumed !== text.length) throw new Error(`bad labels: ${JSON.stringify(text)}`);
  return labels;
}
