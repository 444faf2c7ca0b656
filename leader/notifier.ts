/**
 * systemd readiness and watchdog for the leader (ARCHITECTURE.md §5): when NOTIFY_SOCKET is set, send
 * READY=1 / WATCHDOG=1 / STOPPING=1 by spawning systemd's own `systemd-notify` CLI (Node has no AF_UNIX
 * datagram socket; the unit sets NotifyAccess=all because the sender is a child). Outside systemd: no-ops.
 */
import { spawn } from 'node:child_process';

export interface Notifier {
  ready(status?: string): void;
  watchdog(): void;
  stopping(): void;
  /** Half of WATCHDOG_USEC in ms, or null when systemd asked for no watchdog. */
  readonly watchdogIntervalMs: number | null;
}

export function systemdNotifier(env: NodeJS.ProcessEnv = process.env): Notifier {
  const active = !!env.NOTIFY_SOCKET;
  const usec = Number(env.WATCHDOG_USEC);
  const send = (...args: string[]) => {
    if (!active) return;
    const child = spawn('systemd-notify', [...args, `--pid=${process.pid}`], { stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  };
  return {
    watchdogIntervalMs: active && Number.isFinite(usec) && usec > 0 ? Math.max(1000, Math.floor(usec / 2000)) : null,
    ready: (status) => send('--ready', ...(status ? [`--status=${status}`] : [])),
    watchdog: () => send('WATCHDOG=1'),
    stopping: () => send('STOPPING=1'),
  };
}
