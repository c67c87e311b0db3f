/**
 * Gslb manifests as text, for standalone Meridians started by tests and benchmarks.
 */

/** Returns a Gslb manifest serving `host` on `addresses`. */
export function gslbYaml(name: string, host: string, addresses: string[], extra = ''): string {
  return [
    'apiVersion: k8gb.io/v1beta1',
    'kind: Gslb',
    'metadata:',
    `  name: ${name}`,
    '  namespace: test',
    '  annotations:',
    `    k8gb.io/exposed-ip-addresses: "${addresses.join(',')}"`,
    'spec:',
    '  ingress:',
    '    rules:',
    `      - host: ${host}`,
    '  strategy:',
    '    type: roundRobin',
    extra,
  ].join('\n');
}
