import assert from 'node:assert/strict';
import { VirtualClock } from '../../shared/clock.js';
import { SoftwarePwm } from '../../hardware/pi/soft-pwm.js';
import { SysfsGpio, findGpioBase } from '../../hardware/pi/sysfs-gpio.js';
import { SysfsPwm, hardwarePwmChannel } from '../../hardware/pi/sysfs-pwm.js';
import { FakeTree } from './fakes.js';

describe('hardware: sysfs GPIO', () => {
  let tree: FakeTree;
  beforeEach(() => (tree = new FakeTree()));
  afterEach(() => tree.remove());

  it('finds the base from gpiochipN/base + label: Pi 5 (pinctrl-rp1, 571) and Pi 4 (pinctrl-bcm2711, 512)', () => {
    tree.file('gpiochip512/base', '512\n').file('gpiochip512/label', 'pinctrl-bcm2711\n').file('gpiochip570/base', '570\n').file('gpiochip570/label', 'raspberrypi-exp-gpio\n');
    assert.equal(findGpioBase(tree.path()), 512);
    const pi5 = new FakeTree();
    pi5.file('gpiochip0/base', '0').file('gpiochip0/label', 'gpio-brcmstb@107d508500').file('gpiochip571/base', '571').file('gpiochip571/label', 'pinctrl-rp1');
    assert.equal(findGpioBase(pi5.path()), 571);
    pi5.remove();
  });

  it('exports base+bcm, sets the direction and writes the value file', async () => {
    tree.file('gpiochip571/base', '571').file('gpiochip571/label', 'pinctrl-rp1').file('export').dir('gpio594');
    const gpio = new SysfsGpio({ root: tree.path() });
    await gpio.write(23, 1);
    assert.equal(tree.read('export'), '594');
    assert.equal(tree.read('gpio594/direction'), 'out');
    assert.equal(tree.read('gpio594/value'), '1');
    await gpio.write(23, 0);
    assert.equal(tree.read('gpio594/value'), '0');
    assert.equal(await gpio.read(23), 0);
    await gpio.close();
    assert.equal(tree.read('unexport'), '594');
  });

  it('watch sets the edge file and hands the sysfs line to the watcher', () => {
    tree.file('gpiochip512/base', '512').file('gpiochip512/label', 'pinctrl-bcm2711').dir('gpio533');
    const seen: number[] = [];
    const gpio = new SysfsGpio({ root: tree.path(), watcher: (line, _edge, cb) => (seen.push(line), cb(1), () => seen.push(-1)) });
    const ticks: number[] = [];
    const stop = gpio.watch(21, 'falling', (t) => ticks.push(t));
    assert.equal(tree.read('gpio533/edge'), 'falling');
    assert.equal(tree.read('gpio533/direction'), 'in');
    stop();
    assert.deepEqual(seen, [533, -1]);
    assert.deepEqual(ticks, [1]);
  });
});

describe('hardware: sysfs PWM', () => {
  let tree: FakeTree;
  beforeEach(() => (tree = new FakeTree().file('pwmchip0/npwm', '2').file('pwmchip0/export').dir('pwmchip0/pwm0')));
  afterEach(() => tree.remove());

  it('maps pins to channels: Pi 4 PWM0/1 = 12|18 / 13|19; Pi 5 RP1 12,13,18,19 = 0-3', () => {
    assert.deepEqual([12, 13, 18, 19, 17].map((p) => hardwarePwmChannel(p, false)), [0, 1, 0, 1, null]);
    assert.deepEqual([12, 13, 18, 19].map((p) => hardwarePwmChannel(p, true)), [0, 1, 2, 3]);
  });

  it('exports the channel and writes period and duty_cycle in ns, then enable', async () => {
    const pwm = new SysfsPwm({ pin: 18, chip: 'pwmchip0', channel: 0, root: tree.path(), hz: 16 });
    await pwm.setDutyCycle(25);
    assert.equal(tree.read('pwmchip0/export'), '0');
    assert.equal(tree.read('pwmchip0/pwm0/period'), '62500000'); // 16 Hz
    assert.equal(tree.read('pwmchip0/pwm0/duty_cycle'), '15625000');
    assert.equal(tree.read('pwmchip0/pwm0/enable'), '1');
    await pwm.setFrequency(200);
    assert.equal(tree.read('pwmchip0/pwm0/period'), '5000000');
    assert.equal(tree.read('pwmchip0/pwm0/duty_cycle'), '1250000', 'the duty cycle keeps its percentage');
    await pwm.off();
    assert.equal(tree.read('pwmchip0/pwm0/duty_cycle'), '0');
    assert.equal(tree.read('pwmchip0/pwm0/enable'), '0');
    assert.equal(pwm.dutyCycle, 0);
  });
});

describe('hardware: software PWM', () => {
  it('toggles the line on the clock: 25 % at 16 Hz is 15.625 ms high per 62.5 ms', async () => {
    const clock = new VirtualClock(0);
    const edges: [number, 0 | 1][] = [];
    const pwm = new SoftwarePwm(17, { set: (v) => edges.push([clock.now(), v]) }, clock, 16);
    await pwm.setDutyCycle(25);
    clock.advance(130);
    assert.deepEqual(edges, [[0, 1], [15.625, 0], [62.5, 1], [78.125, 0], [125, 1]]);
    edges.length = 0;
    await pwm.off();
    clock.advance(500);
    assert.deepEqual(edges, [[130, 0]], 'off holds the line low with no timer left');
    await pwm.setDutyCycle(100);
    assert.equal(clock.pendingCount, 0, '100 % holds the line high with no timer');
  });
});
