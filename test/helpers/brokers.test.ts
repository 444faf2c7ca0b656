// The test brokers themselves: a retained message round-trips through each.
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { mosquittoPath, startAedes, startMosquitto, type TestBroker } from './brokers.js';

async function retainedRoundTrip(b: TestBroker): Promise<string> {
  const pub = await mqtt.connectAsync(b.url, { protocolVersion: 4 });
  await pub.publishAsync('pioreactor/u1/e/stirring/$state', 'ready', { qos: 1, retain: true });
  await pub.endAsync();
  const sub = await mqtt.connectAsync(b.url, { protocolVersion: 4 });
  const got = new Promise<string>((resolve) => sub.on('message', (_t, p) => resolve(String(p))));
  await sub.subscribeAsync('pioreactor/+/+/stirring/$state', { qos: 1 });
  const v = await got;
  await sub.endAsync();
  return v;
}

describe('test brokers', () => {
  it('aedes keeps a retained message', async () => {
    const b = await startAedes();
    try {
      assert.equal(await retainedRoundTrip(b), 'ready');
    } finally {
      await b.stop();
    }
  });

  it('mosquitto keeps a retained message', async function () {
    if (!mosquittoPath()) this.skip();
    const b = await startMosquitto();
    try {
      assert.equal(await retainedRoundTrip(b), 'ready');
    } finally {
      await b.stop();
    }
  });
});
