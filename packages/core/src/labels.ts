import { version } from '../package.json';

/** Every container, volume and image berth creates carries these, so it can be found and cleaned up. */
export const LABEL_MANAGED = 'io.berth.managed';
export const LABEL_VERSION = 'io.berth.version';
export const LABEL_ROLE = 'io.berth.role';

export type BerthRole = 'data' | 'service' | 'helper';

/** This package's version, as written into `io.berth.version`. */
export const BERTH_VERSION: string = version;

/** berth's own labels for a role, under the caller's labels (which cannot override them). */
export function berthLabels(
  role: BerthRole,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return { ...extra, [LABEL_MANAGED]: 'true', [LABEL_VERSION]: BERTH_VERSION, [LABEL_ROLE]: role };
}
