// A node's target remembers the state it last saw; another writer (an operator's one-off
// `berth publish`) may swap the content under it. "Already active" is then a claim about the
// disk the node has not checked: publishCommit reads the disk again before making it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestDocker } from '../../../../test/support/docker';
import { commitFiles, useGitFixtures } from '../../../../test/support/git';
import { volumeReader, wwwData } from '../../../../test/support/www-volume';
import { openGitSource } from '../git/source';
import { containerTarget } from './container-target';
import { directoryTarget } from './directory-target';
import { publishCommit } from './publish';
import type { ContentTarget } from './target';

const t = useTestDocker();
const fixtures = useGitFixtures();

interface Place {
  target(): ContentTarget;
  served(): Promise<string>;
}

const places: Record<string, () => Promise<Place>> = {
  directory: async () => {
    const dir = await fixtures.dir('berth-foreign-swap');
    return {
      target: () => directoryTarget(dir),
      served: () => readFile(join(dir, 'current/index.html'), 'utf8'),
    };
  },
  container: async () => {
    const data = await wwwData(t);
    const reader = await volumeReader(t, data.name);
    return {
      target: () =>
        containerTarget(t.docker, { container: data.name, path: '/www', labels: t.labels }),
      served: async () =>
        (await reader.exec(['cat', '/www/current/index.html']))._unsafeUnwrap().stdout,
    };
  },
};

describe.each(Object.keys(places))(
  'publishCommit into a %s target another writer swapped',
  (kind) => {
    it('reads the disk again before it says "already active"', async () => {
      const place = await (places[kind] as () => Promise<Place>)();
      const repo = await fixtures.repo(`foreign-swap-${kind}`);
      const source = openGitSource({
        url: repo.url,
        cacheDir: await fixtures.dir('berth-foreign-swap-cache'),
      })._unsafeUnwrap();
      const a = await commitFiles(repo, { 'index.html': 'a\n' });
      const b = await commitFiles(repo, { 'index.html': 'b\n' });
      const node = place.target();
      const oneOff = place.target();
      try {
        (await publishCommit({ source, commit: a, target: node }))._unsafeUnwrap();
        const swapped = (
          await publishCommit({ source, commit: b, target: oneOff })
        )._unsafeUnwrap();
        expect(swapped).toMatchObject({ commit: b, previous: a, unchanged: false });
        expect(await place.served()).toBe('b\n');

        // The node still remembers `a` active: it publishes `a` again instead of saying so.
        const again = (await publishCommit({ source, commit: a, target: node }))._unsafeUnwrap();
        expect(again).toMatchObject({ commit: a, previous: b, unchanged: false });
        expect(await place.served()).toBe('a\n');
        const steady = (await publishCommit({ source, commit: a, target: node }))._unsafeUnwrap();
        expect(steady).toMatchObject({ commit: a, previous: a, unchanged: true });
      } finally {
        (await oneOff.close())._unsafeUnwrap();
        (await node.close())._unsafeUnwrap();
      }
    });
  },
);
