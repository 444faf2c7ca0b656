/** A tiny element builder: `h('button', { class: 'x', onclick }, 'text')`. Text is always set as text, never HTML. */
type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: Event) => void)>;
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Array<Child | Child[]>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
  }
  return el;
}

export function clear(el: Element, ...children: Node[]): void {
  el.replaceChildren(...children);
}

let toastTimer = 0;
/** A short message in the live region (errors stay until replaced). */
export function toast(msg: string, error = false): void {
  const t = document.getElementById('toast');
  if (!t) return;
  t.textContent = msg;
  t.className = error ? 'show error' : 'show';
  window.clearTimeout(toastTimer);
  if (!error) toastTimer = window.setTimeout(() => (t.className = ''), 4000);
}

/** Okabe-Ito: distinguishable with the common colour-vision deficiencies. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

export function fmtTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
