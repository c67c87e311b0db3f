import type { DelegationTarget } from '../../../../src/delegation/delegation-provider';
import {
  delegationEndpoints,
  dnsEndpointObject,
  withoutOwnEndpoints,
} from '../../../../src/k8s/delegation/dns-endpoint';
import { externalDnsProvider } from '../../../../src/k8s/delegation/external-dns-provider';
import { FakeKubeApi } from '../../../helpers/fake-kube-api';

const EU_NS = 'gslb-ns-eu-cloud.example.com';
const US_NS = 'gslb-ns-us-cloud.example.com';
const PATH = '/apis/externaldns.k8s.io/v1alpha1/namespaces/k8gb/dnsendpoints';
const OBJECT_PATH = `${PATH}/k8gb-ns-extdns-cloud-example-com`;
const signal = new AbortController().signal;

const target: DelegationTarget = {
  zone: 'cloud.example.com',
  parent: 'example.com',
  nameServer: EU_NS,
  glue: ['192.0.2.20', '192.0.2.10'],
  nameServers: [US_NS, EU_NS],
  ttlSeconds: 30,
};

/**
 * The DNSEndpoint k8gb's controller writes for this zone, written out from
 * its format (name, namespace, the two labels, no annotations, the NS
 * endpoint with the sorted name servers, then the glue A in discovery order).
 */
const K8GB_DNS_ENDPOINT = {
  apiVersion: 'externaldns.k8s.io/v1alpha1',
  kind: 'DNSEndpoint',
  metadata: {
    name: 'k8gb-ns-extdns-cloud-example-com',
    namespace: 'k8gb',
    labels: { 'k8gb.io/dnstype': 'extdns', 'k8gb.absa.oss/dnstype': 'extdns' },
  },
  spec: {
    endpoints: [
      { dnsName: 'cloud.example.com', recordType: 'NS', recordTTL: 30, targets: [EU_NS, US_NS] },
      { dnsName: EU_NS, recordType: 'A', recordTTL: 30, targets: ['192.0.2.20', '192.0.2.10'] },
    ],
  },
};

const inputs = { ...target, namespace: 'k8gb', ownNameServer: EU_NS };

describe('the delegation DNSEndpoint', () => {
  test("is k8gb's, field for field, for IPv4 glue", () => {
    expect(dnsEndpointObject(inputs, delegationEndpoints(inputs))).toEqual(K8GB_DNS_ENDPOINT);
  });

  test('adds an AAAA glue endpoint for IPv6 glue (k8gb has none)', () => {
    const dual = { ...inputs, glue: ['192.0.2.10', '2001:db8::10'] };
    expect(delegationEndpoints(dual).slice(1)).toEqual([
      { dnsName: EU_NS, recordType: 'A', recordTTL: 30, targets: ['192.0.2.10'] },
      { dnsName: EU_NS, recordType: 'AAAA', recordTTL: 30, targets: ['2001:db8::10'] },
    ]);
  });

  test("withdrawing one cluster keeps the others' part; the last target takes the NS endpoint with it", () => {
    const found = K8GB_DNS_ENDPOINT.spec.endpoints as Parameters<typeof withoutOwnEndpoints>[0];
    expect(withoutOwnEndpoints(found, EU_NS)).toEqual([
      { dnsName: 'cloud.example.com', recordType: 'NS', recordTTL: 30, targets: [US_NS] },
    ]);
    const alone = [{ ...found[0]!, targets: [EU_NS] }, found[1]!];
    expect(withoutOwnEndpoints(alone, EU_NS)).toEqual([]);
  });
});

