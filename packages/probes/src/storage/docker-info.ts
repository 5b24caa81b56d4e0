import { berthError, type InvalidInputError } from '@berth/core';
import { err, ok, type Result } from 'neverthrow';
import type { StorageFacts } from './storage-facts';

/**
 * Lines a storage driver prints under `Storage Driver:`. A paste that lost its indentation is
 * still read right because these labels, not the spaces in front of them, say where they belong.
 */
const STATUS_LABELS = new Set(
  [
    'Root Dir',
    'Backing Filesystem',
    'Dirs',
    'Dirperm1 Supported',
    'Supports d_type',
    'Native Overlay Diff',
    'userxattr',
    'Using metacopy',
    'Pool Name',
    'Pool Blocksize',
    'Base Device Size',
    'Data file',
    'Metadata file',
    'Data Space Used',
    'Data Space Total',
    'Data Space Available',
    'Metadata Space Used',
    'Metadata Space Total',
    'Metadata Space Available',
    'Thin Pool Minimum Free Space',
    'Udev Sync Supported',
    'Deferred Removal Enabled',
    'Deferred Deletion Enabled',
    'Deferred Deleted Device Count',
    'Data loop file',
    'Metadata loop file',
    'Library Version',
    'Build Version',
    'Zpool',
    'Zpool Health',
    'Parent Dataset',
    'Space Used By Parent',
    'Space Available',
    'Parent Quota',
    'Compression',
    'driver-type',
  ].map((label) => label.toLowerCase()),
);

const KEY_LINE = /^([A-Za-z][\w .()/-]*?):(?:\s+(.*))?$/;

interface Draft {
  engineVersion?: string | undefined;
  kernelVersion?: string | undefined;
  operatingSystem?: string | undefined;
  osType?: string | undefined;
  driver?: string | undefined;
  rootDir?: string | undefined;
  executionDriver?: boolean;
  rootless?: boolean;
  driverStatus: [string, string][];
  warnings: string[];
}

/**
 * The storage facts in a `docker info` paste: its text form (any Docker from 1.x on, including
 * pastes whose indentation was lost, CRLF line ends and `WARNING:` lines) or its JSON form
 * (`docker info --format '{{json .}}'`, or just `{{json .DriverStatus}}`). What the paste does
 * not say stays unknown (`engineVersion: ''`, no kernel tables); `inferred` lists what was
 * concluded from indirect evidence. Never throws; text with nothing storage-related is an error.
 */
export function storageFactsFromDockerInfo(
  textOrJson: string,
): Result<StorageFacts, InvalidInputError> {
  const text = textOrJson.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || /^\[\s*[[\]]/.test(trimmed)) return fromJson(trimmed);
  return finish(fromText(text));
}

function fromText(text: string): Draft {
  const draft: Draft = { driverStatus: [], warnings: [] };
  let inDriver = false;
  let driverIndent = 0;
  let inSecurity = false;
  let lastWasWarning = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\t/g, '    ').trimEnd();
    const body = line.trim().replace(/^[#>$]\s+(?=\S)/, '');
    if (body === '') {
      lastWasWarning = false;
      continue;
    }
    const indent = line.length - line.trimStart().length;
    if (/^WARNING:/i.test(body)) {
      draft.warnings.push(body);
      lastWasWarning = true;
      continue;
    }
    const match = KEY_LINE.exec(body);
    if (!match) {
      if (lastWasWarning) draft.warnings[draft.warnings.length - 1] += ` ${body}`;
      else if (inSecurity && /^\w+$/.test(body)) draft.rootless ||= body === 'rootless';
      continue;
    }
    lastWasWarning = false;
    const label = match[1]!.trim();
    const value = (match[2] ?? '').trim();
    const key = label.toLowerCase();
    if (
      inDriver &&
      (STATUS_LABELS.has(key) || (indent > driverIndent && key !== 'kernel version'))
    ) {
      draft.driverStatus.push([label, value]);
      continue;
    }
    inDriver = false;
    inSecurity = key === 'security options' || (inSecurity && key === 'profile');
    if (inSecurity) draft.rootless ||= /rootless/.test(value);
    else if (key === 'storage driver' || key === 'driver') {
      draft.driver = value.replace(/^device mapper$/i, 'devicemapper');
      inDriver = true;
      driverIndent = indent;
    } else if (key === 'server version') draft.engineVersion = value;
    else if (key === 'kernel version') draft.kernelVersion = value;
    else if (key === 'operating system') draft.operatingSystem = value;
    else if (key === 'ostype') draft.osType = value;
    else if (key === 'docker root dir') draft.rootDir = value;
    else if (key === 'execution driver') draft.executionDriver = true;
    else if (STATUS_LABELS.has(key)) draft.driverStatus.push([label, value]);
  }
  return draft;
}

