/**
 * The module boundaries of eslint-boundaries.cjs, proved on probe files: each
 * library stays in its home and sources import src/config for types only. The
 * lint run of `npm test` applies the same rules to the real tree.
 */
import { join } from 'node:path';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const boundaries = require('../../eslint-boundaries.cjs') as Linter.Config[];

const ROOT = join(__dirname, '..', '..');
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfigFile: true,
  overrideConfig: [tseslint.configs.base, ...boundaries],
});

/** The messages of the boundary rules for `code` placed at `path`. */
async function violations(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

test.each([
  ['src/peers/probe.ts', "import * as dnsPacket from 'dns-packet';"],
  ['src/table/probe.ts', "import * as dnsPacket from 'dns-packet';"],
  ['src/k8s/probe.ts', "import { decode } from 'dns-packet';"],
])('dns-packet outside src/dns is refused: %s', async (path, line) => {
  expect(await violations(path, line)).toEqual([
    expect.stringContaining('Only src/dns encodes and decodes DNS messages'),
  ]);
});

test.each([
  ['src/peers/probe.ts', "import type { Logger } from 'pino';"],
  ['src/app-probe.ts', "import pino from 'pino';"],
  ['src/table/probe.ts', "import pino from 'pino';"],
])('pino outside src/telemetry is refused: %s', async (path, line) => {
  expect(await violations(path, line)).toEqual([
    expect.stringContaining('Log through src/telemetry/logger'),
  ]);
});

test.each(['src/standalone/probe.ts', 'src/k8s/probe.ts', 'src/peers/probe.ts'])(
  'a source may import src/config for types only: %s',
  async (path) => {
    expect(await violations(path, "import type { HostPort } from '../config/host-port';")).toEqual(
      [],
    );
    expect(await violations(path, "import { parseHostPort } from '../config/host-port';")).toEqual([
      expect.stringContaining('import src/config for types only'),
    ]);
  },
);

test('the homes themselves may import their library', async () => {
  expect(await violations('src/dns/probe.ts', "import * as d from 'dns-packet';")).toEqual([]);
  expect(await violations('src/telemetry/probe.ts', "import pino from 'pino';")).toEqual([]);
  expect(
    await violations('src/app-probe.ts', "import { parseHostPort } from './config/host-port';"),
  ).toEqual([]);
});
