/**
 * The MERIDIAN_DELEGATION_* settings: whether and how this cluster writes
 * its NS record and glue into each zone's parent (docs/delegation.md). Pure:
 * the TSIG key file is named here and read at start-up.
 */
import { parseDnsServer, type HostPort } from './host-port';
import type { ParseSetting } from './peers';
import { InvalidValue, parseIpList, seconds } from './value-parsers';

/** How the delegation is written. */
export type DelegationProvider = 'none' | 'rfc2136';

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
  const provider = parse('MERIDIAN_DELEGATION', parseProvider);
  const serverText = raw('MERIDIAN_DELEGATION_SERVER');
  const keyFile = raw('MERIDIAN_DELEGATION_TSIG_KEY_FILE');
  const settings: DelegationSettings = {
    provider,
    server: serverText === '' ? null : parse('MERIDIAN_DELEGATION_SERVER', parseDnsServer),
    tsigKeyFile: keyFile === '' ? null : keyFile,
    glue: parse('MERIDIAN_DELEGATION_GLUE', parseIpList),
    intervalMs: parse('MERIDIAN_DELEGATION_INTERVAL_SECONDS', seconds(1, 86_400)),
  };
  if (provider === 'rfc2136') {
    if (settings.server === null)
      problems.push('MERIDIAN_DELEGATION=rfc2136 needs MERIDIAN_DELEGATION_SERVER');
    if (settings.glue.length === 0)
      problems.push(
        "MERIDIAN_DELEGATION=rfc2136 needs MERIDIAN_DELEGATION_GLUE: this cluster's DNS addresses",
      );
    // Every replica would write, and a ZoneDelegation's finalizer could not withdraw: Kubernetes
    // mode writes the delegation through ZoneDelegation objects instead.
    if (!standalone)
      problems.push(
        'MERIDIAN_DELEGATION=rfc2136 is for standalone mode (MERIDIAN_MANIFESTS_DIR) in this version',
      );
  }
  return settings;
}

function parseProvider(value: string): DelegationProvider {
  if (value === 'none' || value === 'rfc2136') return value;
  throw new InvalidValue('must be none or rfc2136');
}
