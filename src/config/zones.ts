/**
 * k8gb's DNS_ZONES (`parent:zone:negTTL;…`) and the name servers each zone
 * gets: one per geotag, named as k8gb names its glue
 * (docs/k8gb-compatibility.md#glue-and-ns-names). Pure.
 */
import { canonicalName, checkName } from '../dns/names';
import { nameServerName } from '../gslb/k8gb-naming';
import type { ZoneSpec } from '../table/model';
import { InvalidValue } from './value-parsers';

/** What a zone's name servers are named from. */
export interface ZoneNaming {
  readonly gluePrefix: string;
  readonly geoTags: readonly string[];
  readonly nsTtl: number;
}

/** Parses DNS_ZONES; throws InvalidValue listing every bad entry. */
export function parseZones(value: string, naming: ZoneNaming): ZoneSpec[] {
  const zones: ZoneSpec[] = [];
  const errors: string[] = [];
  for (const entry of value
    .split(';')
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    try {
      const zone = parseZoneEntry(entry, naming);
      if (zones.some((z) => z.name === zone.name)) throw new InvalidValue('zone listed twice');
      zones.push(zone);
    } catch (err) {
      if (!(err instanceof InvalidValue)) throw err;
      errors.push(`"${entry}": ${err.message}`);
    }
  }
  if (errors.length > 0) throw new InvalidValue(errors.join('; '));
  if (zones.length === 0) throw new InvalidValue('at least one zone is required');
  return zones;
}

function parseZoneEntry(entry: string, naming: ZoneNaming): ZoneSpec {
  const fields = entry.split(':').map((f) => canonicalName(f.trim()));
  if (fields.length !== 3) throw new InvalidValue('must be PARENT:ZONE:NEGTTL');
  const [parent = '', name = '', negTtlText = ''] = fields;
  const nameError = [parent, name].map(checkName).find((e) => e !== null);
  if (nameError !== undefined) throw new InvalidValue(nameError);
  if (!name.endsWith(`.${parent}`)) throw new InvalidValue(`${name} is not inside ${parent}`);
  const negTtl = Number(negTtlText);
  if (!/^\d+$/.test(negTtlText) || negTtl > 2_147_483_647)
    throw new InvalidValue('NEGTTL must be a non-negative integer');
  const nameServers = naming.geoTags.map((tag) =>
    nameServerName(naming.gluePrefix, tag, name, parent),
  );
  const badNs = nameServers.map(checkName).find((e) => e !== null);
  if (badNs !== undefined) throw new InvalidValue(`derived name-server name ${badNs}`);
  return {
    name,
    parent,
    negativeTtlSeconds: negTtl,
    nameServers,
    nameServerTtlSeconds: naming.nsTtl,
  };
}
