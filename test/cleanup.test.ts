import { describe, expect, it } from 'vitest';
import { clientOf } from '../packages/core/src/docker/connection';
import { LABEL_TEST_RUN, newRunId, removeRunResources, useTestDocker } from './support/docker';
import { serviceEnv } from './support/services';

describe('test cleanup by run label', () => {
  const t = useTestDocker();

  it('removes the containers, volumes and images labelled with a run id, and nothing else', async () => {
    const client = clientOf(t.docker);
    const runId = newRunId();
    const labels = { [LABEL_TEST_RUN]: runId };
    const container = await client.createContainer({
      name: `cleanup-${runId}`,
      Image: serviceEnv().imageBusybox,
      Cmd: ['true'],
      Labels: labels,
      Volumes: { '/data': {} },
      HostConfig: { NetworkMode: 'none' },
    });
    await client.createVolume({ Name: `cleanup-${runId}`, Labels: labels });
    // A bystander with another run id must survive.
    const bystander = await client.createContainer({
      Image: serviceEnv().imageBusybox,
      Cmd: ['true'],
      Labels: t.labels,
      HostConfig: { NetworkMode: 'none' },
    });

    const removed = await removeRunResources(t.docker, runId);
    expect(removed.containers).toEqual([`/cleanup-${runId}`]);
    expect(removed.volumes).toEqual([`cleanup-${runId}`]);

    const filters = JSON.stringify({ label: [`${LABEL_TEST_RUN}=${runId}`] });
    expect(await client.listContainers({ all: true, filters })).toEqual([]);
    expect((await client.listVolumes({ filters })).Volumes ?? []).toEqual([]);
    await expect(container.inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await bystander.inspect()).Id).toBe(bystander.id);
  });
});
