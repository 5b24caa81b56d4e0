import { err, ok, type Result } from 'neverthrow';

/** One `--target` of `berth watch`: a repository folder published into a container's or a directory's path. */
export type TargetSpec =
  | {
      readonly kind: 'container';
      readonly subdir: string;
      readonly container: string;
      readonly path: string;
      readonly role: 'configuration' | 'content';
    }
  | {
      readonly kind: 'dir';
      readonly subdir: string;
      readonly path: string;
      readonly role: 'configuration' | 'content';
    };

/**
 * Parses `SUBDIR=container:NAME:/PATH` or `SUBDIR=dir:/PATH` (SUBDIR may be empty: the whole
 * repository). A target whose subdir is listed in `configSubdirs` is a configuration target.
 */
export function parseTargetSpec(
  text: string,
  configSubdirs: readonly string[] = [],
): Result<TargetSpec, string> {
  const eq = text.indexOf('=');
  if (eq < 0)
    return err(`--target "${text}": expected SUBDIR=container:NAME:/PATH or SUBDIR=dir:/PATH`);
  const subdir = text.slice(0, eq).replace(/^\/+/, '');
  const where = text.slice(eq + 1);
  const normal = (s: string) => s.replace(/\/+$/, '');
  const role = configSubdirs.map(normal).includes(normal(subdir)) ? 'configuration' : 'content';
  if (subdir.split('/').some((s) => s === '..'))
    return err(`--target "${text}": the folder cannot contain ..`);
  const container = /^container:([^:]+):(\/.*)$/.exec(where);
  if (container?.[1] && container[2])
    return ok({
      kind: 'container',
      subdir,
      container: container[1],
      path: normal(container[2]) || '/',
      role,
    });
  const dir = /^dir:(\/.*)$/.exec(where);
  if (dir?.[1]) return ok({ kind: 'dir', subdir, path: normal(dir[1]) || '/', role });
  return err(`--target "${text}": the place must be container:NAME:/PATH or dir:/ABSOLUTE/PATH`);
}
