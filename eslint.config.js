// Lint rules that encode architecture, not taste: the engine stays pure, nothing is `any`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const sideEffectModules = [
  'fs', 'fs/promises', 'child_process', 'net', 'http', 'https', 'os', 'dgram', 'worker_threads', 'process',
  'simple-git', 'execa', 'ioredis', 'bullmq', 'pino', 'fastify',
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // The engine is a pure reducer: no I/O, no clock, no logger may reach it.
    files: ['packages/bisect/src/**/*.ts'],
    ignores: ['packages/bisect/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: sideEffectModules.map((name) => ({ name, message: 'packages/bisect is pure: side effects belong to adapters in other packages.' })),
        patterns: [
          { group: ['node:*'], message: 'packages/bisect is pure: no Node built-ins.' },
          { group: ['@kbisect/*'], message: 'packages/bisect depends on nothing.' },
        ],
      }],
      'no-restricted-globals': ['error', { name: 'process', message: 'packages/bisect is pure.' }, { name: 'Date', message: 'packages/bisect is pure: no clock.' }, { name: 'setTimeout', message: 'packages/bisect is pure.' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'The engine must be deterministic.' }],
    },
  },
);
