// The virtual clock runs a simulated 24 hours of intervals and timeouts, firing exactly the expected callbacks in order.
import assert from 'node:assert/strict';
import { RealClock, VirtualClock } from '../../shared/clock.js';

describe('VirtualClock', () => {
  it('fires 24 h of intervals and timeouts in due order, with no real timers', () => {
    const clock = new VirtualClock(0);
    const fired: string[] = [];
    const od = clock.setInterval(() => fired.push(`od@${clock.now()}`), 5_000);
    clock.setInterval(() => fired.push(`temp@${clock.now()}`), 200_000);
    clock.setTimeout(() => fired.push(`once@${clock.now()}`), 3_600_000);
    clock.setTimeout(() => fired.push(`tie-first@${clock.now()}`), 10_000);
    const started = Date.now();
    clock.advance(24 * 3_600_000);
    assert.ok(Date.now() - started < 2000, 'ran without real waiting');
    assert.equal(fired.filter((f) => f.startsWith('od@')).length, (24 * 3600) / 5);
    assert.equal(fired.filter((f) => f.startsWith('temp@')).length, Math.floor((24 * 3600) / 200));
    assert.deepEqual(fired.filter((f) => f.startsWith('once')), ['once@3600000']);
    // Times never go backwards.
    const times = fired.map((f) => Number(f.split('@')[1]));
    for (let i = 1; i < times.length; i++) assert.ok(times[i] >= times[i - 1]);
    // At a tie, the occurrence scheduled earlier fires first: tie-first was scheduled at t=0, the od
    // occurrence due at 10000 only when the one at 5000 fired.
    const i10 = fired.indexOf('tie-first@10000');
    assert.equal(fired[i10 + 1], 'od@10000');
    clock.clear(od);
    const before = fired.length;
    clock.advance(60_000);
    assert.equal(fired.length, before, 'nothing fires after clearing the only short interval');
    assert.equal(clock.now(), 24 * 3_600_000 + 60_000);
  });

  it('lets a timer schedule and clear other timers while advancing', () => {
    const clock = new VirtualClock(0);
    const seen: number[] = [];
    const late = clock.setTimeout(() => seen.push(-1), 5_000);
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.clear(late);
      clock.setTimeout(() => seen.push(clock.now()), 1_000);
    }, 1_000);
    clock.advance(10_000);
    assert.deepEqual(seen, [1_000, 2_000]);
    assert.equal(clock.pendingCount, 0);
  });

  it('resolves sleeps and lets async code progress with advanceAsync', async () => {
    const clock = new VirtualClock(0);
    const steps: number[] = [];
    const job = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(1_000);
        steps.push(clock.now());
      }
    })();
    await clock.advanceAsync(5_000);
    await job;
    assert.deepEqual(steps, [1_000, 2_000, 3_000]);
  });
});

describe('RealClock', () => {
  it('runs and clears real timers', async () => {
    const clock = new RealClock();
    let n = 0;
    const h = clock.setInterval(() => n++, 5);
    await clock.sleep(30);
    clock.clear(h);
    const at = n;
    await clock.sleep(20);
    assert.ok(at >= 1);
    assert.equal(n, at);
  });
});
