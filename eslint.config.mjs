import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { mustUseResult } from './scripts/eslint/must-use-result.mjs';
import { noIteratedResult } from './scripts/eslint/no-iterated-result.mjs';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'coverage/**',
      'bench/results/**',
      '**/*.cjs',
      'test/fixtures/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        // One program for everything, with the packages mapped to their sources (tsconfig.json's
        // paths), so linting never depends on a stale build in dist/.
        project: ['./tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: {
      berth: {
        rules: { 'must-use-result': mustUseResult, 'no-iterated-result': noIteratedResult },
      },
    },
    rules: {
      'berth/must-use-result': 'error',
      'berth/no-iterated-result': 'error',
      '@typescript-eslint/no-floating-promises': ['error', { checkThenables: true }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Tests lean on vitest's asymmetric matchers and dockerode's untyped answers.
    files: ['**/*.test.ts', 'test/support/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.mjs', 'packages/cli/bin/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.mjs', 'packages/cli/bin/*.js'],
    rules: { 'berth/must-use-result': 'off', 'berth/no-iterated-result': 'off' },
  },
);
