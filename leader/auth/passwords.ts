/**
 * Password and API-key hashing for the HTTP API.
 * - Passwords: `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>` (32-byte hash, 16-byte salt, N=16384, r=8, p=1).
 * - API keys: `sha256:<hex>` of the key (keys are long random strings, so a fast hash is enough); a
 *   configured entry without the prefix is taken as the key itself.
 * Comparisons are constant-time.
 */
import { createHash, randomBytes, scrypt as scryptCb, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (pw: string, salt: Buffer, len: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(pw, salt, len, opts, (err, key) => (err ? reject(err) : resolve(key))));

const DEFAULTS = { N: 16384, r: 8, p: 1 };

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { ...DEFAULTS, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${DEFAULTS.N}$${DEFAULTS.r}$${DEFAULTS.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

export function isPasswordHash(s: string): boolean {
  return FORMAT.test(s);
}

/** True when `password` matches `stored` (a malformed hash never matches). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = FORMAT.exec(stored);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (N < 1024 || N > 1 << 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const salt = Buffer.from(m[4], 'base64');
  const want = Buffer.from(m[5], 'base64');
  if (want.length < 16 || want.length > 64) return false;
  try {
    const got = await scrypt(password, salt, want.length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
    return timingSafeEqual(got, want);
  } catch {
    return false;
  }
}

export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** Does `key` match a configured entry (`sha256:<hex>` or the key itself)? */
export function apiKeyMatches(key: string, entry: string): boolean {
  const got = createHash('sha256').update(key, 'utf8').digest();
  const hex = entry.startsWith('sha256:') ? entry.slice(7) : null;
  const want = hex !== null ? (/^[0-9a-f]{64}$/i.test(hex) ? Buffer.from(hex, 'hex') : null) : createHash('sha256').update(entry, 'utf8').digest();
  return want !== null && timingSafeEqual(got, want);
}

/** A new random API key and its config entry. */
export function newApiKey(): { key: string; entry: string } {
  const key = `colony_${randomBytes(24).toString('base64url')}`;
  return { key, entry: hashApiKey(key) };
}
