/**
 * <char-lm-loss-chart>: the streaming loss chart (uPlot). Created once; new points
 * arrive through `update()`, at most once per animation frame, as views of the
 * run's preallocated history arrays.
 *
 * @csspart chart - the chart container
 */
import { LitElement, css, html } from 'lit';
import uPlot from 'uplot';
import uPlotCss from 'uplot/dist/uPlot.min.css?inline';
import type { LossHistory } from '../run/history.ts';

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
    `,
  ];

  private plot: uPlot | null = null;
  private history: LossHistory | null = null;
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
      scales: { x: { time: false } },
      series: [
        { label: 'step' },
        { label: 'loss', stroke: 'rgba(70,110,200,0.45)', width: 1, value: (_u, v) => (v == null ? '–' : v.toFixed(3)) },
        { label: 'moving avg (10)', stroke: '#1f4fbf', width: 2, value: (_u, v) => (v == null ? '–' : v.toFixed(3)) },
        {
          label: 'validation',
          stroke: '#d9480f',
          width: 0,
          points: { show: true, size: 6, fill: '#d9480f' },
          value: (_u, v) => (v == null || Number.isNaN(v) ? '–' : v.toFixed(3)),
        },
      ],
      axes: [
        { label: 'step' },
        { label: 'nats/char', scale: 'y' },
        { label: 'bits/char', scale: 'y', side: 1, grid: { show: false }, values: (_u, splits) => splits.map((v) => (v / Math.LN2).toFixed(2)) },
      ],
    };
    return new uPlot(opts, [[], [], [], []], el);
  }

  /** Shows the first `history.length` points; call as often as you like (one redraw per frame). */
  show(history: LossHistory): void {
    this.history = history;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const h = this.history;
      if (!h || !this.isConnected) return;
      this.plot ??= this.create();
      const n = h.length;
      const val = h.val.subarray(0, n);
      this.plot.setData([
        h.steps.subarray(0, n),
        h.loss.subarray(0, n),
        h.avg.subarray(0, n),
        Array.from(val, (v) => (Number.isNaN(v) ? null : v)),
      ] as unknown as uPlot.AlignedData);
    });
  }

  /** Points currently drawn (for tests and the page's status line). */
  get pointCount(): number {
    return this.plot?.data[0]?.length ?? 0;
  }
}

customElements.define('char-lm-loss-chart', CharLmLossChart);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-loss-chart': CharLmLossChart;
  }
}
