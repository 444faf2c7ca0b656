// `/api/live` against a real leader (embedded aedes; and an external mosquitto when installed): the retained values
// arrive on subscribe, new publishes follow, non-matching topics stay out, bad messages get an error and the
// connection lives on, browsers share one broker subscription per filter, a slow reader loses messages (counted)
// instead of growing the leader's memory, the upgrade is refused without credentials when auth is required (and
// from a foreign Origin), and leader.stop() closes the stream promptly.
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import { WebSocket } from 'ws';
import { BUFFER_LIMIT, filterCovers, filterError, liveStats, MAX_FILTERS, topicMatches } from '../../leader/api/live.js';
import { hashPassword } from '../../leader/auth/passwords.js';
import type { LeaderHandle } from '../../leader/leader.js';
import { mosquittoPath } from '../helpers/brokers.js';
import { LEADER, makeDataDir, startSecuredMosquitto, startTestLeader } from '../leader/cluster.js';

type Msg = { topic?: string; payload?: string; retained?: boolean; subscribed?: string[]; unsubscribed?: string[]; error?: string; dropped?: number };

/** A `ws` client that records every JSON message and can wait for one. */
class LiveClient {
  readonly msgs: Msg[] = [];
  private waiters: Array<() => void> = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.msgs.push(JSON.parse(String(d)) as Msg);
      for (const w of this.waiters.splice(0)) w();
    });
  }
  static open(url: string, headers: Record<string, string> = {}): Promise<LiveClient> {
    const ws = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new LiveClient(ws)));
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }
  send(body: unknown): void {
    this.ws.send(typeof body === 'string' ? body : JSON.stringify(body));
  }
  /** Wait for a message (from index `from` on) that satisfies `pred`. */
  async waitFor(pred: (m: Msg) => boolean, from = 0, ms = 5000): Promise<Msg> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.msgs.slice(from).find(pred);
      if (hit) return hit;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no matching message; got ${JSON.stringify(this.msgs.slice(from)).slice(0, 500)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => (clearTimeout(t), r()));
      });
    }
  }
  async subscribe(filters: string[]): Promise<Msg[]> {
    const from = this.msgs.length;
    this.send({ subscribe: filters });
    await this.waitFor((m) => Array.isArray(m.subscribed), from);
    return this.msgs.slice(from);
  }
  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((r) => {
      this.ws.once('close', () => r());
      this.ws.close();
    });
  }
}

const wsUrl = (leader: LeaderHandle) => `${leader.httpUrl.replace(/^http/, 'ws')}/api/live`;

async function publisher(url: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { username: LEADER.username, password: LEADER.password, protocolVersion: 4, clientId: `live-test-${Math.random().toString(36).slice(2)}` });
}

describe('live stream: filters', () => {
  it('validates, matches and covers MQTT filters', () => {
    for (const ok of ['pioreactor/u1/exp1/+/+', 'pioreactor/#', 'pioreactor/+/$experiment/monitor/$state', 'pioreactor/u1/exp1/logs/+/error']) assert.equal(filterError(ok), null, ok);
    for (const bad of ['#', '+/u1', '$SYS/#', 'other/u1', 'pioreactor', 'pioreactor/a#', 'pioreactor/#/x', 'pioreactor/u+/x', 'pioreactor//x', 'pioreactor/x\u0000', 5, null, 'pioreactor/' + 'x'.repeat(300)]) {
      assert.notEqual(filterError(bad), null, JSON.stringify(bad));
    }
    assert.ok(topicMatches('pioreactor/u1/exp1/+/+', 'pioreactor/u1/exp1/stirring/$state'));
    assert.ok(!topicMatches('pioreactor/u1/exp1/+/+', 'pioreactor/u1/exp1/logs/app/error'));
    assert.ok(topicMatches('pioreactor/u1/#', 'pioreactor/u1'));
    assert.ok(filterCovers('pioreactor/#', 'pioreactor/u1/exp1/+/+'));
    assert.ok(filterCovers('pioreactor/+/exp1/+/+', 'pioreactor/u1/exp1/stirring/+'));
    assert.ok(!filterCovers('pioreactor/u1/exp1/stirring/+', 'pioreactor/u1/exp1/+/+'));
    assert.ok(!filterCovers('pioreactor/+/+', 'pioreactor/u1/#'));
  });
});

