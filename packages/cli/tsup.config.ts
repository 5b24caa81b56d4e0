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
    // The executable, as CommonJS files with commander, neverthrow and berth's own packages
    // inside them: a cold start then reads few files and resolves no module, which is most of
    // what `berth --help` or `berth name` costs. bin.cjs is a launcher that reads the command
    // line and loads one of the two others: bin-name.cjs, the `berth name` fast path (no
    // commander, and of the library only what connectDocker and resolveContainerNames need), or
    // bin-program.cjs, the full program, where each command's code runs only when that command
    // does (program.ts loads it with import()). The heavy libraries (dockerode, etcd3,
    // isomorphic-git, prom-client, bcryptjs) stay outside, required by the functions that use
    // them — so they are this package's dependencies too.
    entry: ['src/bin.ts', 'src/bin-program.ts', 'src/bin-name.ts'],
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
