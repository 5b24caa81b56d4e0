// Loaded into every test worker: the endpoints that `scripts/services up` wrote.
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const servicesDir =
  process.env.BERTH_SERVICES_DIR ?? join(process.env.TMPDIR ?? tmpdir(), 'berth-services');
export const envFile = join(servicesDir, 'env');

if (existsSync(envFile)) {
  for (const line of readFileSync(envFile, 'utf8').split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1] && process.env[match[1]] === undefined) process.env[match[1]] = match[2];
  }
}
