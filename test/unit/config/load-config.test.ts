import { ConfigError, LOG_LEVELS, loadConfig, type Config } from '../../../src/config/load-config';
import { parseZones } from '../../../src/config/zones';
import { SETTINGS } from '../../../src/config/spec';
import { MeridianError } from '../../../src/errors';
import type { ZoneSpec } from '../../../src/table/model';

type Env = Record<string, string | undefined>;

/** The two required settings, valid (Kubernetes mode: no manifest directory). */
const BASE: Env = {
  DNS_ZONES: 'example.org:cloud.example.org:30',
  CLUSTER_GEO_TAG: 'eu',
};

function helpOf(env: string): string {
  const spec = SETTINGS.find((s) => s.env === env);
  if (spec === undefined) throw new Error(`no setting ${env}`);
  return spec.help;
}

/** Returns the problems loadConfig reports, failing when it does not throw ConfigError. */
function problemsOf(env: Env, overrides: Record<string, string> = {}): readonly string[] {
  try {
    loadConfig(env, overrides);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('loadConfig did not throw');
}

const DEFAULT_CONFIG: Config = {
  zones: [
    {
      name: 'cloud.example.org',
      parent: 'example.org',
      negativeTtlSeconds: 30,
      nameServers: ['gslb-ns-eu-cloud.example.org'],
      nameServerTtlSeconds: 30,
    },
  ],
  clusterGeoTag: 'eu',
  peerGeoTags: [],
  gluePrefix: 'gslb-ns-',
  manifestsDir: '',
  kubeconfigPath: null,
  clusterExposedIps: [],
  hostPolicy: null,
  edgeDnsServers: [],
  reconcileIntervalMs: 30_000,
  podNamespace: 'meridian',
  podName: '',
  dnsServiceName: null,
  grpcListen: { kind: 'tcp', host: '127.0.0.1', port: 9053 },
  grpcTls: null,
  dnsListen: null,
  metricsAddress: { host: '0.0.0.0', port: 8080 },
  admin: { listen: { host: '127.0.0.1', port: 9054 }, tokenFile: null },
  logLevel: 'info',
  shutdownGraceMs: 5000,
  reloadDebounceMs: 100,
  rescanIntervalMs: 30_000,
  drainTtlSeconds: 5,
  defaultTtlSeconds: 30,
  peers: {
    staticPeers: null,
    port: null,
    discoveryIntervalMs: 60_000,
    pollIntervalMs: 5_000,
    queryTimeoutMs: 1_500,
    maxInFlight: 256,
    downAfter: 2,
    upAfter: 2,
    startupDeadlineMs: 15_000,
  },
  geoIp: { databasePath: null, fields: ['datacenter'], checkIntervalMs: 30_000 },
  audit: { path: null, fsyncIntervalMs: 1_000, maxBytes: 64 * 1024 * 1024 },
  delegation: { provider: 'none', server: null, tsigKeyFile: null, glue: [], intervalMs: 60_000 },
};

describe('loadConfig defaults', () => {
  test('only the required settings give every default', () => {
    expect(loadConfig(BASE)).toStrictEqual(DEFAULT_CONFIG);
  });

  test.each(SETTINGS.filter((s) => s.defaultValue !== null).map((s) => [s.env, s.defaultValue]))(
    '%s set to its documented default %j changes nothing',
    (env, value) => {
      expect(loadConfig({ ...BASE, [env]: value as string })).toStrictEqual(DEFAULT_CONFIG);
    },
  );

  test('values are trimmed', () => {
    const config = loadConfig({ ...BASE, LOG_LEVEL: '  debug ', CLUSTER_GEO_TAG: ' eu\t' });
    expect(config.logLevel).toBe('debug');
    expect(config.clusterGeoTag).toBe('eu');
  });

  test('the returned config is frozen', () => {
    const config = loadConfig(BASE);
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { logLevel: string }).logLevel = 'debug';
    }).toThrow(TypeError);
    expect(config.logLevel).toBe('info');
  });
});

