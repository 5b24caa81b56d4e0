// Bad input gets a typed error with the exact kind, and leaves nothing behind on the engine.
import { err, ok, type ResultAsync } from 'neverthrow';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BerthErrorKind } from '../errors';
import type { DockerConnection } from '../docker/connection';
import { clientOf } from '../docker/connection';
import { pullImage } from '../docker/pull';
import { LABEL_TEST_RUN, useTestDocker } from '../../../../test/support/docker';
import { serviceEnv } from '../../../../test/support/services';
import { createDataContainer } from './data-container';
import { removeDataContainer } from './remove-data-container';
import { resolveContainerId, resolveContainerName, resolveContainerNames } from './resolve-name';
import { runServiceContainer } from './service-container';

const t = useTestDocker();
const busybox = () => serviceEnv().imageBusybox;
/** The name of a data container that exists for the whole file (for conflicts). */
let existing = '';

beforeAll(async () => {
  existing = `bad-input-existing-${t.runId}`;
  (
    await createDataContainer(t.docker, {
      name: existing,
      image: busybox(),
      volumes: ['/www'],
      labels: { [LABEL_TEST_RUN]: `${t.runId}-file` },
    })
  )._unsafeUnwrap();
  return async () => {
    await clientOf(t.docker).getContainer(existing).remove({ force: true, v: true });
  };
});

type Case = readonly [
  label: string,
  kind: BerthErrorKind,
  call: (docker: DockerConnection, name: string) => ResultAsync<unknown, { kind: string }>,
];

const data = (over: Record<string, unknown>) => (docker: DockerConnection, name: string) =>
  createDataContainer(docker, {
    name,
    image: busybox(),
    volumes: ['/www'],
    labels: t.labels,
    ...over,
  });
const service = (over: Record<string, unknown>) => (docker: DockerConnection, name: string) =>
  runServiceContainer(docker, {
    name,
    image: busybox(),
    network: 'none',
    command: ['sleep', '60'],
    labels: t.labels,
    ...over,
  });

const cases: Case[] = [
  ['data: empty name', 'InvalidInput', data({ name: '' })],
  ['data: name with a space', 'InvalidInput', data({ name: 'www content' })],
  ['data: one-character name', 'InvalidInput', data({ name: 'w' })],
  ['data: name starting with a dash', 'InvalidInput', data({ name: '-www' })],
  ['data: relative volume path', 'InvalidInput', data({ volumes: ['www'] })],
  ['data: duplicate volume paths', 'InvalidInput', data({ volumes: ['/www', '/www/'] })],
  ['data: volume path with ..', 'InvalidInput', data({ volumes: ['/www/../etc'] })],
  ['data: volume path /', 'InvalidInput', data({ volumes: ['/'] })],
  ['data: volume path with a colon', 'InvalidInput', data({ volumes: ['/www:ro'] })],
  ['data: no volumes', 'InvalidInput', data({ volumes: [] })],
  ['data: empty image', 'InvalidInput', data({ image: '' })],
  ['data: upper-case image', 'InvalidInput', data({ image: 'Nginx' })],
  ['data: image with an empty tag', 'InvalidInput', data({ image: 'berth-test/busybox:' })],
  ['data: empty command', 'InvalidInput', data({ command: [] })],
  ['data: unknown pull policy', 'InvalidInput', data({ pull: 'sometimes' })],
  [
    'data: label berth sets itself',
    'InvalidInput',
    data({ labels: { 'io.berth.role': 'service' } }),
  ],
  [
    'data: unknown image with pull never',
    'NotFound',
    data({ image: 'berth-test/nothing-here:1', pull: 'never' }),
  ],
  [
    'data: missing tag with pull never',
    'NotFound',
    data({ image: 'berth-test/busybox:no-such-tag', pull: 'never' }),
  ],
  [
    'data: conflicting spec',
    'Conflict',
    (docker) =>
      createDataContainer(docker, { name: existing, image: busybox(), volumes: ['/srv'] }),
  ],
  ['remove: empty name', 'InvalidInput', (docker) => removeDataContainer(docker, '')],
  ['remove: unknown container', 'NotFound', (docker, name) => removeDataContainer(docker, name)],
  ['resolve: empty ref', 'InvalidInput', (docker) => resolveContainerName(docker, '')],
  [
    'resolve: ref with white space',
    'InvalidInput',
    (docker) => resolveContainerName(docker, ' abc'),
  ],
  [
    'resolve: malformed ref',
    'InvalidInput',
    (docker) => resolveContainerName(docker, 'no/such:thing'),
  ],
  ['resolve: unknown name', 'NotFound', (docker, name) => resolveContainerName(docker, name)],
  ['resolve id: unknown name', 'NotFound', (docker, name) => resolveContainerId(docker, name)],
  [
    'resolve many: bad ref answers alone',
    'InvalidInput',
    (docker) =>
      resolveContainerNames(docker, ['']).andThen((found) =>
        found.answers[0]?.error ? err(found.answers[0].error) : ok(found),
      ),
  ],
  [
    'service: unknown container in volumesFrom',
    'NotFound',
    service({ volumesFrom: ['no-such-data-container-x'] }),
  ],
  ['service: malformed volumesFrom', 'InvalidInput', service({ volumesFrom: ['a b'] })],
  [
    'service: ports with host networking',
    'InvalidInput',
    service({ network: 'host', ports: [{ container: 80, host: 8080 }] }),
  ],
  [
    'service: port out of range',
    'InvalidInput',
    service({ network: 'bridge', ports: [{ container: 80, host: 70000 }] }),
  ],
  [
    'service: readiness URL not http',
    'InvalidInput',
    service({ readiness: { http: 'ftp://127.0.0.1/' } }),
  ],
  ['service: env name with =', 'InvalidInput', service({ env: { 'A=B': 'c' } })],
  ['service: unknown restart policy', 'InvalidInput', service({ restart: 'sometimes' })],
  [
    'service: unknown image with pull never',
    'NotFound',
    service({ image: 'berth-test/nothing-here:1', pull: 'never' }),
  ],
  [
    'service: name taken',
    'Conflict',
    (docker) => runServiceContainer(docker, { name: existing, image: busybox(), network: 'none' }),
  ],
  ['pull: malformed reference', 'InvalidInput', (docker) => pullImage(docker, 'UPPER/case')],
  [
    'pull: reference with a bad digest',
    'InvalidInput',
    (docker) => pullImage(docker, 'busybox@sha256:xyz'),
  ],
];

describe('bad input', () => {
  it('has at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases)('%s → %s, nothing left behind', async (_label, kind, call) => {
    const name = t.name('bad');
    const result = await call(t.docker, name);
    expect(result.isErr() && result.error.kind).toBe(kind);
    const filters = JSON.stringify({ label: [`${LABEL_TEST_RUN}=${t.runId}`] });
    const client = clientOf(t.docker);
    // These functions only make volumes by making a container, so no container means no volume.
    expect(await client.listContainers({ all: true, filters })).toEqual([]);
    await expect(client.getContainer(name).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
