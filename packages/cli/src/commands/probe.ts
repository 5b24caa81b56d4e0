import type { Command } from 'commander';
import { examples, type Runner } from '../runner';
import { registerProbeRegistry } from './probe-registry';
import { registerProbeStorage } from './probe-storage';

export function registerProbe(program: Command, runner: Runner): void {
  const group = program
    .command('probe')
    .summary('probe a registry or the storage driver for problems')
    .description("look at a registry or the engine's storage and report findings")
    .addHelpText(
      'after',
      examples([
        'berth probe registry registry.example.com --fail-on warn',
        'berth probe storage --json',
      ]),
    );
  registerProbeRegistry(group, runner);
  registerProbeStorage(group, runner);
}
