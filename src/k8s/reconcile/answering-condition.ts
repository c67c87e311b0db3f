/**
 * The `Answering` condition of a Gslb: whether the table answers its hosts
 * with addresses now, and from which clusters. `Ready` says whether this
 * cluster's part is healthy and valid; a Gslb can be Ready and yet answer
 * nothing (every peer down and fail-closed) or not Ready and still answered
 * (peers' targets), and a bank's on-call must see the second question in
 * `kubectl get gslb` without reading the status map. The message also names
 * this cluster's targets withdrawn by their probe (docs/probes.md). Pure.
 */
import type { Resolution } from './resolution';

/** Condition type written beside Ready. */
export const ANSWERING = 'Answering';

/** The apiserver keeps messages up to 32 KiB; one screen is what `describe` readers take in. */
const MAX_MESSAGE = 1_024;

/** The condition's status, reason and message, or null while the table has not said. */
export function answeringCondition(
  resolution: Resolution,
): { status: 'True' | 'False'; reason: string; message: string } | null {
  const condition = answeredCondition(resolution);
  if (condition === null) return null;
  const failing = [...new Set(Object.values(resolution.probeFailures ?? {}).flat())];
  if (failing.length === 0) return condition;
  // Whoever reads `kubectl describe` sees which of this cluster's targets a probe took out.
  return {
    ...condition,
    message: clip(`${condition.message}; failing their probe here: ${failing.join(', ')}`),
  };
}

function answeredCondition(
  resolution: Resolution,
): { status: 'True' | 'False'; reason: string; message: string } | null {
  const from = resolution.answeredFrom;
  if (from === undefined) return null;
  const hosts = resolution.hosts;
  if (hosts.length === 0)
    return { status: 'False', reason: 'NoHosts', message: 'the Gslb has no host in a zone' };
  const answered = hosts.filter((host) => from[host] !== undefined);
  const unanswered = hosts.filter((host) => from[host] === undefined);
  const answeredText = answered.map((host) => `${host} from ${clusterList(from[host]!)}`);
  if (unanswered.length === 0)
    return {
      status: 'True',
      reason: 'Answered',
      message: clip(`every host is answered with addresses: ${answeredText.join('; ')}`),
    };
  if (answered.length === 0)
    return {
      status: 'False',
      reason: 'NoAddresses',
      message: clip(
        `no host is answered with addresses (every target is down or not served): ${unanswered.join(', ')}`,
      ),
    };
  return {
    status: 'False',
    reason: 'SomeHostsUnanswered',
    message: clip(
      `answered: ${answeredText.join('; ')}; answered with no address: ${unanswered.join(', ')}`,
    ),
  };
}

function clusterList(clusters: readonly string[]): string {
  return clusters.length === 0 ? 'no known cluster' : clusters.join(', ');
}

function clip(text: string): string {
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 1)}…`;
}
