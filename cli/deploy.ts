/**
 * `colony deploy [--prefix DIR] [--role leader|agent] [--unit NAME] ...`: render the systemd unit and a config
 * snippet for one host under `<prefix>/etc/...` (prefix `/` on the Pi itself, a scratch folder to review or
 * package them). Prints what it wrote and the commands that follow. Never writes credentials: those come from
 * the install script (leader) or `colony workers add NAME` on the leader (agents).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isUnitName } from '../shared/ids.js';

const HELP = `usage: colony deploy [--prefix DIR] [--role leader|agent] [--unit NAME] [--user colony]
                     [--app-dir /opt/colony] [--node /usr/bin/node] [--backend auto|sim|pi]
                     [--watchdog-sec 30] [--groups "gpio i2c spi"] [--http-host 0.0.0.0]
                     [--leader-address HOST] [--dry-run] [--force]

Renders <prefix>/etc/systemd/system/colony-<role>.service and <prefix>/etc/colony/config.ini
(the config only when absent, unless --force). --role agent needs --unit NAME.
Then, on the host: systemctl daemon-reload && systemctl enable --now colony-<role>.service`;

export type Role = 'leader' | 'agent';

export interface DeployOptions {
  prefix: string;
  role: Role;
  unit?: string;
  user?: string;
  appDir?: string;
  node?: string;
  backend?: string;
  watchdogSec?: number;
  groups?: string;
  httpHost?: string;
  leaderAddress?: string;
  dryRun?: boolean;
  force?: boolean;
}

export interface RenderedFile {
  path: string;
  content: string;
  mode: number;
  /** Skipped because it exists and --force was not given. */
  kept?: boolean;
}

/** The repository's `systemd/` folder (from cli/ under tsx, or dist/cli/ once built). */
export function templateDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'systemd', 'colony-leader.service'))) return join(dir, 'systemd');
    dir = dirname(dir);
  }
  throw new Error('systemd/ templates not found next to the app (is the install complete?)');
}

export function serviceName(role: Role): string {
  return `colony-${role}.service`;
}

export function renderTemplate(text: string, vars: Record<string, string>): string {
  const out = text.replace(/@([A-Z_]+)@/g, (m, k: string) => {
    if (!(k in vars)) throw new Error(`template placeholder ${m} has no value`);
    return vars[k];
  });
  return out;
}

function configSnippet(o: DeployOptions): string {
  const leader = o.leaderAddress ?? 'leader.local';
  const common = `# Colony config for this host, rendered by \`colony deploy --role ${o.role}\`.
# Credentials are never defaults: ${o.role === 'leader' ? 'the install script generates them' : `paste the [mqtt] lines printed by \`colony workers add ${o.unit ?? 'NAME'}\` on the leader`}.
[cluster.topology]
leader_hostname=${leader.replace(/\.local$/, '')}
leader_address=${leader}

[mqtt]
broker_address=${o.role === 'leader' ? 'localhost' : leader}
broker_port=1883
# username=
# password=

[discovery]
enabled=true
`;
  if (o.role === 'leader') return `${common}\n[leader]\nhttp_port=4999\n\n[auth]\n# api_keys=\n`;
  return `${common}\n[colony]\nbackend=${o.backend ?? 'auto'}\n`;
}

export function renderDeploy(o: DeployOptions): RenderedFile[] {
  if (o.role === 'agent' && (!o.unit || !isUnitName(o.unit))) throw new Error('--role agent needs --unit NAME (letters, digits, - and _)');
  const prefix = resolve(o.prefix);
  const name = serviceName(o.role);
  const user = o.user ?? 'colony';
  const vars: Record<string, string> = {
    USER: user,
    GROUP: user,
    NODE: o.node ?? (existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath),
    APP_DIR: o.appDir ?? '/opt/colony',
    STATE_DIR: '/var/lib/colony',
    CONFIG_DIR: '/etc/colony',
    WATCHDOG_SEC: String(o.watchdogSec ?? 30),
    SERVICE_NAME: name.replace(/\.service$/, ''),
    HTTP_HOST: o.httpHost ?? '0.0.0.0',
    UNIT: o.unit ?? '',
    BACKEND: o.backend ?? 'auto',
    SUPPLEMENTARY_GROUPS: o.groups ?? 'gpio i2c spi',
  };
  if (!(Number(vars.WATCHDOG_SEC) >= 2)) throw new Error('--watchdog-sec must be at least 2');
  const unitText = renderTemplate(readFileSync(join(templateDir(), name), 'utf8'), vars);
  const files: RenderedFile[] = [{ path: join(prefix, 'etc/systemd/system', name), content: unitText, mode: 0o644 }];
  const cfg = join(prefix, 'etc/colony/config.ini');
  files.push({ path: cfg, content: configSnippet(o), mode: 0o640, kept: existsSync(cfg) && !o.force });
  return files;
}

export function writeRendered(files: RenderedFile[]): void {
  for (const f of files) {
    if (f.kept) continue;
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.content, { mode: f.mode });
  }
}

export async function run(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        prefix: { type: 'string', default: '/' },
        role: { type: 'string', default: 'leader' },
        unit: { type: 'string' },
        user: { type: 'string' },
        'app-dir': { type: 'string' },
        node: { type: 'string' },
        backend: { type: 'string' },
        'watchdog-sec': { type: 'string' },
        groups: { type: 'string' },
        'http-host': { type: 'string' },
        'leader-address': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    console.error(`colony deploy: ${(e as Error).message}\n${HELP}`);
    return 2;
  }
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  if (v.role !== 'leader' && v.role !== 'agent') {
    console.error(`colony deploy: --role must be leader or agent, got ${JSON.stringify(v.role)}`);
    return 2;
  }
  let files: RenderedFile[];
  try {
    files = renderDeploy({
      prefix: v.prefix!,
      role: v.role,
      unit: v.unit,
      user: v.user,
      appDir: v['app-dir'],
      node: v.node,
      backend: v.backend,
      watchdogSec: v['watchdog-sec'] === undefined ? undefined : Number(v['watchdog-sec']),
      groups: v.groups,
      httpHost: v['http-host'],
      leaderAddress: v['leader-address'],
      force: v.force,
    });
  } catch (e) {
    console.error(`colony deploy: ${(e as Error).message}`);
    return 2;
  }
  if (v['dry-run']) {
    for (const f of files) console.log(`--- ${f.path}${f.kept ? ' (exists, would be kept)' : ''}\n${f.content}`);
    return 0;
  }
  writeRendered(files);
  for (const f of files) console.log(`${f.kept ? 'kept   ' : 'wrote  '} ${f.path}`);
  const name = serviceName(v.role);
  console.log(`\nnext:\n  systemctl daemon-reload\n  systemctl enable --now ${name}\n  journalctl -u ${name} -f`);
  return 0;
}