describe('loadConfig problems', () => {
  test('every missing required setting and every bad value is listed in one ConfigError', () => {
    let thrown: unknown;
    try {
      loadConfig({
        LOG_LEVEL: 'loud',
        MERIDIAN_RESCAN_SECONDS: '0',
        MERIDIAN_GRPC_TLS_KEY_FILE: '/tls/key.pem',
      });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect(thrown).toBeInstanceOf(MeridianError);
    const error = thrown as ConfigError;
    expect(error.code).toBe('MERIDIAN_ERR_CONFIG');
    expect(error.name).toBe('ConfigError');
    const expected = [
      `CLUSTER_GEO_TAG is required (${helpOf('CLUSTER_GEO_TAG')})`,
      `DNS_ZONES is required (${helpOf('DNS_ZONES')})`,
      'MERIDIAN_GRPC_TLS_CERT_FILE and MERIDIAN_GRPC_TLS_KEY_FILE must be set together',
      'LOG_LEVEL="loud": must be one of trace, debug, info, warn, error, fatal',
      'MERIDIAN_RESCAN_SECONDS="0": must be a number of seconds from 1 to 86400',
    ];
    expect(error.problems).toEqual(expected);
    expect(error.message).toBe(`invalid configuration:\n  - ${expected.join('\n  - ')}`);
  });

  test.each(['DNS_ZONES', 'CLUSTER_GEO_TAG'])(
    'required %s: missing or empty is reported',
    (name) => {
      const expected = [`${name} is required (${helpOf(name)})`];
      expect(problemsOf({ ...BASE, [name]: undefined })).toEqual(expected);
      expect(problemsOf({ ...BASE, [name]: '' })).toEqual(expected);
      expect(problemsOf({ ...BASE, [name]: ' \t ' })).toEqual(expected);
    },
  );
});

describe('flags override the environment', () => {
  test.each<[string, Env, Record<string, string>, Partial<Config>]>([
    ['LOG_LEVEL', { ...BASE, LOG_LEVEL: 'debug' }, { LOG_LEVEL: 'warn' }, { logLevel: 'warn' }],
    [
      'MERIDIAN_GRPC_LISTEN',
      { ...BASE, MERIDIAN_GRPC_LISTEN: '127.0.0.1:1' },
      { MERIDIAN_GRPC_LISTEN: 'unix:/run/m.sock' },
      { grpcListen: { kind: 'unix', path: '/run/m.sock' } },
    ],
    [
      'MERIDIAN_MANIFESTS_DIR (required, only as a flag)',
      { ...BASE, MERIDIAN_MANIFESTS_DIR: undefined },
      { MERIDIAN_MANIFESTS_DIR: '/srv/gslbs' },
      { manifestsDir: '/srv/gslbs' },
    ],
    [
      'DNS_ZONES',
      BASE,
      { DNS_ZONES: 'example.net:gslb.example.net:5' },
      {
        zones: [
          {
            name: 'gslb.example.net',
            parent: 'example.net',
            negativeTtlSeconds: 5,
            nameServers: ['gslb-ns-eu-gslb.example.net'],
            nameServerTtlSeconds: 30,
          },
        ],
      },
    ],
  ])('%s', (_label, env, overrides, expected) => {
    expect(loadConfig(env, overrides)).toMatchObject(expected);
  });

  test('an invalid flag is reported even when the environment value is valid', () => {
    expect(problemsOf({ ...BASE, LOG_LEVEL: 'info' }, { LOG_LEVEL: 'chatty' })).toEqual([
      'LOG_LEVEL="chatty": must be one of trace, debug, info, warn, error, fatal',
    ]);
  });
});

describe('DNS_ZONES and the derived name servers', () => {
  const zone = (
    name: string,
    parent: string,
    negativeTtlSeconds: number,
    nameServers: string[],
    nameServerTtlSeconds = 30,
  ): ZoneSpec => ({ name, parent, negativeTtlSeconds, nameServers, nameServerTtlSeconds });

  test.each<[string, Env, ZoneSpec[]]>([
    [
      'nested zone: dots of the zone minus the parent become dashes',
      { DNS_ZONES: 'example.com:a.b.example.com:60' },
      [zone('a.b.example.com', 'example.com', 60, ['gslb-ns-eu-a-b.example.com'])],
    ],
    [
      'peer geotags add name servers, de-duplicated with the cluster geotag',
      { EXT_GSLB_CLUSTERS_GEO_TAGS: 'us, eu,za-1' },
      [
        zone('cloud.example.org', 'example.org', 30, [
          'gslb-ns-eu-cloud.example.org',
          'gslb-ns-us-cloud.example.org',
          'gslb-ns-za-1-cloud.example.org',
        ]),
      ],
    ],
    [
      'several zones, spaces and an empty trailing entry',
      { DNS_ZONES: ' example.org:cloud.example.org:30 ; example.net:gslb.example.net:0 ;' },
      [
        zone('cloud.example.org', 'example.org', 30, ['gslb-ns-eu-cloud.example.org']),
        zone('gslb.example.net', 'example.net', 0, ['gslb-ns-eu-gslb.example.net']),
      ],
    ],
    [
      'names are lower-cased and lose their trailing dot',
      { DNS_ZONES: 'Example.ORG.:Cloud.Example.org.:30' },
      [zone('cloud.example.org', 'example.org', 30, ['gslb-ns-eu-cloud.example.org'])],
    ],
    [
      'custom GLUEA_PREFIX',
      { GLUEA_PREFIX: 'dns-' },
      [zone('cloud.example.org', 'example.org', 30, ['dns-eu-cloud.example.org'])],
    ],
    [
      'empty GLUEA_PREFIX is an empty prefix, not the default',
      { GLUEA_PREFIX: '' },
      [zone('cloud.example.org', 'example.org', 30, ['eu-cloud.example.org'])],
    ],
    [
      'upper-case geotags name lower-case name servers',
      { CLUSTER_GEO_TAG: 'EU', EXT_GSLB_CLUSTERS_GEO_TAGS: 'Us' },
      [
        zone('cloud.example.org', 'example.org', 30, [
          'gslb-ns-eu-cloud.example.org',
          'gslb-ns-us-cloud.example.org',
        ]),
      ],
    ],
    [
      'NS_RECORD_TTL sets the NS TTL',
      { NS_RECORD_TTL: '300' },
      [zone('cloud.example.org', 'example.org', 30, ['gslb-ns-eu-cloud.example.org'], 300)],
    ],
    [
      'largest negative TTL',
      { DNS_ZONES: 'example.org:cloud.example.org:2147483647' },
      [zone('cloud.example.org', 'example.org', 2_147_483_647, ['gslb-ns-eu-cloud.example.org'])],
    ],
  ])('%s', (_label, env, zones) => {
    expect(loadConfig({ ...BASE, ...env }).zones).toStrictEqual(zones);
  });

  test('peer geotags are kept in the order given', () => {
    expect(loadConfig({ ...BASE, EXT_GSLB_CLUSTERS_GEO_TAGS: 'us,eu' }).peerGeoTags).toEqual([
      'us',
      'eu',
    ]);
  });

  const PARENT_ZONE = 'example.org:cloud.example.org';
  test.each<[string, string]>([
    [
      'example.org:cloud.example.org',
      '"example.org:cloud.example.org": must be PARENT:ZONE:NEGTTL',
    ],
    [`${PARENT_ZONE}:30:1`, `"${PARENT_ZONE}:30:1": must be PARENT:ZONE:NEGTTL`],
    ['cloud.example.org', '"cloud.example.org": must be PARENT:ZONE:NEGTTL'],
    [
      'example.org:cloud.example.net:30',
      '"example.org:cloud.example.net:30": cloud.example.net is not inside example.org',
    ],
    [
      'example.org:xexample.org:30',
      '"example.org:xexample.org:30": xexample.org is not inside example.org',
    ],
    [
      'example.org:example.org:30',
      '"example.org:example.org:30": example.org is not inside example.org',
    ],
    [`${PARENT_ZONE}:-1`, `"${PARENT_ZONE}:-1": NEGTTL must be a non-negative integer`],
    [`${PARENT_ZONE}:1.5`, `"${PARENT_ZONE}:1.5": NEGTTL must be a non-negative integer`],
    [`${PARENT_ZONE}:ten`, `"${PARENT_ZONE}:ten": NEGTTL must be a non-negative integer`],
    [`${PARENT_ZONE}:`, `"${PARENT_ZONE}:": NEGTTL must be a non-negative integer`],
    [
      `${PARENT_ZONE}:2147483648`,
      `"${PARENT_ZONE}:2147483648": NEGTTL must be a non-negative integer`,
    ],
    [
      `${PARENT_ZONE}:30;example.org:Cloud.Example.org.:60`,
      '"example.org:Cloud.Example.org.:60": zone listed twice',
    ],
    [
      'example.org:bad_label.example.org:30',
      '"example.org:bad_label.example.org:30": bad_label.example.org has an invalid label "bad_label"',
    ],
    [
      'example.org:-x.example.org:30',
      '"example.org:-x.example.org:30": -x.example.org has an invalid label "-x"',
    ],
    [
      'example.org:a..example.org:30',
      '"example.org:a..example.org:30": a..example.org has an invalid label ""',
    ],
    [':cloud.example.org:30', '":cloud.example.org:30": empty name'],
    [';', 'at least one zone is required'],
    [
      'example.org:cloud.example.org;example.org:cloud.example.org:-5',
      '"example.org:cloud.example.org": must be PARENT:ZONE:NEGTTL; ' +
        '"example.org:cloud.example.org:-5": NEGTTL must be a non-negative integer',
    ],
  ])('DNS_ZONES=%j is rejected', (value, problem) => {
    expect(problemsOf({ ...BASE, DNS_ZONES: value })).toEqual([
      `DNS_ZONES=${JSON.stringify(value)}: ${problem}`,
    ]);
  });

  test.each<[string, Env, string]>([
    [
      'a prefix that makes a label start with a dash',
      { GLUEA_PREFIX: '-' },
      'derived name-server name -eu-cloud.example.org has an invalid label "-eu-cloud"',
    ],
    [
      'a geotag that makes the label longer than 63 characters',
      { CLUSTER_GEO_TAG: 'g'.repeat(50) },
      `derived name-server name gslb-ns-${'g'.repeat(50)}-cloud.example.org has an invalid label ` +
        `"gslb-ns-${'g'.repeat(50)}-cloud"`,
    ],
  ])('an invalid derived name-server name is rejected: %s', (_label, env, problem) => {
    expect(problemsOf({ ...BASE, ...env })).toEqual([
      `DNS_ZONES="example.org:cloud.example.org:30": "example.org:cloud.example.org:30": ${problem}`,
    ]);
  });

  test('parseZones can be called directly with its naming', () => {
    expect(
      parseZones('example.com:a.b.example.com:10', {
        gluePrefix: '',
        geoTags: ['eu', 'us'],
        nsTtl: 60,
      }),
    ).toStrictEqual([
      zone('a.b.example.com', 'example.com', 10, ['eu-a-b.example.com', 'us-a-b.example.com'], 60),
    ]);
  });
});

describe('the source', () => {
  test('a manifest directory selects standalone mode; otherwise Kubernetes mode, in-cluster or from KUBECONFIG', () => {
    expect(loadConfig({ ...BASE, MERIDIAN_MANIFESTS_DIR: '/etc/gslbs' }).manifestsDir).toBe(
      '/etc/gslbs',
    );
    expect(loadConfig(BASE).kubeconfigPath).toBeNull();
    expect(loadConfig({ ...BASE, KUBECONFIG: '/home/me/.kube/config' }).kubeconfigPath).toBe(
      '/home/me/.kube/config',
    );
    expect(loadConfig(BASE, { KUBECONFIG: '/flag/config' }).kubeconfigPath).toBe('/flag/config');
  });

  test('CLUSTER_EXPOSED_IPS keeps IPv4 and IPv6, canonical, and rejects names', () => {
    expect(
      loadConfig({ ...BASE, CLUSTER_EXPOSED_IPS: '10.0.0.1, 2001:DB8:0::1' }).clusterExposedIps,
    ).toEqual(['10.0.0.1', '2001:db8::1']);
    expect(problemsOf({ ...BASE, CLUSTER_EXPOSED_IPS: '10.0.0.1,lb.example.org' })).toEqual([
      'CLUSTER_EXPOSED_IPS="10.0.0.1,lb.example.org": expected comma-separated IP addresses: not IP addresses: lb.example.org',
    ]);
  });

  test.each([
    ['10.0.0.53', [{ host: '10.0.0.53', port: 53 }]],
    [
      '10.0.0.53:1053, 10.0.0.54',
      [
        { host: '10.0.0.53', port: 1053 },
        { host: '10.0.0.54', port: 53 },
      ],
    ],
    [
      '[2001:db8::53]:53,2001:db8::54',
      [
        { host: '2001:db8::53', port: 53 },
        { host: '2001:db8::54', port: 53 },
      ],
    ],
  ])('EDGE_DNS_SERVERS %j', (value, servers) => {
    expect(loadConfig({ ...BASE, EDGE_DNS_SERVERS: value }).edgeDnsServers).toEqual(servers);
  });

  test.each([
    ['dns.example.org', 'is not IP or IP:PORT'],
    ['10.0.0.53:0', 'port must be 1-65535'],
    ['10.0.0.53:99999', 'port must be 1-65535'],
  ])('EDGE_DNS_SERVERS %j is refused', (value, message) => {
    expect(problemsOf({ ...BASE, EDGE_DNS_SERVERS: value })).toEqual([
      expect.stringContaining(message),
    ]);
  });

  test('RECONCILE_REQUEUE_SECONDS is a number of seconds', () => {
    expect(loadConfig({ ...BASE, RECONCILE_REQUEUE_SECONDS: '5' }).reconcileIntervalMs).toBe(5000);
    expect(problemsOf({ ...BASE, RECONCILE_REQUEUE_SECONDS: '0' })).toHaveLength(1);
  });
});

describe('MERIDIAN_HOST_POLICY', () => {
  test('namespaces and the suffixes they may claim, canonical; several entries for one namespace add up', () => {
    const { hostPolicy } = loadConfig({
      ...BASE,
      MERIDIAN_HOST_POLICY:
        'pay=Pay.Cloud.Example.org.|p.cloud.example.org, shop=shop.cloud.example.org,pay=x.example.org',
    });
    expect(hostPolicy).toEqual(
      new Map([
        ['pay', ['pay.cloud.example.org', 'p.cloud.example.org', 'x.example.org']],
        ['shop', ['shop.cloud.example.org']],
      ]),
    );
  });

  test.each<[string, string]>([
    ['Pay=pay.cloud.example.org', '"Pay=pay.cloud.example.org" is not NAMESPACE=SUFFIX[|SUFFIX…]'],
    ['pay', '"pay" is not NAMESPACE=SUFFIX[|SUFFIX…]'],
    ['pay=', 'pay: empty name'],
    ['pay=a..b', 'pay: a..b has an invalid label ""'],
  ])('%j is refused', (value, problem) => {
    expect(problemsOf({ ...BASE, MERIDIAN_HOST_POLICY: value })).toEqual([
      `MERIDIAN_HOST_POLICY=${JSON.stringify(value)}: ${problem}`,
    ]);
  });
});

describe('geotags', () => {
  test.each<[Env, string]>([
    [{ CLUSTER_GEO_TAG: 'e u' }, `CLUSTER_GEO_TAG="e u": must be letters, digits and '-'`],
    [{ CLUSTER_GEO_TAG: 'eu.west' }, `CLUSTER_GEO_TAG="eu.west": must be letters, digits and '-'`],
    [
      { EXT_GSLB_CLUSTERS_GEO_TAGS: 'us,a_b,c d' },
      `EXT_GSLB_CLUSTERS_GEO_TAGS="us,a_b,c d": geotags must be letters, digits and '-': a_b, c d`,
    ],
    [
      { EXT_GSLB_CLUSTERS_GEO_TAGS: 'us, us' },
      'EXT_GSLB_CLUSTERS_GEO_TAGS="us, us": geotags must be unique',
    ],
  ])('%j is rejected', (env, problem) => {
    expect(problemsOf({ ...BASE, ...env })).toEqual([problem]);
  });
});

describe('MERIDIAN_GRPC_LISTEN', () => {
  test.each<[string, Config['grpcListen']]>([
    ['0.0.0.0:9053', { kind: 'tcp', host: '0.0.0.0', port: 9053 }],
    ['localhost:1', { kind: 'tcp', host: 'localhost', port: 1 }],
    ['[::1]:9053', { kind: 'tcp', host: '::1', port: 9053 }],
    ['[::]:0', { kind: 'tcp', host: '::', port: 0 }],
    ['127.0.0.1:65535', { kind: 'tcp', host: '127.0.0.1', port: 65_535 }],
    ['unix:/run/meridian/grpc.sock', { kind: 'unix', path: '/run/meridian/grpc.sock' }],
    ['unix:///run/meridian/grpc.sock', { kind: 'unix', path: '/run/meridian/grpc.sock' }],
  ])('%s', (value, expected) => {
    expect(loadConfig({ ...BASE, MERIDIAN_GRPC_LISTEN: value }).grpcListen).toStrictEqual(expected);
  });

  test.each<[string, string]>([
    ['unix:grpc.sock', 'unix socket path must be absolute (unix:/PATH)'],
    ['unix:', 'unix socket path must be absolute (unix:/PATH)'],
    ['9053', 'must be HOST:PORT or [IPV6]:PORT'],
    ['::1:9053', 'must be HOST:PORT or [IPV6]:PORT'],
    ['localhost:', 'must be HOST:PORT or [IPV6]:PORT'],
    [':9053', 'must be HOST:PORT or [IPV6]:PORT'],
    ['localhost:123456', 'must be HOST:PORT or [IPV6]:PORT'],
    ['localhost:65536', 'port must be from 0 to 65535'],
    ['[127.0.0.1]:53', '127.0.0.1 is not an IPv6 address'],
  ])('%s is rejected', (value, problem) => {
    expect(problemsOf({ ...BASE, MERIDIAN_GRPC_LISTEN: value })).toEqual([
      `MERIDIAN_GRPC_LISTEN=${JSON.stringify(value)}: ${problem}`,
    ]);
  });
});

describe('host:port settings', () => {
  test('MERIDIAN_DNS_LISTEN and METRICS_ADDRESS are parsed', () => {
    const config = loadConfig({
      ...BASE,
      MERIDIAN_DNS_LISTEN: '[::]:5353',
      METRICS_ADDRESS: '127.0.0.1:9100',
    });
    expect(config.dnsListen).toStrictEqual({ host: '::', port: 5353 });
    expect(config.metricsAddress).toStrictEqual({ host: '127.0.0.1', port: 9100 });
  });

  test.each([
    ['MERIDIAN_DNS_LISTEN', 'off'],
    ['METRICS_ADDRESS', '8080'],
  ])('%s=%j is rejected', (name, value) => {
    expect(problemsOf({ ...BASE, [name]: value })).toEqual([
      `${name}=${JSON.stringify(value)}: must be HOST:PORT or [IPV6]:PORT`,
    ]);
  });
});

describe('the admin listener', () => {
  test('loopback by default; an address, a token file, or empty for off', () => {
    expect(loadConfig(BASE).admin).toEqual({
      listen: { host: '127.0.0.1', port: 9054 },
      tokenFile: null,
    });
    expect(
      loadConfig({
        ...BASE,
        MERIDIAN_ADMIN_LISTEN: '[::1]:9100',
        MERIDIAN_ADMIN_TOKEN_FILE: '/run/secrets/admin-token',
      }).admin,
    ).toEqual({ listen: { host: '::1', port: 9100 }, tokenFile: '/run/secrets/admin-token' });
    expect(loadConfig({ ...BASE, MERIDIAN_ADMIN_LISTEN: '' }).admin.listen).toBeNull();
    expect(loadConfig(BASE, { MERIDIAN_ADMIN_LISTEN: '' }).admin.listen).toBeNull();
    expect(problemsOf({ ...BASE, MERIDIAN_ADMIN_LISTEN: 'localhost' })).toEqual([
      expect.stringContaining('MERIDIAN_ADMIN_LISTEN="localhost"'),
    ]);
  });
});

describe('gRPC TLS files', () => {
  const CERT = { MERIDIAN_GRPC_TLS_CERT_FILE: '/tls/tls.crt' };
  const KEY = { MERIDIAN_GRPC_TLS_KEY_FILE: '/tls/tls.key' };
  const CA = { MERIDIAN_GRPC_TLS_CLIENT_CA_FILE: '/tls/ca.crt' };

  test.each<[string, Env, Config['grpcTls']]>([
    ['none', {}, null],
    [
      'cert and key',
      { ...CERT, ...KEY },
      { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key', clientCaFile: null },
    ],
    [
      'cert, key and client CA (mutual TLS)',
      { ...CERT, ...KEY, ...CA },
      { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key', clientCaFile: '/tls/ca.crt' },
    ],
  ])('%s', (_label, env, expected) => {
    expect(loadConfig({ ...BASE, ...env }).grpcTls).toStrictEqual(expected);
  });

  const PAIR = 'MERIDIAN_GRPC_TLS_CERT_FILE and MERIDIAN_GRPC_TLS_KEY_FILE must be set together';
  test.each<[string, Env, string]>([
    ['cert alone', CERT, PAIR],
    ['key alone', KEY, PAIR],
    ['cert and client CA without key', { ...CERT, ...CA }, PAIR],
    [
      'client CA alone',
      CA,
      'MERIDIAN_GRPC_TLS_CLIENT_CA_FILE needs MERIDIAN_GRPC_TLS_CERT_FILE and _KEY_FILE',
    ],
  ])('%s is rejected', (_label, env, problem) => {
    expect(problemsOf({ ...BASE, ...env })).toEqual([problem]);
  });
});

describe('LOG_LEVEL', () => {
  test.each<[string, string]>([
    ...LOG_LEVELS.map((l): [string, string] => [l, l]),
    ['WARN', 'warn'],
    ['Debug', 'debug'],
  ])('%s is accepted as %s', (value, expected) => {
    expect(loadConfig({ ...BASE, LOG_LEVEL: value }).logLevel).toBe(expected);
  });

  test.each(['verbose', 'silent', 'info,debug'])('%s is rejected', (value) => {
    expect(problemsOf({ ...BASE, LOG_LEVEL: value })).toEqual([
      `LOG_LEVEL=${JSON.stringify(value)}: must be one of trace, debug, info, warn, error, fatal`,
    ]);
  });
});

describe('durations', () => {
  test.each<[string, string, keyof Config, number]>([
    ['MERIDIAN_SHUTDOWN_GRACE_SECONDS', '0', 'shutdownGraceMs', 0],
    ['MERIDIAN_SHUTDOWN_GRACE_SECONDS', '2.5', 'shutdownGraceMs', 2500],
    ['MERIDIAN_SHUTDOWN_GRACE_SECONDS', '300', 'shutdownGraceMs', 300_000],
    ['MERIDIAN_RESCAN_SECONDS', '1', 'rescanIntervalMs', 1000],
    ['MERIDIAN_RESCAN_SECONDS', '0.25e1', 'rescanIntervalMs', 2500],
    ['MERIDIAN_RESCAN_SECONDS', '86400', 'rescanIntervalMs', 86_400_000],
    ['MERIDIAN_RELOAD_DEBOUNCE_MS', '0', 'reloadDebounceMs', 0],
    ['MERIDIAN_RELOAD_DEBOUNCE_MS', '250', 'reloadDebounceMs', 250],
    ['MERIDIAN_RELOAD_DEBOUNCE_MS', '60000', 'reloadDebounceMs', 60_000],
  ])('%s=%s gives %s %d', (name, value, key, expected) => {
    expect(loadConfig({ ...BASE, [name]: value })[key]).toBe(expected);
  });

  const GRACE = 'must be a number of seconds from 0 to 300';
  const RESCAN = 'must be a number of seconds from 1 to 86400';
  const DEBOUNCE = 'must be an integer from 0 to 60000';
  const NS_TTL = 'must be an integer from 1 to 2147483647';
  test.each<[string, string, string]>([
    ['MERIDIAN_SHUTDOWN_GRACE_SECONDS', '-1', GRACE],
    ['MERIDIAN_SHUTDOWN_GRACE_SECONDS', '300.5', GRACE],
    ['MERIDIAN_SHUTDOWN_GRACE_SECONDS', 'five', GRACE],
    ['MERIDIAN_SHUTDOWN_GRACE_SECONDS', 'Infinity', GRACE],
    ['MERIDIAN_RESCAN_SECONDS', '0', RESCAN],
    ['MERIDIAN_RESCAN_SECONDS', '0.5', RESCAN],
    ['MERIDIAN_RESCAN_SECONDS', '86401', RESCAN],
    ['MERIDIAN_RELOAD_DEBOUNCE_MS', '1.5', DEBOUNCE],
    ['MERIDIAN_RELOAD_DEBOUNCE_MS', '-1', DEBOUNCE],
    ['MERIDIAN_RELOAD_DEBOUNCE_MS', '60001', DEBOUNCE],
    ['NS_RECORD_TTL', '0', NS_TTL],
    ['NS_RECORD_TTL', '2147483648', NS_TTL],
  ])('%s=%s is rejected', (name, value, problem) => {
    expect(problemsOf({ ...BASE, [name]: value })).toEqual([
      `${name}=${JSON.stringify(value)}: ${problem}`,
    ]);
  });
});

describe('peers', () => {
  test('MERIDIAN_PEERS lists peers by geotag, addresses in order, IPv4 and IPv6, port 53 unless given', () => {
    const config = loadConfig({
      ...BASE,
      MERIDIAN_PEERS: 'us=127.0.0.2:1053, asia=2001:db8::53 ,us=127.0.0.3,asia=[2001:db8::54]:5353',
    });
    expect(config.peers.staticPeers).toEqual([
      {
        geoTag: 'us',
        servers: [
          { host: '127.0.0.2', port: 1053 },
          { host: '127.0.0.3', port: 53 },
        ],
      },
      {
        geoTag: 'asia',
        servers: [
          { host: '2001:db8::53', port: 53 },
          { host: '2001:db8::54', port: 5353 },
        ],
      },
    ]);
    expect(loadConfig(BASE, { MERIDIAN_PEERS: 'us=10.0.0.1' }).peers.staticPeers).toEqual([
      { geoTag: 'us', servers: [{ host: '10.0.0.1', port: 53 }] },
    ]);
  });

  test.each<[string, string]>([
    ['us', '"us" is not GEOTAG=IP[:PORT]'],
    ['u s=10.0.0.1', '"u s=10.0.0.1" is not GEOTAG=IP[:PORT]'],
    ['=10.0.0.1', '"=10.0.0.1" is not GEOTAG=IP[:PORT]'],
    ['us=dns.example.org', '"dns.example.org" is not IP or IP:PORT (use an address, not a name)'],
    ['us=10.0.0.1:0', '"10.0.0.1:0": port must be 1-65535'],
    ['us=10.0.0.1:53:53', '"10.0.0.1:53:53" is not IP or IP:PORT (use an address, not a name)'],
    ['us=[10.0.0.1]:53', '"[10.0.0.1]:53" is not IP or IP:PORT (use an address, not a name)'],
    ['us=10.0.0.1,us=10.0.0.1:53', 'us=10.0.0.1:53 is listed twice'],
    [
      'us,asia=10.0.0.1:70000',
      '"us" is not GEOTAG=IP[:PORT]; "10.0.0.1:70000": port must be 1-65535',
    ],
  ])('MERIDIAN_PEERS=%j is refused', (value, problem) => {
    expect(problemsOf({ ...BASE, MERIDIAN_PEERS: value })).toEqual([
      `MERIDIAN_PEERS=${JSON.stringify(value)}: ${problem}`,
    ]);
  });

  test('MERIDIAN_PEERS cannot name this cluster', () => {
    expect(problemsOf({ ...BASE, MERIDIAN_PEERS: 'EU=10.0.0.1' })).toEqual([
      'MERIDIAN_PEERS lists EU, which is CLUSTER_GEO_TAG (this cluster)',
    ]);
  });

  test('poll, timeout, concurrency and hysteresis settings are read', () => {
    const { peers } = loadConfig({
      ...BASE,
      MERIDIAN_PEER_PORT: '5353',
      MERIDIAN_PEER_DISCOVERY_SECONDS: '300',
      MERIDIAN_PEER_POLL_INTERVAL_SECONDS: '0.5',
      MERIDIAN_PEER_QUERY_TIMEOUT_MS: '200',
      MERIDIAN_PEER_MAX_IN_FLIGHT: '8',
      MERIDIAN_PEER_DOWN_AFTER: '3',
      MERIDIAN_PEER_UP_AFTER: '1',
      MERIDIAN_PEER_STARTUP_SECONDS: '2.5',
    });
    expect(peers).toEqual({
      staticPeers: null,
      port: 5353,
      discoveryIntervalMs: 300_000,
      pollIntervalMs: 500,
      queryTimeoutMs: 200,
      maxInFlight: 8,
      downAfter: 3,
      upAfter: 1,
      startupDeadlineMs: 2_500,
    });
  });

  test('without MERIDIAN_PEER_STARTUP_SECONDS the start-up wait is three poll intervals', () => {
    const { peers } = loadConfig({ ...BASE, MERIDIAN_PEER_POLL_INTERVAL_SECONDS: '2' });
    expect(peers.startupDeadlineMs).toBe(6_000);
  });

  test.each<[string, string, string]>([
    ['MERIDIAN_PEER_PORT', '0', 'must be an integer from 1 to 65535'],
    ['MERIDIAN_PEER_DISCOVERY_SECONDS', '0', 'must be a number of seconds from 1 to 86400'],
    ['MERIDIAN_PEER_POLL_INTERVAL_SECONDS', '0.1', 'must be a number of seconds from 0.5 to 3600'],
    ['MERIDIAN_PEER_QUERY_TIMEOUT_MS', '5', 'must be an integer from 10 to 60000'],
    ['MERIDIAN_PEER_QUERY_TIMEOUT_MS', '1.5', 'must be an integer from 10 to 60000'],
    ['MERIDIAN_PEER_MAX_IN_FLIGHT', '0', 'must be an integer from 1 to 65536'],
    ['MERIDIAN_PEER_DOWN_AFTER', '0', 'must be an integer from 1 to 100'],
    ['MERIDIAN_PEER_UP_AFTER', 'two', 'must be an integer from 1 to 100'],
    ['MERIDIAN_PEER_STARTUP_SECONDS', '0', 'must be a number of seconds from 0.1 to 3600'],
  ])('%s=%s is rejected', (name, value, problem) => {
    expect(problemsOf({ ...BASE, [name]: value })).toEqual([
      `${name}=${JSON.stringify(value)}: ${problem}`,
    ]);
  });

  test('the query timeout must stay below the poll interval', () => {
    expect(
      problemsOf({
        ...BASE,
        MERIDIAN_PEER_POLL_INTERVAL_SECONDS: '1',
        MERIDIAN_PEER_QUERY_TIMEOUT_MS: '1000',
      }),
    ).toEqual([
      'MERIDIAN_PEER_QUERY_TIMEOUT_MS (1000) must be below MERIDIAN_PEER_POLL_INTERVAL_SECONDS (1000 ms)',
    ]);
  });

  test('the geoip database, its fields and check interval are read', () => {
    expect(
      loadConfig({
        ...BASE,
        MERIDIAN_GEOIP_DATABASE: '/data/geo.mmdb',
        MERIDIAN_GEOIP_FIELDS: 'country.iso_code, continent.code datacenter',
        MERIDIAN_GEOIP_CHECK_SECONDS: '5',
      }).geoIp,
    ).toEqual({
      databasePath: '/data/geo.mmdb',
      fields: ['country.iso_code', 'continent.code', 'datacenter'],
      checkIntervalMs: 5_000,
    });
  });

  test.each<[string, string, string]>([
    ['MERIDIAN_GEOIP_FIELDS', 'a..b', 'not dotted field paths: "a..b"'],
    ['MERIDIAN_GEOIP_FIELDS', ',,', 'at least one field path is needed'],
    ['MERIDIAN_GEOIP_CHECK_SECONDS', '0', 'must be a number of seconds from 1 to 3600'],
  ])('%s=%s is rejected', (name, value, problem) => {
    expect(problemsOf({ ...BASE, [name]: value })).toEqual([
      `${name}=${JSON.stringify(value)}: ${problem}`,
    ]);
  });

  test('GLUEA_PREFIX is kept for peer discovery, empty included', () => {
    expect(loadConfig({ ...BASE, GLUEA_PREFIX: 'ns-' }).gluePrefix).toBe('ns-');
    expect(loadConfig({ ...BASE, GLUEA_PREFIX: '' }).gluePrefix).toBe('');
  });
});

describe('the audit file', () => {
  test('off by default; a path, the fsync cadence and the rotation size are read', () => {
    expect(loadConfig(BASE).audit.path).toBeNull();
    expect(
      loadConfig(
        { ...BASE, MERIDIAN_AUDIT_FSYNC_SECONDS: '0.25', MERIDIAN_AUDIT_MAX_MIB: '8' },
        { MERIDIAN_AUDIT_FILE: '/var/lib/meridian/audit.jsonl' },
      ).audit,
    ).toEqual({
      path: '/var/lib/meridian/audit.jsonl',
      fsyncIntervalMs: 250,
      maxBytes: 8 * 1024 * 1024,
    });
    expect(loadConfig({ ...BASE, MERIDIAN_AUDIT_FSYNC_SECONDS: '0' }).audit.fsyncIntervalMs).toBe(
      0,
    );
  });

  test.each<[string, string, string]>([
    ['MERIDIAN_AUDIT_FSYNC_SECONDS', '-1', 'must be a number of seconds from 0 to 3600'],
    ['MERIDIAN_AUDIT_FSYNC_SECONDS', 'often', 'must be a number of seconds from 0 to 3600'],
    ['MERIDIAN_AUDIT_MAX_MIB', '0', 'must be an integer from 1 to 1048576'],
    ['MERIDIAN_AUDIT_MAX_MIB', '1.5', 'must be an integer from 1 to 1048576'],
  ])('%s=%s is rejected', (name, value, problem) => {
    expect(problemsOf({ ...BASE, [name]: value })).toEqual([
      `${name}=${JSON.stringify(value)}: ${problem}`,
    ]);
  });
});

describe('delegation', () => {
  const rfc2136 = {
    ...BASE,
    MERIDIAN_MANIFESTS_DIR: '/etc/meridian',
    MERIDIAN_DELEGATION: 'rfc2136',
  };

  test('rfc2136 in standalone mode: the server, the key file, the glue', () => {
    expect(
      loadConfig({
        ...rfc2136,
        MERIDIAN_DELEGATION_SERVER: '192.0.2.1:1053',
        MERIDIAN_DELEGATION_TSIG_KEY_FILE: '/etc/meridian/update.key',
        MERIDIAN_DELEGATION_GLUE: '192.0.2.53, 2001:DB8::53',
        MERIDIAN_DELEGATION_INTERVAL_SECONDS: '5',
      }).delegation,
    ).toEqual({
      provider: 'rfc2136',
      server: { host: '192.0.2.1', port: 1053 },
      tsigKeyFile: '/etc/meridian/update.key',
      glue: ['192.0.2.53', '2001:db8::53'],
      intervalMs: 5_000,
    });
  });

  test.each([
    [
      { MERIDIAN_DELEGATION: 'route53' },
      'MERIDIAN_DELEGATION="route53": must be none, rfc2136 or external-dns',
    ],
    [{ MERIDIAN_DELEGATION: 'external-dns' }, 'external-dns is for Kubernetes mode'],
    [
      { EXTDNS_ENABLED: 'true', MERIDIAN_DELEGATION: 'none' },
      'external-dns is for Kubernetes mode',
    ],
    [{ MERIDIAN_DELEGATION_GLUE: '192.0.2.53' }, 'needs MERIDIAN_DELEGATION_SERVER'],
    [{ MERIDIAN_DELEGATION_SERVER: '192.0.2.1' }, 'needs MERIDIAN_DELEGATION_GLUE'],
  ])('refused: %j', (env, message) => {
    expect(() => loadConfig({ ...rfc2136, ...env })).toThrow(message);
  });

  test('Kubernetes mode takes rfc2136 without glue (the DNS Service gives it) and external-dns', () => {
    const kube = {
      ...rfc2136,
      MERIDIAN_MANIFESTS_DIR: '',
      MERIDIAN_DELEGATION_SERVER: '192.0.2.1',
    };
    expect(loadConfig(kube).delegation).toMatchObject({ provider: 'rfc2136', glue: [] });
    const extdns = { MERIDIAN_MANIFESTS_DIR: '', EXTDNS_ENABLED: 'true' };
    expect(loadConfig({ ...kube, ...extdns }).delegation.provider).toBe('rfc2136');
    const k8gbValues = { ...kube, MERIDIAN_DELEGATION: 'none', ...extdns };
    expect(loadConfig(k8gbValues).delegation.provider).toBe('external-dns');
  });
});
