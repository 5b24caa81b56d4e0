// One CDN node for the bench: a data container (/etc/nginx/conf.d and /www) and nginx serving
// `root` from it through --volumes-from, on its own loopback port.
import type { Result } from 'neverthrow';
import {
  createDataContainer,
  putFiles,
  runServiceContainer,
  type DockerConnection,
  type ServiceContainer,
} from '@berth/core';
import { freePort } from '../../test/support/net.ts';
import { docker as dockerCli } from '../lib/docker-cli.ts';

export const NGINX_IMAGE = process.env.BERTH_BENCH_NGINX_IMAGE ?? 'berth-test/nginx:1';

export function unwrap<T>(result: Result<T, { readonly message: string }>): T {
  if (result.isErr()) throw new Error(result.error.message);
  return result.value;
}

export interface CdnNode {
  /** The data container's name. */
  readonly data: string;
  readonly nginx: ServiceContainer;
  /** `http://127.0.0.1:<port>/index.html`. */
  readonly url: string;
  /** Where /www's volume is on this host: a watcher "where the volumes are mounted" writes here. */
  readonly wwwOnHost: string;
}

/** Makes a node whose nginx serves `root` (e.g. `/www/current`, or the seed's `/www/site`). */
export async function cdnNode(
  docker: DockerConnection,
  name: string,
  root: string,
  labels: Readonly<Record<string, string>>,
): Promise<CdnNode> {
  const port = await freePort();
  const data = unwrap(
    await createDataContainer(docker, {
      name: `${name}-data`,
      image: NGINX_IMAGE,
      volumes: ['/etc/nginx/conf.d', '/www'],
      labels,
      pull: 'never',
    }),
  );
  const site = [
    `server {`,
    `  listen 127.0.0.1:${port};`,
    `  root ${root};`,
    `  access_log off;`,
    `  location = /healthz { return 200 'ok'; }`,
    `}`,
  ].join('\n');
  unwrap(await putFiles(docker, data.id, { '/etc/nginx/conf.d/site.conf': `${site}\n` }));
  const nginx = unwrap(
    await runServiceContainer(docker, {
      name: `${name}-nginx`,
      image: NGINX_IMAGE,
      volumesFrom: [data.name],
      network: 'host',
      labels,
      pull: 'never',
      readiness: { http: `http://127.0.0.1:${port}/healthz`, timeoutMs: 20_000 },
    }),
  );
  const www = data.volumes.find((v) => v.path === '/www')?.volumeName ?? '';
  const wwwOnHost = await dockerCli(['volume', 'inspect', '--format', '{{.Mountpoint}}', www]);
  return { data: data.name, nginx, url: `http://127.0.0.1:${port}/index.html`, wwwOnHost };
}
