// Before any test file: the services must be up, or every test would fail for the same reason.
import { existsSync } from 'node:fs';
import { envFile } from './load-env';

export default function setup(): void {
  if (!existsSync(envFile)) {
    throw new Error(
      `no ${envFile}: the real services are not up. Run \`npm test\` (which starts them) or \`npm run services up\`.`,
    );
  }
}
