/**
 * What changed between two views of the peers, as causes: a peer that went
 * up or down (with its failed polls and last error), and a peer that stayed
 * up but now answers other targets for some hosts. Pure.
 */
import type { PeerHostEntry, PeerStatus, PeerView } from '../peers/peer-view';
import type { CauseInput, CausePeer } from './decisions';

/** The causes that lead from `before` to `after`. */
export function peerCauses(before: PeerView, after: PeerView): CauseInput[] {
  const causes: CauseInput[] = [];
  for (const [geoTag, status] of after.peers) {
    const was = before.peers.get(geoTag);
    const peer = causePeer(geoTag, status);
    if (was !== undefined && was.state !== status.state)
      causes.push({ kind: status.state === 'up' ? 'peer-up' : 'peer-down', peer });
    else if (was === undefined && status.state === 'up') causes.push({ kind: 'peer-up', peer });
    else if (status.state === 'up') {
      const changed = changedHosts(before, after, geoTag);
      // A drained Meridian peer answers NODATA: its hosts leave (or return) on purpose.
      const drained = changed.filter((host) => withdrawnIn(after, host, geoTag));
      const returned = changed.filter((host) => withdrawnIn(before, host, geoTag));
      const hosts = changed.filter((host) => !drained.includes(host) && !returned.includes(host));
      if (hosts.length > 0)
        causes.push({ kind: 'peer-targets-changed', peer, hosts, detail: count(hosts) });
      if (drained.length > 0)
        causes.push({
          kind: 'drain',
          peer,
          hosts: drained,
          detail: `${count(drained)} withdrawn by the peer's drain`,
        });
      if (returned.length > 0)
        causes.push({
          kind: 'drain',
          peer,
          hosts: returned,
          detail: `${count(returned)} served again after the peer's drain`,
        });
    }
  }
  return causes;
}

const count = (hosts: readonly string[]): string =>
  `${hosts.length} host${hosts.length === 1 ? '' : 's'}`;

function withdrawnIn(view: PeerView, host: string, geoTag: string): boolean {
  return view.hosts.get(host)?.get(geoTag)?.withdrawn === true;
}

function causePeer(geoTag: string, status: PeerStatus): CausePeer {
  return {
    geoTag,
    state: status.state,
    failedPolls: status.failedPolls,
    lastError: status.lastError,
    lastSuccessMs: status.lastSuccessMs,
  };
}

/** Hosts whose addresses from peer `geoTag` differ between the views. */
function changedHosts(before: PeerView, after: PeerView, geoTag: string): string[] {
  const hosts: string[] = [];
  for (const [host, entries] of after.hosts)
    if (!sameAddresses(before.hosts.get(host)?.get(geoTag), entries.get(geoTag))) hosts.push(host);
  for (const [host, entries] of before.hosts)
    if (!after.hosts.has(host) && (entries.get(geoTag)?.addresses.length ?? 0) > 0)
      hosts.push(host);
  return hosts;
}

function sameAddresses(x: PeerHostEntry | undefined, y: PeerHostEntry | undefined): boolean {
  const a = x?.addresses ?? [];
  const b = y?.addresses ?? [];
  return a === b || (a.length === b.length && a.every((address, i) => address === b[i]));
}
