import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

const CORE_SOURCE = fileURLToPath(new URL('../core/src/index.ts', import.meta.url));

const executable = {
  format: ['cjs'],
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  splitting: false,
  shims: true,
  noExternal: ['commander', 'neverthrow', '@berth/core', '@berth/probes'],
  tsconfig: 'tsconfig.json',
} satisfies Options;

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    target: 'node20',
    platform: 'node',
    dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
    sourcemap: true,
    clean: true,
    splitting: false,
    tsconfig: 'tsconfig.json',
  },
  {
    // The executable, as CommonJS files with commander, neverthrow and berth's own packages
    // inside them: a cold start then reads few files and resolves no module, which is most of
    // what `berth --help` or `berth name` costs. bin.cjs is a launcher that reads the command
    // line and loads one of the others: bin-program.cjs, the full program, where each command's
    // code runs only when that command does (program.ts loads it with import()), or, for
    // `berth name`, bin-name.cjs (below). The heavy libraries (dockerode, etcd3, isomorphic-git,
    // prom-client, bcryptjs) stay outside, required by the functions that use them — so they are
    // this package's dependencies too. After tsup, scripts/code-cache.mjs writes V8's code cache
    // of bin-program.cjs beside it, which bin.cjs hands to V8 (src/code-cache.ts).
    ...executable,
    entry: ['src/bin.ts', 'src/bin-program.ts'],
  },
  {
    // `berth name`'s fast path: bin-name.cjs asks the engine's socket directly (no commander, of
    // the library only its endpoint discovery) and, when that cannot answer, loads name-full.cjs
    // (of the library only what connectDocker and resolveContainerNames need). Both take the
    // library from its modules rather than its one-file dist: the bundler then leaves out every
    // module they do not use (the library declares no side effects), where from the dist it can
    // only drop unused statements and keeps every constant and table of the rest.
    ...executable,
    entry: ['src/bin-name.ts', 'src/name-full.ts'],
    esbuildPlugins: [
      {
        name: 'berth-core-from-source',
        setup(build) {
          build.onResolve({ filter: /^@berth\/core$/ }, () => ({ path: CORE_SOURCE }));
        },
      },
    ],
  },
]);
