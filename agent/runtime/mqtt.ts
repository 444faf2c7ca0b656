/** MQTT connections: every job and the unit's outbox link get their own mqtt.js client (MQTT 3.1.1). */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { randomId } from '../../shared/ids.js';

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
  return mqtt.connect(broker.url, opts);
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
