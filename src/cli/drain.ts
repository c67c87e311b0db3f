/**
 * `meridian drain` and `meridian undrain`: the drain declaration set for
 * people who would rather not edit YAML. In Kubernetes mode a merge patch of
 * the annotations of the Gslb (`--gslb NS/NAME`) or of the cluster's DNS
 * Service (`--cluster`, `--service NS/NAME`), with field manager
 * `meridian-drain`; in standalone mode (`--manifest FILE`) the manifest file
 * edited in place. The drain time written is now, so that every replica, and
 * a restart, counts the TTL wait from the same moment (docs/drain.md).
 */
import { parseArgs } from 'node:util';
import { ANNOTATION_DRAIN, ANNOTATION_DRAIN_BY } from '../gslb/drain-annotation';
import { GSLB_API_GROUP } from '../gslb/k8gb-naming';
import { editManifestDrain } from '../standalone/manifest-drain';
import { CliError, type CliIo } from './admin-client';

export const DRAIN_USAGE = `Usage: meridian drain|undrain --gslb NAMESPACE/NAME [--kubeconfig PATH | --manifest FILE] [--by NAME]
       meridian drain|undrain --cluster [--service NAMESPACE/NAME] [--kubeconfig PATH] [--by NAME]
  Declares (or removes) the drain annotation ${ANNOTATION_DRAIN} on the Gslb, or on the cluster's
  DNS Service (default meridian/meridian-dns) for every Gslb; Meridian lowers the TTL, then withdraws
  this cluster one old TTL later. --kubeconfig defaults to $KUBECONFIG, then ~/.kube/config.
`;

/** The field manager of the CLI's writes, which Meridian reads back as who asked when no name is given. */
export const FIELD_MANAGER = 'meridian-drain';
const DEFAULT_SERVICE = 'meridian/meridian-dns';

/** Where a drain is declared, and how to change it. */
export interface DrainSwitch {
  /** `Gslb shop/web`, `Service meridian/meridian-dns`, or the manifest file's. */
  readonly describe: string;
  /** Declares the drain (since `drainedAt`, RFC 3339) or removes it (null). */
  set(drainedAt: string | null): Promise<void>;
}

/** What names the object to drain. */
export interface DrainFlags {
  readonly gslb?: string | undefined;
  readonly cluster?: boolean | undefined;
  readonly service?: string | undefined;
  readonly kubeconfig?: string | undefined;
  readonly manifest?: string | undefined;
  readonly by?: string | undefined;
}

/** The namespace and name of `NS/NAME`. */
export function namespacedName(value: string, flag: string): { namespace: string; name: string } {
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(value);
  if (match === null)
    throw new CliError(`${flag} must be NAMESPACE/NAME, not ${JSON.stringify(value)}`);
  return { namespace: match[1]!, name: match[3]! };
}

/** The switch the flags name; checks them first. */
export async function drainSwitchOf(flags: DrainFlags, io: CliIo): Promise<DrainSwitch> {
  if ((flags.gslb === undefined) === (flags.cluster !== true))
    throw new CliError('give one of --gslb NAMESPACE/NAME and --cluster');
  const by = flags.by ?? io.userName ?? 'unknown';
  if (flags.manifest !== undefined) {
    if (flags.gslb === undefined) throw new CliError('--manifest drains one Gslb: give --gslb');
    return manifestSwitch(flags.manifest, namespacedName(flags.gslb, '--gslb'), by, io);
  }
  return kubeSwitch(flags, by, io);
}

async function kubeSwitch(flags: DrainFlags, by: string, io: CliIo): Promise<DrainSwitch> {
  if (io.connectKube === undefined) throw new CliError('no Kubernetes client in this build');
  const api = await io.connectKube(
    flags.kubeconfig ?? io.env['KUBECONFIG'] ?? defaultKubeconfig(io),
  );
  const isGslb = flags.gslb !== undefined;
  const { namespace, name } = isGslb
    ? namespacedName(flags.gslb, '--gslb')
    : namespacedName(flags.service ?? DEFAULT_SERVICE, '--service');
  const [kind, collection] = isGslb
    ? ['Gslb', `/apis/${GSLB_API_GROUP}/v1beta1/namespaces/${namespace}/gslbs`]
    : ['Service', `/api/v1/namespaces/${namespace}/services`];
  const objectPath = `${collection}/${encodeURIComponent(name)}?fieldManager=${FIELD_MANAGER}`;
  return {
    describe: `${kind} ${namespace}/${name}`,
    async set(drainedAt) {
      const annotations = { [ANNOTATION_DRAIN]: drainedAt, [ANNOTATION_DRAIN_BY]: by };
      const reply = await api.request(
        'PATCH',
        objectPath,
        { metadata: { annotations } },
        'merge-patch',
      );
      if (reply.status >= 300)
        throw new CliError(
          `${kind} ${namespace}/${name}: the apiserver answered ${reply.status}${statusMessage(reply.body)}`,
        );
    },
  };
}

function defaultKubeconfig(io: CliIo): string | null {
  const home = io.env['HOME'];
  return home === undefined || home === '' ? null : `${home}/.kube/config`;
}

function statusMessage(body: unknown): string {
  const message = (body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? `: ${message}` : '';
}

function manifestSwitch(
  file: string,
  gslb: { namespace: string; name: string },
  by: string,
  io: CliIo,
): DrainSwitch {
  const write = io.writeFile;
  if (write === undefined) throw new CliError('no file writing in this build');
  return {
    describe: `Gslb ${gslb.namespace}/${gslb.name} in ${file}`,
    async set(drainedAt) {
      let text: string;
      try {
        text = await io.readFile(file);
      } catch (err) {
        throw new CliError(`${file}: ${(err as Error).message}`);
      }
      try {
        await write(file, editManifestDrain(text, { ...gslb, drainedAt, by }));
      } catch (err) {
        throw new CliError(`${file}: ${(err as Error).message}`);
      }
    },
  };
}

function drainCommand(drained: boolean) {
  return async (args: readonly string[], io: CliIo): Promise<number> => {
    const { values } = parseArgs({
      args: [...args],
      options: {
        gslb: { type: 'string' },
        cluster: { type: 'boolean' },
        service: { type: 'string' },
        kubeconfig: { type: 'string' },
        manifest: { type: 'string' },
        by: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    const target = await drainSwitchOf(values, io);
    const now = new Date((io.now ?? Date.now)()).toISOString();
    await target.set(drained ? now : null);
    io.write(
      drained
        ? `${target.describe}: drained from ${now}; the TTL is lowered now and this cluster withdrawn one old TTL later (meridian explain shows the step)\n`
        : `${target.describe}: undrained; this cluster's targets are served again, the TTL returns one TTL later\n`,
    );
    return 0;
  };
}

export const runDrain = drainCommand(true);
export const runUndrain = drainCommand(false);
