/**
 * Experiment profile YAML (pioreactor-api.md §7), validated structurally with unknown keys forbidden at
 * every level, as Pioreactor's msgspec struct does. Every error names its line (and column), from the
 * `yaml` package's node ranges, so the editor can point at it. Expressions (`${{ ... }}`, `if`, `while`,
 * `wait_until`) are only checked to be strings or booleans here; the profile runner evaluates them.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';

export interface ProfileError {
  line: number;
  col: number;
  message: string;
}

export interface ProfileCheck {
  ok: boolean;
  errors: ProfileError[];
  /** The profile as JSON (when ok). */
  value: Record<string, unknown> | null;
}

const LEVELS = ['debug', 'info', 'notice', 'warning', 'error'];
const BASIC = ['log', 'start', 'pause', 'stop', 'update', 'resume'];
const ALL = [...BASIC, 'repeat', 'when'];
const TIME = /^\d+(\.\d+)?\s*(s|m|h|d)$/;

class Checker {
  readonly errors: ProfileError[] = [];
  constructor(private readonly lc: LineCounter) {}

  err(node: Node | null | undefined, message: string, fallbackOffset = 0): void {
    const off = node?.range?.[0] ?? fallbackOffset;
    const p = this.lc.linePos(off);
    this.errors.push({ line: p.line, col: p.col, message });
  }

  /** Check a mapping's keys: `known` maps key -> checker. */
  map(node: unknown, where: string, known: Record<string, (v: Node | null, keyNode: Node) => void>, required: string[] = []): void {
    if (!isMap(node)) {
      this.err(node as Node, `${where}: expected a mapping`);
      return;
    }
    const seen = new Set<string>();
    for (const pair of (node as YAMLMap).items as Pair<Node, Node | null>[]) {
      const key = isScalar(pair.key) ? String(pair.key.value) : null;
      if (key === null) {
        this.err(pair.key, `${where}: keys must be plain strings`);
        continue;
      }
      seen.add(key);
      const check = known[key];
      if (!check) {
        this.err(pair.key, `${where}: unknown field "${key}" (expected one of: ${Object.keys(known).join(', ')})`);
        continue;
      }
      check(pair.value ?? null, pair.key);
    }
    for (const r of required) if (!seen.has(r)) this.err(node as Node, `${where}: missing required field "${r}"`);
  }

  /** A mapping with arbitrary keys, each value checked by `each`. */
  dict(node: unknown, where: string, each: (v: Node | null, key: string, keyNode: Node) => void): void {
    if (node === null) return;
    if (!isMap(node)) {
      this.err(node as Node, `${where}: expected a mapping`);
      return;
    }
    for (const pair of (node as YAMLMap).items as Pair<Node, Node | null>[]) {
      const key = isScalar(pair.key) ? String(pair.key.value) : null;
      if (key === null) this.err(pair.key, `${where}: keys must be plain strings`);
      else each(pair.value ?? null, key, pair.key);
    }
  }

  seq(node: unknown, where: string, each: (v: Node | null, i: number) => void): void {
    if (node === null) return;
    if (!isSeq(node)) {
      this.err(node as Node, `${where}: expected a list`);
      return;
    }
    node.items.forEach((v, i) => each((v ?? null) as Node | null, i));
  }

  scalar(node: Node | null, keyNode: Node, where: string, ok: (v: unknown) => boolean, expected: string): void {
    const v = isScalar(node) ? node.value : node === null ? null : undefined;
    if (v === undefined || !ok(v)) this.err(node ?? keyNode, `${where}: expected ${expected}`);
  }

  str = (where: string) => (v: Node | null, k: Node) => this.scalar(v, k, where, (x) => typeof x === 'string' || typeof x === 'number', 'a string');
  num = (where: string) => (v: Node | null, k: Node) => this.scalar(v, k, where, (x) => typeof x === 'number' && Number.isFinite(x) && x >= 0, 'a non-negative number');
  time = (where: string) => (v: Node | null, k: Node) =>
    this.scalar(v, k, where, (x) => (typeof x === 'number' && Number.isFinite(x) && x >= 0) || (typeof x === 'string' && TIME.test(x.trim())), 'a time (hours, or "30s", "5m", "1.5h", "2d"; not negative)');
  boolExpr = (where: string) => (v: Node | null, k: Node) => this.scalar(v, k, where, (x) => typeof x === 'boolean' || typeof x === 'string', 'a boolean or an expression');
  any = () => () => undefined;

