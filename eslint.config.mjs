// Lint rules: complexity budgets (complexity 12, depth 3, 6 parameters, 30 statements: a
// little above style.md §8.9's, which table-driven validators exceed without getting clearer)
// and the module boundaries of style.md §8.3:
// the query path (src/dns, src/table) imports no network, logging, metrics or
// Kubernetes code; only src/main.ts touches `process`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const pureBoundary = {
  patterns: [
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
      group: ['pino', 'prom-client', '@grpc/*', '@kubernetes/*', 'yaml'],
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
  ],
};

export default tseslint.config(
  {
    ignores: ['dist/', 'dist-*/', 'coverage/', 'node_modules/', 'bench-results/', 'jest.config.js'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.mjs', 'test/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.object.name=/^(test|it|describe)$/][callee.property.name='only']",
          message: 'No .only in committed tests.',
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/explicit-function-return-type': [
        'error',
        { allowExpressions: true, allowTypedFunctionExpressions: true },
      ],
      complexity: ['error', 12],
      'max-depth': ['error', 3],
      'max-params': ['error', 6],
      'max-statements': ['error', 30],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Only src/main.ts reads the environment.' },
      ],
    },
  },
  {
    files: ['src/dns/**/*.ts', 'src/table/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', pureBoundary] },
  },
  {
    // The Kubernetes client is confined to one adapter, so that everything
    // else (and every test run by Jest, which cannot load it) sees plain types.
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    ignores: ['src/k8s/kube-client.ts', 'src/dns/**/*.ts', 'src/table/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@kubernetes/*', 'undici', '**/k8s/kube-client'],
              message:
                'Only src/k8s/kube-client.ts uses the Kubernetes client; main.ts loads it lazily.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        process: 'readonly',
        module: 'writable',
        require: 'readonly',
        __dirname: 'readonly',
      },
    },
  },
  {
    files: ['src/main.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['test/**/*.ts', 'test/**/*.js', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
