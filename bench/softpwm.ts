/**
 * `npm run bench -- softpwm`: the software PWM's timing on this machine (the pi backend's fallback for pins
 * without a hardware channel: stirring on GPIO 17 at 200 Hz). The line records each edge with a monotonic clock;
 * we print the achieved frequency and the duty error per period (mean, p95). On a Pi, run it there.
 */
import { RealClock } from '../shared/clock.js';
import { SoftwarePwm } from '../hardware/pi/soft-pwm.js';

async function measure(hz: number, duty: number, seconds: number): Promise<void> {
  const edges: Array<[number, 0 | 1]> = [];
  const pwm = new SoftwarePwm(17, { set: (v) => edges.push([Number(process.hrtime.bigint()) / 1e6, v]) }, new RealClock(), hz);
  await pwm.setDutyCycle(duty);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  await pwm.off();
  const rises = edges.filter((e) => e[1] === 1).map((e) => e[0]);
  const duties: number[] = [];
  for (let i = 0; i + 1 < rises.length; i++) {
    const fall = edges.find((e) => e[1] === 0 && e[0] > rises[i]);
    if (!fall || fall[0] > rises[i + 1]) continue;
    duties.push((100 * (fall[0] - rises[i])) / (rises[i + 1] - rises[i]));
  }
  const errs = duties.map((d) => Math.abs(d - duty)).sort((a, b) => a - b);
  const freq = (rises.length - 1) / ((rises[rises.length - 1] - rises[0]) / 1000);
  const mean = duties.reduce((a, b) => a + b, 0) / duties.length;
  console.log(
    `software PWM ${hz} Hz at ${duty} %: achieved ${freq.toFixed(1)} Hz (${((100 * freq) / hz).toFixed(0)} % of asked), mean duty ${mean.toFixed(1)} %, |duty error| p50 ${errs[Math.floor(errs.length / 2)].toFixed(1)} pts, p95 ${errs[Math.floor(errs.length * 0.95)].toFixed(1)} pts (${duties.length} periods)`,
  );
}

export async function run(): Promise<void> {
  await measure(16, 50, 3);
  await measure(200, 30, 3);
  await measure(200, 70, 3);
}
