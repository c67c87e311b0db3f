/**
 * The chart in deploy/helm/meridian as the tests use it: helm and kubeconform
 * built from the Go module proxy by their project scripts, the chart rendered
 * with given values, and manifests validated with kubeconform.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../harness/processes';

const run = promisify(execFile);

export const CHART_DIR = join(REPO_ROOT, 'deploy', 'helm', 'meridian');
/** Every optional part of the chart switched on. */
export const ALL_ON_VALUES = join(CHART_DIR, 'ci', 'all-on-values.yaml');
/** The release name and namespace the plain manifests are rendered with. */
export const RELEASE = 'meridian';
export const NAMESPACE = 'meridian';

/**
 * What a project build script prints, as processes.ts `builtByScript` does,
 * but without blocking the event loop, so that a cold build (minutes) runs
 * beside the control plane's start-up instead of before it.
 */
export async function builtByScriptAsync(envName: string, script: string): Promise<string> {
  const fromEnv = process.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const { stdout } = await run(join(REPO_ROOT, 'scripts', script), [], {
    encoding: 'utf8',
    timeout: 20 * 60_000,
  });
  const built = stdout.trim();
  process.env[envName] = built;
  return built;
}

/** Path of helm, building it through scripts/build-helm.sh when needed (about 5 min cold). */
export function helmBinary(): Promise<string> {
  return builtByScriptAsync('MERIDIAN_HELM_BIN', 'build-helm.sh');
}

/** Path of kubeconform, building it through scripts/build-kubeconform.sh when needed. */
export function kubeconformBinary(): Promise<string> {
  return builtByScriptAsync('MERIDIAN_KUBECONFORM_BIN', 'build-kubeconform.sh');
}

/** Options of {@link renderChart}. */
export interface RenderOptions {
  /** Values files, in order (later ones win). */
  readonly values?: readonly string[];
  /** `--set` assignments. */
  readonly set?: readonly string[];
  readonly includeCrds?: boolean;
}

/** The result of a helm command: its exit status and both outputs. */
export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs helm with `args`; resolves with any exit status. */
export async function helm(binary: string, args: readonly string[]): Promise<HelmResult> {
  try {
    const { stdout, stderr } = await run(binary, args, {
      encoding: 'utf8',
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
      // A throwaway home: no repositories, plugins or cache of the machine's.
      env: { ...process.env, HELM_CACHE_HOME: '/nonexistent', HELM_CONFIG_HOME: '/nonexistent' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** The `helm template` arguments for the chart as release `meridian` in namespace `meridian`. */
export function templateArgs(options: RenderOptions = {}): string[] {
  return [
    'template',
    RELEASE,
    CHART_DIR,
    '--namespace',
    NAMESPACE,
    ...(options.includeCrds === true ? ['--include-crds'] : []),
    ...(options.values ?? []).flatMap((file) => ['--values', file]),
    ...(options.set ?? []).flatMap((assignment) => ['--set', assignment]),
  ];
}

/** `helm template` of the chart; fails with helm's message. */
export async function renderChart(binary: string, options: RenderOptions = {}): Promise<string> {
  const result = await helm(binary, templateArgs(options));
  if (result.code !== 0) throw new Error(`helm template failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

/** A Kubernetes object as the tests read it. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string } & Record<
    string,
    unknown
  >;
  readonly [field: string]: unknown;
}

/** The objects of a multi-document YAML stream (empty documents dropped). */
export function parseManifests(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors.join('; '));
      return document.toJS() as KubeObject | null;
    })
    .filter((object): object is KubeObject => object !== null);
}

/** The one object of `kind` (and `name`, when given); fails when there is none or several. */
export function only(objects: readonly KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  if (found.length !== 1)
    throw new Error(`expected one ${kind} ${name ?? ''}, found ${found.length}`);
  return found[0] as KubeObject;
}

/** One resource in kubeconform's JSON output. */
export interface KubeconformResource {
  readonly filename: string;
  readonly kind: string;
  readonly name: string;
  readonly version: string;
  /** statusValid, statusInvalid, statusError, statusSkipped, or '' for an empty document. */
  readonly status: string;
  readonly msg: string;
}

/** kubeconform's JSON report. */
export interface KubeconformReport {
  readonly code: number;
  readonly resources: readonly KubeconformResource[];
  readonly summary: { valid: number; invalid: number; errors: number; skipped: number };
}

/**
 * kubeconform on `files`, strict, against the local schema locations only (no
 * network), with every resource reported. Missing schemas are errors, not
 * skips, so nothing passes unchecked.
 */
export async function kubeconform(
  binary: string,
  locations: readonly string[],
  files: readonly string[],
  kubernetesVersion: string,
): Promise<KubeconformReport> {
  const args = [
    '-strict',
    '-summary',
    '-verbose',
    '-output',
    'json',
    '-kubernetes-version',
    kubernetesVersion,
    ...locations.flatMap((location) => ['-schema-location', location]),
    ...files,
  ];
  let stdout: string;
  let code = 0;
  try {
    ({ stdout } = await run(binary, args, {
      encoding: 'utf8',
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number' || failed.stdout === undefined || failed.stdout === '')
      throw error;
    code = failed.code;
    stdout = failed.stdout;
  }
  const report = JSON.parse(stdout) as Omit<KubeconformReport, 'code'>;
  return { code, ...report, resources: report.resources ?? [] };
}