for (const mode of ['embedded', 'external'] as const) {
  describe(`live stream over /api/live (${mode} broker)`, function () {
    this.timeout(30_000);
    let leader: LeaderHandle;
    let pub: MqttClient;
    let mosq: { stop(): Promise<void> } | undefined;
    const clients: LiveClient[] = [];
    const open = async (headers?: Record<string, string>) => {
      const c = await LiveClient.open(wsUrl(leader), headers);
      clients.push(c);
      return c;
    };

    before(async function () {
      if (mode === 'external' && !mosquittoPath()) {
        console.warn('    external-broker live tests skipped: mosquitto is not installed');
        this.skip();
      }
      if (mode === 'external') mosq = await startSecuredMosquitto([]);
      leader = await startTestLeader(makeDataDir([]), (mosq as { url?: string } | undefined)?.url);
      pub = await publisher(leader.broker.url);
      await pub.publishAsync('pioreactor/u1/exp1/stirring/$state', 'ready', { qos: 1, retain: true });
      await pub.publishAsync('pioreactor/u1/exp1/stirring/target_rpm', '500', { qos: 1, retain: true });
      await pub.publishAsync('pioreactor/u2/exp1/stirring/$state', 'ready', { qos: 1, retain: true });
    });

    after(async () => {
      for (const c of clients) await c.close().catch(() => undefined);
      await pub?.endAsync();
      await leader?.stop();
      await mosq?.stop();
    });

    it('sends the retained values on subscribe, then new publishes, and nothing that does not match', async () => {
      const c = await open();
      const first = await c.subscribe(['pioreactor/u1/exp1/+/+']);
      const retained = first.filter((m) => m.topic);
      assert.deepEqual(
        retained.map((m) => [m.topic, m.payload, m.retained]).sort(),
        [
          ['pioreactor/u1/exp1/stirring/$state', 'ready', true],
          ['pioreactor/u1/exp1/stirring/target_rpm', '500', true],
        ],
      );
      assert.equal(first.at(-1)?.retained, 2);
      const from = c.msgs.length;
      await pub.publishAsync('pioreactor/u2/exp1/stirring/target_rpm', '111', { qos: 1 });
      await pub.publishAsync('pioreactor/u1/exp2/stirring/target_rpm', '222', { qos: 1 });
      await pub.publishAsync('pioreactor/u1/exp1/logs/app/info', '{"message":"not 5 levels"}', { qos: 1 });
      await pub.publishAsync('pioreactor/u1/exp1/stirring/target_rpm', '600', { qos: 1, retain: true });
      const live = await c.waitFor((m) => m.payload === '600', from);
      assert.equal(live.topic, 'pioreactor/u1/exp1/stirring/target_rpm');
      assert.equal(live.retained, undefined);
      // Published in order from one client: anything non-matching would have come before the 600.
      assert.deepEqual(
        c.msgs.slice(from).map((m) => m.topic),
        ['pioreactor/u1/exp1/stirring/target_rpm'],
      );
      // A later subscriber gets the new retained value.
      const c2 = await open();
      const again = await c2.subscribe(['pioreactor/u1/exp1/stirring/target_rpm']);
      assert.deepEqual(again.filter((m) => m.topic).map((m) => m.payload), ['600']);
      // Unsubscribing stops the flow.
      c.send({ unsubscribe: ['pioreactor/u1/exp1/+/+'] });
      await c.waitFor((m) => Array.isArray(m.unsubscribed), from);
      const n = c.msgs.length;
      await pub.publishAsync('pioreactor/u1/exp1/stirring/target_rpm', '610', { qos: 1, retain: true });
      await c2.waitFor((m) => m.payload === '610');
      assert.equal(c.msgs.length, n);
    });

    it('answers a bad message with an error and keeps the connection', async () => {
      const c = await open();
      const bad: unknown[] = [
        'not json',
        [1, 2],
        { publish: { topic: 'pioreactor/u1/exp1/stirring/target_rpm/set', payload: '0' } },
        { subscribe: 'pioreactor/#' },
        { subscribe: [] },
        { subscribe: ['#'] },
        { subscribe: ['$SYS/#'] },
        { subscribe: ['pioreactor/u1/exp1/stirring#'] },
        { subscribe: Array.from({ length: MAX_FILTERS + 1 }, (_, i) => `pioreactor/u${i}/+/+/+`) },
        { subscribe: ['pioreactor/u1/+/+/+'], publish: 'x' },
      ];
      for (const b of bad) {
        const from = c.msgs.length;
        c.send(typeof b === 'string' ? b : JSON.stringify(b));
        const m = await c.waitFor(() => true, from);
        assert.equal(typeof m.error, 'string', `${JSON.stringify(b)} -> ${JSON.stringify(m)}`);
      }
      assert.equal(c.ws.readyState, WebSocket.OPEN);
      const ok = await c.subscribe(['pioreactor/u2/exp1/stirring/$state']);
      assert.deepEqual(ok.filter((m) => m.topic).map((m) => m.payload), ['ready']);
      // The browser cannot publish: nothing reached the broker's retained store.
      const check = await open();
      const rpm = await check.subscribe(['pioreactor/u1/exp1/stirring/target_rpm/set']);
      assert.equal(rpm.filter((m) => m.topic).length, 0);
    });

    it('serves every browser from one broker subscription per filter', async () => {
      for (const c of clients.splice(0)) await c.close();
      const a = await open();
      const b = await open();
      await a.subscribe(['pioreactor/+/exp1/stirring/+']);
      await b.subscribe(['pioreactor/+/exp1/stirring/+', 'pioreactor/u1/exp1/stirring/$state']);
      const s = liveStats(leader.ctx)!;
      assert.equal(s.clients, 2);
      assert.equal(s.subscriptions, 1, 'the narrower filter is covered by the wider one');
      const fa = a.msgs.length;
      const fb = b.msgs.length;
      await pub.publishAsync('pioreactor/u1/exp1/stirring/$state', 'sleeping', { qos: 1, retain: true });
      await a.waitFor((m) => m.payload === 'sleeping', fa);
      await b.waitFor((m) => m.payload === 'sleeping', fb);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(b.msgs.slice(fb).filter((m) => m.payload === 'sleeping').length, 1, 'once, though two of its filters match');
      await a.close();
      await b.close();
      clients.length = 0;
      const end = Date.now() + 3000;
      while (liveStats(leader.ctx)!.subscriptions !== 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual({ ...liveStats(leader.ctx)!, messages: 0, dropped: 0 }, { clients: 0, subscriptions: 0, messages: 0, dropped: 0 });
    });

    if (mode === 'embedded') {
      it('drops (and counts) messages to a client that does not read, instead of buffering them', async function () {
        this.timeout(60_000);
        const slow = await open();
        await slow.subscribe(['pioreactor/u9/exp1/flood/+']);
        const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
        socket.pause();
        const before = liveStats(leader.ctx)!.dropped;
        const big = 'x'.repeat(16 * 1024);
        const aedes = (leader.broker as unknown as { aedes: { publish(p: object, cb: (e?: Error) => void): void } }).aedes;
        // Far more than the kernel's socket buffers plus the limit.
        const total = Math.ceil((32 * 1024 * 1024) / big.length);
        const t0 = Date.now();
        for (let i = 0; i < total; i++) {
          await new Promise<void>((r, j) => aedes.publish({ cmd: 'publish', topic: 'pioreactor/u9/exp1/flood/x', payload: Buffer.from(`${i}:${big}`), qos: 0, retain: false, dup: false }, (e) => (e ? j(e) : r())));
        }
        const dropped = liveStats(leader.ctx)!.dropped - before;
        assert.ok(dropped > 0, 'some messages were dropped');
        assert.ok(dropped < total, 'not all of them');
        socket.resume();
        const from = slow.msgs.length;
        // Once the backlog has drained, messages flow again.
        const end = Date.now() + 30_000;
        while (!slow.msgs.some((m) => m.payload === 'last')) {
          assert.ok(Date.now() < end, 'messages flow again after the reader resumes');
          await pub.publishAsync('pioreactor/u9/exp1/flood/x', 'last', { qos: 1 });
          await new Promise((r) => setTimeout(r, 200));
        }
        const told = slow.msgs.reduce((n, m) => n + (m.dropped ?? 0), 0);
        assert.ok(told >= dropped, 'the client is told how many it lost');
        assert.equal(told, liveStats(leader.ctx)!.dropped - before);
        console.log(`      (${total} x 16 KiB published at a paused reader in ${Date.now() - t0} ms: ${dropped} dropped, ${total - dropped} delivered; limit ${BUFFER_LIMIT} B; ${slow.msgs.length - from} after resume)`);
      });

      it('closes the stream promptly on leader stop', async () => {
        const dir = makeDataDir([]);
        const l2 = await startTestLeader(dir);
        const c = await LiveClient.open(wsUrl(l2));
        await c.subscribe(['pioreactor/#']);
        const closed = new Promise<number>((r) => c.ws.once('close', (code) => r(code)));
        const t0 = Date.now();
        await l2.stop();
        const ms = Date.now() - t0;
        assert.equal(await closed, 1001);
        assert.ok(ms < 3000, `leader.stop() took ${ms} ms`);
        console.log(`      (leader.stop() with an open live client: ${ms} ms)`);
      });
    }
  });
}

describe('live stream authentication', function () {
  this.timeout(30_000);
  let leader: LeaderHandle;

  before(async () => {
    leader = await startTestLeader(makeDataDir([], `[auth]\nrequire_auth_on_loopback=1\nusers=alice:${hashPassword('alice-pw-1')}\n`));
  });
  after(async () => {
    const t0 = Date.now();
    await leader?.stop();
    assert.ok(Date.now() - t0 < 3000, 'refused upgrades leave nothing that holds up the stop');
  });

  it('refuses the upgrade with 401 without credentials, and accepts Basic and the session cookie', async () => {
    await assert.rejects(LiveClient.open(wsUrl(leader)), (e: { status?: number }) => e.status === 401);
    await assert.rejects(LiveClient.open(wsUrl(leader), { Authorization: `Basic ${Buffer.from('alice:wrong').toString('base64')}` }), (e: { status?: number }) => e.status === 401);
    const basic = await LiveClient.open(wsUrl(leader), { Authorization: `Basic ${Buffer.from('alice:alice-pw-1').toString('base64')}` });
    await basic.subscribe(['pioreactor/#']);
    await basic.close();
    const login = await fetch(`${leader.httpUrl}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'alice-pw-1' }) });
    assert.equal(login.status, 200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    assert.match(cookie, /^colony_session=/);
    const viaCookie = await LiveClient.open(wsUrl(leader), { Cookie: cookie });
    await viaCookie.subscribe(['pioreactor/#']);
    await viaCookie.close();
  });

  it('refuses a foreign Origin (403) and answers a plain GET with 426', async () => {
    const auth = { Authorization: `Basic ${Buffer.from('alice:alice-pw-1').toString('base64')}` };
    await assert.rejects(LiveClient.open(wsUrl(leader), { ...auth, Origin: 'http://evil.example' }), (e: { status?: number }) => e.status === 403);
    const host = new URL(leader.httpUrl).host;
    const same = await LiveClient.open(wsUrl(leader), { ...auth, Origin: `http://${host}` });
    await same.close();
    const r = await fetch(`${leader.httpUrl}/api/live`, { headers: auth });
    assert.equal(r.status, 426);
    assert.equal((await fetch(`${leader.httpUrl}/api/live`)).status, 401);
  });
});
