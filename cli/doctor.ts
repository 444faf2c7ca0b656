/**
 * `colony doctor [--leader | --agent] [--broker URL] [--config FILE] [--data-dir DIR]`: pre-flight checks
 * for one host (STELLAR's doctor: every check runs, each problem is one line of cause and one line of remedy,
 * and the exit code says whether any failed). Checks that do not apply (hardware on the sim backend, systemd
 * where it is not PID 1) report "n/a" and pass.
 */
import { accessSync, constants, existsSync, statfsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { ConfigError, loadConfig, type ColonyConfig } from '../shared/config/index.js';
import { ColonyClient } from './client/api.js';
import { command, UsageError } from './client/commands.js';
import type { Out } from './client/output.js';

export type Status = 'ok' | 'warn' | 'fail' | 'n/a';

export interface CheckResult {
  check: string;
  status: Status;
  detail: string;
  cause?: string;
  remedy?: string;
}

export interface DoctorOptions {
  role: 'leader' | 'agent';
  configFile?: string;
  dataDir: string;
  brokerUrl?: string;
  endpoint?: string;
  apiKey?: string;
  unit?: string;
  backend?: string;
  /** Connect timeout for the broker and API checks (ms). */
  timeoutMs?: number;
}

const ok = (check: string, detail: string): CheckResult => ({ check, status: 'ok', detail });
const na = (check: string, detail: string): CheckResult => ({ check, status: 'n/a', detail });
const fail = (check: string, cause: string, remedy: string): CheckResult => ({ check, status: 'fail', detail: cause, cause, remedy });
const warn = (check: string, cause: string, remedy: string): CheckResult => ({ check, status: 'warn', detail: cause, cause, remedy });

function checkConfig(o: DoctorOptions): { result: CheckResult; config: ColonyConfig | null } {
  const file = o.configFile ?? (existsSync('/etc/colony/config.ini') ? '/etc/colony/config.ini' : undefined);
  try {
    const config = loadConfig(o.role === 'leader' ? { shared: file } : { unit: file });
    if (!file) return { config, result: warn('config', 'no config file given and /etc/colony/config.ini is missing: built-in defaults only', 'Pass --config FILE, or run the install script (it writes /etc/colony/config.ini).') };
    return { config, result: ok('config', `${file} is valid`) };
  } catch (e) {
    const where = e instanceof ConfigError && e.section ? ` (${e.section}${e.key ? `.${e.key}` : ''})` : '';
    return { config: null, result: fail('config', `${(e as Error).message}${where}`, `Fix that line in ${file ?? 'the config'}; "colony deploy --dry-run" shows a valid template.`) };
  }
}

function checkNode(): CheckResult {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22) return ok('node', `Node ${process.version}`);
  if (major >= 20) return warn('node', `Node ${process.version} is end-of-life`, 'Install Node 22 LTS (scripts/install-*.sh do it: NodeSource node_22.x, or unofficial-builds on armv6).');
  return fail('node', `Node ${process.version} is too old (Colony needs >= 20.19, recommends 22)`, 'Install Node 22 LTS (see scripts/install-agent.sh).');
}

function checkDisk(dir: string): CheckResult {
  const at = existsSync(dir) ? dir : '.';
  try {
    const s = statfsSync(at);
    const free = s.bavail * s.bsize;
    const mb = Math.round(free / 1024 / 1024);
    if (mb < 200) return fail('disk', `only ${mb} MiB free on the filesystem of ${at}`, 'Free space (old exports, journal: journalctl --vacuum-size=100M) or move the data dir to a larger disk.');
    if (mb < 1024) return warn('disk', `${mb} MiB free on the filesystem of ${at}`, 'Plan for more space: the database grows with every reading.');
    return ok('disk', `${mb} MiB free (${at})`);
  } catch (e) {
    return warn('disk', `cannot stat ${at}: ${(e as Error).message}`, 'Check that the data dir exists.');
  }
}

function onPi(): boolean {
  return process.platform === 'linux' && existsSync('/proc/device-tree/model');
}

