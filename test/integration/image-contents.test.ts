/**
 * The Dockerfile's image without an image engine: its instructions are
 * carried out here, stage by stage, in a clean temporary directory (each
 * stage's file system a directory, COPY a copy, RUN the same command through
 * sh, with this machine's Node 24 in place of the base images'), and the final
 * stage's directory is started as the ENTRYPOINT would start it, with the
 * image's ENV and nothing else. So what the image would hold is checked (no
 * TypeScript, no dev dependencies), and that it runs: /healthz, /readyz, a DNS
 * answer, the HEALTHCHECK command, a clean stop on the STOPSIGNAL.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { dig } from '../../harness/dig';
import { answersOk, freePort, REPO_ROOT } from '../../harness/processes';

const run = promisify(execFile);

/** One instruction: its keyword and the rest of its (joined) lines. */
interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (current === '' && (line.trim() === '' || line.trimStart().startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  return logical.map((line) => {
    const match = /^\s*(\S+)\s+(.*)$/.exec(line);
    if (match === null) throw new Error(`unreadable instruction: ${line}`);
    return { keyword: (match[1] as string).toUpperCase(), args: (match[2] as string).trim() };
  });
}

/** What the final stage of the image is: its files and how it starts. */
interface Image {
  readonly stages: readonly { name: string; from: string }[];
  /** The final stage's WORKDIR, as a directory here. */
  readonly appDir: string;
  readonly env: Record<string, string>;
  readonly user: string;
  readonly stopSignal: string;
  readonly entrypoint: readonly string[];
  readonly healthcheck: { readonly options: Record<string, string>; readonly cmd: string[] };
}

/** `KEY=VALUE KEY2=VALUE2` (values unquoted or double-quoted) as a record. */
function envPairs(args: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const match of args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const raw = match[2] as string;
    pairs[match[1] as string] = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
  }
  return pairs;
}

/**
 * Carries out the Dockerfile under `root`: stage S's file system is
 * `root/S`. COPY sources come from the repository (the build context) or,
 * with --from, from another stage; none may be one .dockerignore excludes.
 */
