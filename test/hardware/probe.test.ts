import assert from 'node:assert/strict';
import { VirtualClock } from '../../shared/clock.js';
import { loadConfig } from '../../shared/config/index.js';
import { HardwareUnavailableError, createBackend, isSimBackend, resolveBackendKind } from '../../hardware/index.js';
import { probePi } from '../../hardware/pi/probe.js';
import { FakeTree } from './fakes.js';

describe('hardware: pi probe', () => {
  it('fails here with one clear sentence per missing piece, not a stack trace', async () => {
    const config = loadConfig();
    await assert.rejects(createBackend({ backend: 'pi', config, clock: new VirtualClock() }), (e: unknown) => {
      assert.ok(e instanceof HardwareUnavailableError);
      assert.ok(e.problems.length >= 3);
      for (const p of e.problems) assert.match(p, /^[A-Z/].*\.$/, `a sentence: ${p}`);
      assert.match(e.message, /not a Raspberry Pi|\/dev\/i2c-1 does not exist/);
      assert.match(e.message, /No GPIO chip/);
      assert.match(e.message, /No hardware PWM chip/);
      assert.doesNotMatch(e.message, /\n\s+at /);
      return true;
    });
  });

  it('names each missing HAT chip when the bus answers (HAT 1.2: 0x2C and 0x4F)', async () => {
    const t = new FakeTree()
      .file('model', 'Raspberry Pi 5 Model B Rev 1.0\0')
      .file('dev/i2c-1')
      .file('gpio/gpiochip571/base', '571')
      .file('gpio/gpiochip571/label', 'pinctrl-rp1')
      .file('pwm/pwmchip2/npwm', '4');
    try {
      const base = { devRoot: t.path('dev'), gpioRoot: t.path('gpio'), pwmRoot: t.path('pwm'), modelPath: t.path('model') };
      const r = await probePi({ ...base, hatVersion: '1.2', scan: async () => [0x4f] });
      assert.equal(r.model, 'Raspberry Pi 5 Model B Rev 1.0');
      assert.equal(r.problems.length, 1);
      assert.match(r.problems[0], /No chip answers at 0x2C .*HAT microcontroller/);
      const beta = await probePi({ ...base, hatVersion: '1.0', scan: async () => [0x48] });
      assert.equal(beta.problems.length, 2);
      assert.match(beta.problems.join(' '), /0x49.*DAC43608.*0x4F.*TMP1075/);
      const ok = await probePi({ ...base, hatVersion: '1.2', scan: async () => [0x2c, 0x4f] });
      assert.deepEqual(ok.problems, []);
    } finally {
      t.remove();
    }
  });

  it("'auto' means sim off a Raspberry Pi and pi on one", () => {
    const t = new FakeTree().file('pi', 'Raspberry Pi 4 Model B Rev 1.5\0').file('pc', 'QEMU Virtual Machine');
    try {
      assert.equal(resolveBackendKind('auto', t.path('pc')), 'sim');
      assert.equal(resolveBackendKind('auto', t.path('missing')), 'sim');
      assert.equal(resolveBackendKind('auto', t.path('pi')), 'pi');
      assert.equal(resolveBackendKind('sim', t.path('pi')), 'sim');
    } finally {
      t.remove();
    }
  });

  it("createBackend 'auto' builds the sim here", async () => {
    const b = await createBackend({ backend: 'auto', config: loadConfig(), clock: new VirtualClock() });
    assert.equal(b.info.backend, 'sim');
    assert.ok(isSimBackend(b));
    await b.close();
  });
});
