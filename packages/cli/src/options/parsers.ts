// Option values checked as they are parsed: a malformed one is a usage error (exit 2) that names
// the option, before anything is done.
import { InvalidArgumentError } from 'commander';
import { durationMs } from './duration';

/** `500ms`, `30s`, `2m`, `1h`, `1m30s`; a bare number is seconds. */
export function parseDuration(value: string): number {
  const ms = durationMs(value);
  if (typeof ms === 'string') throw new InvalidArgumentError(ms);
  return ms;
}

/** A whole number ≥ 1. */
export function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError(`"${value}" is not a whole number of at least 1.`);
  }
  return Number(value);
}

/** Repeatable `--label key=value` (or `key`, an empty value), collected into an object. */
export function collectLabel(
  value: string,
  previous: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const at = value.indexOf('=');
  const key = (at === -1 ? value : value.slice(0, at)).trim();
  if (key.length === 0) throw new InvalidArgumentError(`"${value}" is not key=value.`);
  return { ...previous, [key]: at === -1 ? '' : value.slice(at + 1) };
}

/** Repeatable options, collected in order. */
export function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

/** `http://a:2379,http://b:2379`, repeatable. */
export function collectEndpoints(value: string, previous: readonly string[] = []): string[] {
  const endpoints = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (endpoints.length === 0) throw new InvalidArgumentError(`"${value}" names no endpoint.`);
  return [...previous, ...endpoints];
}
