// The one list of test projects. Vitest 4 no longer reads this file by itself:
// vitest.config.ts imports it into `test.projects`. Run one with `npx vitest --project core`.
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const loadEnv = `${root}test/support/load-env.ts`;

// Tests import the packages by name and get their sources, so a change is tested without a build;
// the `repo` project's smoke test is what checks the built files.
export const sourceAliases = {
  '@berth/core': `${root}packages/core/src/index.ts`,
  '@berth/probes': `${root}packages/probes/src/index.ts`,
  '@berth/cli': `${root}packages/cli/src/index.ts`,
};

const pkg = (name: string) => ({
  root: `${root}packages/${name}`,
  resolve: { alias: sourceAliases },
  test: {
    name,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: [loadEnv],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

export const projects = [
  pkg('core'),
  pkg('probes'),
  pkg('cli'),
  {
    root,
    test: {
      name: 'repo',
      include: ['test/**/*.test.ts'],
      setupFiles: [loadEnv],
      testTimeout: 180_000,
      hookTimeout: 180_000,
    },
  },
];
