import { defineConfig } from 'tsup';

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
    // The executable, as one CommonJS file with commander, neverthrow and berth's own packages
    // inside it: a cold start then reads one file and resolves no module, which is most of what
    // `berth --help` or `berth name` costs. Each command's code runs only when that command does
    // (program.ts loads it with import()), and the heavy libraries (dockerode, etcd3,
    // isomorphic-git, prom-client, bcryptjs) stay outside, required by the functions that use
    // them — so they are this package's dependencies too.
    entry: ['src/bin.ts'],
    format: ['cjs'],
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    splitting: false,
    shims: true,
    noExternal: ['commander', 'neverthrow', '@berth/core', '@berth/probes'],
    tsconfig: 'tsconfig.json',
  },
]);
