/**
 * `WWW-Authenticate` as RFC 7235 writes it: one or more challenges, each a scheme followed by
 * a token68 or comma-separated `name=value` parameters (values may be quoted). Parsing never
 * throws: what cannot be read is skipped up to the next comma.
 */
export interface AuthChallenge {
  /** Lower-case: `basic`, `bearer`, `digest`, … */
  readonly scheme: string;
  /** Parameter names lower-case; the first of duplicates wins. */
  readonly params: Readonly<Record<string, string>>;
  readonly token68?: string;
}

/** How a registry asks for credentials, as berth understands it. */
export type RegistryAuth =
  | { readonly type: 'none' }
  | { readonly type: 'basic'; readonly realm?: string }
  | {
      readonly type: 'bearer';
      readonly realm?: string;
      readonly service?: string;
      readonly scope?: string;
    }
  | { readonly type: 'other'; readonly scheme: string };

const TCHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

class Cursor {
  at = 0;
  constructor(readonly text: string) {}
  get done(): boolean {
    return this.at >= this.text.length;
  }
  peek(offset = 0): string {
    return this.text[this.at + offset] ?? '';
  }
  skipSpace(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.at++;
  }
  token(): string {
    const start = this.at;
    while (!this.done && TCHAR.test(this.peek())) this.at++;
    return this.text.slice(start, this.at);
  }
  /** The index of the next character that is not white space, from `from`. */
  nextNonSpace(from: number): number {
    let i = from;
    while (this.text[i] === ' ' || this.text[i] === '\t') i++;
    return i;
  }
  quoted(): string {
    this.at++; // opening quote
    let value = '';
    while (!this.done && this.peek() !== '"') {
      if (this.peek() === '\\' && this.at + 1 < this.text.length) this.at++;
      value += this.peek();
      this.at++;
    }
    if (this.peek() === '"') this.at++;
    return value;
  }
  skipPastComma(): void {
    while (!this.done && this.peek() !== ',') {
      if (this.peek() === '"') this.quoted();
      else this.at++;
    }
    if (this.peek() === ',') this.at++;
  }
}

/** Does a `name = value` parameter start here (rather than a new challenge or a token68)? */
function paramAhead(c: Cursor): boolean {
  let i = c.at;
  while (i < c.text.length && TCHAR.test(c.text[i] ?? '')) i++;
  if (i === c.at) return false;
  i = c.nextNonSpace(i);
  if (c.text[i] !== '=') return false;
  // `abc==` or `abc=` at the end or before a comma is a token68, not a parameter.
  const after = c.nextNonSpace(i + 1);
  const next = c.text[after];
  return next !== undefined && next !== '=' && next !== ',';
}

function token68Ahead(c: Cursor): string | undefined {
  let i = c.at;
  while (i < c.text.length && TOKEN68_CHAR.test(c.text[i] ?? '')) i++;
  if (i === c.at) return undefined;
  while (c.text[i] === '=') i++;
  const end = c.nextNonSpace(i);
  if (end < c.text.length && c.text[end] !== ',') return undefined;
  const value = c.text.slice(c.at, i);
  c.at = i;
  return value;
}

function parseParams(c: Cursor, params: Record<string, string>): void {
  for (;;) {
    c.skipSpace();
    if (!paramAhead(c)) return;
    const name = c.token().toLowerCase();
    c.skipSpace();
    c.at++; // '='
    c.skipSpace();
    const value = c.peek() === '"' ? c.quoted() : c.token();
    if (!Object.hasOwn(params, name)) params[name] = value;
    c.skipSpace();
    if (c.peek() !== ',') {
      if (!c.done) c.skipPastComma();
      return;
    }
    // A comma: more parameters of this challenge, or the next challenge.
    const save = c.at;
    c.at++;
    while (c.peek() === ',' || c.peek() === ' ' || c.peek() === '\t') c.at++;
    if (!paramAhead(c)) {
      c.at = save + 1;
      return;
    }
  }
}

/** Every challenge in one or more `WWW-Authenticate` values. Never throws. */
export function parseChallenges(
  header: string | readonly string[] | null | undefined,
): AuthChallenge[] {
  if (header === null || header === undefined) return [];
  const text = typeof header === 'string' ? header : header.join(', ');
  if (typeof text !== 'string') return [];
  const c = new Cursor(text);
  const challenges: AuthChallenge[] = [];
  while (!c.done) {
    while (c.peek() === ',' || c.peek() === ' ' || c.peek() === '\t') c.at++;
    if (c.done) break;
    const scheme = c.token();
    if (!scheme) {
      c.skipPastComma();
      continue;
    }
    const params: Record<string, string> = Object.create(null) as Record<string, string>;
    const hadSpace = c.peek() === ' ' || c.peek() === '\t';
    c.skipSpace();
    let token68: string | undefined;
    if (hadSpace && !c.done && c.peek() !== ',') {
      if (paramAhead(c)) parseParams(c, params);
      else {
        token68 = token68Ahead(c);
        if (token68 === undefined) c.skipPastComma();
      }
    } else if (!c.done && c.peek() !== ',') {
      c.skipPastComma();
    }
    challenges.push({
      scheme: scheme.toLowerCase(),
      params,
      ...(token68 !== undefined && { token68 }),
    });
  }
  return challenges;
}

/** The challenge a registry client would answer: Bearer before Basic before anything else. */
export function registryAuthOf(challenges: readonly AuthChallenge[]): RegistryAuth {
  const bearer = challenges.find((ch) => ch.scheme === 'bearer');
  if (bearer) {
    const { realm, service, scope } = bearer.params;
    return {
      type: 'bearer',
      ...(realm !== undefined && { realm }),
      ...(service !== undefined && { service }),
      ...(scope !== undefined && { scope }),
    };
  }
  const basic = challenges.find((ch) => ch.scheme === 'basic');
  if (basic) {
    const realm = basic.params.realm;
    return { type: 'basic', ...(realm !== undefined && { realm }) };
  }
  const first = challenges[0];
  return first ? { type: 'other', scheme: first.scheme } : { type: 'none' };
}
