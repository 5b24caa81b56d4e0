// The seed's CDN node for tests: a data container holding /etc/nginx and /www, provisioned with
// one commit of a repository (`nginx/` → /etc/nginx, `site/` → /www), and nginx serving it
// through --volumes-from on 127.0.0.1 — publishing over the Docker API alone.
import { createDataContainer } from '../../packages/core/src/containers/data-container';
import {
  runServiceContainer,
  type ServiceContainer,
} from '../../packages/core/src/containers/service-container';
import { containerTarget } from '../../packages/core/src/content/container-target';
import type { GitSource } from '../../packages/core/src/git/source';
import { publishCommit } from '../../packages/core/src/content/publish';
import type { ContentTarget } from '../../packages/core/src/content/target';
import type { TestDocker } from './docker';
import { serviceEnv } from './services';

/** An nginx.conf serving /www/current on 127.0.0.1:`port`, naming itself in `X-Config`. */
export const nginxConf = (port: number, marker: string) => `worker_processes 1;
error_log stderr;
pid /tmp/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
  server {
    listen 127.0.0.1:${port};
    root /www/current;
    add_header X-Config ${marker};
  }
}
`;

export interface CdnNode {
  /** The data container's name. */
  readonly data: string;
  readonly config: ContentTarget;
  readonly www: ContentTarget;
  readonly nginx: ServiceContainer;
}

/**
 * Publishes `commit` into a new data container (nginx cannot start before it has a
 * configuration: this first publish has no hooks), then starts nginx on it and waits until
 * `http://127.0.0.1:<port>/index.html` answers.
 */
export async function provisionCdnNode(
  t: TestDocker,
  options: {
    readonly source: GitSource;
    readonly commit: string;
    readonly port: number;
    readonly labels: Readonly<Record<string, string>>;
  },
): Promise<CdnNode> {
  const { source, commit, port, labels } = options;
  const data = (
    await createDataContainer(t.docker, {
      name: t.name('www-content'),
      image: serviceEnv().imageNginx,
      volumes: ['/etc/nginx', '/www'],
      labels,
    })
  )._unsafeUnwrap();
  const config = containerTarget(t.docker, { container: data.name, path: '/etc/nginx', labels });
  const www = containerTarget(t.docker, { container: data.name, path: '/www', labels });
  for (const [target, subdir, mountPath] of [
    [config, 'nginx/', '/etc/nginx'],
    [www, 'site/', '/www'],
  ] as const) {
    (await publishCommit({ source, commit, target, subdir, mountPath }))._unsafeUnwrap();
  }
  const nginx = (
    await runServiceContainer(t.docker, {
      name: t.name('nginx'),
      image: serviceEnv().imageNginx,
      command: ['nginx', '-g', 'daemon off;', '-c', '/etc/nginx/current/nginx.conf'],
      volumesFrom: [data.name],
      network: 'host',
      labels,
      readiness: { http: `http://127.0.0.1:${port}/index.html`, timeoutMs: 20_000 },
    })
  )._unsafeUnwrap();
  return { data: data.name, config, www, nginx };
}
