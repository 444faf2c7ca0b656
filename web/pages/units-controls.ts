/**
 * Pieces of the Units page: value formatting, the automation form built from an automation descriptor
 * (`GET /api/automations/descriptors/{type}`), and the pump controls.
 */
import { h } from '../dom.js';

export interface AutomationField {
  key: string;
  default?: unknown;
  label: string;
  disabled?: boolean;
  unit?: string | null;
  type: 'numeric' | 'string' | 'select';
  options?: unknown[];
}
export interface AutomationDescriptor {
  display_name: string;
  automation_name: string;
  description?: string;
  fields: AutomationField[];
}

/** Automation types and the job that runs each. */
export const AUTOMATION_JOBS = { dosing: 'dosing_automation', led: 'led_automation', temperature: 'temperature_automation' } as const;
export type AutomationType = keyof typeof AUTOMATION_JOBS;

/** The pump jobs (agent/jobs/pumps.ts): job name, button text. */
export const PUMPS = [
  ['add_media', 'Add media'],
  ['remove_waste', 'Remove waste'],
  ['add_alt_media', 'Add alt media'],
] as const;

const round = (n: number) => (Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(4))));

/** A published value as text: JSON objects show their `key` field (or their first number), numbers are rounded. */
export function fmtValue(raw: string, key: string): string {
  let v: unknown = raw;
  try {
    v = JSON.parse(raw);
  } catch {
    // plain text
  }
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    v = key in o ? o[key] : (Object.values(o).find((x) => typeof x === 'number') ?? raw);
  }
  if (typeof v === 'number') return round(v);
  if (v === null || v === '') return '–';
  return String(v);
}

/** `leds/intensity` (`{"A": 0, "B": 0, "C": 50, "D": 50}`) as text. */
export function fmtLeds(raw: string): string {
  try {
    const o = JSON.parse(raw) as Record<string, unknown>;
    const on = Object.entries(o).filter(([, v]) => typeof v === 'number' && v > 0);
    return on.length ? on.map(([k, v]) => `${k} ${round(v as number)} %`).join(', ') : 'off';
  } catch {
    return raw;
  }
}

export const labelWithUnit = (label: string, unit?: string | null) => (unit && !label.includes(unit) ? `${label} (${unit})` : label);

/**
 * A form to pick an automation and fill its fields. It follows the running automation (its name and published
 * settings) until the user edits it; after a start or change it follows again.
 */
export class AutomationForm {
  readonly el: HTMLElement;
  readonly select: HTMLSelectElement;
  private readonly fieldsBox: HTMLElement;
  private readonly about: HTMLElement;
  private inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  private currents = new Map<string, HTMLElement>();
  /** Published values of the job: automation_name and its settings. */
  readonly live = new Map<string, string>();
  dirty = false;
  /** Counts the user's edits, so an action that finishes late does not undo what was typed meanwhile. */
  edits = 0;

  constructor(
    readonly unit: string,
    readonly type: AutomationType,
    readonly descriptors: AutomationDescriptor[],
    extra: HTMLElement[],
  ) {
    const id = `auto-${unit}-${type}`;
    this.select = h('select', { id, class: 'auto-pick' }, ...descriptors.map((d) => h('option', { value: d.automation_name }, d.display_name)));
    this.fieldsBox = h('div', { class: 'auto-fields' });
    this.about = h('p', { class: 'muted auto-about' });
    this.select.addEventListener('change', () => {
      this.dirty = true;
      this.build();
    });
    this.el = h(
      'div',
      { class: 'auto-form', 'data-type': type },
      h('span', { class: 'auto-row' }, h('label', { for: id }, 'Automation'), this.select, ...extra),
      this.about,
      this.fieldsBox,
    );
    this.build();
  }

  get chosen(): AutomationDescriptor | undefined {
    return this.descriptors.find((d) => d.automation_name === this.select.value);
  }

