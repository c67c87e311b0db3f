/**
 * A Gslb's exposed addresses, by k8gb's precedence (docs/k8gb-compatibility.md#exposed-addresses):
 * the k8gb.io/exposed-hostnames annotation, then k8gb.io/exposed-ips, then CLUSTER_EXPOSED_IPS,
 * then what its declaration's objects report in their status. Host names are read from the hostname
 * cache through the context; one still being looked up, or that cannot be resolved, makes the Gslb
 * not served (ExposedAddressesUnresolved).
 */
import { parseAddress } from '../../dns/addresses';
import { canonicalName } from '../../dns/names';
import { parseAddressList, scopedNote } from '../../gslb/gslb-spec';
import { ANNOTATION_EXPOSED_HOSTNAMES, ANNOTATION_EXPOSED_IPS } from '../../gslb/k8gb-naming';
import type { GslbSource } from '../ingest/gslb-objects';
import type { LoadBalancerAddress } from '../ingest/objects';
import { NotServed, type ResolveContext } from './resolution';

/**
 * k8gb's precedence (docs/k8gb-compatibility.md#exposed-addresses); IPv6 addresses are kept.
 * `statusAddresses` (the declaration's) is read only when nothing before it applies.
 */
export function exposedAddresses(
  gslb: GslbSource,
  statusAddresses: () => readonly string[],
  ctx: ResolveContext,
): string[] {
  const hostnames = gslb.annotations[ANNOTATION_EXPOSED_HOSTNAMES];
  if (hostnames !== undefined) {
    const names = hostnames
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '');
    return unique(names.flatMap((name) => resolved(name, ctx)));
  }
  const ips = gslb.annotations[ANNOTATION_EXPOSED_IPS];
  if (ips !== undefined)
    return unique(parseAddressList(ips, `annotation ${ANNOTATION_EXPOSED_IPS}`));
  if (ctx.clusterExposedIps.length > 0) return [...ctx.clusterExposedIps];
  return unique(statusAddresses());
}

/** The addresses of `status.loadBalancer.ingress[]`, host names resolved. */
export function loadBalancerTargets(
  addresses: readonly LoadBalancerAddress[],
  ctx: ResolveContext,
): string[] {
  return addresses.flatMap((a) => {
    if (a.ip !== null) return [checkedAddress(a.ip)];
    return a.hostname === null ? [] : resolved(a.hostname, ctx);
  });
}

/** `value` canonical, or not served when it is not an IP address. */
export function checkedAddress(value: string): string {
  const parsed = parseAddress(value);
  if (parsed === null)
    throw new NotServed(
      'ExposedAddressesUnresolved',
      `${JSON.stringify(value)} is not an IP address${scopedNote([value])}`,
    );
  return parsed.address;
}

/** The addresses of `name` from the hostname cache, or not served while it has none. */
export function resolved(name: string, ctx: ResolveContext): readonly string[] {
  const lookup = ctx.lookupHostname(canonicalName(name));
  if (lookup.state === 'resolved') return lookup.addresses;
  if (lookup.state === 'pending')
    throw new NotServed(
      'ExposedAddressesUnresolved',
      `resolving ${name} through the edge DNS servers`,
      true,
    );
  throw new NotServed('ExposedAddressesUnresolved', `cannot resolve ${name}: ${lookup.error}`);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
