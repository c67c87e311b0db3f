/**
 * Runs Meridian in-process on port 0 against a temporary manifest directory,
 * with configuration parsed by the real loadConfig.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { buildApp, type RunningApp } from '../../src/app';
import { loadConfig } from '../../src/config/load-config';
import { createLogger } from '../../src/telemetry/logger';

/** A running in-process Meridian and its manifest directory. */
export interface Harness {
  readonly app: RunningApp;
  readonly dir: string;
  readonly registry: Registry;
  readonly grpcAddress: string;
  writeManifest(name: string, text: string): void;
  stop(): Promise<void>;
}

/** Starts Meridian with `manifests` written first; `env` adds or overrides settings. */
export async function startHarness(
  manifests: Record<string, string>,
  env: Record<string, string> = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-manifests-'));
  for (const [name, text] of Object.entries(manifests)) writeFileSync(join(dir, name), text);
  const config = loadConfig({
    DNS_ZONES: 'example.org:cloud.example.org:30',
    CLUSTER_GEO_TAG: 'eu',
    MERIDIAN_MANIFESTS_DIR: dir,
    MERIDIAN_GRPC_LISTEN: '127.0.0.1:0',
    METRICS_ADDRESS: '127.0.0.1:0',
    MERIDIAN_ADMIN_LISTEN: '127.0.0.1:0',
    MERIDIAN_SHUTDOWN_GRACE_SECONDS: '0',
    MERIDIAN_RELOAD_DEBOUNCE_MS: '20',
    ...env,
  });
  const registry = new Registry();
  const app = await buildApp(config, {
    logger: createLogger('silent'),
    registry,
    version: 'test',
    nodeVersion: process.versions.node,
    platform: { os: process.platform, arch: process.arch },
    now: Date.now,
    instanceName: 'test-harness',
  }).start();
  return {
    app,
    dir,
    registry,
    grpcAddress:
      config.grpcListen.kind === 'unix'
        ? `unix:${config.grpcListen.path}`
        : `127.0.0.1:${app.grpcPort}`,
    writeManifest: (name, text) => writeFileSync(join(dir, name), text),
    stop: async () => {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
