/**
 * The MERIDIAN_DELEGATION_* settings: whether and how this cluster writes
 * its NS record and glue into each zone's parent (docs/delegation.md). Pure:
 * the TSIG key file is named here and read at start-up.
 */
import { parseDnsServer, type HostPort } from './host-port';
import type { ParseSetting } from './peers';
import { InvalidValue, parseIpList, seconds } from './value-parsers';

/** How the delegation is written. */
export type DelegationProvider = 'none' | 'rfc2136' | 'external-dns';

/** The delegation settings. */
export interface DelegationSettings {
  readonly provider: DelegationProvider;
  /** The parent zones' primary server, which takes the updates. */
  readonly server: HostPort | null;
  /** A key file as BIND's `tsig-keygen` writes it; null: updates unsigned. */
  readonly tsigKeyFile: string | null;
  /** This cluster's name-server addresses, the glue (IPv4 as A, IPv6 as AAAA). */
  readonly glue: readonly string[];
  /** Between two writes, which also repair what was changed behind Meridian's back. */
  readonly intervalMs: number;
}

/** Reads the delegation settings; cross-setting problems go to `problems`. */
export function readDelegationSettings(
  raw: (name: string) => string,
  parse: ParseSetting,
  problems: string[],
  standalone: boolean,
): DelegationSettings {
  const chosen = parse('MERIDIAN_DELEGATION', parseProvider);
  // k8gb's switch for its external-dns provider, so that k8gb's values keep working.
  const provider = chosen === 'none' && raw('EXTDNS_ENABLED') === 'true' ? 'external-dns' : chosen;
  const serverText = raw('MERIDIAN_DELEGATION_SERVER');
  const keyFile = raw('MERIDIAN_DELEGATION_TSIG_KEY_FILE');
  const settings: DelegationSettings = {
    provider,
    server: serverText === '' ? null : parse('MERIDIAN_DELEGATION_SERVER', parseDnsServer),
    tsigKeyFile: keyFile === '' ? null : keyFile,
    glue: parse('MERIDIAN_DELEGATION_GLUE', parseIpList),
    intervalMs: parse('MERIDIAN_DELEGATION_INTERVAL_SECONDS', seconds(1, 86_400)),
  };
  if (provider === 'rfc2136' && settings.server === null)
    problems.push('MERIDIAN_DELEGATION=rfc2136 needs MERIDIAN_DELEGATION_SERVER');
  if (provider === 'rfc2136' && standalone && settings.glue.length === 0)
    problems.push(
      "MERIDIAN_DELEGATION=rfc2136 needs MERIDIAN_DELEGATION_GLUE: this cluster's DNS addresses",
    );
  // external-dns reads DNSEndpoint objects: there is no apiserver to write them to.
  if (provider === 'external-dns' && standalone)
    problems.push('MERIDIAN_DELEGATION=external-dns is for Kubernetes mode');
  return settings;
}

function parseProvider(value: string): DelegationProvider {
  if (value === 'none' || value === 'rfc2136' || value === 'external-dns') return value;
  throw new InvalidValue('must be none, rfc2136 or external-dns');
}
