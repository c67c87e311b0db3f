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
import type { RecordSnapshot } from '../../src/table/snapshot';
import { table } from '../helpers/table-fixtures';

/** Which Gslb serves each name of `snapshot`. */
function owners(snapshot: RecordSnapshot): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, entry] of snapshot.names) if (entry.owner !== '') out[name] = entry.owner;
  return out;
}

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

test('a Gslb added later for a served host does not take it, across re-reads and a restart', async () => {
  const c = capture();
  const HOST = 'shared.cloud.example.org';
  const ownerOf = (state: ManifestState | undefined): string | undefined =>
    state === undefined ? undefined : owners(table([...state.gslbs]).snapshot)[HOST];
  writeFileSync(join(c.dir, 'good.yaml'), gslbYaml('good', HOST, ['192.0.2.1']));
  await c.source.start();
  try {
    expect(ownerOf(c.states.at(-1))).toBe('test/good');
    await new Promise((resolve) => setTimeout(resolve, 20)); // a later birth time
    // `dup` sorts before `good` by name: by name alone it would take the host.
    writeFileSync(join(c.dir, 'dup.yaml'), gslbYaml('dup', HOST, ['198.51.100.1']));
    await waitFor(() => c.states.at(-1)?.gslbs.length === 2, 3_000, 'the newcomer');
    expect(ownerOf(c.states.at(-1))).toBe('test/good');
    const problems = table([...(c.states.at(-1)?.gslbs ?? [])]).problems;
    expect(problems).toEqual([
      expect.objectContaining({ gslb: 'test/dup', host: HOST, kind: 'host-conflict' }),
    ]);
    // An edit of the holder (a new digest, the same file) keeps its claim.
    writeFileSync(join(c.dir, 'good.yaml'), gslbYaml('good', HOST, ['192.0.2.2']));
    await waitFor(
      () =>
        c.states.at(-1)?.gslbs.some((g) => g.clusters[0]?.addresses[0] === '192.0.2.2') === true,
      3_000,
      'the edit',
    );
    expect(ownerOf(c.states.at(-1))).toBe('test/good');
    // A restart reads both files at once: the files' birth times still tell who came first.
    await c.source.stop();
    const afterRestart: ManifestState[] = [];
    const again = new ManifestDirectory({
      dir: c.dir,
      parse: { defaultTtlSeconds: 30, geoTag: 'eu' },
      debounceMs: 20,
      rescanIntervalMs: 60_000,
      logger: capturingLogger().logger,
      onChange: (state) => afterRestart.push(state),
    });
    await again.start();
    await again.stop();
    expect(ownerOf(afterRestart.at(-1))).toBe('test/good');
  } finally {
    await c.source.stop();
    rmSync(c.dir, { recursive: true, force: true });
  }
});

test('a declared metadata.creationTimestamp is the claim, whatever the files say', async () => {
  const c = capture();
  const HOST = 'declared.cloud.example.org';
  const dated = (name: string, address: string, created: string): string =>
    gslbYaml(name, HOST, [address]).replace(
      `  name: ${name}\n`,
      `  name: ${name}\n  creationTimestamp: "${created}"\n`,
    );
  writeFileSync(join(c.dir, 'a.yaml'), dated('a', '192.0.2.1', '2026-06-01T00:00:00Z'));
  writeFileSync(join(c.dir, 'b.yaml'), dated('b', '192.0.2.2', '2025-01-01T00:00:00Z'));
  await c.source.start();
  try {
    const state = c.states.at(-1);
    expect(owners(table([...(state?.gslbs ?? [])]).snapshot)[HOST]).toBe('test/b');
  } finally {
    await c.source.stop();
    rmSync(c.dir, { recursive: true, force: true });
  }
});