  action(node: Node | null, where: string, allowed: string[]): void {
    if (!isMap(node)) {
      this.err(node, `${where}: expected an action mapping`);
      return;
    }
    const typeNode = node.get('type', true) as Node | undefined;
    const type = isScalar(typeNode) ? String(typeNode.value) : null;
    if (type === null) {
      this.err(node, `${where}: missing required field "type" (one of: ${allowed.join(', ')})`);
      return;
    }
    if (!allowed.includes(type)) {
      this.err(typeNode, `${where}: action type "${type}" is not allowed here (one of: ${allowed.join(', ')})`);
      return;
    }
    const w = `${where} (${type})`;
    const common = {
      type: this.any(),
      hours_elapsed: this.num(`${w}.hours_elapsed`),
      t: this.time(`${w}.t`),
      if: this.boolExpr(`${w}.if`),
    };
    const optionsMap = (v: Node | null) => this.dict(v, `${w}.options`, (x, key, kn) => this.scalar(x, kn, `${w}.options.${key}`, (y) => y === null || ['string', 'number', 'boolean'].includes(typeof y), 'a scalar value'));
    switch (type) {
      case 'log':
        this.map(node, w, {
          ...common,
          options: (v) =>
            this.map(v, `${w}.options`, {
              message: this.str(`${w}.options.message`),
              level: (x, k) => this.scalar(x, k, `${w}.options.level`, (y) => typeof y === 'string' && LEVELS.includes(y.toLowerCase()), `one of ${LEVELS.join(', ')}`),
            }, ['message']),
        }, ['options']);
        break;
      case 'start':
        this.map(node, w, {
          ...common,
          options: optionsMap,
          args: (v) => this.seq(v, `${w}.args`, (x, i) => this.str(`${w}.args[${i}]`)(x, node)),
          config_overrides: (v) => this.dict(v, `${w}.config_overrides`, () => undefined),
        });
        break;
      case 'update':
        this.map(node, w, { ...common, options: optionsMap });
        break;
      case 'pause':
      case 'resume':
      case 'stop':
        this.map(node, w, common);
        break;
      case 'repeat':
        this.map(node, w, {
          ...common,
          every: this.time(`${w}.every`),
          repeat_every_hours: this.num(`${w}.repeat_every_hours`),
          while: this.boolExpr(`${w}.while`),
          max_time: this.time(`${w}.max_time`),
          max_hours: this.num(`${w}.max_hours`),
          actions: (v) => this.seq(v, `${w}.actions`, (x, i) => this.action(x, `${w}.actions[${i}]`, BASIC)),
        });
        break;
      case 'when':
        this.map(node, w, {
          ...common,
          condition: this.boolExpr(`${w}.condition`),
          wait_until: this.boolExpr(`${w}.wait_until`),
          actions: (v) => this.seq(v, `${w}.actions`, (x, i) => this.action(x, `${w}.actions[${i}]`, ALL)),
        });
        break;
    }
  }

  jobs(node: Node | null, where: string): void {
    this.dict(node, where, (v, job) =>
      this.map(v, `${where}.${job}`, {
        description: this.str(`${where}.${job}.description`),
        actions: (a) => this.seq(a, `${where}.${job}.actions`, (x, i) => this.action(x, `${where}.${job}.actions[${i}]`, ALL)),
      }),
    );
  }
}

/** Validate profile YAML text. An empty document is an error here (the list route treats it separately). */
export function checkProfile(text: string): ProfileCheck {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const errors: ProfileError[] = [];
  for (const e of doc.errors) {
    const p = lc.linePos(e.pos[0]);
    errors.push({ line: p.line, col: p.col, message: e.message.split('\n')[0] ?? e.message });
  }
  if (errors.length) return { ok: false, errors, value: null };
  const c = new Checker(lc);
  const root = doc.contents as Node | null;
  if (root === null) {
    c.errors.push({ line: 1, col: 1, message: 'the profile is empty: missing required field "experiment_profile_name"' });
  } else {
    c.map(
      root,
      'profile',
      {
        experiment_profile_name: c.str('experiment_profile_name'),
        metadata: (v) => c.map(v, 'metadata', { author: c.str('metadata.author'), description: c.str('metadata.description') }),
        plugins: (v) =>
          c.seq(v, 'plugins', (x, i) => c.map(x, `plugins[${i}]`, { name: c.str(`plugins[${i}].name`), version: c.str(`plugins[${i}].version`) }, ['name', 'version'])),
        inputs: (v) => c.dict(v, 'inputs', () => undefined),
        common: (v) => c.map(v, 'common', { jobs: (j) => c.jobs(j, 'common.jobs') }),
        pioreactors: (v) =>
          c.dict(v, 'pioreactors', (x, unit) =>
            c.map(x, `pioreactors.${unit}`, { label: c.str(`pioreactors.${unit}.label`), jobs: (j) => c.jobs(j, `pioreactors.${unit}.jobs`) }),
          ),
      },
      ['experiment_profile_name'],
    );
  }
  if (c.errors.length) return { ok: false, errors: c.errors, value: null };
  return { ok: true, errors: [], value: doc.toJS() as Record<string, unknown> };
}

/** `line 3, col 5: ...` for the first few errors. */
export function formatProfileErrors(errors: ProfileError[], max = 5): string {
  const shown = errors.slice(0, max).map((e) => `line ${e.line}, col ${e.col}: ${e.message}`);
  if (errors.length > max) shown.push(`(${errors.length - max} more)`);
  return shown.join('; ');
}
