/**
 * `colony agent`: the per-unit daemon.
 *
 *   colony agent --unit NAME [--backend sim|pi] [--broker mqtt://HOST:PORT] [--experiment EXP]
 *                [--start job1,job2] [--speed N] [--data-dir DIR] [--config FILE]
 *
 * MQTT credentials come only from the config file (`[mqtt] username/password`) or COLONY_MQTT_USERNAME /
 * COLONY_MQTT_PASSWORD, never from flags.
 *
 * Memory (budget RSS < 80 MB with every job on the sim, ARCHITECTURE.md §7): the agent loads no mDNS code unless it
 * advertises, no mqtt.js transport table for `mqtt://` brokers (agent/runtime/mqtt.ts), never hardware/pi on the
 * sim, and keeps a 512 KiB SQLite cache for the outbox. The agent sets no V8 flags: Node 20 has no execve, so a
 * re-exec would leave a ~40 MB node parent waiting on the child (and split the main PID systemd watches), and
 * `v8.setFlagsFromString` after start-up is unsupported by Node. `--max-semi-space-size=1` measured ~1.5 MB,
 * `--v8-pool-size=1` ~6 MB more and `--lite-mode` ~17 MB: an operator can put them in the unit's ExecStart.
 */
import { existsSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { HardwareBackend } from '../hardware/interfaces.js';
import { Agent } from '../agent/agent.js';
import { FakeBackend } from '../agent/runtime/fake-backend.js';
import { Notifier } from '../agent/runtime/notifier.js';
import { RealClock, type Clock } from '../shared/clock.js';
import { loadConfig, type ColonyConfig } from '../shared/config/index.js';
import { createLogger } from '../shared/logger.js';
import { isUnitName } from '../shared/ids.js';

const USAGE = `usage: colony agent --unit NAME [--backend auto|sim|pi] [--broker mqtt://HOST:PORT] [--experiment EXP]
                    [--start job1,job2,...] [--speed N] [--data-dir DIR] [--config FILE]
credentials: [mqtt] username/password in --config, or COLONY_MQTT_USERNAME / COLONY_MQTT_PASSWORD`;

function onPi(): boolean {
  return existsSync('/proc/device-tree/model') && process.platform === 'linux';
}

/** The hardware backend: hardware/index.js when it exists, else the agent's stand-in vial. */
async function makeBackend(kind: 'sim' | 'pi', config: ColonyConfig, clock: Clock, speed: number, unit: string): Promise<HardwareBackend> {
  const url = new URL('../hardware/index.js', import.meta.url);
  const candidates = [url, new URL('../hardware/index.ts', import.meta.url)];
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    const mod = (await import(pathToFileURL(c.pathname).href)) as {
      createBackend?: (o: { backend: 'sim' | 'pi'; config: ColonyConfig; clock: Clock; speed?: number; seed?: number; unit?: string }) => Promise<HardwareBackend>;
    };
    if (mod.createBackend) return mod.createBackend({ backend: kind, config, clock, speed, seed: config.colony.sim_seed, unit });
  }
  if (kind === 'pi') throw new Error('the pi backend is not available in this build');
  return new FakeBackend(clock, config.PWM as unknown as Record<string, string>, speed);
}

export async function run(argv: string[]): Promise<number | undefined> {
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        unit: { type: 'string' },
        backend: { type: 'string' },
        broker: { type: 'string' },
        experiment: { type: 'string' },
        start: { type: 'string' },
        speed: { type: 'string' },
        'data-dir': { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    console.error(`colony agent: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (a.help) {
    console.log(USAGE);
    return 0;
  }
  if (!a.unit || !isUnitName(a.unit)) {
    console.error(`colony agent: --unit NAME is required (letters, digits, - and _)\n${USAGE}`);
    return 2;
  }
  const config = loadConfig({ unit: a.config });
  const backendOpt = a.backend ?? config.colony.backend;
  if (!['auto', 'sim', 'pi'].includes(backendOpt)) {
    console.error(`colony agent: --backend must be sim or pi`);
    return 2;
  }
  const backend: 'sim' | 'pi' = backendOpt === 'auto' ? (onPi() ? 'pi' : 'sim') : (backendOpt as 'sim' | 'pi');
  const speed = a.speed !== undefined ? Number(a.speed) : config.colony.speed;
  if (!(speed > 0)) {
    console.error('colony agent: --speed must be a positive number');
    return 2;
  }
  const dataDir = a['data-dir'] ?? config.colony.data_dir ?? join(homedir(), '.colony', 'agent', a.unit);
  mkdirSync(dataDir, { recursive: true });
  const brokerUrl = a.broker ?? `${config.mqtt.use_tls ? 'mqtts' : 'mqtt'}://${config.mqtt.broker_address}:${config.mqtt.broker_port}`;
  const log = createLogger({ name: 'agent', base: { unit: a.unit } });
  const clock = new RealClock();
  const hw = await makeBackend(backend, config, clock, speed, a.unit);
  const agent = new Agent({
    unit: a.unit,
    hw,
    config,
    clock,
    log,
    dataDir,
    experiment: a.experiment,
    speed,
    broker: {
      url: brokerUrl,
      username: process.env.COLONY_MQTT_USERNAME ?? config.mqtt.username,
      password: process.env.COLONY_MQTT_PASSWORD ?? config.mqtt.password,
    },
  });
  const notifier = new Notifier();
  let stopping = false;
  const stop = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log.info({ why }, 'agent stopping');
    notifier.stopping();
    const force = setTimeout(() => {
      void hw.allOff().finally(() => process.exit(code));
    }, 10_000);
    await agent.shutdown();
    clearTimeout(force);
    log.flush?.();
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM', 0));
  process.on('SIGINT', () => void stop('SIGINT', 0));
  process.on('uncaughtException', (e) => {
    log.fatal({ err: e.message, stack: e.stack }, 'uncaught exception');
    void hw.allOff();
    void stop('uncaught exception', 1);
  });
  process.on('unhandledRejection', (e) => {
    log.error({ err: (e as Error)?.message ?? String(e) }, 'unhandled rejection');
  });
  const jobs = (a.start ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  await agent.start(jobs);
  log.info({ unit: a.unit, backend, broker: brokerUrl, experiment: agent.experiment, jobs: agent.manager.list().map((j) => j.job_name) }, 'agent ready');
  notifier.ready();
  return undefined;
}
