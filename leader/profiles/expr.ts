/**
 * The profile expression language (reference/pioreactor-api.md §7): numbers, true/false, bare names (an input or
 * env value, else the literal string), `and`/`or`, `not`, comparisons, + - * / **, parentheses, the functions
 * random(), unit(), hours_elapsed(), experiment(), job_name(), and MQTT lookups `unit:job:setting[.key…]`
 * (`::job:setting` for the current unit). Also `${{ expr }}` interpolation in option values.
 */

export interface ExprContext {
  inputs: Record<string, unknown>;
  env?: Record<string, unknown>;
  unit?: string | null;
  experiment: string;
  jobName?: string | null;
  hoursElapsed: number;
  random?: () => number;
  /** The latest published value of `pioreactor/<unit>/<unit's experiment>/<job>/<setting>`. */
  lookup?(unit: string, job: string, setting: string): Promise<unknown>;
}

type Tok = { k: 'num'; v: number } | { k: 'id'; v: string } | { k: 'op'; v: string } | { k: 'lookup'; v: string };

export class ExprError extends Error {}

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['**', '<=', '>=', '=='].includes(two)) {
      out.push({ k: 'op', v: two });
      i += 2;
      continue;
    }
    if ('+-*/()<>'.includes(c)) {
      out.push({ k: 'op', v: c });
      i++;
      continue;
    }
    const lookup = /^(?:::|[A-Za-z0-9_\-$]+(?:\(\))?:)[A-Za-z0-9_]+(?:\(\))?:\$?[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*/.exec(src.slice(i));
    if (lookup) {
      out.push({ k: 'lookup', v: lookup[0] });
      i += lookup[0].length;
      continue;
    }
    if (/[0-9.]/.test(c)) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
      if (!m) throw new ExprError(`bad number at ${i}`);
      out.push({ k: 'num', v: Number(m[0]) });
      i += m[0].length;
      continue;
    }
    const id = /^[A-Za-z_$][A-Za-z0-9_$\-.]*/.exec(src.slice(i));
    if (id) {
      out.push({ k: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    throw new ExprError(`unexpected ${JSON.stringify(c)} at ${i}`);
  }
  return out;
}

type Node =
  | { t: 'lit'; v: unknown }
  | { t: 'name'; v: string }
  | { t: 'call'; v: string }
  | { t: 'lookup'; v: string }
  | { t: 'un'; op: string; a: Node }
  | { t: 'bin'; op: string; a: Node; b: Node };

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}
  private peek(): Tok | undefined {
    return this.toks[this.i];
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return !!t && ((t.k === 'op' && t.v === v) || (t.k === 'id' && t.v.toLowerCase() === v));
  }
  parse(): Node {
    const n = this.or();
    if (this.i < this.toks.length) throw new ExprError(`unexpected ${JSON.stringify(this.toks[this.i].v)}`);
    return n;
  }
  private or(): Node {
    let a = this.not();
    while (this.isOp('and') || this.isOp('or')) {
      const op = String(this.toks[this.i++].v).toLowerCase();
      a = { t: 'bin', op, a, b: this.not() };
    }
    return a;
  }
  private not(): Node {
    if (this.isOp('not')) {
      this.i++;
      return { t: 'un', op: 'not', a: this.not() };
    }
    return this.cmp();
  }
  private cmp(): Node {
    const a = this.add();
    for (const op of ['<=', '>=', '==', '<', '>']) {
      if (this.isOp(op)) {
        this.i++;
        const b = this.add();
        for (const op2 of ['<=', '>=', '==', '<', '>']) if (this.isOp(op2)) throw new ExprError('comparisons do not chain');
        return { t: 'bin', op, a, b };
      }
    }
    return a;
  }
  private add(): Node {
    let a = this.mul();
    while (this.isOp('+') || this.isOp('-')) {
      const op = String(this.toks[this.i++].v);
      a = { t: 'bin', op, a, b: this.mul() };
    }
    return a;
  }
  private mul(): Node {
    let a = this.unary();
    while (this.isOp('*') || this.isOp('/')) {
      const op = String(this.toks[this.i++].v);
      a = { t: 'bin', op, a, b: this.unary() };
    }
    return a;
  }
  private unary(): Node {
    if (this.isOp('-') || this.isOp('+')) {
      const op = String(this.toks[this.i++].v);
      return { t: 'un', op, a: this.unary() };
    }
    return this.pow();
  }
  private pow(): Node {
    const a = this.atom();
    if (this.isOp('**')) {
      this.i++;
      return { t: 'bin', op: '**', a, b: this.unary() };
    }
    return a;
  }
  private atom(): Node {
    const t = this.toks[this.i++];
    if (!t) throw new ExprError('unexpected end of expression');
    if (t.k === 'num') return { t: 'lit', v: t.v };
    if (t.k === 'lookup') return { t: 'lookup', v: t.v };
    if (t.k === 'op' && t.v === '(') {
      const n = this.or();
      if (!this.isOp(')')) throw new ExprError('missing )');
      this.i++;
      return n;
    }
    if (t.k === 'id') {
      const low = t.v.toLowerCase();
      if (low === 'true' || low === 'false') return { t: 'lit', v: low === 'true' };
      if (this.isOp('(')) {
        this.i++;
        if (!this.isOp(')')) throw new ExprError(`${t.v}() takes no arguments`);
        this.i++;
        return { t: 'call', v: t.v };
      }
      return { t: 'name', v: t.v };
    }
    throw new ExprError(`unexpected ${JSON.stringify(t.v)}`);
  }
}

