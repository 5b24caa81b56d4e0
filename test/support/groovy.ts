// Reads the parts of a Jenkinsfile or a shared-library script that are plain data: literals
// (lists, maps, strings, numbers, booleans, `env.X`, GStrings over `env.X`), brace blocks, the
// calls of a step and the `sh` scripts. Anything else throws, so a change the tests cannot
// follow fails them instead of being read wrong.

export type GroovyValue =
  | string
  | number
  | boolean
  | null
  | readonly GroovyValue[]
  | { readonly [key: string]: GroovyValue };

/** Parses one Groovy literal at the start of `text`; `env` answers `env.NAME`. */
export function parseGroovy(
  text: string,
  env: Readonly<Record<string, string>> = {},
): { value: GroovyValue; rest: string } {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at: ${text.slice(at, at + 60)}`);
  };
  const space = () => {
    while (at < text.length && /\s/.test(text[at]!)) at++;
  };
  const lookup = (name: string): string => {
    const value = env[name];
    if (value === undefined) fail(`env.${name} is not set`);
    return value!;
  };
  const quoted = (quote: string): string => {
    at++;
    let out = '';
    while (text[at] !== quote) {
      if (at >= text.length) fail('unterminated string');
      if (text[at] === '\\') {
        out += text[at + 1];
        at += 2;
      } else if (quote === '"' && text.startsWith('${env.', at)) {
        const end = text.indexOf('}', at);
        out += lookup(text.slice(at + 6, end));
        at = end + 1;
      } else if (quote === '"' && text[at] === '$') {
        fail('a GString may only interpolate ${env.NAME}');
      } else {
        out += text[at++];
      }
    }
    at++;
    return out;
  };
  const key = (): string => {
    space();
    if (text[at] === "'" || text[at] === '"') return quoted(text[at]!);
    const match = /^[\w]+/.exec(text.slice(at)) ?? fail('a map key');
    at += match[0].length;
    return match[0];
  };
  const value = (): GroovyValue => {
    space();
    const ch = text[at];
    if (ch === "'" || ch === '"') return quoted(ch);
    if (ch === '[') return bracket();
    const word = /^(env\.\w+|-?\d+|true|false|null)\b/.exec(text.slice(at));
    if (!word) return fail('not a literal');
    at += word[0].length;
    const w = word[0];
    if (w.startsWith('env.')) return lookup(w.slice(4));
    if (w === 'true' || w === 'false') return w === 'true';
    if (w === 'null') return null;
    return Number(w);
  };
  const bracket = (): GroovyValue => {
    at++;
    space();
    if (text.startsWith(':]', at)) {
      at += 2;
      return {};
    }
    if (text[at] === ']') {
      at++;
      return [];
    }
    const isMap = /^(?:'[^']*'|"[^"]*"|\w+)\s*:/.test(text.slice(at));
    return isMap ? entries(']') : items();
  };
  const items = (): GroovyValue[] => {
    const list: GroovyValue[] = [];
    for (;;) {
      list.push(value());
      space();
      if (text[at] === ']') {
        at++;
        return list;
      }
      if (text[at++] !== ',') fail('expected , or ]');
      space();
      if (text[at] === ']') {
        at++;
        return list;
      }
    }
  };
  const entries = (close: string): Record<string, GroovyValue> => {
    const map: Record<string, GroovyValue> = {};
    for (;;) {
      const k = key();
      space();
      if (text[at++] !== ':') fail('expected :');
      map[k] = value();
      space();
      if (text[at] === close) {
        at++;
        return map;
      }
      if (text[at++] !== ',') fail(`expected , or ${close}`);
      space();
      if (text[at] === close) {
        at++;
        return map;
      }
    }
  };
  const parsed = text.trimStart().startsWith('(')
    ? (() => {
        at = text.indexOf('(') + 1;
        return entries(')');
      })()
    : value();
  return { value: parsed, rest: text.slice(at) };
}

/** The value of `@Field final <Type> NAME = <literal>` in a shared-library script. */
export function groovyField(source: string, name: string): GroovyValue {
  const match = new RegExp(`@Field\\s+final\\s+\\w+\\s+${name}\\s*=\\s*`).exec(source);
  if (!match) throw new Error(`no @Field ${name}`);
  return parseGroovy(source.slice(match.index + match[0].length)).value;
}

/** The text between the braces that follow `header` (braces in strings must balance). */
export function groovyBlock(source: string, header: string): string {
  const start = source.indexOf(header);
  if (start < 0) throw new Error(`no ${header}`);
  const open = source.indexOf('{', start);
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    if (source[i] === '{') depth++;
    if (source[i] === '}' && --depth === 0) return source.slice(open + 1, i);
  }
  throw new Error(`unbalanced braces after ${header}`);
}

/** The names of the stages, in order. */
export function stageNames(jenkinsfile: string): string[] {
  return [...jenkinsfile.matchAll(/stage\('([^']+)'\)/g)].map((m) => m[1]!);
}

/** The `sh` scripts of a block, in order; each must be one single-quoted string. */
export function shScripts(block: string): string[] {
  return [...block.matchAll(/\bsh\s*(?:\(\s*script:\s*)?'((?:[^'\\]|\\.)*)'/g)].map((m) =>
    m[1]!.replace(/\\(.)/g, '$1'),
  );
}

/** Every `sh` in a block, written as a single-quoted script or not (to check none is missed). */
export function shCount(block: string): number {
  return [...block.matchAll(/\bsh[\s(]/g)].length;
}

/** The calls `object.step(named: args, …)` in a block, with their argument text. */
export function callsOf(block: string, object: string): { step: string; args: string }[] {
  const calls: { step: string; args: string }[] = [];
  for (const match of block.matchAll(new RegExp(`\\b${object}\\.(\\w+)\\(`, 'g'))) {
    const open = match.index + match[0].length - 1;
    let depth = 0;
    for (let i = open; i < block.length; i++) {
      if (block[i] === '(') depth++;
      if (block[i] === ')' && --depth === 0) {
        calls.push({ step: match[1]!, args: block.slice(open, i + 1) });
        break;
      }
    }
  }
  return calls;
}

/** The `usernameVariable` / `passwordVariable` names a `usernamePassword(…)` binding sets. */
export function credentialVariables(source: string): { user: string; password: string }[] {
  return [
    ...source.matchAll(
      /usernamePassword\([^)]*usernameVariable:\s*'(\w+)'[^)]*passwordVariable:\s*'(\w+)'/g,
    ),
  ].map((m) => ({ user: m[1]!, password: m[2]! }));
}
