/**
 * Real brokers for tests: aedes in-process on an ephemeral loopback port, and mosquitto (Debian package)
 * as a child process with a temporary config. Tests that need mosquitto skip when it is not installed;
 * .ci/run installs it.
 */
import { Aedes } from 'aedes';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestBroker {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** aedes with no authentication, on a loopback port (port 0 = ephemeral). */
export async function startAedes(port = 0): Promise<TestBroker & { broker: Aedes }> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    broker,
    port: actual,
    url: `mqtt://127.0.0.1:${actual}`,
    stop: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
        // Open client sockets keep server.close from finishing: aedes closes its clients above.
      }),
  };
}

export function mosquittoPath(): string | null {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto']) if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

export interface MosquittoOptions {
  port?: number;
  /** Extra lines for mosquitto.conf (password_file, acl_file, ...). */
  extraConfig?: string[];
}

/** mosquitto as a child process on a loopback port; anonymous access unless extraConfig says otherwise. */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<TestBroker & { child: ChildProcess; dir: string }> {
  const bin = mosquittoPath();
  if (!bin) throw new Error('mosquitto is not installed (apt-get install mosquitto)');
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'colony-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  const extra = opts.extraConfig ?? ['allow_anonymous true'];
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'persistence false', ...extra, ''].join('\n'));
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += String(d)));
  // Wait until the port accepts connections.
  const { connect } = await import('node:net');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`mosquitto did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    dir,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
