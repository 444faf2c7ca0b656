/**
 * MQTT identities and their passwords (scrypt hashes), kept in `<data-dir>/mqtt_users.json`.
 * Roles: `leader` (publish anywhere), `unit` (publish only under `pioreactor/{unit}/...`), `browser`
 * (subscribe only). No identity is built in: `npm start` and `colony workers add` generate them.
 */
import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';

export const MqttRole = z.enum(['leader', 'unit', 'browser']);
export type MqttRole = z.infer<typeof MqttRole>;

export const MqttUser = z.object({
  username: z.string().min(1).max(128),
  role: MqttRole,
  /** For role `unit`: the unit name it may publish under. */
  unit: z.string().optional(),
  salt: z.string(),
  hash: z.string(),
});
export type MqttUser = z.infer<typeof MqttUser>;

const FileShape = z.object({ users: z.array(MqttUser) });

export interface Identity {
  username: string;
  role: MqttRole;
  unit?: string;
}

function hash(password: string, salt: string): string {
  return scryptSync(password, salt, 32).toString('hex');
}

export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}

function hashAsync(password: string, salt: string): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, 32, (err, key) => (err ? reject(err) : resolve(key))));
}

export class MqttUsers {
  private readonly byName = new Map<string, MqttUser>();
  /**
   * Credentials already verified, keyed by user, stored hash and a SHA-256 of the password: a reconnect storm
   * of a whole cluster costs one scrypt per identity, not one per connection.
   */
  private readonly verified = new Map<string, Identity>();

  constructor(users: MqttUser[] = []) {
    for (const u of users) this.byName.set(u.username, u);
  }

  static load(path: string): MqttUsers {
    if (!existsSync(path)) return new MqttUsers();
    const parsed = FileShape.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!parsed.success) throw new Error(`${path}: not a valid MQTT users file: ${parsed.error.issues[0].message}`);
    return new MqttUsers(parsed.data.users);
  }

  save(path: string): void {
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, JSON.stringify({ users: [...this.byName.values()] }, null, 2), { mode: 0o600 });
    renameSync(tmp, path);
  }

  /** Add or replace an identity; returns nothing (the caller keeps the clear password). */
  set(username: string, password: string, role: MqttRole, unit?: string): void {
    if (role === 'unit' && !unit) throw new Error('a unit identity needs its unit name');
    const salt = randomBytes(16).toString('hex');
    this.byName.set(username, { username, role, unit, salt, hash: hash(password, salt) });
  }

  remove(username: string): boolean {
    return this.byName.delete(username);
  }

  get(username: string): MqttUser | undefined {
    return this.byName.get(username);
  }

  list(): MqttUser[] {
    return [...this.byName.values()];
  }

  /**
   * The identity for these credentials, or null, without blocking the event loop (the broker's authenticate
   * hook uses this: a synchronous scrypt per CONNECT stalls every client during a reconnect storm).
   */
  async verifyAsync(username: string | undefined, password: Buffer | string | undefined): Promise<Identity | null> {
    if (!username || password === undefined) return null;
    const u = this.byName.get(username);
    if (!u) return null;
    const clear = Buffer.isBuffer(password) ? password.toString('utf8') : password;
    const cacheKey = `${u.username}\u0000${u.hash}\u0000${createHash('sha256').update(clear).digest('hex')}`;
    const hit = this.verified.get(cacheKey);
    if (hit) return hit;
    const given = await hashAsync(clear, u.salt);
    const want = Buffer.from(u.hash, 'hex');
    if (given.length !== want.length || !timingSafeEqual(given, want)) return null;
    const who: Identity = { username: u.username, role: u.role, unit: u.unit };
    this.verified.set(cacheKey, who);
    return who;
  }

  /** The identity for these credentials, or null. Constant-time on the hash. */
  verify(username: string | undefined, password: Buffer | string | undefined): Identity | null {
    if (!username || password === undefined) return null;
    const u = this.byName.get(username);
    if (!u) return null;
    const given = Buffer.from(hash(Buffer.isBuffer(password) ? password.toString('utf8') : password, u.salt), 'hex');
    const want = Buffer.from(u.hash, 'hex');
    if (given.length !== want.length || !timingSafeEqual(given, want)) return null;
    return { username: u.username, role: u.role, unit: u.unit };
  }
}