async function checkHardware(o: DoctorOptions, config: ColonyConfig | null): Promise<CheckResult[]> {
  const backend = o.backend ?? config?.colony.backend ?? 'auto';
  const pi = backend === 'pi' || (backend === 'auto' && onPi());
  if (!pi) return [na('i2c', `backend ${backend === 'auto' ? 'sim (not a Raspberry Pi)' : backend}: no I2C bus to check`), na('gpio/pwm', 'sim backend: no GPIO or PWM to check')];
  const out: CheckResult[] = [];
  try {
    const probe = (await import('../hardware/pi/probe.js')) as typeof import('../hardware/pi/probe.js');
    const r = await probe.probePi({ hatVersion: config?.colony.hat_version ?? '1.2' });
    if (r.problems.length === 0) out.push(ok('i2c', `${r.model}: I2C bus and the HAT's chips answer`));
    for (const p of r.problems) out.push(fail('i2c', p, 'Enable I2C (sudo raspi-config nonint do_i2c 0, then reboot), seat the HAT, and check `i2cdetect -y 1`.'));
  } catch (e) {
    out.push(fail('i2c', `probe failed: ${(e as Error).message}`, 'Install i2c-tools and check `i2cdetect -y 1`; the i2c-bus module must be built for this Node.'));
  }
  const gpio = ['/dev/gpiochip0', '/sys/class/gpio/export'].filter((p) => existsSync(p));
  const denied = gpio.filter((p) => {
    try {
      accessSync(p, constants.R_OK | constants.W_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (gpio.length === 0) out.push(fail('gpio/pwm', 'no /dev/gpiochip0 or /sys/class/gpio', 'This kernel exposes no GPIO: use Raspberry Pi OS Bookworm.'));
  else if (denied.length) out.push(fail('gpio/pwm', `no read/write access to ${denied.join(', ')}`, 'Add the service user to the gpio group (usermod -aG gpio colony) and restart the agent.'));
  else if (!existsSync('/sys/class/pwm')) out.push(fail('gpio/pwm', 'no /sys/class/pwm', 'Add dtoverlay=pwm-2chan to /boot/firmware/config.txt and reboot.'));
  else out.push(ok('gpio/pwm', 'GPIO and PWM are accessible'));
  return out;
}

function brokerUrl(o: DoctorOptions, config: ColonyConfig | null): string {
  if (o.brokerUrl) return o.brokerUrl;
  const m = config?.mqtt;
  return `${m?.use_tls ? 'mqtts' : 'mqtt'}://${m?.broker_address ?? 'localhost'}:${m?.broker_port ?? 1883}`;
}

async function checkBroker(o: DoctorOptions, config: ColonyConfig | null): Promise<CheckResult> {
  const url = brokerUrl(o, config);
  const username = process.env.COLONY_MQTT_USERNAME ?? config?.mqtt.username;
  const password = process.env.COLONY_MQTT_PASSWORD ?? config?.mqtt.password;
  if (!username || !password)
    return fail('broker', `no MQTT credentials in [mqtt] username/password`, o.role === 'agent' ? 'On the leader run `colony workers add UNIT --out UNIT.ini` and install that snippet as /etc/colony/config.ini.' : 'Re-run scripts/install-leader.sh (it generates the leader\'s credentials).');
  try {
    const c = await mqtt.connectAsync(url, { username, password, protocolVersion: 4, connectTimeout: o.timeoutMs ?? 5000, reconnectPeriod: 0, clientId: `colony-doctor-${process.pid}` }, false);
    await c.endAsync();
    return ok('broker', `${url} accepts ${username}`);
  } catch (e) {
    const msg = (e as Error).message || String(e);
    if (/not authori[sz]ed|bad user ?name or password|code 4|code 5/i.test(msg))
      return fail('broker', `${url} refused ${username}: ${msg}`, o.role === 'agent' ? `The password does not match the leader's mqtt_users.json: run \`colony workers add ${username}\` on the leader and install the new snippet.` : 'The leader\'s [mqtt] password does not match: restart the leader so it re-registers it, or fix [mqtt] in the config.');
    return fail('broker', `cannot connect to ${url}: ${msg}`, `Start the broker (systemctl start colony-leader on the leader) and check [mqtt] broker_address/broker_port${o.brokerUrl ? ' and --broker' : ''}; test with: mosquitto_sub -h HOST -p PORT -t '#' -u USER -P PASS.`);
  }
}

async function checkClock(o: DoctorOptions, config: ColonyConfig | null): Promise<CheckResult> {
  if (o.role === 'leader') {
    const r = spawnSync('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { encoding: 'utf8' });
    if (r.status !== 0) return na('clock', 'the leader is the cluster\'s time reference (timedatectl unavailable)');
    if (r.stdout.trim() === 'yes') return ok('clock', 'NTP synchronised');
    return warn('clock', 'the leader\'s clock is not NTP-synchronised', 'Enable NTP (timedatectl set-ntp true); units follow the leader, so serve NTP from it on an access point (chrony: allow 0.0.0.0/0).');
  }
  const topo = config?.['cluster.topology'];
  const endpoint = o.endpoint ?? process.env.COLONY_ENDPOINT ?? `http://${topo?.leader_address ?? 'localhost'}:${config?.leader.http_port ?? 4999}`;
  const c = new ColonyClient({ endpoint, apiKey: o.apiKey, requestTimeoutMs: o.timeoutMs ?? 5000 });
  const t0 = Date.now();
  let leaderTime: number;
  let limit: number;
  try {
    const h = await c.clusterHealth();
    leaderTime = Date.parse(h.clock_time);
    limit = h.clock_drift_warn_seconds;
  } catch (e) {
    return fail('clock', `cannot read the leader's clock at ${endpoint}: ${(e as Error).message}`, 'Check that the leader runs and --endpoint (or [cluster.topology] leader_address) points at it.');
  }
  const t1 = Date.now();
  const offset = (t0 + t1) / 2 - leaderTime;
  const s = Math.abs(offset / 1000).toFixed(1);
  if (Math.abs(offset) > limit * 1000)
    return fail('clock', `this unit's clock is ${s} s ${offset > 0 ? 'ahead of' : 'behind'} the leader (limit ${limit} s)`, 'Enable NTP (timedatectl set-ntp true) with the leader as server (/etc/systemd/timesyncd.conf NTP=leader.local), then restart the agent.');
  return ok('clock', `within ${s} s of the leader (±${Math.round((t1 - t0) / 2)} ms)`);
}

async function checkDatabase(dataDir: string): Promise<CheckResult> {
  const path = join(dataDir, 'colony.sqlite');
  if (!existsSync(path)) return na('database', `no database at ${path} yet (the leader creates it on first start)`);
  try {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
      const bad = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
      if (bad.length) return fail('database', `${path}: ${bad.slice(0, 3).join('; ')}`, 'Stop the leader, back up the file, then recover: sqlite3 colony.sqlite ".recover" | sqlite3 fixed.sqlite.');
      return ok('database', `${path} passes PRAGMA quick_check`);
    } finally {
      db.close();
    }
  } catch (e) {
    return fail('database', `cannot open ${path}: ${(e as Error).message}`, 'Check the file\'s owner (the colony user) and that the disk is not full.');
  }
}

function checkSystemd(role: 'leader' | 'agent'): CheckResult {
  const name = `colony-${role}.service`;
  if (!existsSync('/run/systemd/system')) return na('systemd', 'systemd is not running on this machine');
  const enabled = spawnSync('systemctl', ['is-enabled', name], { encoding: 'utf8' });
  if (enabled.error || /not-found|No such file/i.test(`${enabled.stdout}${enabled.stderr}`)) return na('systemd', `${name} is not installed (colony deploy --role ${role} installs it)`);
  const active = spawnSync('systemctl', ['is-active', name], { encoding: 'utf8' }).stdout.trim();
  if (active === 'active') return ok('systemd', `${name} is active (${enabled.stdout.trim()})`);
  return fail('systemd', `${name} is ${active || 'unknown'}`, `Start it (systemctl start ${name}) and read why it stopped: journalctl -u ${name} -n 50.`);
}

export async function runDoctor(o: DoctorOptions): Promise<CheckResult[]> {
  const { result, config } = checkConfig(o);
  const results: CheckResult[] = [result, checkNode(), checkDisk(o.dataDir)];
  if (o.role === 'agent') results.push(...(await checkHardware(o, config)));
  results.push(await checkBroker(o, config));
  results.push(await checkClock(o, config));
  if (o.role === 'leader') results.push(await checkDatabase(o.dataDir));
  results.push(checkSystemd(o.role));
  return results;
}

export function formatResults(results: CheckResult[]): string {
  const mark: Record<Status, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', 'n/a': 'n/a ' };
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${mark[r.status]}  ${r.check.padEnd(9)} ${r.detail}`);
    if (r.status === 'fail' || r.status === 'warn') lines.push(`      ${' '.repeat(9)} remedy: ${r.remedy}`);
  }
  const failed = results.filter((r) => r.status === 'fail').length;
  lines.push(failed ? `\n${failed} check(s) failed.` : '\nall checks passed.');
  return lines.join('\n');
}

const HELP = `usage: colony doctor [--leader | --agent] [--config FILE] [--data-dir DIR] [--broker URL]
                     [--endpoint URL] [--backend sim|pi] [--json]
Checks config, Node, disk, hardware (agent), broker login, clock offset, database (leader), systemd.
Exits 1 if any check fails.`;

export const doctorCommand = command(
  'colony doctor',
  HELP,
  {
    leader: { type: 'boolean', default: false },
    agent: { type: 'boolean', default: false },
    config: { type: 'string' },
    'data-dir': { type: 'string' },
    broker: { type: 'string' },
    backend: { type: 'string' },
    timeout: { type: 'string' },
  },
  async ({ values, out }: { values: Record<string, unknown>; out: Out }) => {
    if (values.leader && values.agent) throw new UsageError('give --leader or --agent, not both');
    const dataDir = (values['data-dir'] as string | undefined) ?? (existsSync('/var/lib/colony') ? '/var/lib/colony' : './colony-data');
    const role = values.agent ? 'agent' : values.leader ? 'leader' : existsSync(join(dataDir, 'colony.sqlite')) ? 'leader' : 'agent';
    const results = await runDoctor({
      role,
      configFile: values.config as string | undefined,
      dataDir,
      brokerUrl: values.broker as string | undefined,
      endpoint: values.endpoint as string | undefined,
      apiKey: values['api-key'] as string | undefined,
      backend: values.backend as string | undefined,
      timeoutMs: values.timeout ? Number(values.timeout) * 1000 : undefined,
    });
    if (out.json) out.stdout.write(`${JSON.stringify({ role, results }, null, 2)}\n`);
    else out.stdout.write(`colony doctor (${role})\n${formatResults(results)}\n`);
    return results.some((r) => r.status === 'fail') ? 1 : 0;
  },
);

export const run = doctorCommand.run;
