// The pure part of the docs test: finding fenced blocks, their directives and console commands.
import { describe, expect, it } from 'vitest';
import {
  consoleCommands,
  conventionProblem,
  extractBlocks,
  parseDirective,
  shellScript,
  substitute,
  tsModule,
} from './support/doc-blocks';

const doc = [
  '# t',
  '<!-- docs-test: skip needs Docker Hub -->',
  '',
  '```sh',
  'docker pull nginx',
  '```',
  'text',
  '```console',
  '$ berth name a \\',
  '  b',
  'a',
  '$ berth probe registry x',
  'findings',
  '$ echo $?',
  '1',
  '```',
  '```',
  'untagged',
  '```',
].join('\n');

describe('doc blocks', () => {
  it('finds each fence with its language, line, code and the directive just above it', () => {
    const blocks = extractBlocks('d.md', doc);
    expect(blocks.map((b) => [b.line, b.lang])).toEqual([
      [4, 'sh'],
      [8, 'console'],
      [17, ''],
    ]);
    expect(blocks[0]).toMatchObject({
      code: 'docker pull nginx\n',
      directives: [{ kind: 'skip', reason: 'needs Docker Hub' }],
    });
    expect(blocks[1]?.directives).toEqual([]);
  });

  it('reads console commands with continuations, and the exit code a following echo $? shows', () => {
    const [, session] = extractBlocks('d.md', doc);
    expect(consoleCommands(session!.code)).toEqual([
      { command: 'berth name a \\\n  b', exit: 0 },
      { command: 'berth probe registry x', exit: 1 },
      { command: 'echo $?', exit: 0 },
    ]);
    expect(shellScript(session!)).toBe(
      'berth name a \\\n  b\necho $? >&9\nberth probe registry x\necho $? >&9\necho $?\necho $? >&9\n',
    );
  });

  it('refuses an untagged fence, a text block holding a session, and unknown directives', () => {
    const [, , untagged] = extractBlocks('d.md', doc);
    expect(conventionProblem(untagged!)).toMatch(/d\.md:17: a fence must name one of/);
    const [text] = extractBlocks('e.md', '```text\n$ berth name x\n```\n');
    expect(conventionProblem(text!)).toMatch(/make it console/);
    expect(parseDirective('maybe later')).toBe('unknown directive "maybe"');
    expect(parseDirective('skip')).toBe('skip needs a reason');
    expect(parseDirective('covered-by somewhere')).toMatch(/test\/….test.ts/);
    expect(() => extractBlocks('f.md', '<!-- docs-test: nope -->\n```sh\nx\n```\n')).toThrow(
      'f.md:1: unknown directive "nope"',
    );
    expect(() => extractBlocks('g.md', '```sh\nx\n')).toThrow('never closed');
  });

  it('substitutes strings everywhere and regular expressions as given, in order', () => {
    expect(
      substitute('a www-content b www-content nginx ', [
        [/(www-content) nginx /g, '$1 local/nginx '],
        ['www-content', 'data-1'],
      ]),
    ).toBe('a data-1 b data-1 local/nginx ');
  });

  it('lets a ts block carry skip or covered-by (it is still type-checked), nothing else', () => {
    const ts = (directive: string) =>
      extractBlocks('h.md', `<!-- docs-test: ${directive} -->\n\`\`\`ts\nx;\n\`\`\`\n`)[0]!;
    expect(conventionProblem(ts('skip needs a fleet of twelve'))).toBeUndefined();
    expect(conventionProblem(ts('covered-by test/x.test.ts'))).toBeUndefined();
    expect(conventionProblem(ts('exit 1'))).toMatch(
      /h\.md:2: a ts block takes only skip or covered-by/,
    );
    expect(conventionProblem(ts('daemon'))).toMatch(/takes only skip or covered-by/);
  });

  it('makes one module of ts blocks: imports merged on top, then the prelude, each block and what follows it', () => {
    const blocks = extractBlocks(
      'i.md',
      [
        '```ts',
        "import { a } from 'm';",
        'a();',
        '```',
        '```ts',
        "import { b, a } from 'm';",
        "import type { T } from 'n';",
        'b();',
        '```',
      ].join('\n'),
    );
    expect(
      tsModule(blocks, {
        prelude: 'const given = 1;',
        after: (block) => (block.line === 1 ? 'check();\n' : ''),
        epilogue: 'done();',
      }),
    ).toBe(
      [
        "import { a, b } from 'm';",
        "import { type T } from 'n';",
        'const given = 1;',
        '// i.md:1\na();\ncheck();\n',
        '// i.md:5\nb();\n',
        'done();',
        'export {};',
        '',
      ].join('\n'),
    );
  });
});
