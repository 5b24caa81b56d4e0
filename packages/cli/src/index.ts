export { ExitCode, buildProgram, run, type CliIo } from './program';
