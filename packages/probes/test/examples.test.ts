// The probes' examples, run as a user runs them (tsx, importing berth by package name), against
// the real services. Each must exit 0; helper containers are removed by the library itself.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { serviceEnv } from '../../../test/support/services';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../../..');

async function example(file: string, env: Record<string, string>): Promise<string> {
  const { stdout } = await run(
    join(root, 'node_modules/.bin/tsx'),
    [join(root, 'examples', file)],
    {
      cwd: root,
      env: { ...process.env, ...env },
      timeout: 120_000,
    },
  );
  return stdout;
}

describe('probe examples', () => {
  it('probe-registry.ts finds the open registry exposed and the TLS one sound', async () => {
    const env = serviceEnv();
    const out = await example('probe-registry.ts', {
      BERTH_EXAMPLE_REGISTRIES: `${env.registry},${env.authRegistryTls}`,
      BERTH_EXAMPLE_REGISTRY_USER: env.registryUser,
      BERTH_EXAMPLE_REGISTRY_PASSWORD: env.registryPassword,
      BERTH_EXAMPLE_REGISTRY_CA: env.registryCa,
    });
    expect(out).toContain('critical registry.anonymous-push');
    expect(out).toMatch(
      /127\.0\.0\.1:5443\n.*TLS verified.*\n.*credentials accepted\n\s+no findings/,
    );
  });

  it('probe-storage.ts judges every driver and recommends overlay2 here', async () => {
    const out = await example('probe-storage.ts', {
      BERTH_EXAMPLE_HELPER_IMAGE: serviceEnv().imageBusybox,
    });
    expect(out).toMatch(/^overlay2\s+yes\s+supported/m);
    expect(out).toMatch(/^devicemapper\s+missing/m);
    expect(out).toContain('recommended: overlay2');
  });

  it('audit-image.ts lists what an image carries and skips one the engine lacks', async () => {
    const out = await example('audit-image.ts', {
      BERTH_EXAMPLE_AUDIT_IMAGES: `${serviceEnv().imageNginx},berth-test/no-such-image:1`,
    });
    expect(out).toContain('no build toolchain');
    expect(out).toContain('berth-test/no-such-image:1: not on this engine');
  });
});
