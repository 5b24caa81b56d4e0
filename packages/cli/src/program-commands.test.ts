// The command table in program.ts lists commands that are not loaded: what it says of each must
// be what the command's own registration says, or `berth --help` would drift from `berth x --help`.
import { Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../test/capture-io';
import { buildProgram, COMMANDS } from './program';

describe('the command table', () => {
  it('names, terms and summaries match the registered commands, in order', async () => {
    const program = await buildProgram(captureIo().io);
    const help = new Help();
    expect(
      program.commands.map((command) => ({
        name: command.name(),
        term: help.subcommandTerm(command),
        summary: command.summary(),
      })),
    ).toEqual(COMMANDS.map(({ name, term, summary }) => ({ name, term, summary })));
  });

  it('loads only the command the arguments name', async () => {
    const program = await buildProgram(captureIo().io, undefined, ['--timeout', '5s', 'name', 'x']);
    const loaded = program.commands.filter((command) => command.options.length > 0);
    expect(loaded.map((command) => command.name())).toEqual(['name']);
  });
});
