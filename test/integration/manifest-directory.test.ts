/**
 * The standalone source against a real directory: changes picked up on their
 * own, an invalid file reported with its path while its last good content
 * keeps serving, deletions, and files the watcher cannot see.
 */
import { waitFor } from '../../harness/eventually';
import { mkdtempSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ManifestDirectory,
  type ManifestDirectoryOptions,
  type ManifestState,
} from '../../src/standalone/manifest-directory';
import { capturingLogger } from '../helpers/telemetry';
import { addressesOf, decodeReply, query } from '../../harness/dns-case';
import { createDnsClient } from '../helpers/grpc-client';
import { startHarness } from '../helpers/app-harness';
import { gslbYaml } from '../../harness/gslb-yaml';

interface Captured {
  readonly states: ManifestState[];
  readonly logs: Record<string, unknown>[];
  readonly source: ManifestDirectory;
  readonly dir: string;
}

function capture(
  rescanIntervalMs = 60_000,
  options: Pick<ManifestDirectoryOptions, 'watchDirectory'> = {},
): Captured {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-dir-'));
  const states: ManifestState[] = [];
  const { logger, logs } = capturingLogger();
  const source = new ManifestDirectory({
    dir,
    parse: { defaultTtlSeconds: 30, geoTag: 'eu' },
    debounceMs: 20,
    rescanIntervalMs,
    logger,
    onChange: (state) => states.push(state),
    ...options,
  });
  return { states, logs, source, dir };
}

const hostsOf = (state: ManifestState | undefined): string[] =>
  (state?.gslbs ?? []).flatMap((g) => g.hosts).sort();

test('an invalid file is reported with its path and reason; its last good content keeps serving', async () => {
  const c = capture();
  const file = join(c.dir, 'a.yaml');
  writeFileSync(file, gslbYaml('a', 'a.cloud.example.org', ['192.0.2.1']));
  writeFileSync(join(c.dir, 'b.yaml'), gslbYaml('b', 'b.cloud.example.org', ['192.0.2.2']));
  await c.source.start();
  try {
    expect(hostsOf(c.states.at(-1))).toEqual(['a.cloud.example.org', 'b.cloud.example.org']);
    writeFileSync(file, gslbYaml('a', 'a.cloud.example.org', ['not-an-ip']));
    await waitFor(
      () => (c.states.at(-1)?.invalidFiles.size ?? 0) === 1,
      2_000,
      'the invalid file to be reported',
    );
    const state = c.states.at(-1);
    expect(hostsOf(state)).toEqual(['a.cloud.example.org', 'b.cloud.example.org']);
    expect(state?.gslbs.find((g) => g.id === 'test/a')?.clusters[0]?.addresses).toEqual([
      '192.0.2.1',
    ]);
    expect([...(state?.invalidFiles.keys() ?? [])]).toEqual([file]);
    const logged = c.logs.find((l) => l['code'] === 'MERIDIAN_ERR_MANIFEST');
    expect(logged).toMatchObject({ path: file, level: 'error', servingLastGood: true });
    expect(String(logged?.['msg'])).toContain('not IP addresses: not-an-ip');
    // Fixed: the new content serves and the error clears.
    writeFileSync(file, gslbYaml('a', 'a.cloud.example.org', ['192.0.2.9']));
    await waitFor(() => c.states.at(-1)?.invalidFiles.size === 0, 2_000, 'the error to clear');
    expect(c.states.at(-1)?.gslbs.find((g) => g.id === 'test/a')?.clusters[0]?.addresses).toEqual([
      '192.0.2.9',
    ]);
  } finally {
    await c.source.stop();
  }
});

test('a file that was never valid serves nothing and is still reported', async () => {
  const c = capture();
  writeFileSync(
    join(c.dir, 'broken.yaml'),
    'kind: Gslb\napiVersion: k8gb.io/v1beta1\nspec: [unclosed',
  );
  await c.source.start();
  try {
    expect(c.states.at(-1)?.gslbs).toEqual([]);
    expect(c.states.at(-1)?.invalidFiles.get(join(c.dir, 'broken.yaml'))?.[0]).toMatch(/^YAML: /);
  } finally {
    await c.source.stop();
  }
});

test('deleting a file removes its Gslbs; other files and hidden or non-YAML files are ignored', async () => {
  const c = capture();
  writeFileSync(join(c.dir, 'a.yml'), gslbYaml('a', 'a.cloud.example.org', ['192.0.2.1']));
  writeFileSync(join(c.dir, '.hidden.yaml'), 'not: [valid');
  writeFileSync(join(c.dir, 'notes.txt'), 'not yaml');
  await c.source.start();
  try {
    expect(hostsOf(c.states.at(-1))).toEqual(['a.cloud.example.org']);
    expect(c.states.at(-1)?.invalidFiles.size).toBe(0);
    rmSync(join(c.dir, 'a.yml'));
    await waitFor(() => hostsOf(c.states.at(-1)).length === 0, 2_000, 'the deletion');
  } finally {
    await c.source.stop();
  }
});

test('the periodic re-read finds changes even without a watch event', async () => {
  // A watch that never reports an event: only the periodic re-read can notice the file.
  const c = capture(200, {
    watchDirectory: (dir) => watch(dir, { persistent: false }, () => undefined),
  });
  await c.source.start();
  try {
    writeFileSync(
      join(c.dir, 'late.yaml'),
      gslbYaml('late', 'late.cloud.example.org', ['192.0.2.5']),
    );
    await waitFor(
      () => hostsOf(c.states.at(-1)).includes('late.cloud.example.org'),
      3_000,
      'the re-read',
    );
  } finally {
    await c.source.stop();
  }
});

test('a missing directory fails start-up with MERIDIAN_ERR_SOURCE', async () => {
  await expect(
    startHarness({}, { MERIDIAN_MANIFESTS_DIR: '/nonexistent/meridian' }),
  ).rejects.toMatchObject({
    code: 'MERIDIAN_ERR_SOURCE',
  });
});

test('through gRPC: an invalid edit leaves the served answer unchanged and raises meridian_manifest_errors', async () => {
  const harness = await startHarness({
    'web.yaml': gslbYaml('web', 'web.cloud.example.org', ['192.0.2.1']),
  });
  const client = createDnsClient(harness.grpcAddress);
  const answers = async (): Promise<string[]> => {
    const result = await client.query(query('web.cloud.example.org', 'A'));
    return result.ok ? addressesOf(decodeReply(result.msg).answers) : [];
  };
  try {
    harness.writeManifest(
      'web.yaml',
      'apiVersion: k8gb.io/v1beta1\nkind: Gslb\nmetadata: {name: web}\nspec: {}',
    );
    await waitFor(
      async () =>
        (await harness.registry.getSingleMetricAsString('meridian_manifest_errors')).endsWith(' 1'),
      2_000,
      'meridian_manifest_errors to reach 1',
    );
    expect(await answers()).toEqual(['192.0.2.1']);
  } finally {
    client.close();
    await harness.stop();
  }
});
