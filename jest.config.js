// Three projects so that each layer can be run alone (npm run test:unit, …);
// `npm test` runs all of them. Type checking is tsc's job (npm run typecheck),
// so ts-jest only transpiles.
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };
const common = {
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['<rootDir>/test/setup-env.js'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/contract/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      slowTestThreshold: 30,
    },
  ],
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  // main.ts and kube-client.ts run only in a separate Meridian process
  // (test/integration/process.test.ts, test/e2e/kubernetes-*.test.ts), where
  // Jest cannot instrument them; kube-client.ts also loads the ESM-only
  // client library, which Jest's CommonJS runtime cannot (docs/adr/0001).
  collectCoverageFrom: ['src/**/*.ts', '!src/main.ts', '!src/k8s/client/kube-client.ts'],
  coverageThreshold: { global: { lines: 95 } },
  coverageReporters: ['text-summary'],
};
