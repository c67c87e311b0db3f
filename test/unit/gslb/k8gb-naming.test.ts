import { loadConfig } from '../../../src/config/load-config';
import { isGeoTag, localTargetsName, nameServerName } from '../../../src/gslb/k8gb-naming';

const BASE = { DNS_ZONES: 'example.org:cloud.example.org:30', CLUSTER_GEO_TAG: 'eu' };

describe('k8gb naming', () => {
  test('nameServerName is the formula the zone NS records use', () => {
    expect(nameServerName('gslb-ns-', 'eu', 'cloud.example.org', 'example.org')).toBe(
      'gslb-ns-eu-cloud.example.org',
    );
    expect(nameServerName('gslb-ns-', 'US-1', 'a.b.example.com', 'example.com')).toBe(
      'gslb-ns-us-1-a-b.example.com',
    );
    const config = loadConfig({ ...BASE, EXT_GSLB_CLUSTERS_GEO_TAGS: 'us' });
    const zone = config.zones[0];
    expect(zone?.nameServers).toEqual(
      ['eu', 'us'].map((tag) =>
        nameServerName(config.gluePrefix, tag, zone?.name ?? '', zone?.parent ?? ''),
      ),
    );
  });
  test('localtargets- names and geotags follow k8gb', () => {
    expect(localTargetsName('app.cloud.example.org')).toBe('localtargets-app.cloud.example.org');
    expect(['eu', 'us-east-1', 'EU2'].every(isGeoTag)).toBe(true);
    expect(['', 'eu.west', 'a_b', 'é'].some(isGeoTag)).toBe(false);
  });
});
