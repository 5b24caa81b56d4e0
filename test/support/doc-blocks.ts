// Fenced blocks of the documentation, and what the docs tests do with each (test/docs.test.ts,
// test/docs-ts.test.ts).
//
// The convention, for README.md and docs/*.md (docs/api.md is generated and left out):
// - every fence names its language;
// - `sh` / `bash`: a script, run as written by bash -e (after the test's substitutions);
// - `console`: a session: the lines starting with `$ ` (and their `\` continuations) are the
//   commands, run in order as one script; the other lines are sample output, not compared;
// - `ts`: type-checked with the other `ts` blocks of the same file, in order, as one module,
//   and run the same way with tsx against the real services (test/docs-ts.test.ts);
// - `text` (synopses, diagrams, sample output) and `json` (document shapes) are not run;
// - a directive in an HTML comment on the line just before a fence says what else to do:
//   `<!-- docs-test: skip REASON -->` (not run, the reason is printed), `<!-- docs-test:
//   covered-by test/FILE.test.ts -->` (run by that test), `<!-- docs-test: exit N -->` (the sh
//   script ends with exit code N), `<!-- docs-test: daemon -->` (the script runs until its
//   `--http` answers /healthz with 200, then gets SIGTERM), `<!-- docs-test: fresh -->` (the
//   block gets its own container names, key and ports instead of the shared ones); a ts block
//   takes only skip or covered-by (it is still type-checked, only not run).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export const RUN_SHELL = ['sh', 'bash', 'console'] as const;
export const LANGUAGES = [...RUN_SHELL, 'ts', 'text', 'json'] as const;

export type Directive =
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'covered-by'; readonly test: string }
  | { readonly kind: 'exit'; readonly code: number }
  | { readonly kind: 'daemon' }
  | { readonly kind: 'fresh' };

export interface DocBlock {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The fence's info string ('' when it names none). */
  readonly lang: string;
  readonly code: string;
  readonly directives: readonly Directive[];
}

/** A directive comment's text, or an error naming what is wrong with it. */
export function parseDirective(text: string): Directive | string {
  const [word = '', ...rest] = text.trim().split(/\s+/);
  const arg = rest.join(' ');
  switch (word) {
    case 'skip':
      return arg ? { kind: 'skip', reason: arg } : 'skip needs a reason';
    case 'covered-by':
      return /^test\/\S+\.test\.ts$/.test(arg)
        ? { kind: 'covered-by', test: arg }
        : 'covered-by needs a test/….test.ts path';
    case 'exit':
      return /^\d+$/.test(arg) ? { kind: 'exit', code: Number(arg) } : 'exit needs a number';
    case 'daemon':
    case 'fresh':
      return arg ? `${word} takes nothing` : { kind: word };
    default:
      return `unknown directive "${word}"`;
  }
}

/** Every fenced block of a markdown text, with the directives written just above it. */
export function extractBlocks(file: string, text: string): DocBlock[] {
  const lines = text.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const [, indent = '', fence = '', info = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] ?? '';
      if (line.trimStart().startsWith(fence) && line.trim() === fence) break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line);
    }
    if (j >= lines.length) throw new Error(`${file}:${i + 1}: the fence is never closed`);
    const directives: Directive[] = [];
    for (let k = i - 1; k >= 0; k--) {
      const line = (lines[k] ?? '').trim();
      if (line === '') continue;
      const comment = /^<!--\s*docs-test:(.*?)-->$/.exec(line);
      if (!comment) break;
      const directive = parseDirective(comment[1] ?? '');
      if (typeof directive === 'string') throw new Error(`${file}:${k + 1}: ${directive}`);
      directives.unshift(directive);
    }
    blocks.push({
      file,
      line: i + 1,
      lang: info.trim().split(/\s+/)[0] ?? '',
      code: body.join('\n') + '\n',
      directives,
    });
    i = j;
  }
  return blocks;
}

/** One command of a `console` block and the exit code the session shows for it. */
export interface ConsoleCommand {
  readonly command: string;
  /** 0, or the number printed by a following `$ echo $?`. */
  readonly exit: number;
}

/**
 * The commands of a `console` block: `$ ` lines and the lines their `\\` continues onto. A
 * command followed by `$ echo $?` and a number is expected to exit with that number.
 */
