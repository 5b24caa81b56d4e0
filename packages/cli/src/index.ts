export { buildProgram, run } from './program';
export { ExitCode, type ExitCodeValue } from './exit-codes';
export type { CliIo } from './io';
