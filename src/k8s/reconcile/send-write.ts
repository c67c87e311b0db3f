/**
 * Sends one planned write to the apiserver and says whether to retry it: a
 * 2xx is done (and its onSuccess told), a 404 or 409 is done too (gone, or
 * changed meanwhile: the next pass plans again from the newer state; a 404
 * is told to onNotFound), a 429, a 5xx or no answer at all is retried;
 * anything else is refused and logged.
 */
import { messageOf } from '../../errors';
import type { Logger } from '../../telemetry/logger';
import type { KubeApi, KubeReply } from '../client/kube-api';
import type { PlannedWrite } from './planned-write';

/** Sends `write` once; resolves 'retry' for a transient failure, else 'done'. */
export async function sendWrite(
  api: KubeApi,
  write: PlannedWrite,
  log: Logger,
): Promise<'done' | 'retry'> {
  const about = { kind: write.kind, method: write.method, path: write.path };
  let reply;
  try {
    reply = await api.request(write.method, write.path, write.body, write.bodyType);
  } catch (err) {
    log.warn(
      { ...about, err: messageOf(err), code: 'MERIDIAN_ERR_KUBE' },
      'write got no answer; retrying',
    );
    return 'retry';
  }
  if (reply.status >= 200 && reply.status < 300) {
    write.onSuccess?.(reply.body);
    return 'done';
  }
  if (reply.status === 404) write.onNotFound?.();
  if (reply.status === 404 || reply.status === 409) return 'done';
  return failed(reply, about, log);
}

/** Logs a refused or failed write; 'retry' when the failure is transient. */
function failed(reply: KubeReply, about: object, log: Logger): 'done' | 'retry' {
  const message = (reply.body as { message?: unknown } | undefined)?.message;
  const retry = reply.status === 429 || reply.status >= 500;
  log.warn(
    {
      ...about,
      status: reply.status,
      err: typeof message === 'string' ? message : undefined,
      code: 'MERIDIAN_ERR_KUBE',
    },
    retry ? 'write failed; retrying' : 'write refused',
  );
  return retry ? 'retry' : 'done';
}
