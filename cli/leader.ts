/**
 * `colony leader [--data-dir DIR] [--http-port 4999] [--mqtt-port 1883] [--ws-port 9001] [--broker URL]
 *  [--config FILE] [--host ADDR]`: run the leader daemon until SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { startLeader } from '../leader/leader.js';

const HELP = `usage: colony leader [--data-dir DIR] [--http-port 4999] [--mqtt-port 1883] [--ws-port 9001]
                     [--broker mqtt://HOST:PORT] [--config FILE] [--host ADDR] [--speed N]

Without --broker, runs the embedded MQTT broker on TCP and WebSocket (/mqtt).
With --broker, connects to that external broker (mosquitto, EMQX) and runs none of its own.
The leader's MQTT credentials come from [mqtt] username/password in the config (or
COLONY_MQTT_USERNAME / COLONY_MQTT_PASSWORD), never from a flag.
--speed N tells phase detection that the (simulated) units' biology runs N times faster than the clock.`;

function port(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port number (0-65535), got ${JSON.stringify(v)}`);
  return n;
}

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!(n > 0 && n <= 10000)) throw new Error(`--${name} must be a number above 0 and at most 10000, got ${JSON.stringify(v)}`);
  return n;
}

export async function run(argv: string[]): Promise<number | undefined> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string', default: './colony-data' },
      'http-port': { type: 'string' },
      'mqtt-port': { type: 'string' },
      'ws-port': { type: 'string' },
      broker: { type: 'string' },
      config: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      speed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.broker && !/^mqtts?:\/\/[^/]+$/.test(values.broker)) throw new Error(`--broker must look like mqtt://HOST:PORT, got ${JSON.stringify(values.broker)}`);
  const leader = await startLeader({
    dataDir: values['data-dir']!,
    configFile: values.config,
    httpHost: values.host,
    httpPort: port('http-port', values['http-port']),
    mqttPort: port('mqtt-port', values['mqtt-port']),
    wsPort: values['ws-port'] === undefined ? undefined : port('ws-port', values['ws-port']),
    brokerUrl: values.broker,
    speed: values.speed === undefined ? undefined : positive('speed', values.speed),
  });
  leader.ctx.log.info({ http: leader.httpUrl, mqtt: leader.broker.url, ws: leader.broker.wsUrl }, 'leader ready');
  const shutdown = (sig: string) => {
    leader.ctx.log.info(`leader: ${sig}, stopping`);
    leader.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return undefined;
}
