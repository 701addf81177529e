/**
 * <char-lm-loss-chart>: the streaming loss chart (uPlot). Created once; new points
 * arrive through `update()`, at most once per animation frame, as views of the
 * run's preallocated history arrays. Steps where training was stopped (the history's
 * markers) are drawn as labelled vertical lines. The x axis is in whole steps; validation
 * is a line through its points. Earlier runs on the same text can be drawn beside the
 * current one (`compare()`): their 10-step moving averages, each in its own colour, named
 * in the legend.
 *
 * @csspart chart - the chart container
 */
import { LitElement, css, html } from 'lit';
import uPlot from 'uplot';
import uPlotCss from 'uplot/dist/uPlot.min.css?inline';
import type { LossHistory } from '../run/history.ts';

/** An earlier run's loss curve to draw beside the current run. */
export interface ComparedCurve {
  /** Its name in the legend. */
  label: string;
  color: string;
  steps: Float64Array;
  /** 10-step moving average of its loss. */
  avg: Float64Array;
}

/** Axis steps: whole steps only. */
const STEP_INCREMENTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 1e7, 1e8];

const fmt = (v: number | null | undefined) => (v == null || Number.isNaN(v) ? '–' : `${v.toFixed(3)} nats (${(v / Math.LN2).toFixed(3)} bits)`);

/**
 * One x array for several curves (ascending steps each): the union of their steps, and each
 * curve's values placed on it (null where a curve has no point).
 */
function alignCurves(curves: { steps: ArrayLike<number>; values: ArrayLike<number>[] }[]): { x: number[]; ys: (number | null)[][] } {
  const pos = curves.map(() => 0);
  const x: number[] = [];
  const ys: (number | null)[][] = curves.flatMap((c) => c.values.map(() => [] as (number | null)[]));
  for (;;) {
    let next = Infinity;
    curves.forEach((c, k) => {
      if (pos[k] < c.steps.length) next = Math.min(next, c.steps[pos[k]]);
    });
    if (next === Infinity) break;
    x.push(next);
    let col = 0;
    curves.forEach((c, k) => {
      const here = pos[k] < c.steps.length && c.steps[pos[k]] === next;
      for (const v of c.values) {
        const y = here ? v[pos[k]] : null;
        ys[col++].push(y === null || Number.isNaN(y) ? null : y);
      }
      if (here) pos[k]++;
    });
  }
  return { x, ys };
}
/** uPlot's own y range for a numeric scale: 10% padding, reaching 0 only when the data come near it. */
const Y_RANGE: uPlot.Range.Config = { min: { pad: 0.1, soft: 0, mode: 3 }, max: { pad: 0.1, soft: 0, mode: 3 } };

export class CharLmLossChart extends LitElement {
  static override styles = [
    css([uPlotCss] as unknown as TemplateStringsArray),
    css`
      :host {
        display: block;
        min-height: 240px;
      }
      .empty {
        color: var(--char-lm-muted, #666);
        font-size: 0.9em;
        padding: 1em 0;
      }
      .markers {
        position: absolute;
        inset: 0;
        pointer-events: none;
      }
      .marker {
        position: absolute;
        top: 0;
        bottom: 0;
        border-left: 2px dashed #d93025;
      }
      .marker span {
        position: absolute;
        top: 2px;
        right: 4px;
        white-space: nowrap;
        font-size: 12px;
        color: #8a1c12;
        background: rgba(255, 255, 255, 0.85);
        padding: 0 3px;
      }
      .marker.left span {
        right: auto;
        left: 4px;
      }
    `,
  ];

  private plot: uPlot | null = null;
  private history: LossHistory | null = null;
  private compared: ComparedCurve[] = [];
  /** Points of the current run in the last data drawn. */
  private drawn = 0;
  private frame = 0;
  private resize = new ResizeObserver(() => this.fit());

  override connectedCallback(): void {
    super.connectedCallback();
    this.resize.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize.disconnect();
    cancelAnimationFrame(this.frame);
    this.plot?.destroy();
    this.plot = null;
  }

  override render() {
    return html`<div part="chart" id="chart"></div>`;
  }

  private fit(): void {
    if (this.plot) this.plot.setSize({ width: Math.max(200, this.clientWidth), height: 240 });
  }

