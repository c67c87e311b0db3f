/**
 * The README's reference tables are checked against the code, so that the
 * documentation cannot drift: configuration, metrics, errors, the Corefile.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from '../../src/config/spec';
import { ERROR_CODES } from '../../src/errors';
import { metricsOnNewRegistry } from '../helpers/telemetry';

const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Returns the body of the README section headed `## title`. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  if (start === -1) throw new Error(`README has no "## ${title}" section`);
  const end = README.indexOf('\n## ', start + 4);
  return README.slice(start, end === -1 ? undefined : end);
}

/** Returns the table rows of a section as arrays of cells (header and rule dropped). */
function rows(title: string): string[][] {
  return section(title)
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2)
    .map((line) =>
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
}

const unquote = (cell: string | undefined): string => (cell ?? '').replace(/^`|`$/g, '');

test('Configuration: one row per setting, with its flag and default', () => {
  const documented = rows('Configuration').map(([env, flag, def]) => [
    unquote(env),
    unquote(flag),
    unquote(def),
  ]);
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
  const { registry } = metricsOnNewRegistry();
  const actual = (await registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]).sort();
  const documented = rows('Metrics')
    .map(([name, type]) => [unquote(name), unquote(type)])
    .sort();
  expect(documented).toEqual(actual);
});

test('Errors: the table lists exactly the registered codes', () => {
  const documented = rows('Errors').map(([code]) => unquote(code));
  expect(documented).toEqual(Object.keys(ERROR_CODES));
});

test('Corefile: the README shows Corefile.example verbatim and the default gRPC address matches', () => {
  const corefile = readFileSync(join(ROOT, 'Corefile.example'), 'utf8');
  expect(section('Corefile')).toContain(corefile.trim());
  const grpcDefault = SETTINGS.find((s) => s.env === 'MERIDIAN_GRPC_LISTEN')?.defaultValue;
  expect(section('Corefile')).toContain(`MERIDIAN_GRPC_ADDRESS=${grpcDefault}`);
});

test('Quick start: the two set-up commands are the ones .ci/run and run.sh provide', () => {
  const quickStart = section('Quick start');
  expect(quickStart).toContain('./run.sh start');
  expect(quickStart).toContain('./run.sh test');
  expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^exec \.\/run\.sh test$/m);
});
