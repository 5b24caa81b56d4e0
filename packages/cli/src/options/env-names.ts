// The names of the `BERTH_…` variables and how a yes-or-no one is read, without commander: the
// `berth name` fast path (fast-path.ts) reads them too, and must agree with env.ts to the letter.

/** The prefix of every variable {@link envVarFor} derives. */
export const ENV_PREFIX = 'BERTH_';

/** `--etcd-endpoints` → `BERTH_ETCD_ENDPOINTS`. */
export function envVarFor(long: string): string {
  return ENV_PREFIX + long.replace(/^--/, '').replace(/-/g, '_').toUpperCase();
}

const TRUE = /^(?:1|true|yes|on)$/i;
const FALSE = /^(?:0|false|no|off|)$/i;

/** A boolean flag's variable: true for 1/true/yes/on, false for 0/false/no/off (or empty), else undefined. */
export function envFlag(value: string): boolean | undefined {
  if (TRUE.test(value.trim())) return true;
  if (FALSE.test(value.trim())) return false;
  return undefined;
}
