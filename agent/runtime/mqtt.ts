/**
 * MQTT connections: every job and the unit's outbox link get their own mqtt.js client (MQTT 3.1.1).
 *
 * Memory: `mqtt://` (the agent's usual broker URL) builds mqtt.js's MqttClient directly over a `node:net` socket,
 * so the agent never loads mqtt.js's entry point and protocol table (WebSocket, TLS, SOCKS, browser transports):
 * about 6 MB less RSS. Any other scheme (mqtts, ws, wss) goes through `mqtt.connect`, loaded on first use.
 */
import { createRequire } from 'node:module';
import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IClientOptions, MqttClient } from 'mqtt';
import { randomId } from '../../shared/ids.js';

const require = createRequire(import.meta.url);
type ClientClass = new (streamBuilder: (client: MqttClient) => Duplex, options: IClientOptions) => MqttClient;
let clientClass: ClientClass | null = null;

function tcpClient(url: URL, opts: IClientOptions): MqttClient {
  clientClass ??= (require('mqtt/lib/client') as { default: ClientClass }).default;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = Number(url.port || 1883);
  const client = new clientClass(() => createConnection({ host, port }), { ...opts, protocol: 'mqtt', host, hostname: host, port });
  client.on('error', () => undefined); // as mqtt.connect does: errors surface as events, never as throws
  return client;
}

export interface BrokerOptions {
  url: string;
  username?: string;
  password?: string;
  /** ms between reconnect attempts (default 1000). */
  reconnectPeriod?: number;
  keepalive?: number;
}

export interface ConnectOptions {
  clientIdBase: string;
  will?: { topic: string; payload: string };
  clean?: boolean;
  keepalive?: number;
}

export function connectClient(broker: BrokerOptions, o: ConnectOptions): MqttClient {
  const opts: IClientOptions = {
    protocolVersion: 4,
    clientId: `${o.clientIdBase}-${randomId(4)}`.slice(0, 64),
    username: broker.username,
    password: broker.password,
    reconnectPeriod: broker.reconnectPeriod ?? 1000,
    connectTimeout: 10_000,
    keepalive: o.keepalive ?? broker.keepalive ?? 30,
    clean: o.clean ?? true,
    resubscribe: true,
  };
  if (o.will) opts.will = { topic: o.will.topic, payload: Buffer.from(o.will.payload), qos: 2, retain: true };
  const url = new URL(broker.url);
  if (url.protocol === 'mqtt:' || url.protocol === 'tcp:') return tcpClient(url, opts);
  return (require('mqtt') as { connect: (url: string, opts: IClientOptions) => MqttClient }).connect(broker.url, opts);
}

/** Resolve when connected (or reject after `timeoutMs`; the client keeps retrying in the background). */
export function waitConnected(client: MqttClient, timeoutMs = 10_000): Promise<void> {
  if (client.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      client.off('connect', ok);
      reject(new Error('timed out connecting to the MQTT broker'));
    }, timeoutMs);
    const ok = () => {
      clearTimeout(t);
      resolve();
    };
    client.once('connect', ok);
  });
}

/** End a client gracefully (no last will); force after `timeoutMs`. */
export function endClient(client: MqttClient, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      client.end(true, {}, () => resolve());
    }, timeoutMs);
    client.end(false, {}, () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Publish and resolve when the broker acknowledges (or immediately when offline: mqtt.js queues it). */
export function publish(client: MqttClient, topic: string, payload: string, qos: 0 | 1 | 2, retain: boolean): Promise<void> {
  return new Promise((resolve) => {
    if (!client.connected && qos === 0) {
      resolve();
      return;
    }
    client.publish(topic, payload, { qos, retain }, () => resolve());
  });
}