describe('externalDnsProvider', () => {
  test('creates the object when there is none', async () => {
    const api = new FakeKubeApi().reply('GET', OBJECT_PATH, { status: 404, body: {} });
    api.reply('POST', PATH, { status: 201, body: {} });
    const outcome = await externalDnsProvider(api, 'k8gb').write(target, signal);
    expect(outcome.ok).toBe(true);
    expect(api.sent()).toEqual([`GET ${OBJECT_PATH}`, `POST ${PATH}`]);
    expect(api.requests[1]!.body).toEqual(K8GB_DNS_ENDPOINT);
  });

  test('leaves an object that is as wanted alone (k8gb updates it every pass)', async () => {
    const found = {
      ...K8GB_DNS_ENDPOINT,
      metadata: { ...K8GB_DNS_ENDPOINT.metadata, resourceVersion: '5' },
    };
    const api = new FakeKubeApi().reply('GET', OBJECT_PATH, { status: 200, body: found });
    expect(await externalDnsProvider(api, 'k8gb').write(target, signal)).toMatchObject({
      ok: true,
    });
    expect(api.sent()).toEqual([`GET ${OBJECT_PATH}`]);
  });

  test.each([
    ['an endpoint changed', { spec: { endpoints: [] } }],
    [
      'an annotation added',
      { metadata: { ...K8GB_DNS_ENDPOINT.metadata, annotations: { a: 'b' } } },
    ],
    ['a label added', { metadata: { ...K8GB_DNS_ENDPOINT.metadata, labels: { x: 'y' } } }],
  ])('replaces a drifted object (%s) with the version read', async (_what, drift) => {
    const found = { ...K8GB_DNS_ENDPOINT, ...drift };
    const withVersion = { ...found, metadata: { ...found.metadata, resourceVersion: '9' } };
    const api = new FakeKubeApi().reply('GET', OBJECT_PATH, { status: 200, body: withVersion });
    api.reply('PUT', OBJECT_PATH, { status: 200, body: {} });
    expect(await externalDnsProvider(api, 'k8gb').write(target, signal)).toMatchObject({
      ok: true,
    });
    const put = api.requests[1]!;
    expect(put.method).toBe('PUT');
    expect(put.body).toEqual({
      ...K8GB_DNS_ENDPOINT,
      metadata: { ...K8GB_DNS_ENDPOINT.metadata, resourceVersion: '9' },
    });
  });

  test('a refused write and an apiserver that does not answer are failures with reasons', async () => {
    const refused = new FakeKubeApi().reply('GET', OBJECT_PATH, {
      status: 403,
      body: { message: 'forbidden' },
    });
    expect(await externalDnsProvider(refused, 'k8gb').write(target, signal)).toEqual({
      ok: false,
      reason: 'DnsEndpointWriteFailed',
      detail: 'HTTP 403: forbidden',
    });
    const silent = new FakeKubeApi().reply('GET', OBJECT_PATH, new Error('connect ECONNREFUSED'));
    expect(await externalDnsProvider(silent, 'k8gb').write(target, signal)).toMatchObject({
      ok: false,
      reason: 'ApiserverUnreachable',
    });
  });

  test('the last cluster deletes the object; a missing one is already withdrawn', async () => {
    const api = new FakeKubeApi().reply(
      'DELETE',
      OBJECT_PATH,
      { status: 200, body: {} },
      { status: 404, body: {} },
    );
    const provider = externalDnsProvider(api, 'k8gb');
    expect(await provider.withdraw(target, true, signal)).toMatchObject({ ok: true });
    expect(await provider.withdraw(target, true, signal)).toMatchObject({ ok: true });
    expect(api.sent()).toEqual([`DELETE ${OBJECT_PATH}`, `DELETE ${OBJECT_PATH}`]);
  });

  test('a cluster that is not the last strips its part and waits for the others', async () => {
    const found = {
      ...K8GB_DNS_ENDPOINT,
      metadata: { ...K8GB_DNS_ENDPOINT.metadata, resourceVersion: '3' },
    };
    const api = new FakeKubeApi().reply('GET', OBJECT_PATH, { status: 200, body: found });
    api.reply('PUT', OBJECT_PATH, { status: 200, body: {} });
    expect(await externalDnsProvider(api, 'k8gb').withdraw(target, false, signal)).toMatchObject({
      ok: 'delay',
    });
    expect((api.requests[1]!.body as typeof found).spec.endpoints).toEqual([
      { dnsName: 'cloud.example.com', recordType: 'NS', recordTTL: 30, targets: [US_NS] },
    ]);
  });
});
