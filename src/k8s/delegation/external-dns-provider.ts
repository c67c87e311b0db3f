/**
 * The external-dns provider of the ZoneDelegation controller: writes the
 * delegation DNSEndpoint as k8gb does (dns-endpoint.ts) and leaves the edge
 * DNS to external-dns. Better than k8gb: the object is updated only when it
 * differs (k8gb sends a full update every reconcile), and a withdrawal that
 * finds no DNSEndpoint is done rather than an error.
 */
import type {
  DelegationProvider,
  DelegationTarget,
  ProviderOutcome,
} from '../../delegation/delegation-provider';
import { messageOf } from '../../errors';
import type { KubeApi, KubeReply } from '../client/kube-api';
import { at, canonicalJson, list, strings, text } from '../ingest/json-fields';
import {
  delegationEndpoints,
  dnsEndpointObject,
  dnsEndpointPath,
  DNS_TYPE_EXTDNS,
  DNS_TYPE_LABELS,
  withoutOwnEndpoints,
  type Endpoint,
  type EndpointInputs,
} from './dns-endpoint';

/** The provider that writes DNSEndpoints into `namespace`. */
export function externalDnsProvider(api: KubeApi, namespace: string): DelegationProvider {
  const inputsOf = (target: DelegationTarget): EndpointInputs => ({
    zone: target.zone,
    namespace,
    nameServers: target.nameServers,
    ownNameServer: target.nameServer,
    glue: target.glue,
    ttlSeconds: target.ttlSeconds,
  });
  return {
    name: 'external-dns',
    write: async (target) => {
      const inputs = inputsOf(target);
      const wanted = delegationEndpoints(inputs);
      const path = dnsEndpointPath(namespace, target.zone);
      const found = await send(api, 'GET', path);
      if (found.status === 404)
        return result(
          await send(api, 'POST', dnsEndpointPath(namespace), dnsEndpointObject(inputs, wanted)),
          `DNSEndpoint ${path} created`,
        );
      if (found.status !== 200) return result(found, '');
      if (isAsWanted(found.body, wanted))
        return { ok: true, detail: `DNSEndpoint ${path} up to date` };
      const version = text(at(found.body, 'metadata', 'resourceVersion'));
      return result(
        await send(api, 'PUT', path, dnsEndpointObject(inputs, wanted, version)),
        `DNSEndpoint ${path} updated`,
      );
    },
    withdraw: async (target, last) => {
      const path = dnsEndpointPath(namespace, target.zone);
      if (last) {
        const deleted = await send(api, 'DELETE', path);
        return deleted.status === 404
          ? { ok: true, detail: `no DNSEndpoint ${path}` }
          : result(deleted, `DNSEndpoint ${path} deleted`);
      }
      const found = await send(api, 'GET', path);
      if (found.status === 404) return { ok: true, detail: `no DNSEndpoint ${path}` };
      if (found.status !== 200) return result(found, '');
      const inputs = inputsOf(target);
      const kept = withoutOwnEndpoints(endpointsOf(found.body), target.nameServer);
      const version = text(at(found.body, 'metadata', 'resourceVersion'));
      const put = await send(api, 'PUT', path, dnsEndpointObject(inputs, kept, version));
      const outcome = result(put, `this cluster's endpoints removed from DNSEndpoint ${path}`);
      // Other clusters still delegate: the object stays until this one is the last (k8gb's rule).
      return outcome.ok ? { ok: 'delay', detail: outcome.detail } : outcome;
    },
  };
}

/** A request's reply, or status 0 with the error when no answer came. */
async function send(
  api: KubeApi,
  method: string,
  path: string,
  body?: unknown,
): Promise<KubeReply> {
  try {
    return await api.request(method, path, body);
  } catch (err) {
    return { status: 0, body: { message: messageOf(err) } };
  }
}

function result(reply: KubeReply, done: string): ProviderOutcome {
  if (reply.status >= 200 && reply.status < 300) return { ok: true, detail: done };
  const message = text(at(reply.body, 'message')) || `HTTP ${reply.status}`;
  return {
    ok: false,
    reason: reply.status === 0 ? 'ApiserverUnreachable' : 'DnsEndpointWriteFailed',
    detail: reply.status === 0 ? message : `HTTP ${reply.status}: ${message}`,
  };
}

/** True when the found object already has k8gb's labels, no annotations and these endpoints. */
function isAsWanted(found: unknown, wanted: readonly Endpoint[]): boolean {
  const labels = strings(at(found, 'metadata', 'labels'));
  const annotations = at(found, 'metadata', 'annotations');
  return (
    Object.keys(labels).length === DNS_TYPE_LABELS.length &&
    DNS_TYPE_LABELS.every((label) => labels[label] === DNS_TYPE_EXTDNS) &&
    (annotations === undefined || Object.keys(strings(annotations)).length === 0) &&
    canonicalJson(endpointsOf(found)) === canonicalJson(wanted)
  );
}

/** spec.endpoints of a found object, the fields k8gb writes, malformed entries dropped. */
function endpointsOf(found: unknown): Endpoint[] {
  return list(at(found, 'spec', 'endpoints')).flatMap((entry): Endpoint[] => {
    const recordType = text(at(entry, 'recordType'));
    if (recordType !== 'NS' && recordType !== 'A' && recordType !== 'AAAA') return [];
    const ttl = at(entry, 'recordTTL');
    return [
      {
        dnsName: text(at(entry, 'dnsName')),
        recordType,
        recordTTL: typeof ttl === 'number' ? ttl : 0,
        targets: list(at(entry, 'targets')).filter((t): t is string => typeof t === 'string'),
      },
    ];
  });
}
