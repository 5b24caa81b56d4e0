/**
 * The logger the git source writes to: pino's method shape, so a pino logger (or a child of one)
 * fits as it is. berth never writes to stdout itself.
 */
export interface GitLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
