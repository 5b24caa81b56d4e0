// What the seed's scripts do with `docker inspect --format '{{.Name}}' $id`, with berth:
// a container id (here from `docker create`) turned into the name `--link` wants.
// Run: npx tsx examples/resolve-name.ts
//
// BERTH_EXAMPLE_IMAGE picks the image to create the container from (default
// `berth-test/busybox:1`; never pulled). When BERTH_TEST_RUN is set, the container also carries
// `io.berth.test-run=$BERTH_TEST_RUN`, so a test running this example can sweep it up.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connectDocker, resolveContainerName, resolveContainerNames } from '@berth/core';

const image = process.env.BERTH_EXAMPLE_IMAGE ?? 'berth-test/busybox:1';
const testRun = process.env.BERTH_TEST_RUN;
const name = `resolve-name-example-${process.pid.toString(36)}`;

const connected = await connectDocker();
if (connected.isErr()) {
  console.error(connected.error.message);
  process.exit(1);
}
const docker = connected.value;
console.log(`engine ${docker.engineVersion} at ${docker.endpoint} (chosen by ${docker.source})`);

// The CLI talks to the engine berth chose, not to whatever its own defaults find.
const cliEnv = docker.tls ? process.env : { ...process.env, DOCKER_HOST: docker.endpoint };
const cli = async (args: string[]) =>
  (await promisify(execFile)('docker', args, { env: cliEnv })).stdout.trim();

const labels = [
  'io.berth.example=resolve-name',
  ...(testRun ? [`io.berth.test-run=${testRun}`] : []),
];
const id = await cli([
  ...['create', '--pull', 'never', '--name', name],
  ...labels.flatMap((label) => ['--label', label]),
  ...[image, 'true'],
]);
const shortId = id.slice(0, 12);
console.log(`created ${name} as ${shortId}`);

let exitCode = 0;
try {
  const bare = await resolveContainerName(docker, shortId);
  const raw = await resolveContainerName(docker, shortId, { leadingSlash: true });
  console.log(
    `resolveContainerName(${shortId})                         -> ${bare.unwrapOr('(failed)')}`,
  );
  console.log(
    `resolveContainerName(${shortId}, { leadingSlash: true }) -> ${raw.unwrapOr('(failed)')}`,
  );
  if (bare.isErr()) console.error(bare.error.message);
  if (raw.isErr()) console.error(raw.error.message);
  if (bare.unwrapOr('') !== name || raw.unwrapOr('') !== `/${name}`) exitCode = 1;

  // Many at once: one request, one answer per ref, failures included.
  const refs = [shortId, id, `/${name}`, 'no-such-container-here'];
  const answers = await resolveContainerNames(docker, refs);
  if (answers.isErr()) throw new Error(answers.error.message);
  // A plain object with one answer per ref, in order: `{ ref, id, name }` or `{ ref, error }`.
  for (const answer of answers.value.answers) {
    const shown = answer.error ? `${answer.error.kind}: ${answer.error.message}` : answer.name;
    console.log(`resolveContainerNames ${answer.ref} -> ${shown}`);
  }
  const expected = [name, name, name, 'NotFound'];
  const got = answers.value.answers.map((a) => a.name ?? a.error.kind);
  if (got.join() !== expected.join()) exitCode = 1;
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await cli(['rm', '--force', '--volumes', id]);
  console.log(`removed ${name}`);
}
process.exit(exitCode);
