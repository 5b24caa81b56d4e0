// Every flag can also come from the environment: `--etcd-endpoints` from BERTH_ETCD_ENDPOINTS,
// `--wait` from BERTH_WAIT=1. The name is derived here, once, from the flag; a flag on the command
// line beats the variable; `--help` shows the variable beside each flag.
import type { EventEmitter } from 'node:events';
import { Command, type Option } from 'commander';
import { envFlag, envVarFor } from './env-names';

export { ENV_PREFIX, envVarFor } from './env-names';

type Environment = Readonly<Record<string, string | undefined>>;

/** Flags that have no variable: reading stdin or printing help because of the environment would surprise. */
const WITHOUT_ENV: ReadonlySet<string> = new Set(['--help', '--version', '--password-stdin']);

/** Whether the option gets a variable: a visible long flag, not `--no-x` (its `--x` has one). */
function wantsEnv(option: Option): boolean {
  return (
    option.long !== undefined &&
    !option.hidden &&
    !option.negate &&
    option.envVar === undefined &&
    !WITHOUT_ENV.has(option.long)
  );
}

/**
 * A commander `Command` whose options (and its subcommands' options) read `BERTH_…` variables
 * from the environment it was given, not from `process.env`, so that embedders and tests inject
 * it like the rest of {@link CliIo}. A boolean flag takes 1/true/yes/on or 0/false/no/off.
 */
export class EnvCommand extends Command {
  readonly #environment: Environment;

  constructor(name: string | undefined, environment: Environment) {
    super(name);
    this.#environment = environment;
  }

  /** Commander's commands are event emitters; its typings leave that out. */
  #emit(event: string, ...args: unknown[]): void {
    (this as unknown as EventEmitter).emit(event, ...args);
  }

  override createCommand(name?: string): Command {
    return new EnvCommand(name, this.#environment);
  }

  override addOption(option: Option): this {
    if (wantsEnv(option) && option.long) option.env(envVarFor(option.long));
    return super.addOption(option);
  }

  /**
   * Replaces commander's own step of the same name (called once per command, after the command
   * line was read), which would read `process.env` and turn any value of a boolean's variable,
   * even `0`, into true. Precedence as commander's: a value from the command line is kept.
   */
  _parseOptionsEnv(): void {
    for (const option of this.options) {
      const name = option.envVar;
      const value = name === undefined ? undefined : this.#environment[name];
      if (name === undefined || value === undefined) continue;
      const key = option.attributeName();
      const source = this.getOptionValueSource(key);
      if (this.getOptionValue(key) !== undefined && source !== 'default' && source !== 'env')
        continue;
      const flag = envFlag(value);
      if (option.required || option.optional) {
        this.#emit(`optionEnv:${option.name()}`, value);
      } else if (flag === true) {
        this.#emit(`optionEnv:${option.name()}`);
      } else if (flag === false) {
        this.setOptionValueWithSource(key, false, 'env');
      } else {
        this.error(`error: ${name}="${value}" is not a yes or no (1/true/yes or 0/false/no)`, {
          code: 'commander.invalidArgument',
          exitCode: 2,
        });
      }
    }
  }
}
