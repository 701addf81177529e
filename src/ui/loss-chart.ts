/**
 * <char-lm-loss-chart>: the streaming loss chart (uPlot). Created once; new points
 * arrive through `update()`, at most once per animation frame, as views of the
 * run's preallocated history arrays. Steps where training was stopped (the history's
 * markers) are drawn as labelled vertical lines. The x axis is in whole steps; validation
 * is a line through its points. Earlier runs on the same text can be drawn beside the
 * current one (`compare()`): their 10-step moving averages, each in its own colour, named
 * in the legend. Focused, the arrow keys move the cursor over the points (Home, End: the first
 * and the last; Page Up / Down: a tenth of them): the legend reads the point as a hover does,
 * and an aria-live region says it in words.
 *
 * @csspart chart - the chart container (focusable)
 */
import { LitElement, css, html } from 'lit';
import uPlot from 'uplot';
import uPlotCss from 'uplot/dist/uPlot.min.css?inline';
import type { LossHistory } from '../run/history.ts';
import { LossColumns } from './loss-columns.ts';

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

const stepText = (v: number | null | undefined) => (v == null ? '–' : Math.round(v).toLocaleString('en'));
const fmt = (v: number | null | undefined) => (v == null || Number.isNaN(v) ? '–' : `${v.toFixed(3)} nats (${(v / Math.LN2).toFixed(3)} bits)`);

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
      #chart:focus-visible {
        outline: 2px solid var(--char-lm-accent, #1f4fbf);
        outline-offset: 2px;
      }
      .readout {
        position: absolute;
        width: 1px;
        height: 1px;
        overflow: hidden;
        clip-path: inset(50%);
        white-space: nowrap;
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

  static override properties = { readout: { state: true, attribute: false } };
  /** The point the arrow keys reached, in words (the aria-live region). */
  declare private readout: string;

  private plot: uPlot | null = null;
  /**
   * The step of the point the arrow keys reached (its index moves as points stream in beside
   * earlier runs); null when the keys have not moved the cursor, or the mouse has since.
   */
  private keyStep: number | null = null;
  private history: LossHistory | null = null;
  private compared: ComparedCurve[] = [];
  /** The data drawn, following the history by what changed (made afresh with each uPlot). */
  private columns = new LossColumns();
  /** Markers drawn (the history's markers may grow with no new point). */
  private drawnMarkers = 0;
  private frame = 0;
  private resize = new ResizeObserver(() => this.fit());

  constructor() {
    super();
    this.readout = '';
  }

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
    return html`<div
        part="chart"
        id="chart"
        tabindex="0"
        role="region"
        aria-label="loss chart, in nats and bits per character by step; the Left and Right arrow keys read its points"
        @keydown=${this.onKey}
        @focusout=${this.leaveKeys}
      ></div>
      <div class="readout" aria-live="polite" data-testid="loss-readout">${this.readout}</div>`;
  }

  private fit(): void {
    if (this.plot) this.plot.setSize({ width: Math.max(200, this.clientWidth), height: 240 });
  }

  private create(): uPlot {
    this.columns = new LossColumns(this.compared);
    this.drawnMarkers = 0;
    const el = this.renderRoot.querySelector('#chart') as HTMLElement;
    const opts: uPlot.Options = {
      width: Math.max(200, this.clientWidth),
      height: 240,
      scales: {
        x: { time: false, range: (_u, lo, hi) => this.xRange(lo, hi) },
        // Before the first point the y axis is drawn too (uPlot hides an axis whose scale has no range).
        y: { range: (_u, lo, hi) => (lo === null || hi === null ? [0, 4] : uPlot.rangeNum(lo, hi, Y_RANGE)) },
      },
      hooks: {
        draw: [
          (u) => {
            this.placeMarkers(u);
            // The scales may have moved under the key cursor: it stays on its point.
            if (this.keyStep !== null) this.placeKeyCursor(u);
          },
        ],
      },
      series: [
        { label: 'step', value: (_u, v) => stepText(v) },
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
    this.keyStep = null;
    const plot = new uPlot(opts, [[], [], [], [], ...this.compared.map(() => [])] as unknown as uPlot.AlignedData, el);
    // The mouse takes the cursor back from the keys.
    plot.over.addEventListener('mousemove', () => (this.keyStep = null));
    return plot;
  }

  /** Left / Right (Home, End, Page Up / Down) move the cursor over the points and read the one reached. */
  private onKey = (ev: KeyboardEvent): void => {
    const u = this.plot;
    const n = u?.data[0].length ?? 0;
    if (!u || n === 0) return;
    const at = this.keyIndex(u);
    const page = Math.max(1, Math.round(n / 10));
    const to = (
      {
        ArrowLeft: at === null ? n - 1 : at - 1,
        ArrowRight: at === null ? 0 : at + 1,
        Home: 0,
        End: n - 1,
        PageUp: (at ?? n - 1) - page,
        PageDown: (at ?? 0) + page,
      } as Record<string, number>
    )[ev.key];
    if (to === undefined) return;
    ev.preventDefault();
    this.keyStep = u.data[0][Math.max(0, Math.min(n - 1, to))];
    this.placeKeyCursor(u);
  };

  /** The chart left by the keys: the cursor goes, as when the mouse leaves. */
  private leaveKeys = (): void => {
    if (this.keyStep === null) return;
    this.keyStep = null;
    this.plot?.setCursor({ left: -10, top: -10 });
  };

  /** Where the point the keys reached is in the data drawn (if it is gone: the next step, or the last), null when none. */
  private keyIndex(u: uPlot): number | null {
    const x = u.data[0];
    if (this.keyStep === null || x.length === 0) return null;
    let lo = 0;
    let hi = x.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (x[mid] < this.keyStep) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The cursor and the legend on the point the keys reached, and the point in words. */
  private placeKeyCursor(u: uPlot): void {
    const i = this.keyIndex(u);
    if (i === null) return;
    const y = u.data.slice(1).find((col) => col[i] != null)?.[i];
    // At the point's own x (unrounded) uPlot's cursor finds this point, and its legend reads it.
    u.setCursor({ left: u.valToPos(u.data[0][i], 'x'), top: y == null ? u.over.clientHeight / 2 : u.valToPos(y, 'y') });
    const values = u.series.slice(1).map((s, k) => `${s.label} ${fmt(u.data[k + 1][i])}`);
    this.readout = `step ${stepText(u.data[0][i])}: ${values.join(', ')}`;
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

  /** Takes up what changed since the last frame: nothing to do when no point was added (see LossColumns). */
  private draw(): void {
    const h = this.history;
    const markers = h?.markers.length ?? 0;
    if (!this.columns.update(h) && markers === this.drawnMarkers) return;
    this.drawnMarkers = markers;
    this.plot!.setData(this.columns.data as unknown as uPlot.AlignedData);
  }

  /** Points of the current run drawn (for tests and the page's status line). */
  get pointCount(): number {
    return this.plot ? this.columns.length : 0;
  }
}

customElements.define('char-lm-loss-chart', CharLmLossChart);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-loss-chart': CharLmLossChart;
  }
}
