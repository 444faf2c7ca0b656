/**
 * systemd notify for the agent: spawns the `systemd-notify` CLI only when NOTIFY_SOCKET is set (READY=1, WATCHDOG=1
 * every half WATCHDOG_USEC, STOPPING=1). Outside systemd every call is a no-op.
 */
import { spawn } from 'node:child_process';

export class Notifier {
  private timer: NodeJS.Timeout | null = null;
  readonly active: boolean;
  readonly watchdogMs: number | null;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {
    this.active = !!env.NOTIFY_SOCKET;
    const usec = Number(env.WATCHDOG_USEC);
    this.watchdogMs = this.active && Number.isFinite(usec) && usec > 0 ? Math.max(500, Math.floor(usec / 2000)) : null;
  }

  private send(...args: string[]): void {
    if (!this.active) return;
    const child = spawn('systemd-notify', [...args, `--pid=${process.pid}`], { stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  }

  ready(): void {
    this.send('--ready');
    if (this.watchdogMs !== null && !this.timer) {
      this.timer = setInterval(() => this.send('WATCHDOG=1'), this.watchdogMs);
      this.timer.unref();
    }
  }

  stopping(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.send('STOPPING=1');
  }
}
