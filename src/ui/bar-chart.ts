/**
 * <char-lm-bars>: the notebook's "hardest characters" bar chart (uPlot bars), one bar
 * per character with its mean loss in nats.
 *
 * @csspart chart - the chart container
 */
import { LitElement, css, html } from 'lit';
import uPlot from 'uplot';
import uPlotCss from 'uplot/dist/uPlot.min.css?inline';
import type { CharLoss } from '../run/run.ts';

/** How a character is shown on an axis: visible, with whitespace named. */
export function showChar(c: string): string {
  if (c === ' ') return '␠';
  if (c === '\n') return '⏎';
  if (c === '\t') return '⇥';
  return c;
}

export class CharLmBars extends LitElement {
  static override styles = [
    css([uPlotCss] as unknown as TemplateStringsArray),
    css`
      :host {
        display: block;
      }
    `,
  ];

  private plot: uPlot | null = null;
  private bars: CharLoss[] = [];

  override render() {
    return html`<div part="chart" id="chart"></div>`;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.plot?.destroy();
    this.plot = null;
  }

  /** The bars currently drawn, in order (hardest first). */
  get values(): CharLoss[] {
    return this.bars;
  }

  show(bars: CharLoss[]): void {
    this.bars = bars;
    this.plot?.destroy();
    const el = this.renderRoot.querySelector('#chart') as HTMLElement;
    const xs = bars.map((_, i) => i);
    this.plot = new uPlot(
      {
        width: Math.max(300, this.clientWidth || 600),
        height: 220,
        scales: { x: { time: false, range: [-0.5, bars.length - 0.5] }, y: { range: (_u, _min, max) => [0, max * 1.1] } },
        legend: { show: false },
        series: [
          {},
          { label: 'mean loss (nats)', fill: 'rgba(31,79,191,0.6)', stroke: '#1f4fbf', paths: uPlot.paths.bars!({ size: [0.7, 40] }), points: { show: false } },
        ],
        axes: [
          { splits: () => xs, values: (_u, splits) => splits.map((i) => (bars[i] ? showChar(bars[i].char) : '')), grid: { show: false } },
          { label: 'nats/char' },
        ],
      },
      [xs, bars.map((b) => b.loss)],
      el,
    );
  }
}

customElements.define('char-lm-bars', CharLmBars);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-bars': CharLmBars;
  }
}
