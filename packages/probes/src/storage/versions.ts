/** A kernel release taken apart: `3.10.0-514.el7.x86_64` → 3.10.0, RHEL build 514. */
export interface KernelVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** The build number of a RHEL/CentOS kernel (`-514.el7`), which backports features. */
  readonly rhelBuild?: number;
}

/** An engine version taken apart: `20.10.24+dfsg1` → 20.10, `1.12.6` → 1.12, `17.03.1-ce` → 17.3. */
export interface EngineVersion {
  readonly major: number;
  readonly minor: number;
}

export function parseKernelVersion(text: string): KernelVersion | undefined {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?(?:-(\d+))?/.exec(text.trim());
  if (!match) return undefined;
  const rhel = /\.el\d/.test(text) && match[4] !== undefined ? Number(match[4]) : undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3] ?? 0),
    ...(rhel !== undefined && { rhelBuild: rhel }),
  };
}

export function parseEngineVersion(text: string): EngineVersion | undefined {
  const match = /^v?(\d+)\.(\d+)/.exec(text.trim());
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

/** `a` is `b` or later, on major.minor. */
export function atLeast(
  a: { major: number; minor: number },
  b: readonly [number, number],
): boolean {
  return a.major > b[0] || (a.major === b[0] && a.minor >= b[1]);
}

export function formatVersion(v: readonly [number, number]): string {
  return v[0] >= 17 ? `${v[0]}.${String(v[1]).padStart(2, '0')}` : `${v[0]}.${v[1]}`;
}