  private create(): uPlot {
    const el = this.renderRoot.querySelector('#chart') as HTMLElement;
    const opts: uPlot.Options = {
      width: Math.max(200, this.clientWidth),
      height: 240,
      scales: {
        x: { time: false, range: (_u, lo, hi) => this.xRange(lo, hi) },
        // Before the first point the y axis is drawn too (uPlot hides an axis whose scale has no range).
        y: { range: (_u, lo, hi) => (lo === null || hi === null ? [0, 4] : uPlot.rangeNum(lo, hi, Y_RANGE)) },
      },
      hooks: { draw: [(u) => this.placeMarkers(u)] },
      series: [
        { label: 'step', value: (_u, v) => (v == null ? '–' : Math.round(v).toLocaleString('en')) },
        { label: 'loss', stroke: 'rgba(70,110,200,0.45)', width: 1, value: (_u, v) => fmt(v) },
        { label: 'moving avg (10)', stroke: '#1f4fbf', width: 2, value: (_u, v) => fmt(v) },
        {
          label: 'validation',
          stroke: '#d9480f',
          width: 2,
          spanGaps: true,
          points: { show: true, size: 6, fill: '#d9480f' },
          value: (_u, v) => fmt(v),
        },
        ...this.compared.map((c): uPlot.Series => ({
          label: c.label,
          stroke: c.color,
          width: 1.5,
          dash: [6, 3],
          spanGaps: true,
          points: { show: false },
          value: (_u, v) => fmt(v),
        })),
      ],
      axes: [
        { label: 'step', incrs: STEP_INCREMENTS, values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? v.toLocaleString('en') : '')) },
        { label: 'nats/char', scale: 'y' },
        { label: 'bits/char', scale: 'y', side: 1, grid: { show: false }, values: (_u, splits) => splits.map((v) => (v / Math.LN2).toFixed(2)) },
      ],
    };
    return new uPlot(opts, [[], [], [], [], ...this.compared.map(() => [])] as unknown as uPlot.AlignedData, el);
  }

  /**
   * Draws these earlier runs' curves beside the current run (none: only the current run).
   * The chart is built again with a series for each.
   */
  compare(curves: ComparedCurve[]): void {
    this.compared = curves;
    this.plot?.destroy();
    this.plot = null;
    if (this.history) this.show(this.history);
    else if (curves.length) {
      this.plot = this.create();
      this.draw();
    }
  }

  /** Curves of earlier runs drawn now (for tests). */
  get comparedCount(): number {
    return this.compared.length;
  }

  /** The x range: the steps drawn and the markers (a marker may lie past the last point kept). */
  private xRange(lo: number | null, hi: number | null): uPlot.Range.MinMax {
    for (const m of this.history?.markers ?? []) {
      lo = lo === null ? m.step : Math.min(lo, m.step);
      hi = hi === null ? m.step : Math.max(hi, m.step);
    }
    if (lo === null || hi === null) return [0, 1];
    return lo === hi ? [Math.max(0, lo - 1), hi + 1] : [lo, hi];
  }

  /** The markers as DOM over the plot (a dashed line and its label), so that they read as text. */
  private placeMarkers(u: uPlot): void {
    let layer = u.over.querySelector<HTMLElement>('.markers');
    if (!layer) {
      layer = document.createElement('div');
      layer.className = 'markers';
      u.over.append(layer);
    }
    const width = u.over.clientWidth;
    layer.replaceChildren(
      ...(this.history?.markers ?? []).map((m) => {
        const x = u.valToPos(m.step, 'x');
        const line = document.createElement('div');
        line.className = x < width / 2 ? 'marker left' : 'marker';
        line.dataset.step = String(m.step);
        line.style.left = `${x}px`;
        const label = document.createElement('span');
        label.textContent = `${m.label} (step ${m.step})`;
        line.append(label);
        return line;
      }),
    );
  }

  /** Shows the first `history.length` points; call as often as you like (one redraw per frame). */
  show(history: LossHistory): void {
    this.history = history;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      if (!this.history || !this.isConnected) return;
      this.plot ??= this.create();
      this.draw();
    });
  }

  private draw(): void {
    const h = this.history;
    const n = h?.length ?? 0;
    const steps = h ? h.steps.subarray(0, n) : new Float64Array(0);
    const loss = h ? h.loss.subarray(0, n) : new Float64Array(0);
    const avg = h ? h.avg.subarray(0, n) : new Float64Array(0);
    const val = h ? h.val.subarray(0, n) : new Float64Array(0);
    this.drawn = n;
    if (!this.compared.length) {
      // The common case: views of the run's own arrays, no copy but the validation column.
      this.plot!.setData([steps, loss, avg, Array.from(val, (v) => (Number.isNaN(v) ? null : v))] as unknown as uPlot.AlignedData);
      return;
    }
    const { x, ys } = alignCurves([{ steps, values: [loss, avg, val] }, ...this.compared.map((c) => ({ steps: c.steps, values: [c.avg] }))]);
    this.plot!.setData([x, ...ys] as unknown as uPlot.AlignedData);
  }

  /** Points of the current run drawn (for tests and the page's status line). */
  get pointCount(): number {
    return this.plot ? this.drawn : 0;
  }
}

customElements.define('char-lm-loss-chart', CharLmLossChart);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-loss-chart': CharLmLossChart;
  }
}
