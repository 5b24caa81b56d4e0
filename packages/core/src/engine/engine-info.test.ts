import { describe, expect, it } from 'vitest';
import { connectDocker } from '../docker/connect';
import { engineInfo, engineInfoFrom } from './engine-info';

describe('engineInfo', () => {
  it("reports the real engine's version, kernel, storage driver and its status", async () => {
    const docker = (await connectDocker())._unsafeUnwrap();
    const info = (await engineInfo(docker))._unsafeUnwrap();
    expect(info.serverVersion).toBe(docker.engineVersion);
    expect(info.kernelVersion).toMatch(/^\d+\.\d+/);
    expect(info.driver).toBe('overlay2');
    expect(info.driverStatus).toContainEqual(['Supports d_type', 'true']);
    expect(info.dockerRootDir).toMatch(/^\//);
  });

  it('keeps only well-formed status pairs and warnings', () => {
    expect(
      engineInfoFrom({ DriverStatus: [['a', 'b'], ['c'], 'x', [1, 2]], Warnings: ['w', 3] }),
    ).toMatchObject({ driverStatus: [['a', 'b']], warnings: ['w'], driver: '' });
  });
});
