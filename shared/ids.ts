/** Identifiers: request ids, outbox epochs, client ids. */
import { randomBytes } from 'node:crypto';

/** A random lower-case id of `n` characters from [a-z0-9]. */
export function randomId(n = 12): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[bytes[i] % alphabet.length];
  return s;
}

/** Unit names: what a hostname may be, lower-case letters, digits and hyphens (plus _ for Pioreactor names). */
export const UNIT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$/;

export function isUnitName(s: string): boolean {
  return UNIT_NAME.test(s) && s !== '$broadcast';
}
