import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  target: 'node20',
  platform: 'node',
  dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
  sourcemap: true,
  clean: true,
  splitting: false,
  // util/dependencies.ts requires the heavy libraries lazily through import.meta.url, in the CJS build too.
  shims: true,
  tsconfig: 'tsconfig.json',
});
