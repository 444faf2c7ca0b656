/**
 * `colony workers list | add NAME | remove NAME | discover`.
 *
 * `add` is the join step, run on the leader: it generates the unit's own MQTT identity (role `unit`, a random
 * password, scrypt-hashed into `<data-dir>/mqtt_users.json`, which the leader reloads every 5 s), prints or
 * writes (`--out FILE`, mode 0600) the worker's config snippet with the broker address and those credentials,
 * and PUTs the worker into the inventory when the leader's API answers. There is no shared default password.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MqttUsers, randomPassword } from '../leader/auth/mqtt-users.js';
import { USERS_FILE } from '../leader/leader.js';
import { loadConfig, type ColonyConfig } from '../shared/config/index.js';
import { isUnitName } from '../shared/ids.js';
import { ColonyApiError, ColonyClient } from './client/api.js';
import { command, UsageError } from './client/commands.js';
import { emit } from './client/output.js';

const HELP = `usage: colony workers list
       colony workers add NAME [--data-dir DIR] [--config FILE] [--broker-address HOST] [--broker-port N]
                               [--out FILE] [--model NAME] [--model-version V] [--no-api]
       colony workers remove NAME [--data-dir DIR]
       colony workers discover
add runs on the leader (it writes DIR/mqtt_users.json; default /var/lib/colony, else ./colony-data).`;

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.COLONY_DATA_DIR) return env.COLONY_DATA_DIR;
  return existsSync('/var/lib/colony/mqtt_users.json') ? '/var/lib/colony' : './colony-data';
}

function leaderConfig(dataDir: string, file: string | undefined): ColonyConfig {
  const candidates = [file, join(dataDir, 'config.ini'), '/etc/colony/config.ini'].filter((f): f is string => !!f);
  const found = candidates.find((f) => existsSync(f));
  return loadConfig({ shared: found });
}

export interface JoinResult {
  unit: string;
  username: string;
  password: string;
  snippet: string;
  rotated: boolean;
}

/** Create (or rotate) a unit's MQTT identity and render its config snippet. */
export function joinWorker(o: { unit: string; dataDir: string; config: ColonyConfig; brokerAddress?: string; brokerPort?: number }): JoinResult {
  if (!isUnitName(o.unit)) throw new UsageError(`unit name ${JSON.stringify(o.unit)} may use only letters, digits, - and _`);
  const path = join(o.dataDir, USERS_FILE);
  const users = MqttUsers.load(path);
  const existing = users.get(o.unit);
  if (existing && existing.role !== 'unit') throw new UsageError(`${o.unit} is already the MQTT identity of a ${existing.role}; pick another unit name`);
  const password = randomPassword();
  users.set(o.unit, password, 'unit', o.unit);
  users.save(path);
  const topo = o.config['cluster.topology'];
  const address = o.brokerAddress ?? (topo.leader_address !== 'localhost' ? topo.leader_address : `${topo.leader_hostname}.local`);
  const port = o.brokerPort ?? o.config.mqtt.broker_port;
  const snippet = `# Colony worker ${o.unit}: generated on the leader by \`colony workers add ${o.unit}\`.
# Install as /etc/colony/config.ini on ${o.unit} (scripts/install-agent.sh --config-snippet FILE). Keep it secret.
[cluster.topology]
leader_hostname=${topo.leader_hostname}
leader_address=${address}

[mqtt]
broker_address=${address}
broker_port=${port}
use_tls=${o.config.mqtt.use_tls ? 'true' : 'false'}
username=${o.unit}
password=${password}

[discovery]
enabled=true
`;
  return { unit: o.unit, username: o.unit, password, snippet, rotated: !!existing };
}