async function build(dockerfile: string, root: string): Promise<Image> {
  const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const stages: { name: string; from: string }[] = [];
  let stageRoot = '';
  let workdir = '/';
  let env: Record<string, string> = {};
  let user = '';
  let stopSignal = 'SIGTERM';
  let entrypoint: string[] = [];
  let healthcheck: Image['healthcheck'] | undefined;
  const inStage = (path: string): string =>
    join(stageRoot, isAbsolute(path) ? path : join(workdir, path));

  for (const { keyword, args } of instructions(dockerfile)) {
    switch (keyword) {
      case 'FROM': {
        const [from = '', as, name] = args.split(/\s+/);
        if (as?.toUpperCase() !== 'AS' || name === undefined)
          throw new Error(`unnamed stage: ${args}`);
        stages.push({ name, from });
        stageRoot = join(root, name);
        mkdirSync(stageRoot, { recursive: true });
        workdir = '/';
        env = {};
        break;
      }
      case 'WORKDIR':
        workdir = isAbsolute(args) ? args : join(workdir, args);
        mkdirSync(inStage('.'), { recursive: true });
        break;
      case 'COPY': {
        const words = args.split(/\s+/);
        const fromStage = words[0]?.startsWith('--from=') ? words.shift()?.slice(7) : undefined;
        const destination = words.pop() as string;
        for (const source of words) {
          let from: string;
          if (fromStage === undefined) {
            const top = source.replace(/^\.\//, '').split('/')[0] as string;
            if (ignored.includes(top)) throw new Error(`COPY ${source}: excluded by .dockerignore`);
            from = join(REPO_ROOT, source);
          } else {
            from = join(root, fromStage, source);
          }
          // A directory's contents go into the destination; a file goes into
          // it when it is a directory (ends with '/'), else becomes it.
          const to = inStage(destination);
          const target =
            statSync(from).isDirectory() || !destination.endsWith('/')
              ? to
              : join(to, source.split('/').pop() as string);
          mkdirSync(dirname(target), { recursive: true });
          cpSync(from, target, { recursive: true });
        }
        break;
      }
      case 'RUN':
        await run('sh', ['-c', args], {
          cwd: inStage('.'),
          env: {
            // This machine's Node 24 and npm stand for the base image's.
            PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
            HOME: process.env['HOME'] ?? '/root',
            // The machine's trust settings, as an image build would inherit its network's
            // (a registry behind a TLS-intercepting proxy needs the extra CA).
            ...passThrough(['NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY']),
            ...env,
            // Same packages, from the local npm cache when it has them.
            npm_config_prefer_offline: 'true',
            npm_config_update_notifier: 'false',
          },
          timeout: 10 * 60_000,
          maxBuffer: 16 * 1024 * 1024,
        });
        break;
      case 'ENV':
        env = { ...env, ...envPairs(args) };
        break;
      case 'USER':
        user = args;
        break;
      case 'STOPSIGNAL':
        stopSignal = args;
        break;
      case 'ENTRYPOINT':
        entrypoint = JSON.parse(args) as string[];
        break;
      case 'HEALTHCHECK': {
        const match = /^((?:--\S+\s+)*)CMD\s+(\[.*\])$/.exec(args);
        if (match === null) throw new Error(`HEALTHCHECK without an exec-form CMD: ${args}`);
        const options = Object.fromEntries(
          [...(match[1] as string).matchAll(/--([\w-]+)=(\S+)/g)].map((m) => [m[1], m[2]]),
        ) as Record<string, string>;
        healthcheck = { options, cmd: JSON.parse(match[2] as string) as string[] };
        break;
      }
      case 'EXPOSE':
        break;
      default:
        throw new Error(`instruction ${keyword} is not emulated; extend this test`);
    }
  }
  if (healthcheck === undefined) throw new Error('no HEALTHCHECK');
  return { stages, appDir: inStage('.'), env, user, stopSignal, entrypoint, healthcheck };
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/** The image's node (`/nodejs/bin/node` in distroless) is this machine's. */
function localNode(argv: readonly string[]): string[] {
  const [command, ...args] = argv;
  if (command !== '/nodejs/bin/node') throw new Error(`unexpected command ${command}`);
  return [process.execPath, ...args];
}

const DOCKERFILE = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
let root: string;
let image: Image;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'meridian-image-'));
  image = await build(DOCKERFILE, root);
}, 10 * 60_000);

