// How `berth name` prints what it found: one name per line for people, `{ names: [...] }` for
// `--json`. The full lookup (name-lookup.ts) and the direct one (name-direct.ts) both print
// through here, so a name found either way is printed alike.

/** A reference answered with its container's name. */
export interface FoundName {
  readonly ref: string;
  readonly name: string;
}

/** The `--json` document: one entry per reference, in order (a failed one carries its error). */
export function namesDocument<E>(entries: readonly (FoundName | E)[]): {
  names: (FoundName | E)[];
} {
  return { names: [...entries] };
}

/** The text for people: the names found, one per line, in order. */
export function namesText(found: readonly FoundName[]): string {
  return found.map((answer) => `${answer.name}\n`).join('');
}
