import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../test/support/ports';
import { secureRegistryConfig } from './secure-registry-config';

const run = promisify(execFile);
const users = [
  { username: 'alice', password: 'correct horse' },
  { username: 'bob', password: 'battery staple' },
];

describe('secureRegistryConfig', () => {
  it('follows the distribution nginx recipe', () => {
    const { nginxConf } = secureRegistryConfig({
      users,
      upstream: 'http://127.0.0.1:5001',
      listen: { port: 5443 },
      tls: { certificate: '/etc/nginx/tls.crt', key: '/etc/nginx/tls.key' },
      realm: 'Team registry',
    })._unsafeUnwrap();
    for (const line of [
      'server 127.0.0.1:5001;',
      'listen 127.0.0.1:5443 ssl;',
      'ssl_certificate /etc/nginx/tls.crt;',
      'client_max_body_size 0;',
      'chunked_transfer_encoding on;',
      "'' 'registry/2.0';",
      "add_header 'Docker-Distribution-Api-Version' $docker_distribution_api_version always;",
      'auth_basic "Team registry";',
      'auth_basic_user_file /etc/nginx/registry.htpasswd;',
      'proxy_set_header  Host              $http_host;',
      'proxy_set_header  X-Forwarded-For   $proxy_add_x_forwarded_for;',
      'proxy_set_header  X-Forwarded-Proto $scheme;',
      'proxy_read_timeout                  900;',
    ]) {
      expect(nginxConf).toContain(line);
    }
  });

  it('writes bcrypt hashes only, one per user, that match the passwords', () => {
    const { htpasswd } = secureRegistryConfig({
      users,
      upstream: '127.0.0.1:5001',
      listen: { port: 5080 },
      bcryptRounds: 4,
    })._unsafeUnwrap();
    const lines = htpasswd.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const [i, line] of lines.entries()) {
      const [name, hash] = line.split(':') as [string, string];
      expect(name).toBe(users[i]?.username);
      expect(hash).toMatch(/^\$2y\$04\$.{53}$/);
      expect(bcrypt.compareSync(users[i]?.password ?? '', hash)).toBe(true);
    }
    expect(htpasswd).not.toContain('correct horse');
  });

  it.each([
    [{ users: [] }, 'users'],
    [{ users: [{ username: 'a:b', password: 'x' }] }, 'users[0].username'],
    [{ users: [users[0], users[0]] }, 'users[1].username'],
    [{ users: [{ username: 'a', password: 'x'.repeat(73) }] }, 'users[0].password'],
    [{ upstream: 'ftp://x' }, 'upstream'],
    [{ listen: { port: 0 } }, 'listen.port'],
    [{ listen: { port: 5080, host: '0.0.0.0' } }, 'tls'],
    [{ realm: 'say "hi"' }, 'realm'],
    [{ htpasswdPath: 'relative/htpasswd' }, 'htpasswdPath'],
  ])('refuses %j', (change, field) => {
    const result = secureRegistryConfig({
      users,
      upstream: '127.0.0.1:5001',
      listen: { port: 5080 },
      ...change,
    } as never);
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'InvalidInput', field });
  });

  it('is a configuration nginx itself accepts (nginx -t), with TLS and without', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-nginx-'));
    try {
      const tls = await selfSignedCertificate();
      await writeFile(join(dir, 'tls.crt'), tls.certificate);
      await writeFile(join(dir, 'tls.key'), tls.key);
      for (const withTls of [true, false]) {
        const config = secureRegistryConfig({
          users,
          upstream: '127.0.0.1:5001',
          listen: { port: 5443 },
          htpasswdPath: join(dir, 'htpasswd'),
          accessLog: join(dir, 'access.log'),
          bcryptRounds: 4,
          ...(withTls && { tls: { certificate: join(dir, 'tls.crt'), key: join(dir, 'tls.key') } }),
        })._unsafeUnwrap();
        await writeFile(join(dir, 'htpasswd'), config.htpasswd);
        await writeFile(join(dir, 'nginx.conf'), config.nginxConf);
        const { stderr } = await run('nginx', [
          '-t',
          '-p',
          dir,
          '-c',
          join(dir, 'nginx.conf'),
          '-g',
          `pid ${join(dir, 'nginx.pid')};`,
        ]);
        expect(stderr).toContain('test is successful');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
