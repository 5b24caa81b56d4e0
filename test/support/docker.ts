import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { connectDocker, type DockerConnection } from '../../packages/core/src/index';
import { clientOf } from '../../packages/core/src/docker/connection';

/** Every container, volume and image a test makes carries this label with its run id. */
export const LABEL_TEST_RUN = 'io.berth.test-run';

export function newRunId(): string {
  return `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export interface Leftovers {
  containers: string[];
  volumes: string[];
  images: string[];
}

/** Removes every container (with its anonymous volumes), volume and image labelled with `runId`. */
export async function removeRunResources(
  docker: DockerConnection,
  runId: string,
): Promise<Leftovers> {
  const client = clientOf(docker);
  const filters = JSON.stringify({ label: [`${LABEL_TEST_RUN}=${runId}`] });
  const containers = await client.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((c) =>
      client.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreGone),
    ),
  );
  const { Volumes: volumes } = await client.listVolumes({ filters });
  await Promise.all(
    (volumes ?? []).map((v) => client.getVolume(v.Name).remove().catch(ignoreGone)),
  );
  const images = await client.listImages({ filters });
  await Promise.all(
    images.map((i) => client.getImage(i.Id).remove({ force: true }).catch(ignoreGone)),
  );
  return {
    containers: containers.map((c) => c.Names[0] ?? c.Id),
    volumes: (volumes ?? []).map((v) => v.Name),
    images: images.map((i) => i.Id),
  };
}

function ignoreGone(error: unknown): void {
  const status = (error as { statusCode?: number }).statusCode;
  if (status !== 404 && status !== 409) throw error;
}

export interface TestDocker {
  readonly docker: DockerConnection;
  readonly runId: string;
  /** Labels to put on anything the test creates. */
  readonly labels: Record<string, string>;
  /** A name unique to this run: `prefix-<runId>-<n>`. */
  name(prefix: string): string;
}

/**
 * Connects once per file and, after every test (passed or failed), removes whatever it labelled.
 * Use inside a `describe` or at the top of a test file.
 */
export function useTestDocker(): TestDocker {
  let docker: DockerConnection | undefined;
  const runId = newRunId();
  let counter = 0;
  beforeAll(async () => {
    const result = await connectDocker();
    if (result.isErr()) throw new Error(result.error.message);
    docker = result.value;
  });
  afterEach(async () => {
    if (docker) await removeRunResources(docker, runId);
  });
  afterAll(async () => {
    if (docker) await removeRunResources(docker, runId);
  });
  return {
    get docker() {
      if (!docker) throw new Error('useTestDocker(): docker is only available inside tests');
      return docker;
    },
    runId,
    labels: { [LABEL_TEST_RUN]: runId },
    name: (prefix) => `${prefix}-${runId}-${++counter}`,
  };
}