  private build(): void {
    const d = this.chosen;
    this.inputs = new Map();
    this.currents = new Map();
    this.about.textContent = d?.description ?? '';
    this.fieldsBox.replaceChildren(
      ...(d?.fields ?? []).map((f) => {
        const id = `auto-${this.unit}-${this.type}-${f.key}`;
        const live = this.live.get(f.key);
        const value = live !== undefined && this.live.get('automation_name') === d?.automation_name ? fmtValue(live, f.key) : f.default === null || f.default === undefined ? '' : String(f.default);
        let input: HTMLInputElement | HTMLSelectElement;
        if (f.type === 'select') {
          input = h('select', { id }, ...(f.options ?? []).map((o) => h('option', { value: String(o) }, String(o))));
          input.value = value;
        } else {
          input = h('input', { id, type: f.type === 'numeric' ? 'number' : 'text', step: 'any', value, 'data-key': f.key });
        }
        input.disabled = !!f.disabled;
        const edited = () => {
          this.dirty = true;
          this.edits++;
        };
        input.addEventListener('input', edited);
        input.addEventListener('change', edited);
        this.inputs.set(f.key, input);
        const running = this.live.get('automation_name') === d?.automation_name;
        const cur = h('span', { class: 'current', id: `cur-${this.unit}-${AUTOMATION_JOBS[this.type]}-${f.key}` }, running && live !== undefined ? `now ${fmtValue(live, f.key)}` : '');
        this.currents.set(f.key, cur);
        return h('span', { class: 'auto-field' }, h('label', { for: id }, labelWithUnit(f.label, f.unit)), input, cur);
      }),
    );
  }

  /** A published value of the job arrived. */
  setLive(key: string, raw: string): void {
    this.live.set(key, raw);
    if (key === 'automation_name') {
      if (!this.dirty && this.descriptors.some((d) => d.automation_name === raw)) {
        this.select.value = raw;
        this.build();
      } else this.showCurrents();
      return;
    }
    const cur = this.currents.get(key);
    if (cur && this.live.get('automation_name') === this.select.value) cur.textContent = `now ${fmtValue(raw, key)}`;
    const input = this.inputs.get(key);
    if (!this.dirty && input && document.activeElement !== input && this.live.get('automation_name') === this.select.value) input.value = fmtValue(raw, key);
  }

  private showCurrents(): void {
    const running = this.live.get('automation_name') === this.select.value;
    for (const [k, span] of this.currents) {
      const v = this.live.get(k);
      span.textContent = running && v !== undefined ? `now ${fmtValue(v, k)}` : '';
    }
  }

  /** `{automation_name, ...fields}` for the run route; throws on a field that is not a number. */
  options(): Record<string, string | number> {
    const d = this.chosen;
    if (!d) throw new Error(`No ${this.type} automation to start.`);
    const out: Record<string, string | number> = { automation_name: d.automation_name };
    for (const f of d.fields) {
      const input = this.inputs.get(f.key);
      if (!input || input.disabled || input.value.trim() === '') continue;
      if (f.type === 'numeric') {
        const n = Number(input.value);
        if (!Number.isFinite(n)) throw new Error(`${f.label}: enter a number`);
        out[f.key] = n;
      } else out[f.key] = input.value;
    }
    return out;
  }

  /** Fields whose value differs from the running automation's published one. */
  changes(): Record<string, string | number> {
    const o = this.options();
    const out: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(o)) {
      if (k === 'automation_name') continue;
      const now = this.live.get(k);
      if (now === undefined || fmtValue(now, k) !== String(v)) out[k] = v;
    }
    return out;
  }

  /**
   * Follow the running automation again, unless the user edited the form since `since` (a value of `edits`
   * taken when the action started): a start that answers late must not overwrite what was typed meanwhile.
   */
  resync(since?: number): void {
    if (since !== undefined && this.edits !== since) return;
    this.dirty = false;
    const name = this.live.get('automation_name');
    if (name && this.descriptors.some((d) => d.automation_name === name)) this.select.value = name;
    this.build();
  }
}
