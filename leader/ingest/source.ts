/**
 * Where ingest gets its messages. With an external broker: the leader's MQTT connection (QoS 1, persistent
 * session). With the embedded broker: an in-process subscription on aedes, which skips MQTT encoding, TCP and
 * decoding for the busiest path of the leader (the agents' outbox acks make this as safe as a socket: a row
 * is acknowledged only once it is committed).
 */
import type { Aedes } from 'aedes';
import type { MqttClient } from 'mqtt';

export type MessageHandler = (topic: string, payload: Buffer, retain: boolean) => void;

export interface IngestSource {
  start(topics: string[], onMessage: MessageHandler): Promise<void>;
  /** Publish a commit ack (retained, QoS 1). */
  publish(topic: string, payload: string, retain: boolean): Promise<void>;
  stop(): Promise<void>;
}

export function mqttSource(client: MqttClient): IngestSource {
  let handler: ((topic: string, payload: Buffer, packet: { retain?: boolean }) => void) | null = null;
  return {
    async start(topics, onMessage) {
      handler = (t, p, packet) => onMessage(t, p, !!packet.retain);
      client.on('message', handler);
      await client.subscribeAsync(Object.fromEntries(topics.map((t) => [t, { qos: 1 as const }])));
    },
    publish: async (topic, payload, retain) => {
      await client.publishAsync(topic, payload, { qos: 1, retain });
    },
    async stop() {
      if (handler) client.removeListener('message', handler);
    },
  };
}

export function aedesSource(aedes: Aedes): IngestSource {
  const subs: Array<[string, (packet: { topic: string; payload: Buffer | string }, cb: () => void) => void]> = [];
  return {
    async start(topics, onMessage) {
      for (const t of topics) {
        // Live deliveries only: an in-process subscription never replays stored retained messages, so every
        // packet here is fresh, as a retain=false delivery is to a socket subscriber.
        const deliver = (packet: { topic: string; payload: Buffer | string }, cb: () => void) => {
          onMessage(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload), false);
          cb();
        };
        subs.push([t, deliver]);
        await new Promise<void>((resolve) => aedes.subscribe(t, deliver as never, resolve));
      }
    },
    publish: (topic, payload, retain) =>
      new Promise<void>((resolve, reject) =>
        aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain, dup: false }, (err) => (err ? reject(err) : resolve())),
      ),
    async stop() {
      for (const [t, d] of subs) await new Promise<void>((resolve) => aedes.unsubscribe(t, d as never, resolve));
      subs.length = 0;
    },
  };
}
