import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { InvalidGslb } from '../../../src/gslb/gslb-spec';
import { parseProbe, PROBE_FIELDS, PROBE_LIMITS } from '../../../src/gslb/probe-spec';

const invalid = (value: unknown): string => {
  try {
    parseProbe(value);
  } catch (err) {
    if (err instanceof InvalidGslb) return err.message;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
};

test('absent: no probe; the defaults fill what is not given', () => {
  expect(parseProbe(undefined)).toBeUndefined();
  expect(parseProbe(null)).toBeUndefined();
  const probe = parseProbe({ type: 'https' })!;
  expect(probe).toMatchObject({
    type: 'https',
    port: 443,
    path: '/',
    host: null,
    bodyContains: null,
    intervalSeconds: 10,
    timeoutSeconds: 2,
    rise: 2,
    fall: 3,
    verifyCertificate: true,
    caBundle: null,
  });
  expect(probe.expectStatus[0]).toBe(200);
  expect(probe.expectStatus.at(-1)).toBe(399);
  expect(parseProbe({ type: 'http' })!.port).toBe(80);
  expect(parseProbe({ type: 'http', intervalSeconds: 1 })!.timeoutSeconds).toBe(1);
});

test('every field as given; status codes sorted, duplicates dropped', () => {
  expect(
    parseProbe({
      type: 'http',
      port: 8080,
      path: '/healthz?deep=1',
      host: 'shop.cloud.example.org',
      expectStatus: [204, 200, 200],
      bodyContains: 'ok',
      intervalSeconds: 5,
      timeoutSeconds: 5,
      rise: 1,
      fall: 1,
      verifyCertificate: false,
      caBundle: '-----BEGIN CERTIFICATE-----\n...',
    }),
  ).toEqual({
    type: 'http',
    port: 8080,
    path: '/healthz?deep=1',
    host: 'shop.cloud.example.org',
    expectStatus: [200, 204],
    bodyContains: 'ok',
    intervalSeconds: 5,
    timeoutSeconds: 5,
    rise: 1,
    fall: 1,
    verifyCertificate: false,
    caBundle: '-----BEGIN CERTIFICATE-----\n...',
  });
});

test.each([
  [[], 'spec.probe must be an object'],
  [{}, 'spec.probe.type must be one of http, https, tcp, found undefined'],
  [{ type: 'icmp' }, 'spec.probe.type must be one of http, https, tcp, found "icmp"'],
  [{ type: 'tcp' }, 'spec.probe.port is required with type tcp'],
  [{ type: 'http', port: 0 }, 'spec.probe.port must be an integer from 1 to 65535, found 0'],
  [
    { type: 'http', intervalSeconds: 0 },
    'spec.probe.intervalSeconds must be an integer from 1 to 3600, found 0',
  ],
  [
    { type: 'http', intervalSeconds: 2, timeoutSeconds: 3 },
    'spec.probe.timeoutSeconds must not exceed intervalSeconds',
  ],
  [{ type: 'http', rise: 11 }, 'spec.probe.rise must be an integer from 1 to 10, found 11'],
  [{ type: 'http', fall: 1.5 }, 'spec.probe.fall must be an integer from 1 to 10, found 1.5'],
  [
    { type: 'http', path: 'healthz' },
    'spec.probe.path must start with / and hold only visible ASCII',
  ],
  [{ type: 'http', path: '/a b' }, 'spec.probe.path must start with / and hold only visible ASCII'],
  [{ type: 'http', host: 'shop\r\nX-Evil: 1' }, 'spec.probe.host must be a host name or address'],
  [{ type: 'http', expectStatus: [] }, 'spec.probe.expectStatus must list 1 to 32 status codes'],
  [
    { type: 'http', expectStatus: [700] },
    'spec.probe.expectStatus: 700 is not a status code (100 to 599)',
  ],
  [
    { type: 'http', bodyContains: 'x'.repeat(257) },
    'spec.probe.bodyContains must be a string of 1 to 256 characters',
  ],
  [
    { type: 'https', verifyCertificate: 'no' },
    'spec.probe.verifyCertificate must be true or false, found "no"',
  ],
  [{ type: 'http', interval: 5 }, 'spec.probe: unknown field interval'],
])('%j is refused: %s', (value, message) => {
  expect(invalid(value)).toBe(message);
});

test("the CRD states the same bounds as the parser (a standalone manifest meets the API server's rules)", () => {
  const crd = parse(
    readFileSync(join(__dirname, '../../../deploy/crds/gslbs.k8gb.io.yaml'), 'utf8'),
  ) as {
    spec: {
      versions: {
        schema: {
          openAPIV3Schema: {
            properties: {
              spec: {
                properties: {
                  probe: {
                    properties: Record<
                      string,
                      {
                        minimum?: number;
                        maximum?: number;
                        maxItems?: number;
                        maxLength?: number;
                        enum?: string[];
                      }
                    >;
                  };
                };
              };
            };
          };
        };
      }[];
    };
  };
  const fields =
    crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties.probe.properties;
  for (const name of ['intervalSeconds', 'timeoutSeconds', 'rise', 'fall'] as const)
    expect([fields[name]!.minimum, fields[name]!.maximum]).toEqual(PROBE_LIMITS[name]);
  expect(fields['expectStatus']!.maxItems).toBe(PROBE_LIMITS.expectStatus);
  expect(fields['path']!.maxLength).toBe(PROBE_LIMITS.path);
  expect(fields['bodyContains']!.maxLength).toBe(PROBE_LIMITS.bodyContains);
  expect(fields['caBundle']!.maxLength).toBe(PROBE_LIMITS.caBundle);
  expect(fields['type']!.enum).toEqual(['http', 'https', 'tcp']);
  expect(Object.keys(fields).sort()).toEqual([...PROBE_FIELDS].sort());
});
