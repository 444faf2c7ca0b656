/// <reference types="uplot" />
/**
 * An overlay chart on a numeric x axis (hours from each run's exponential-phase start), which web/chart.ts's
 * TimeChart does not draw: several lines, each on its own x values (joined with `uPlot.join`), and an optional
 * shaded envelope between two of them (the golden profile's mean ± 1 sd).
 */

export interface OverlayLine {
  label: string;
  x: number[];
  y: (number | null)[];
  colour: string;
  width?: number;
  dash?: number[];
}

export class OverlayChart {
  private plot: uPlot | null = null;
  private last: { lines: OverlayLine[]; envelope?: [number, number] } = { lines: [] };
  readonly el: HTMLElement;

  constructor(
    readonly title: string,
    readonly xLabel: string,
    readonly yLabel: string,
  ) {
    this.el = document.createElement('div');
    this.el.className = 'chart';
    this.el.setAttribute('role', 'img');
    this.el.setAttribute('aria-label', title);
    this.el.dataset.lines = '0';
  }

  private width(): number {
    return Math.max(260, Math.floor(this.el.parentElement?.clientWidth ?? this.el.clientWidth ?? 600) - 8);
  }

  /** Draws the lines; `envelope` names the indexes (in `lines`) of the upper and lower edges to shade between. */
  update(lines: OverlayLine[], envelope?: [number, number]): void {
    this.last = { lines, envelope };
    const drawn = lines.filter((l) => l.y.some((v) => v !== null && Number.isFinite(v)));
    this.el.dataset.lines = String(drawn.length);
    this.el.dataset.series = drawn.map((l) => l.label).join('\n');
    const tables = lines.map((l) => {
      const order = l.x.map((_, i) => i).sort((a, b) => l.x[a]! - l.x[b]!);
      return [order.map((i) => l.x[i]!), order.map((i) => l.y[i] ?? null)] as uPlot.AlignedData;
    });
    const data: uPlot.AlignedData = tables.length === 0 ? [[]] : tables.length === 1 ? tables[0]! : uPlot.join(tables);
    this.plot?.destroy();
    const opts: uPlot.Options = {
      title: this.title,
      width: this.width(),
      height: 240,
      scales: { x: { time: false } },
      axes: [{ label: this.xLabel }, { label: this.yLabel, size: 60 }],
      series: [
        { label: 'hours' },
        ...lines.map((l) => ({ label: l.label, stroke: l.colour, width: l.width ?? 1.5, dash: l.dash, spanGaps: true, points: { show: false } })),
      ],
      bands: envelope ? [{ series: [envelope[0] + 1, envelope[1] + 1] as [number, number], fill: 'rgba(0,0,0,0.09)' }] : undefined,
    };
    this.plot = new uPlot(opts, data, this.el);
  }

  resize(): void {
    if (this.plot) this.plot.setSize({ width: this.width(), height: 240 });
    else if (this.last.lines.length) this.update(this.last.lines, this.last.envelope);
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = null;
  }
}
