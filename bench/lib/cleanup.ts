/**
 * Runs `body`, then `cleanup` whatever happens: on success, on a throw, and on Ctrl-C or
 * SIGTERM in the middle (then exits with 130 / 143 once cleanup is done).
 */
export async function withCleanup<T>(
  cleanup: () => Promise<void>,
  body: () => Promise<T>,
): Promise<T> {
  let cleaning: Promise<void> | undefined;
  const once = () => (cleaning ??= cleanup());
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: cleaning up before exit …\n`);
    once().then(
      () => process.exit(signal === 'SIGINT' ? 130 : 143),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await once();
  }
}
