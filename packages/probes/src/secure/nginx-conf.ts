/** Where the proxy's files are, as nginx sees them. */
export interface ProxyPaths {
  readonly htpasswd: string;
  readonly certificate?: string;
  readonly key?: string;
}

export interface ProxyConfInput {
  readonly upstream: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly realm: string;
  readonly paths: ProxyPaths;
  /** A file, or `off`. */
  readonly accessLog: string;
}

/**
 * A complete nginx.conf after the distribution project's nginx recipe: Basic auth on /v2/, no
 * body size limit, chunked transfer, the API-version header on nginx's own 401s too, the
 * forwarded headers the registry builds its URLs from, and a long read timeout for big layers.
 */
export function nginxConf({ upstream, listen, realm, paths, accessLog }: ProxyConfInput): string {
  const tls = paths.certificate !== undefined && paths.key !== undefined;
  const address = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return `# Written by berth (secureRegistryConfig): HTTP Basic auth in front of a Docker registry,
# after https://distribution.github.io/distribution/recipes/nginx/
worker_processes 1;
error_log stderr notice;

events {
  worker_connections 1024;
}

http {
  access_log ${accessLog};
  server_tokens off;

  upstream docker-registry {
    server ${upstream};
  }

  ## The registry sets Docker-Distribution-Api-Version itself; when nginx answers on its own
  ## (a 401), the map puts it there, or Docker clients would not take the answer for a registry's.
  map $upstream_http_docker_distribution_api_version $docker_distribution_api_version {
    '' 'registry/2.0';
  }

  server {
    listen ${address}:${listen.port}${tls ? ' ssl' : ''};
    server_name _;
${
  tls
    ? `
    ssl_certificate ${paths.certificate};
    ssl_certificate_key ${paths.key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers HIGH:!aNULL:!MD5;
    ssl_prefer_server_ciphers on;
    ssl_session_cache shared:SSL:10m;
    ssl_session_timeout 5m;
`
    : ''
}
    # No limit, or large layers fail with 413.
    client_max_body_size 0;
    # Needed to avoid 411 Length Required from some Docker clients (moby/moby#1486).
    chunked_transfer_encoding on;

    location /v2/ {
      # Docker 1.5 and older sent a bad user agent and cannot speak this API.
      if ($http_user_agent ~ "^(docker\\/1\\.(3|4|5(?!\\.[0-9]-dev))|Go ).*$") {
        return 404;
      }

      auth_basic "${realm}";
      auth_basic_user_file ${paths.htpasswd};
      add_header 'Docker-Distribution-Api-Version' $docker_distribution_api_version always;

      proxy_pass                          http://docker-registry;
      proxy_set_header  Host              $http_host;
      proxy_set_header  X-Real-IP         $remote_addr;
      proxy_set_header  X-Forwarded-For   $proxy_add_x_forwarded_for;
      proxy_set_header  X-Forwarded-Proto $scheme;
      proxy_read_timeout                  900;
    }

    location / {
      return 404;
    }
  }
}
`;
}
