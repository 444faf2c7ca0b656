/// <reference types="uplot" />
/**
 * A time-series chart over the leader's `{series, data}` shape (pioreactor-api.md §3): one uPlot per metric,
 * one line per series (unit or unit-channel), aligned on a shared x with `uPlot.join`, optional shaded bands
 * (detected phases) and vertical markers (dosing events).
 */
import { PALETTE } from './dom.js';

export interface SeriesBody {
  series: string[];
  data: Array<Array<{ x: string; y: number | null }>>;
}

export interface Band {
  start: number;
  end: number;
  label: string;
  /** Fill colour (CSS); default alternates two light shades. */
  colour?: string;
  /** Draw as a strip in lane `lane` of `lanes` along the top of the plot (one lane per unit) instead of full height. */
  lane?: number;
  lanes?: number;
}

export interface Marker {
  at: number;
  label: string;
  /** Line colour (default vermillion). */
  colour?: string;
}

const secs = (iso: string) => Date.parse(iso) / 1000;

export class TimeChart {
  private plot: uPlot | null = null;
  private names: string[] = [];
  bands: Band[] = [];
  markers: Marker[] = [];
  readonly el: HTMLElement;

  constructor(
    readonly title: string,
    readonly yLabel: string,
    readonly colourOf: (series: string) => string,
  ) {
    this.el = document.createElement('div');
    this.el.className = 'chart';
    this.el.setAttribute('role', 'img');
    this.el.setAttribute('aria-label', title);
    this.el.dataset.points = '0';
  }

  private width(): number {
    return Math.max(260, Math.floor(this.el.parentElement?.clientWidth ?? this.el.clientWidth ?? 600) - 8);
  }

  update(body: SeriesBody): void {
    const tables: uPlot.AlignedData[] = [];
    const names: string[] = [];
    let points = 0;
    let last = '';
    body.series.forEach((name, i) => {
      const pts = (body.data[i] ?? []).filter((p) => p.y !== null && Number.isFinite(secs(p.x)));
      if (pts.length === 0) return;
      points += pts.length;
      const lx = pts[pts.length - 1]!.x;
      if (lx > last) last = lx;
      names.push(name);
      tables.push([pts.map((p) => secs(p.x)), pts.map((p) => p.y)]);
    });
    this.el.dataset.points = String(points);
    this.el.dataset.last = last;
    this.el.dataset.series = names.join(',');
    this.el.dataset.bands = String(this.bands.length);
    const data: uPlot.AlignedData = tables.length === 0 ? [[]] : tables.length === 1 ? tables[0]! : uPlot.join(tables);
    if (this.plot && names.join('\u0000') === this.names.join('\u0000')) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.names = names;
    const opts: uPlot.Options = {
      title: this.title,
      width: this.width(),
      height: 220,
      scales: { x: { time: true } },
      axes: [{}, { label: this.yLabel, size: 60 }],
      series: [{}, ...names.map((n) => ({ label: n, stroke: this.colourOf(n), width: 1.5, spanGaps: true, points: { show: false } }))],
      hooks: {
        drawClear: [
          (u: uPlot) => {
            const { ctx } = u;
            const { top, height } = u.bbox;
            ctx.save();
            ctx.beginPath();
            ctx.rect(u.bbox.left, top, u.bbox.width, height);
            ctx.clip();
            const px = devicePixelRatio || 1;
            const strip = 14 * px;
            ctx.font = `${10 * px}px sans-serif`;
            ctx.textBaseline = 'middle';
            this.bands.forEach((b, i) => {
              const x0 = u.valToPos(b.start, 'x', true);
              const x1 = u.valToPos(b.end, 'x', true);
              const w = Math.max(1, x1 - x0);
              if (b.lane === undefined) {
                ctx.fillStyle = b.colour ?? (i % 2 ? 'rgba(86,180,233,0.12)' : 'rgba(230,159,0,0.12)');
                ctx.fillRect(x0, top, w, height);
                return;
              }
              const y = top + b.lane * strip;
              ctx.globalAlpha = 0.45;
              ctx.fillStyle = b.colour ?? '#56B4E9';
              ctx.fillRect(x0, y, w, strip - px);
              ctx.globalAlpha = 1;
              ctx.fillStyle = '#000';
              if (ctx.measureText(b.label).width + 6 * px < w) ctx.fillText(b.label, x0 + 3 * px, y + strip / 2);
            });
            ctx.restore();
          },
        ],
        draw: [
          (u: uPlot) => {
            const { ctx } = u;
            const { top, height } = u.bbox;
            ctx.save();
            ctx.setLineDash([4, 3]);
            for (const m of this.markers) {
              ctx.strokeStyle = m.colour ?? '#D55E00';
              const x = u.valToPos(m.at, 'x', true);
              ctx.beginPath();
              ctx.moveTo(x, top);
              ctx.lineTo(x, top + height);
              ctx.stroke();
            }
            ctx.restore();
          },
        ],
      },
    };
    this.plot = new uPlot(opts, data, this.el);
  }

  resize(): void {
    this.plot?.setSize({ width: this.width(), height: 220 });
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = null;
  }
}

/** A stable colour per unit (series `u1-2` takes u1's colour). */
export function unitColours(units: string[]): (series: string) => string {
  const sorted = [...units].sort();
  return (series: string) => {
    const unit = sorted.find((u) => series === u || series.startsWith(`${u}-`)) ?? series;
    const i = sorted.indexOf(unit);
    let k = i;
    if (i < 0) for (const c of series) k = (k * 31 + c.charCodeAt(0)) >>> 0;
    return PALETTE[Math.abs(k) % PALETTE.length]!;
  };
}
