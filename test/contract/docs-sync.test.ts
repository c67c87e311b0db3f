/**
 * The documentation is checked against the code and the tree, so that it
 * cannot drift: configuration, metrics and errors (docs/*.md), the Corefile and
 * the quick start (README.md), the links of README.md, and a README.md in every
 * folder of src/ that lists the folder's files.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { SETTINGS } from '../../src/config/spec';
import { ERROR_CODES } from '../../src/errors';
import { metricsOnNewRegistry } from '../helpers/telemetry';

const ROOT = join(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

interface Heading {
  readonly level: number;
  readonly title: string;
  /** Index of its line. */
  readonly line: number;
}

/** The headings of a Markdown text; `#` lines inside fenced code blocks are not headings. */
function headingsOf(text: string): Heading[] {
  let fenced = false;
  return text.split('\n').flatMap((line, index) => {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const match = fenced ? null : /^(#{1,6}) (.+?)\s*$/.exec(line);
    return match === null ? [] : [{ level: match[1]!.length, title: match[2]!, line: index }];
  });
}

/**
 * Returns the section of the Markdown file `path` headed `heading` (written with
 * its hashes, e.g. `## Corefile`), up to the next heading of the same or a
 * higher level: subsections are part of it.
 */
function section(path: string, heading: string): string {
  const text = read(path);
  const level = heading.indexOf(' ');
  const title = heading.slice(level + 1);
  const headings = headingsOf(text);
  const start = headings.find((h) => h.level === level && h.title === title);
  if (start === undefined) throw new Error(`${path} has no "${heading}" section`);
  const end = headings.find((h) => h.line > start.line && h.level <= level);
  return text.split('\n').slice(start.line, end?.line).join('\n');
}

/**
 * Returns the rows of every table in a section as arrays of cells, each
 * table's header and rule dropped.
 */
function tableRows(path: string, heading: string): string[][] {
  const rows: string[][] = [];
  let lineInTable = 0;
  for (const line of section(path, heading).split('\n')) {
    lineInTable = line.startsWith('|') ? lineInTable + 1 : 0;
    if (lineInTable > 2)
      rows.push(
        line
          .slice(1, -1)
          .split(' | ')
          .map((cell) => cell.trim()),
      );
  }
  if (rows.length === 0) throw new Error(`${path} "${heading}" holds no table`);
  return rows;
}

const unquote = (cell: string | undefined): string => (cell ?? '').replace(/^`|`$/g, '');

test('Configuration: one row per setting, with its flag and default', () => {
  const documented = tableRows('docs/configuration.md', '# Configuration').map(
    ([env, flag, def]) => [unquote(env), unquote(flag), unquote(def)],
  );
  const expected = SETTINGS.map((s) => [
    s.env,
    s.flag === null ? '' : `--${s.flag}`,
    s.defaultValue === null ? '(required)' : s.defaultValue,
  ]);
  expect(documented.map((r) => r.map((c) => (c === '' || c === '(empty)' ? '' : c)))).toEqual(
    expected.map((r) => r.map((c) => c)),
  );
});

test('Metrics: every meridian_ metric is documented with its type, and nothing else', async () => {
  const { registry, page } = metricsOnNewRegistry();
  const actual = [
    ...(await registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]),
    ...page.families().map((f) => [f.name, f.type]),
  ].sort();
  const documented = tableRows('docs/metrics.md', '# Metrics')
    .map(([name, type]) => [unquote(name), unquote(type)])
    .sort();
  expect(documented).toEqual(actual);
});

test('Errors: the table lists exactly the registered codes', () => {
  const documented = tableRows('docs/errors.md', '# Errors').map(([code]) => unquote(code));
  expect(documented).toEqual(Object.keys(ERROR_CODES));
});

test('Corefile: the README shows Corefile.example verbatim and the default gRPC address matches', () => {
  const corefile = read('Corefile.example');
  const corefileSection = section('README.md', '## Corefile');
  expect(corefileSection).toContain(corefile.trim());
  const grpcDefault = SETTINGS.find((s) => s.env === 'MERIDIAN_GRPC_LISTEN')?.defaultValue;
  expect(corefileSection).toContain(`MERIDIAN_GRPC_ADDRESS=${grpcDefault}`);
});

test('Quick start: the two set-up commands are the ones .ci/run and run.sh provide', () => {
  const quickStart = section('README.md', '## Quick start');
  expect(quickStart).toContain('./run.sh start');
  expect(quickStart).toContain('./run.sh test');
  expect(read('.ci/run')).toMatch(/^exec \.\/run\.sh test$/m);
});

/** GitHub's anchors of a Markdown text's headings: `## Peer clusters` → `peer-clusters`. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { title } of headingsOf(text)) {
    const slug = title
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The targets of the inline links of a Markdown text, outside code blocks and code spans. */
function linkTargets(text: string): string[] {
  let fenced = false;
  return text.split('\n').flatMap((line) => {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) return [];
    const prose = line.replace(/`[^`]*`/g, '');
    return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
  });
}

/**
 * The links of the Markdown file `path` that do not resolve: a relative target
 * that names no file or folder, or a `#anchor` that names no heading of its page.
 */
function brokenLinks(path: string): string[] {
  return linkTargets(read(path))
    .filter((target) => !/^[a-z][a-z\d+.-]*:/i.test(target))
    .filter((target) => {
      const [file = '', anchor] = target.split('#');
      const page = file === '' ? path : posix.join(posix.dirname(path), file);
      if (!existsSync(join(ROOT, page))) return true;
      return anchor !== undefined && !(page.endsWith('.md') && anchorsOf(read(page)).has(anchor));
    });
}

test('README links every reference page of docs/', () => {
  expect(linkTargets(read('README.md'))).toEqual(
    expect.arrayContaining([
      'docs/configuration.md',
      'docs/metrics.md',
      'docs/errors.md',
      'docs/limits.md',
    ]),
  );
});

test('README links into docs/ and to its own headings point at existing files and headings', () => {
  expect(brokenLinks('README.md')).toEqual([]);
});

/** Every folder under `dir`, at any depth, as a path from the repository root. */
function foldersUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => [`${dir}/${entry.name}`, ...foldersUnder(`${dir}/${entry.name}`)]);
}

const documentedFolders = foldersUnder('src');

test('every folder under src/ holds a README.md', () => {
  expect(documentedFolders).toContain('src/table');
  const missing = documentedFolders.filter(
    (folder) => !existsSync(join(ROOT, folder, 'README.md')),
  );
  expect(missing).toEqual([]);
});

test.each(documentedFolders)('%s/README.md lists each of its files, one per line', (folder) => {
  const files = readdirSync(join(ROOT, folder)).filter((name) => name.endsWith('.ts'));
  const listed = section(`${folder}/README.md`, '## Files')
    .split('\n')
    .flatMap((line) => /^- `([^`/]+\.ts)`/.exec(line)?.slice(1) ?? []);
  expect(listed.sort()).toEqual(files.sort());
});

test.each(documentedFolders)(
  '%s/README.md links point at existing files and headings',
  (folder) => {
    expect(brokenLinks(`${folder}/README.md`)).toEqual([]);
  },
);
