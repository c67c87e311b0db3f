// The module boundaries, in one place for eslint.config.mjs and for the test that
// proves they hold (test/contract/boundaries.test.ts):
// - the query path (src/dns, src/table) imports no network, logging, metrics or
//   Kubernetes code;
// - each library has one home: dns-packet in src/dns, pino in src/telemetry, the
//   Kubernetes client in one adapter (KUBE_CLIENT);
// - sources (src/standalone, src/k8s, src/peers) take their settings as arguments and
//   import src/config only for types;
// - benchmarks and the harness they share with tests (real parts started, waits) import
//   nothing from test/.
// One no-restricted-imports per file group: a later flat-config entry replaces an
// earlier one's options for the same rule, so every group lists all it needs.
const KUBE_CLIENT = 'src/k8s/client/kube-client.ts';

const pureBoundary = [
  {
    group: [
      'node:dgram',
      'node:net',
      'node:http',
      'node:http2',
      'node:fs',
      'node:fs/promises',
      'node:child_process',
    ],
    message: 'src/dns and src/table are pure: no I/O. (node:net is allowed only for isIP.)',
    allowImportNames: ['isIP'],
  },
  {
    group: ['prom-client', '@grpc/*', 'yaml'],
    message: 'src/dns and src/table stay pure.',
  },
  {
    group: [
      '**/telemetry/**',
      '**/grpc/**',
      '**/plain-dns/**',
      '**/standalone/**',
      '**/serving/**',
      '**/app',
      '**/main',
    ],
    message: 'Dependencies point inward.',
  },
];
const dnsPacketHome = {
  group: ['dns-packet'],
  message: 'Only src/dns encodes and decodes DNS messages (dns/wire.ts, dns/client-message.ts).',
};
const pinoHome = {
  group: ['pino'],
  message: 'Log through src/telemetry/logger (its Logger type and createLogger).',
};
const kubeClientHome = {
  group: ['@kubernetes/*', 'undici', '**/kube-client'],
  message: `Only ${KUBE_CLIENT} uses the Kubernetes client; main.ts loads it lazily.`,
};
const testHome = {
  group: ['**/test/**'],
  message: "What benchmarks share with tests lives in harness/; test/ is the tests' own.",
};
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

module.exports = [
  {
    files: ['src/**/*.ts'],
    rules: restrict(dnsPacketHome, pinoHome, kubeClientHome),
  },
  { files: ['src/telemetry/**/*.ts'], rules: restrict(dnsPacketHome, kubeClientHome) },
  { files: [KUBE_CLIENT], rules: restrict(dnsPacketHome, pinoHome) },
  {
    files: ['src/dns/**/*.ts'],
    rules: restrict(...pureBoundary, pinoHome, kubeClientHome),
  },
  {
    files: ['src/table/**/*.ts'],
    rules: restrict(...pureBoundary, dnsPacketHome, pinoHome, kubeClientHome),
  },
  { files: ['test/**/*.ts'], rules: restrict(kubeClientHome) },
  { files: ['bench/**/*.ts', 'harness/**/*.ts'], rules: restrict(kubeClientHome, testHome) },
  {
    files: ['src/standalone/**/*.ts', 'src/k8s/**/*.ts', 'src/peers/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/config/*'],
              allowTypeImports: true,
              message:
                'Sources take their settings as arguments: import src/config for types only.',
            },
          ],
        },
      ],
    },
  },
];
