/**
 * Test scaffolding for the leader: credentials, a leader in-process or as a child process, and a secured
 * mosquitto (password and ACL files rendered from the same identities, so both brokers apply the same rules).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MqttUsers, type MqttRole } from '../../leader/auth/mqtt-users.js';
import { renderMosquittoAcl } from '../../leader/broker/acl.js';
import { startLeader, USERS_FILE, type LeaderHandle } from '../../leader/leader.js';
import { silentLogger } from '../../shared/logger.js';
import { freePort, startMosquitto } from '../helpers/brokers.js';

export interface Cred {
  username: string;
  password: string;
  role: MqttRole;
  unit?: string;
}

export const LEADER: Cred = { username: 'leader', password: 'leader-secret-1', role: 'leader' };
export const BROWSER: Cred = { username: 'browser', password: 'browser-secret-1', role: 'browser' };
export const unitCred = (unit: string): Cred => ({ username: unit, password: `${unit}-secret-1`, role: 'unit', unit });

/** A data dir holding config.ini (leader credentials) and mqtt_users.json for these identities. */
export function makeDataDir(creds: Cred[], extraConfig = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'colony-leader-'));
  writeFileSync(join(dir, 'config.ini'), `[mqtt]\nusername=${LEADER.username}\npassword=${LEADER.password}\n${extraConfig}`);
  const users = new MqttUsers();
  for (const c of [LEADER, ...creds]) users.set(c.username, c.password, c.role, c.unit);
  users.save(join(dir, USERS_FILE));
  return dir;
}

export async function startTestLeader(dataDir: string, brokerUrl?: string): Promise<LeaderHandle> {
  return startLeader({ dataDir, httpPort: 0, mqttPort: 0, wsPort: null, brokerUrl, log: silentLogger(), unitName: 'leader' });
}

/** mosquitto requiring passwords, with the ACL rendered from the identities. */
export async function startSecuredMosquitto(creds: Cred[]) {
  // mosquitto started as root drops to the `mosquitto` user, which must be able to read these files.
  const dir = mkdtempSync(join(tmpdir(), 'colony-mosq-auth-'));
  chmodSync(dir, 0o755);
  const passwd = join(dir, 'passwd');
  writeFileSync(passwd, '');
  for (const c of [LEADER, ...creds]) {
    const r = spawnSync('mosquitto_passwd', ['-b', passwd, c.username, c.password]);
    if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${String(r.stderr)}`);
  }
  const users = new MqttUsers();
  for (const c of [LEADER, ...creds]) users.set(c.username, c.password, c.role, c.unit);
  const acl = join(dir, 'acl');
  writeFileSync(acl, renderMosquittoAcl(users.list()));
  chmodSync(passwd, 0o644);
  chmodSync(acl, 0o644);
  return startMosquitto({ extraConfig: ['allow_anonymous false', `password_file ${passwd}`, `acl_file ${acl}`, 'max_queued_messages 100000'] });
}

/** The built CLI (npm test builds first). */
export const CLI = join(process.cwd(), 'dist', 'cli', 'colony.js');

export interface ChildLeader {
  child: ChildProcess;
  httpPort: number;
  mqttPort: number;
  url: string;
  output: () => string;
}

/** The leader as a child process (for kill -9). Resolves once /api/health answers. */
export async function spawnLeader(dataDir: string, opts: { mqttPort?: number; httpPort?: number; brokerUrl?: string } = {}): Promise<ChildLeader> {
  const httpPort = opts.httpPort ?? (await freePort());
  const mqttPort = opts.mqttPort ?? (await freePort());
  const args = [CLI, 'leader', '--data-dir', dataDir, '--http-port', String(httpPort), '--mqtt-port', String(mqttPort), '--ws-port', '0'];
  if (opts.brokerUrl) args.push('--broker', opts.brokerUrl);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COLONY_LOG_LEVEL: 'warn' } });
  let out = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (out += String(d)));
  const end = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`leader exited with ${child.exitCode}: ${out}`);
    try {
      const r = await fetch(`http://127.0.0.1:${httpPort}/api/health`);
      if (r.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error(`leader did not come up: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, httpPort, mqttPort, url: opts.brokerUrl ?? `mqtt://127.0.0.1:${mqttPort}`, output: () => out };
}

export async function killHard(c: ChildLeader): Promise<void> {
  if (c.child.exitCode !== null) return;
  const exited = new Promise<void>((r) => c.child.once('exit', () => r()));
  c.child.kill('SIGKILL');
  await exited;
}