export function consoleCommands(code: string): ConsoleCommand[] {
  const lines = code.split('\n');
  const commands: { command: string; exit: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!line.startsWith('$ ')) continue;
    let command = line.slice(2);
    while (/\\\s*$/.test(lines[i] ?? '')) {
      i++;
      if (i >= lines.length)
        throw new Error(`a console command ends in a continuation: ${command}`);
      command += `\n${lines[i]}`;
    }
    if (command.trim() === 'echo $?' && commands.length > 0) {
      const shown = /^\d+$/.exec((lines[i + 1] ?? '').trim());
      if (shown) commands[commands.length - 1]!.exit = Number(shown[0]);
    }
    commands.push({ command, exit: 0 });
  }
  return commands;
}

/**
 * The script the test runs for a shell block. A `console` session goes on after a failing
 * command, as a terminal does; each command's exit code is written to file descriptor 9.
 */
export function shellScript(block: DocBlock): string {
  if (block.lang !== 'console') return block.code;
  return consoleCommands(block.code)
    .map(({ command }) => `${command}\necho $? >&9\n`)
    .join('');
}

/** What is wrong with a block under the convention above, or undefined. */
export function conventionProblem(block: DocBlock): string | undefined {
  const where = `${block.file}:${block.line}`;
  if (!(LANGUAGES as readonly string[]).includes(block.lang))
    return `${where}: a fence must name one of ${LANGUAGES.join(', ')} (got "${block.lang}")`;
  const kinds = block.directives.map((d) => d.kind);
  const runs = (RUN_SHELL as readonly string[]).includes(block.lang) || block.lang === 'ts';
  if (!runs && kinds.length > 0)
    return `${where}: a ${block.lang} block is never run: no directive`;
  if (block.lang === 'ts' && kinds.some((k) => k !== 'skip' && k !== 'covered-by'))
    return `${where}: a ts block takes only skip or covered-by`;
  if (block.lang === 'console' && consoleCommands(block.code).length === 0)
    return `${where}: a console block without a "$ " command is sample output: make it text`;
  if (block.lang === 'text' && /^\$ /m.test(block.code))
    return `${where}: a text block with "$ " commands is a session: make it console`;
  const main = kinds.filter((k) => k !== 'fresh');
  if (main.length > 1) return `${where}: one of skip, covered-by, exit, daemon per block`;
  return undefined;
}

/** Replaces each `from` (a string: every occurrence; a RegExp: as given) in order. */
export function substitute(
  text: string,
  replacements: ReadonlyArray<readonly [string | RegExp, string]>,
): string {
  let out = text;
  for (const [from, to] of replacements)
    out = typeof from === 'string' ? out.replaceAll(from, to) : out.replace(from, to);
  return out;
}

/** What a file's ts blocks are wrapped in: given values before them, code after some of them. */
export interface TsModuleParts {
  /** Declarations (type-check) or definitions (run) of what the snippets take as given. */
  readonly prelude: string;
  /** Code placed right after a block (the run's checks of that block's effects). */
  readonly after?: (block: DocBlock) => string;
  /** Code placed last. */
  readonly epilogue?: string;
}

/** One module from a file's ts blocks: the imports hoisted and merged, the rest in order. */
export function tsModule(tsBlocks: readonly DocBlock[], parts: TsModuleParts): string {
  const imports = new Map<string, Set<string>>();
  const bodies: string[] = [];
  for (const block of tsBlocks) {
    const body = block.code.replace(
      /^import\s+(type\s+)?\{([^}]*)\}\s+from\s+'([^']+)';\n/gm,
      (_, type: string | undefined, names: string, from: string) => {
        const set = imports.get(from) ?? new Set<string>();
        for (const name of names
          .split(',')
          .map((n) => n.trim())
          .filter(Boolean))
          set.add(type ? `type ${name}` : name);
        imports.set(from, set);
        return '';
      },
    );
    bodies.push(`// ${block.file}:${block.line}\n${body}${parts.after?.(block) ?? ''}`);
  }
  const head = [...imports].map(
    ([from, names]) => `import { ${[...names].join(', ')} } from '${from}';`,
  );
  return [...head, parts.prelude, ...bodies, parts.epilogue ?? '', 'export {};', ''].join('\n');
}

/** The docs the convention covers, relative to `root`: README.md and docs/*.md but the generated api.md. */
export function docFiles(root: string): string[] {
  return [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md') && f !== 'api.md')
      .sort()
      .map((f) => `docs/${f}`),
  ];
}
