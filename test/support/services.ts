import { envFile } from './load-env';

/** The real services' endpoints, as `scripts/services up` wrote them. */
export interface ServiceEnv {
  dockerHost: string;
  etcdEndpoint: string;
  registry: string;
  authRegistryTls: string;
  authRegistryHttp: string;
  registryUser: string;
  registryPassword: string;
  registryCa: string;
  gitUrl: string;
  gitBaseUrl: string;
  gitRoot: string;
  gitAuthUrl: string;
  gitUser: string;
  gitPassword: string;
  imageBusybox: string;
  imageNginx: string;
  imageRegistry: string;
}

function need(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run \`npm run services up\` first (reads ${envFile})`);
  }
  return value;
}

export function serviceEnv(): ServiceEnv {
  return {
    dockerHost: need('DOCKER_HOST'),
    etcdEndpoint: need('BERTH_TEST_ETCD_ENDPOINT'),
    registry: need('BERTH_TEST_REGISTRY'),
    authRegistryTls: need('BERTH_TEST_AUTH_REGISTRY_TLS'),
    authRegistryHttp: need('BERTH_TEST_AUTH_REGISTRY_HTTP'),
    registryUser: need('BERTH_TEST_REGISTRY_USER'),
    registryPassword: need('BERTH_TEST_REGISTRY_PASSWORD'),
    registryCa: need('BERTH_TEST_REGISTRY_CA'),
    gitUrl: need('BERTH_TEST_GIT_URL'),
    gitBaseUrl: need('BERTH_TEST_GIT_BASE_URL'),
    gitRoot: need('BERTH_TEST_GIT_ROOT'),
    gitAuthUrl: need('BERTH_TEST_GIT_AUTH_URL'),
    gitUser: need('BERTH_TEST_GIT_USER'),
    gitPassword: need('BERTH_TEST_GIT_PASSWORD'),
    imageBusybox: need('BERTH_TEST_IMAGE_BUSYBOX'),
    imageNginx: need('BERTH_TEST_IMAGE_NGINX'),
    imageRegistry: need('BERTH_TEST_IMAGE_REGISTRY'),
  };
}
