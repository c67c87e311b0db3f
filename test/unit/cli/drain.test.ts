/**
 * `meridian drain` / `undrain`: the merge patch sent for a Gslb and for the
 * cluster's DNS Service (path, field manager, annotations, who), the manifest
 * edited in standalone mode, and the usage errors that send nothing.
 */
import type { CliIo } from '../../../src/cli/admin-client';
import { runAdminCommand } from '../../../src/cli/admin-commands';
import type { KubeApi } from '../../../src/k8s/client/kube-api';

interface Sent {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly bodyType: string | undefined;
}

function rig(status = 200, files: Record<string, string> = {}) {
  const sent: Sent[] = [];
  const kubeconfigs: (string | null)[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const api: KubeApi = {
    watch: () => {
      throw new Error('not used');
    },
    request: (method, path, body, bodyType) => {
      sent.push({ method, path, body, bodyType });
      return Promise.resolve({ status, body: { message: 'gslbs "web" not found' } });
    },
    describe: () => 'test',
  };
  const io: CliIo = {
    fetch: () => Promise.reject(new Error('no admin here')),
    readFile: (path) =>
      files[path] === undefined
        ? Promise.reject(new Error('ENOENT'))
        : Promise.resolve(files[path]),
    write: (text) => out.push(text),
    writeError: (text) => err.push(text),
    sleep: () => Promise.resolve(),
    signal: new AbortController().signal,
    env: { HOME: '/home/alice' },
    connectKube: (path) => {
      kubeconfigs.push(path);
      return Promise.resolve(api);
    },
    writeFile: (path, text) => {
      files[path] = text;
      return Promise.resolve();
    },
    now: () => Date.parse('2026-12-07T10:00:00Z'),
    userName: 'alice',
  };
  return { io, sent, kubeconfigs, out, err, files };
}

test('drain a Gslb: a merge patch of its annotations, with the time and the user, as meridian-drain', async () => {
  const { io, sent, kubeconfigs, out } = rig();
  expect(await runAdminCommand(['drain', '--gslb', 'shop/web'], io)).toBe(0);
  expect(kubeconfigs).toEqual(['/home/alice/.kube/config']);
  expect(sent).toEqual([
    {
      method: 'PATCH',
      path: '/apis/k8gb.io/v1beta1/namespaces/shop/gslbs/web?fieldManager=meridian-drain',
      body: {
        metadata: {
          annotations: {
            'meridian.dev/drain': '2026-12-07T10:00:00.000Z',
            'meridian.dev/drain-by': 'alice',
          },
        },
      },
      bodyType: 'merge-patch',
    },
  ]);
  expect(out.join('')).toContain('Gslb shop/web: drained from 2026-12-07T10:00:00.000Z');
});

test('undrain the whole cluster: the annotation nulled on the DNS Service, by the name given', async () => {
  const { io, sent } = rig();
  const args = ['undrain', '--cluster', '--service', 'gslb/meridian-dns', '--by', 'ops-change-42'];
  expect(await runAdminCommand([...args, '--kubeconfig', '/etc/kube/eu'], io)).toBe(0);
  expect(sent[0]?.path).toBe(
    '/api/v1/namespaces/gslb/services/meridian-dns?fieldManager=meridian-drain',
  );
  expect(sent[0]?.body).toEqual({
    metadata: {
      annotations: { 'meridian.dev/drain': null, 'meridian.dev/drain-by': 'ops-change-42' },
    },
  });
});

test('an apiserver refusal and a bad name are errors; neither or both targets is a usage error', async () => {
  const refused = rig(404);
  expect(await runAdminCommand(['drain', '--gslb', 'shop/web'], refused.io)).toBe(1);
  expect(refused.err.join('')).toContain(
    'Gslb shop/web: the apiserver answered 404: gslbs "web" not found',
  );
  const bad = rig();
  expect(await runAdminCommand(['drain', '--gslb', 'web'], bad.io)).toBe(1);
  expect(await runAdminCommand(['drain'], bad.io)).toBe(1);
  expect(await runAdminCommand(['drain', '--gslb', 'shop/web', '--cluster'], bad.io)).toBe(1);
  expect(bad.sent).toEqual([]);
  expect(bad.err.join('')).toContain('give one of --gslb NAMESPACE/NAME and --cluster');
});

test('standalone: --manifest edits the file in place', async () => {
  const manifest =
    'apiVersion: k8gb.io/v1beta1\nkind: Gslb\nmetadata:\n  name: web\n  namespace: shop\n';
  const { io, files, sent } = rig(200, { '/m/web.yaml': manifest });
  const args = ['drain', '--gslb', 'shop/web', '--manifest', '/m/web.yaml'];
  expect(await runAdminCommand(args, io)).toBe(0);
  expect(files['/m/web.yaml']).toContain('meridian.dev/drain: 2026-12-07T10:00:00.000Z');
  expect(sent).toEqual([]);
});
