import { defineConfig } from 'vitest/config';
import { projects } from './vitest.workspace.ts';

export default defineConfig({
  test: {
    projects,
    // Docker- and etcd-backed tests on a 2-core machine: two files at a time keeps them honest.
    maxWorkers: 2,
    globalSetup: ['./test/support/global-setup.ts'],
  },
});
