/**
 * Everything the command touches outside itself, injected so that tests and embedders can run
 * it in-process: where it writes, what environment it reads, where a secret on stdin comes from,
 * whether progress may be drawn, and the signal that interrupts it.
 */
export interface CliIo {
  /** Results: the human tables, or the one JSON document with `--json`. */
  readonly stdout: (text: string) => void;
  /** Errors, notes and progress. */
  readonly stderr: (text: string) => void;
  /** The environment: `DOCKER_HOST`, `ETCDCTL_ENDPOINTS`, `BERTH_REGISTRY_PASSWORD`, … */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads all of standard input (for `--password-stdin`). Absent: there is none to read. */
  readonly stdin?: () => Promise<string>;
  /** Standard error is a terminal: progress bars are drawn there. Default false. */
  readonly isTTY?: boolean;
  /** The terminal's width, for progress lines. Default 80. */
  readonly columns?: number;
  /** Fires on Ctrl-C (or when an embedder gives up): the command stops and exits 3. */
  readonly signal?: AbortSignal;
}
