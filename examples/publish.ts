// Publish a git commit into a data container's /www, atomically and incrementally, over the
// Docker API alone. Run: BERTH_EXAMPLE_GIT_URL=http://127.0.0.1:8180/site.git npx tsx examples/publish.ts
//
// BERTH_EXAMPLE_GIT_URL  the repository (http or https; isomorphic-git speaks nothing else)
// BERTH_EXAMPLE_REF      what to publish: a branch, tag or full SHA (default main)
// BERTH_EXAMPLE_IMAGE    the data container's image (default busybox; needs sh, tar, cp, mv)
// BERTH_TEST_RUN         when set, labels what it creates io.berth.test-run=<value>
import {
  connectDocker,
  containerTarget,
  createDataContainer,
  openGitSource,
  publishCommit,
  removeDataContainer,
} from '@berth/core';

const url = process.env.BERTH_EXAMPLE_GIT_URL;
if (!url) {
  console.error('set BERTH_EXAMPLE_GIT_URL to a repository served over http(s)');
  process.exit(2);
}
const ref = process.env.BERTH_EXAMPLE_REF ?? 'main';
const labels: Record<string, string> = process.env.BERTH_TEST_RUN
  ? { 'io.berth.test-run': process.env.BERTH_TEST_RUN }
  : {};

const docker = (await connectDocker())._unsafeUnwrap();
const data = await createDataContainer(docker, {
  name: `www-content-publish-example-${process.pid.toString(36)}`,
  image: process.env.BERTH_EXAMPLE_IMAGE ?? 'busybox',
  volumes: ['/www'],
  labels,
});
if (data.isErr()) {
  console.error(data.error.message);
  process.exit(1);
}

const source = openGitSource({ url })._unsafeUnwrap();
const target = containerTarget(docker, { container: data.value.name, path: '/www', labels });
let exitCode = 0;
const published = await publishCommit({
  source,
  commit: ref,
  target,
  onProgress: (e) => console.log(`  ${e.phase}${'files' in e ? `: ${e.files} files to send` : ''}`),
});
published.match(
  (r) =>
    console.log(
      `published ${r.commit} into ${data.value.name}:/www in ${r.durationMs} ms: ` +
        `${r.changed.added.length} added, ${r.bytesSent} bytes sent`,
    ),
  (e) => {
    console.error(`${e.kind}: ${e.message}`);
    exitCode = 1;
  },
);
const state = await target.state({ fresh: true });
if (state.isOk()) console.log(`active release: ${state.value.active ?? 'none'}`);

const closed = await target.close();
if (closed.isErr()) console.error(closed.error.message);
const removed = await removeDataContainer(docker, data.value.name, { volumes: true });
if (removed.isErr()) console.error(removed.error.message);
process.exit(exitCode);
