// The seed's pattern with berth: a data container holding /etc/nginx and /www, and nginx
// serving it through --volumes-from. Run: npx tsx examples/data-container.ts
//
// BERTH_EXAMPLE_NGINX_IMAGE picks the image (default `nginx`, pulled if missing);
// BERTH_EXAMPLE_PORT the loopback port nginx listens on (default 8081); BERTH_TEST_RUN, when set,
// labels what it creates io.berth.test-run=<value>.
import {
  connectDocker,
  createDataContainer,
  putFiles,
  removeDataContainer,
  runServiceContainer,
} from '@berth/core';

const image = process.env.BERTH_EXAMPLE_NGINX_IMAGE ?? 'nginx';
const port = Number(process.env.BERTH_EXAMPLE_PORT ?? 8081);
const suffix = process.pid.toString(36);
// When a test runs this example, it sweeps up by this label whatever a crash left behind.
const labels: Record<string, string> = process.env.BERTH_TEST_RUN
  ? { 'io.berth.test-run': process.env.BERTH_TEST_RUN }
  : {};

const docker = (await connectDocker())._unsafeUnwrap();
console.log(`engine ${docker.engineVersion} at ${docker.endpoint} (chosen by ${docker.source})`);

const data = await createDataContainer(docker, {
  name: `www-content-example-${suffix}`,
  image,
  volumes: ['/etc/nginx', '/www'],
  labels,
  onProgress: (e) => console.log(`pull ${e.status}${e.layer ? ` ${e.layer}` : ''}`),
});
if (data.isErr()) {
  console.error(data.error.message);
  process.exit(1);
}
console.log(
  `data container ${data.value.name} (${data.value.created ? 'created' : 'already there'})`,
);

let exitCode = 0;
try {
  const uploaded = await putFiles(docker, data.value.id, {
    '/etc/nginx/conf.d/site.conf': `server { listen 127.0.0.1:${port}; root /www; }\n`,
    '/www/index.html': '<h1>served from a data container</h1>\n',
  });
  if (uploaded.isErr()) throw new Error(uploaded.error.message);

  const nginx = await runServiceContainer(docker, {
    name: `nginx-example-${suffix}`,
    image,
    volumesFrom: [data.value.name],
    network: 'host',
    labels,
    readiness: { http: `http://127.0.0.1:${port}/`, timeoutMs: 20_000 },
  });
  if (nginx.isErr()) throw new Error(nginx.error.message);
  try {
    const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    console.log(`GET http://127.0.0.1:${port}/ -> ${body.trim()}`);
    if (!body.includes('served from a data container')) exitCode = 1;
  } finally {
    const removed = await nginx.value.remove();
    if (removed.isErr()) console.error(removed.error.message);
  }
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  (await removeDataContainer(docker, data.value.name, { volumes: true })).match(
    (r) => console.log(`removed ${r.name} and ${r.removedVolumes.length} volumes`),
    (e) => console.error(e.message),
  );
}
process.exit(exitCode);