afterAll(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

test('two stages on Node.js 24; the final one runs as a numeric non-root user', () => {
  expect(image.stages).toEqual([
    { name: 'build', from: expect.stringMatching(/^node:24-/) },
    { name: 'run', from: expect.stringMatching(/^gcr\.io\/distroless\/nodejs24-/) },
  ]);
  expect(process.version).toMatch(/^v24\./);
  expect(image.user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
  expect(image.entrypoint).toEqual(['/nodejs/bin/node', 'dist/main.js']);
  expect(image.stopSignal).toBe('SIGTERM');
});

test('the final stage holds compiled JavaScript, production dependencies, package.json and the proto only', () => {
  expect(readdirSync(image.appDir).sort()).toEqual([
    'dist',
    'node_modules',
    'package.json',
    'proto',
  ]);
  const dist = filesUnder(join(image.appDir, 'dist'));
  expect(dist).toContain('main.js');
  expect(dist.filter((f) => f.endsWith('.ts'))).toEqual([]);
  expect(dist.every((f) => f.endsWith('.js') || f.endsWith('.js.map'))).toBe(true);

  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const modules = join(image.appDir, 'node_modules');
  for (const dependency of Object.keys(pkg.dependencies)) {
    expect([dependency, existsSync(join(modules, dependency))]).toEqual([dependency, true]);
  }
  // The lock marks what only dev dependencies need (TypeScript, Jest, ESLint
  // and everything they pull in); none of it is there. Some types packages
  // are production dependencies of production packages, and stay.
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const devOnly = Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith('node_modules/') && entry.dev === true)
    .map(([path]) => path);
  expect(devOnly).toEqual(expect.arrayContaining(['node_modules/jest', 'node_modules/typescript']));
  expect(devOnly.filter((path) => existsSync(join(image.appDir, path)))).toEqual([]);
  for (const tool of ['jest', 'tsc', 'eslint', 'prettier', 'ts-jest']) {
    expect([tool, existsSync(join(modules, '.bin', tool))]).toEqual([tool, false]);
  }
}, 30_000);

describe('started as the ENTRYPOINT starts it', () => {
  let child: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;
  let metricsPort: number;
  let dnsPort: number;
  let manifests: string;

  beforeAll(async () => {
    manifests = mkdtempSync(join(tmpdir(), 'meridian-image-gslbs-'));
    cpSync(join(REPO_ROOT, 'examples', 'gslbs'), manifests, { recursive: true });
    metricsPort = await freePort();
    dnsPort = await freePort();
    const [command, ...args] = localNode(image.entrypoint);
    // The image's ENV and the settings a user would add; nothing from this
    // process, so that nothing outside the directory can help it start.
    child = spawn(command as string, args, {
      cwd: image.appDir,
      env: {
        ...image.env,
        MERIDIAN_GRPC_LISTEN: `127.0.0.1:${await freePort()}`,
        METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
        DNS_ZONES: 'example.org:cloud.example.org:30',
        CLUSTER_GEO_TAG: 'eu',
        MERIDIAN_MANIFESTS_DIR: manifests,
        MERIDIAN_DNS_LISTEN: `127.0.0.1:${dnsPort}`,
        MERIDIAN_SHUTDOWN_GRACE_SECONDS: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 15_000;
    while (!(await answersOk(`http://127.0.0.1:${metricsPort}/readyz`))) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`not ready (exit ${child.exitCode}):\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 30_000);

  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    if (manifests !== undefined) rmSync(manifests, { recursive: true, force: true });
  });

  /** Runs the HEALTHCHECK command with the image's ENV and `metricsAddress`. */
  const healthcheck = async (metricsAddress: string): Promise<number> => {
    const [command, ...args] = localNode(image.healthcheck.cmd);
    try {
      await run(command as string, args, {
        env: { ...image.env, METRICS_ADDRESS: metricsAddress },
        timeout: 10_000,
      });
      return 0;
    } catch (error) {
      return (error as { code?: number }).code ?? -1;
    }
  };

  test('/healthz and /readyz answer 200', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const reply = await fetch(`http://127.0.0.1:${metricsPort}${path}`);
      expect([path, reply.status]).toEqual([path, 200]);
    }
  });

  test('it answers DNS from the manifest directory', async () => {
    const reply = await dig('kdig', [
      '@127.0.0.1',
      '-p',
      String(dnsPort),
      'shop.cloud.example.org',
      'A',
    ]);
    expect(reply.status).toBe('NOERROR');
    expect(reply.answer.length).toBeGreaterThan(0);
  });

  test('the HEALTHCHECK command passes, whether Meridian listens on loopback or on every address', async () => {
    expect(await healthcheck(`127.0.0.1:${metricsPort}`)).toBe(0);
    // The image's own form: 0.0.0.0 is asked on loopback.
    expect(await healthcheck(`0.0.0.0:${metricsPort}`)).toBe(0);
  }, 30_000);

  test('the STOPSIGNAL stops it cleanly, and the HEALTHCHECK command then fails', async () => {
    child.kill(image.stopSignal as NodeJS.Signals);
    expect(await exited).toBe(0);
    expect(await healthcheck(`127.0.0.1:${metricsPort}`)).toBe(1);
  }, 30_000);
});

/** The variables of `names` that are set here, for a child's stripped environment. */
function passThrough(names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = process.env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
