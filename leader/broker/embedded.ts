/**
 * The embedded broker: aedes 1.x (MQTT 3.1.1) on TCP, and on WebSocket at `/mqtt` through plain `ws`.
 * Every client must authenticate; publishes are checked against the ACL (broker/acl.ts).
 */
import { Aedes, type Client } from 'aedes';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Identity, MqttUsers } from '../auth/mqtt-users.js';
import type { ColonyLogger } from '../../shared/logger.js';
import { mayPublish, maySubscribe } from './acl.js';
import type { Broker } from './broker.js';

export interface EmbeddedBrokerOptions {
  host?: string;
  port: number;
  /** WebSocket port (path /mqtt); null for none. */
  wsPort: number | null;
  users: () => MqttUsers;
  log: ColonyLogger;
  maxConnections?: number;
}

const identities = new WeakMap<Client, Identity>();

export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<Broker & { aedes: Aedes }> {
  const host = opts.host ?? '0.0.0.0';
  const aedes = await Aedes.createBroker({
    drainTimeout: 30_000,
    authenticate: (client, username, password, done) => {
      opts
        .users()
        .verifyAsync(username, password)
        .then((who) => {
          if (!who) {
            opts.log.warn({ client: client?.id, username }, 'mqtt: bad username or password');
            const err = Object.assign(new Error('Bad username or password'), { returnCode: 4 });
            return done(err as never, false);
          }
          identities.set(client, who);
          done(null, true);
        }, (err: Error) => done(err as never, false));
    },
    authorizePublish: (client, packet, done) => {
      // Messages the broker publishes itself ($SYS) have no client.
      if (!client) return done(null);
      const who = identities.get(client);
      if (!who || !mayPublish(who, packet.topic)) {
        opts.log.warn({ client: client.id, user: who?.username, topic: packet.topic }, 'mqtt: publish refused by ACL');
        return done(new Error('publish not authorised'));
      }
      done(null);
    },
    authorizeSubscribe: (client, sub, done) => {
      const who = client ? identities.get(client) : undefined;
      if (!who || !maySubscribe(who, sub.topic)) return done(new Error('subscribe not authorised'), null);
      done(null, sub);
    },
  });
  aedes.on('clientError', (client, err) => opts.log.debug({ client: client?.id, err: err.message }, 'mqtt client error'));

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  server.maxConnections = opts.maxConnections ?? 500;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  let http: HttpServer | null = null;
  let wss: WebSocketServer | null = null;
  let wsPort: number | null = null;
  if (opts.wsPort !== null) {
    http = createHttpServer((_req, res) => {
      res.writeHead(404).end();
    });
    wss = new WebSocketServer({ server: http, path: '/mqtt' });
    wss.on('connection', (ws, req) => {
      const stream = createWebSocketStream(ws);
      stream.on('error', () => ws.terminate());
      aedes.handle(stream as never, req as never);
    });
    await new Promise<void>((resolve, reject) => {
      http!.once('error', reject);
      http!.listen(opts.wsPort!, host, () => resolve());
    });
    wsPort = (http.address() as AddressInfo).port;
  }

  const local = host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    aedes,
    kind: 'embedded',
    url: `mqtt://${local}:${port}`,
    wsUrl: wsPort !== null ? `ws://${local}:${wsPort}/mqtt` : null,
    connectedClients: () => aedes.connectedClients,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (wss) {
        for (const c of wss.clients) c.terminate();
        wss.close();
      }
      if (http) await new Promise<void>((resolve) => http!.close(() => resolve()));
    },
  };
}