type Json = Record<string, unknown>;

function fromJson(text: string): Result<StorageFacts, InvalidInputError> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    return err(
      berthError.invalidInput({
        field: 'docker-info',
        message: `the docker info JSON does not parse: ${(cause as Error).message}`,
      }),
    );
  }
  const pairs = (value: unknown): [string, string][] =>
    Array.isArray(value)
      ? value
          .filter((pair): pair is unknown[] => Array.isArray(pair) && pair.length >= 2)
          .map((pair) => [String(pair[0]), String(pair[1])])
      : [];
  if (Array.isArray(parsed)) return finish({ driverStatus: pairs(parsed), warnings: [] });
  const info = (parsed ?? {}) as Json;
  const str = (name: string) => (typeof info[name] === 'string' ? info[name] : undefined);
  const security = Array.isArray(info.SecurityOptions) ? info.SecurityOptions.map(String) : [];
  return finish({
    engineVersion: str('ServerVersion'),
    kernelVersion: str('KernelVersion'),
    operatingSystem: str('OperatingSystem'),
    osType: str('OSType'),
    driver: str('Driver'),
    rootDir: str('DockerRootDir'),
    executionDriver: str('ExecutionDriver') !== undefined && str('ExecutionDriver') !== '',
    rootless: security.some((option) => /(^|=)rootless$/.test(option)),
    driverStatus: pairs(info.DriverStatus),
    warnings: Array.isArray(info.Warnings) ? info.Warnings.map(String) : [],
  });
}

/** What the paste proves indirectly: a driver from its status lines, an engine from its era. */
function finish(draft: Draft): Result<StorageFacts, InvalidInputError> {
  const inferred: string[] = [];
  const has = (label: string) =>
    draft.driverStatus.some(([key]) => key.toLowerCase() === label.toLowerCase());
  let driver = draft.driver ?? '';
  if (driver === '') {
    if (has('Pool Name') || has('Data Space Used')) driver = 'devicemapper';
    else if (has('Zpool') || has('Parent Dataset')) driver = 'zfs';
    else if (has('Build Version')) driver = 'btrfs';
    else if (has('Dirs') || has('Dirperm1 Supported')) driver = 'aufs';
    if (driver !== '') inferred.push(`driver ${driver}: only it prints these status lines`);
  }
  if (driver === '' && draft.engineVersion === undefined && draft.kernelVersion === undefined) {
    return err(
      berthError.invalidInput({
        field: 'docker-info',
        message:
          'no Storage Driver, Server Version or Kernel Version in this text: paste the output of `docker info` (or `docker info --format "{{json .}}"`)',
      }),
    );
  }
  let engineVersion = draft.engineVersion ?? '';
  const boot2docker = /^Boot2Docker (\d+\.\d+\.\d+)/.exec(draft.operatingSystem ?? '');
  if (engineVersion === '' && boot2docker?.[1]) {
    engineVersion = boot2docker[1];
    inferred.push(`Docker ${engineVersion}: Boot2Docker ships the Docker of its own version`);
  }
  const before = engineVersion === '' && draft.executionDriver ? '1.11' : undefined;
  if (before) inferred.push('Docker older than 1.11: only those print "Execution Driver"');
  const rootDir = draft.rootDir ?? '';
  const rootless = draft.rootless === true || /\/\.local\/share\/docker$/.test(rootDir);
  return ok({
    engineVersion,
    ...(before && { engineBefore: before }),
    kernelVersion: draft.kernelVersion ?? '',
    ...(draft.operatingSystem && { operatingSystem: draft.operatingSystem }),
    ...(draft.osType && { osType: draft.osType }),
    driver,
    driverStatus: draft.driverStatus,
    warnings: draft.warnings,
    rootDir,
    ...(rootless && { rootless: true }),
    source: 'docker info',
    ...(inferred.length > 0 && { inferred }),
  });
}
