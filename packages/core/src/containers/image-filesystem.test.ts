import { describe, expect, it } from 'vitest';
import { useTestDocker } from '../../../../test/support/docker';
import { serviceEnv } from '../../../../test/support/services';
import { clientOf } from '../docker/connection';
import { readImageFiles } from './image-filesystem';

const t = useTestDocker();

describe('readImageFiles', () => {
  it('lists the roots asked for, reads the files asked for, and removes its container', async () => {
    const files = (
      await readImageFiles(t.docker, serviceEnv().imageBusybox, {
        roots: ['/bin', '/etc', '/no/such/dir'],
        content: (path) => path === '/etc/passwd',
        labels: t.labels,
      })
    )._unsafeUnwrap();
    expect(files.imageId).toMatch(/^sha256:/);
    expect(files.missingRoots).toEqual(['/no/such/dir']);
    const byPath = new Map(files.entries.map((e) => [e.path, e]));
    expect(byPath.get('/bin')?.type).toBe('directory');
    expect(byPath.get('/bin/busybox')).toMatchObject({ type: 'file' });
    expect(byPath.get('/bin/sh')).toMatchObject({ type: 'symlink', linkTarget: 'busybox' });
    expect(byPath.get('/etc/passwd')?.content?.toString()).toContain('root:x:0:0');
    expect(byPath.get('/bin/busybox')?.content).toBeUndefined();
    const filters = JSON.stringify({ label: [`io.berth.test-run=${t.runId}`] });
    expect(await clientOf(t.docker).listContainers({ all: true, filters })).toEqual([]);
  });

  it('reports an image the engine does not have as NotFound', async () => {
    const result = await readImageFiles(t.docker, 'berth-test/no-such-image:1', {
      labels: t.labels,
    });
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'NotFound', resource: 'image' });
  });
});