export const workersCommand = command(
  'colony workers',
  HELP,
  {
    'data-dir': { type: 'string' },
    config: { type: 'string' },
    'broker-address': { type: 'string' },
    'broker-port': { type: 'string' },
    out: { type: 'string' },
    model: { type: 'string' },
    'model-version': { type: 'string' },
    'no-api': { type: 'boolean', default: false },
  },
  async ({ positionals, values, out, client }) => {
    const [sub = 'list', ...rest] = positionals;
    if (sub === 'list') {
      const rows = await client().workers();
      emit(out, rows, rows as unknown as Array<Record<string, unknown>>, ['pioreactor_unit', 'is_active', 'model_name', 'model_version', 'added_at']);
      return 0;
    }
    if (sub === 'discover') {
      const rows = await client().discover();
      emit(out, rows, rows as unknown as Array<Record<string, unknown>>, ['pioreactor_unit', 'host', 'addresses', 'version', 'source']);
      return 0;
    }
    if (sub === 'add') {
      if (rest.length !== 1) throw new UsageError('add needs exactly one NAME');
      const dataDir = (values['data-dir'] as string | undefined) ?? defaultDataDir();
      if (!existsSync(dataDir)) throw new UsageError(`data dir ${dataDir} does not exist: run this on the leader, or pass --data-dir DIR (the leader's --data-dir)`);
      const config = leaderConfig(dataDir, values.config as string | undefined);
      const port = values['broker-port'] === undefined ? undefined : Number(values['broker-port']);
      if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new UsageError('--broker-port must be a port number');
      const j = joinWorker({ unit: rest[0], dataDir, config, brokerAddress: values['broker-address'] as string | undefined, brokerPort: port });
      let inventory = 'skipped (--no-api)';
      if (!values['no-api']) {
        const c = new ColonyClient({
          endpoint: (values.endpoint as string | undefined) ?? process.env.COLONY_ENDPOINT ?? `http://127.0.0.1:${config.leader.http_port}`,
          apiKey: values['api-key'] as string | undefined,
        });
        try {
          await c.addWorker(j.unit, { name: values.model as string | undefined, version: values['model-version'] as string | undefined });
          inventory = `added via ${c.endpoint}`;
        } catch (e) {
          if (!(e instanceof ColonyApiError)) throw e;
          inventory = `not added (${e.message}); once the leader runs: colony workers add ${j.unit} again, or PUT /api/workers`;
        }
      }
      if (values.out) writeFileSync(values.out as string, j.snippet, { mode: 0o600 });
      if (out.json) emit(out, { unit: j.unit, username: j.username, password: j.password, rotated: j.rotated, out: values.out ?? null, inventory, snippet: j.snippet });
      else {
        if (!values.out) out.stdout.write(j.snippet);
        out.stderr.write(
          `${j.rotated ? 'rotated the MQTT password of' : 'created the MQTT identity'} ${j.unit} in ${join(dataDir, USERS_FILE)} (the leader picks it up within 5 s)\n` +
            `inventory: ${inventory}\n` +
            (values.out ? `config snippet written to ${String(values.out)} (mode 0600): copy it to ${j.unit} and run install-agent.sh --config-snippet FILE\n` : ''),
        );
      }
      return 0;
    }
    if (sub === 'remove') {
      if (rest.length !== 1) throw new UsageError('remove needs exactly one NAME');
      const unit = rest[0];
      await client().removeWorker(unit);
      const dataDir = (values['data-dir'] as string | undefined) ?? defaultDataDir();
      const path = join(dataDir, USERS_FILE);
      let identity = 'kept (no local mqtt_users.json)';
      if (existsSync(path)) {
        const users = MqttUsers.load(path);
        if (users.get(unit)?.role === 'unit' && users.remove(unit)) {
          users.save(path);
          identity = 'revoked';
        } else identity = 'none found';
      }
      emit(out, { unit, removed: true, mqtt_identity: identity }, [{ unit, removed: 'yes', mqtt_identity: identity }], ['unit', 'removed', 'mqtt_identity']);
      return 0;
    }
    throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}`);
  },
);

export const run = workersCommand.run;