export function parseExpr(src: string): Node {
  return new Parser(tokenize(src)).parse();
}

function num(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new ExprError(`${what}: ${JSON.stringify(v)} is not a number`);
}

function coerceLookup(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (/^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  if (v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return v;
}

async function evalNode(n: Node, c: ExprContext): Promise<unknown> {
  switch (n.t) {
    case 'lit':
      return n.v;
    case 'name':
      if (n.v in c.inputs) return c.inputs[n.v];
      if (c.env && n.v in c.env) return c.env[n.v];
      return n.v;
    case 'call':
      switch (n.v) {
        case 'random':
          return (c.random ?? Math.random)();
        case 'unit':
          if (!c.unit) throw new ExprError('unit() is not defined here');
          return c.unit;
        case 'hours_elapsed':
          return c.hoursElapsed;
        case 'experiment':
          return c.experiment;
        case 'job_name':
          if (!c.jobName) throw new ExprError('job_name() is not defined here');
          return c.jobName;
        default:
          throw new ExprError(`unknown function ${n.v}()`);
      }
    case 'lookup': {
      const [u, j, rest] = n.v.startsWith('::') ? ['', ...n.v.slice(2).split(':')] : n.v.split(':');
      const unit = u === '' || u === 'unit()' ? c.unit : u;
      const job = j === 'job_name()' ? c.jobName : j;
      if (!unit) throw new ExprError(`${n.v}: no current unit`);
      if (!job) throw new ExprError(`${n.v}: no current job`);
      const [setting, ...keys] = rest.split('.');
      if (!c.lookup) throw new ExprError('MQTT lookups are not available');
      let v = await c.lookup(unit, job, setting);
      if (typeof v === 'string') {
        try {
          v = JSON.parse(v);
        } catch {
          // a plain string
        }
      }
      for (const k of keys) {
        if (v === null || typeof v !== 'object' || !(k in (v as object))) throw new ExprError(`${n.v}: no key ${k}`);
        v = (v as Record<string, unknown>)[k];
      }
      return coerceLookup(v);
    }
    case 'un': {
      const a = await evalNode(n.a, c);
      if (n.op === 'not') return !a;
      return n.op === '-' ? -num(a, '-') : num(a, '+');
    }
    case 'bin': {
      if (n.op === 'and') return Boolean(await evalNode(n.a, c)) && Boolean(await evalNode(n.b, c));
      if (n.op === 'or') return Boolean(await evalNode(n.a, c)) || Boolean(await evalNode(n.b, c));
      const a = await evalNode(n.a, c);
      const b = await evalNode(n.b, c);
      switch (n.op) {
        case '==':
          return a === b || String(a) === String(b);
        case '<':
          return num(a, '<') < num(b, '<');
        case '<=':
          return num(a, '<=') <= num(b, '<=');
        case '>':
          return num(a, '>') > num(b, '>');
        case '>=':
          return num(a, '>=') >= num(b, '>=');
        case '+':
          return num(a, '+') + num(b, '+');
        case '-':
          return num(a, '-') - num(b, '-');
        case '*':
          return num(a, '*') * num(b, '*');
        case '/': {
          const d = num(b, '/');
          if (d === 0) throw new ExprError('division by zero');
          return num(a, '/') / d;
        }
        case '**':
          return num(a, '**') ** num(b, '**');
      }
      throw new ExprError(`unknown operator ${n.op}`);
    }
  }
}

export async function evaluate(src: string | number | boolean, c: ExprContext): Promise<unknown> {
  if (typeof src !== 'string') return src;
  const inner = /^\s*\$\{\{(.*)\}\}\s*$/s.exec(src);
  return evalNode(parseExpr(inner ? inner[1] : src), c);
}

export async function evaluateBool(src: string | number | boolean | undefined, c: ExprContext): Promise<boolean> {
  if (src === undefined) return true;
  return Boolean(await evaluate(src, c));
}

/** Replace `${{ expr }}` in a value: a whole-value expression keeps its type, inside text it is stringified. */
export async function interpolate(v: unknown, c: ExprContext): Promise<unknown> {
  if (typeof v !== 'string' || !v.includes('${{')) return v;
  const whole = /^\s*\$\{\{(.*?)\}\}\s*$/s.exec(v);
  if (whole) return evalNode(parseExpr(whole[1]), c);
  let out = '';
  let last = 0;
  for (const m of v.matchAll(/\$\{\{(.*?)\}\}/gs)) {
    out += v.slice(last, m.index) + String(await evalNode(parseExpr(m[1]), c));
    last = m.index! + m[0].length;
  }
  return out + v.slice(last);
}
