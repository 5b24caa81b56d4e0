import {
  engineInfo,
  runOneShotContainer,
  type DockerApiError,
  type DockerConnection,
  type PullPolicy,
} from '@berth/core';
import { okAsync, type ResultAsync } from 'neverthrow';
import { assessStorage, type StorageAssessment } from './assess-storage';
import { parseKernelTables, storageFactsFrom, type StorageFacts } from './storage-facts';

export interface ProbeStorageOptions {
  /** An image with `cat`, run once (`--network none`) to read the kernel's tables. Default `busybox`. */
  readonly helperImage?: string;
  /** Default `missing`. */
  readonly pull?: PullPolicy;
  /** Labels for the helper container (berth's own are always added). */
  readonly labels?: Readonly<Record<string, string>>;
  /** A driver to judge as if asked for (daemon.json, a benchmark). */
  readonly requestedDriver?: string;
  /** Bound on the helper container. Default 60 000 ms. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface StorageReport extends StorageAssessment {
  readonly facts: StorageFacts;
}

export type ProbeStorageError = DockerApiError;

/**
 * Gathers the engine's storage facts (version, kernel, driver and its status, warnings, data
 * root) and the kernel's filesystems and block drivers as a short-lived container sees them, so
 * it works for a remote engine too; then judges them with `assessStorage`. A helper that cannot
 * run is a fact (`storage.kernel-unknown`), not an error.
 */
export function probeStorage(
  docker: DockerConnection,
  options: ProbeStorageOptions = {},
): ResultAsync<StorageReport, ProbeStorageError> {
  return engineInfo(docker).andThen((info) =>
    runOneShotContainer(docker, {
      image: options.helperImage ?? 'busybox',
      command: ['cat', '/proc/filesystems', '/proc/devices'],
      network: 'none',
      pull: options.pull ?? 'missing',
      ...(options.labels && { labels: options.labels }),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.signal && { signal: options.signal }),
    })
      .map((run) =>
        run.exitCode === 0
          ? parseKernelTables(run.stdout)
          : { error: `cat exited with ${run.exitCode}: ${run.stderr.trim()}` },
      )
      .orElse((error) => okAsync({ error: error.message }))
      .map((tables) => {
        const facts = storageFactsFrom(info, tables, options.requestedDriver);
        return { facts, ...assessStorage(facts) };
      }),
  );
}
