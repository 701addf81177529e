/**
 * <char-lm-bars>: the notebook's "hardest characters" bar chart (uPlot bars), one bar
 * per character with its mean loss in nats. It takes the width of its panel and follows it
 * (a ResizeObserver); hovering a bar reads out its character, loss in nats and bits, and
 * how often the character occurs. Focused, the arrow keys move the cursor over the bars
 * (Home, End: the first and the last) and read each out the same way.
 *
 * @csspart chart - the chart container (focusable)
 * @csspart tooltip - the hover readout
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
        min-width: 0;
      }
      .tip {
        font: 12px/1.4 monospace;
        min-height: 1.4em;
        color: var(--char-lm-text, #222);
      }
      #chart:focus-visible {
        outline: 2px solid var(--char-lm-accent, #1f4fbf);
        outline-offset: 2px;
      }
    `,
  ];

  static override properties = { hover: { state: true, attribute: false } };
  declare private hover: string;

  private plot: uPlot | null = null;
  private bars: CharLoss[] = [];
  /** Follows the panel's width: the chart is redrawn at the new size (at most once a frame, as the observer reports). */
  private resizer = new ResizeObserver(() => this.fit());

  constructor() {
    super();
    this.hover = '';
  }

  override render() {
    const tip = this.hover || (this.bars.length ? 'Hover a bar for its loss (or focus the chart and use the arrow keys)' : '');
    return html`<div class="tip" part="tooltip" aria-live="polite">${tip}</div>
      <div
        part="chart"
        id="chart"
        tabindex="0"
        role="region"
        aria-label=${`the ${this.bars.length} hardest characters by mean loss, in nats; the Left and Right arrow keys read its bars`}
        @keydown=${this.onKey}
        @focusout=${() => this.plot?.setCursor({ left: -10, top: -10 })}
      ></div>`;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizer.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizer.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  /** The chart's width: the element's own (its panel's), at least 200 px. */
  private width(): number {
    return Math.max(200, Math.floor(this.clientWidth || 600));
  }

  private fit(): void {
    const p = this.plot;
    if (p && p.width !== this.width()) p.setSize({ width: this.width(), height: 220 });
  }

  /** The bars currently drawn, in order (hardest first). */
  get values(): CharLoss[] {
    return this.bars;
  }

  /** Left / Right (Home, End) move the cursor from bar to bar; uPlot's cursor hook reads the bar reached, as for a hover. */
  private onKey = (ev: KeyboardEvent): void => {
    const u = this.plot;
    const n = this.bars.length;
    if (!u || n === 0) return;
    const at = u.cursor.idx ?? null;
    const to = ({ ArrowLeft: at === null ? n - 1 : at - 1, ArrowRight: at === null ? 0 : at + 1, Home: 0, End: n - 1 } as Record<string, number>)[ev.key];
    if (to === undefined) return;
    ev.preventDefault();
    const i = Math.max(0, Math.min(n - 1, to));
    u.setCursor({ left: u.valToPos(i, 'x'), top: u.valToPos(this.bars[i].loss, 'y') });
  };

  show(bars: CharLoss[]): void {
    this.bars = bars;
    this.hover = '';
    this.requestUpdate(); // the readout's hint depends on the bars
    this.plot?.destroy();
    const el = this.renderRoot.querySelector('#chart') as HTMLElement;
    const xs = bars.map((_, i) => i);
    this.plot = new uPlot(
      {
        width: this.width(),
        height: 220,
        cursor: { drag: { x: false, y: false } },
        hooks: {
          setCursor: [
            (u) => {
              const i = u.cursor.idx;
              const b = i === null || i === undefined ? undefined : bars[i];
              this.hover = b
                ? `${JSON.stringify(b.char)}: ${b.loss.toFixed(3)} nats (${(b.loss / Math.LN2).toFixed(3)} bits) on average, over ${b.count.toLocaleString('en')} occurrences`
                : '';
            },
          ],
        },
        scales: { x: { time: false, range: [-0.5, bars.length - 0.5] }, y: { range: (_u, _min, max) => [0, max * 1.1] } },
        legend: { show: false },
        series: [
          {},
          { label: 'mean loss (nats)', fill: 'rgba(31,79,191,0.6)', stroke: '#1f4fbf', paths: uPlot.paths.bars!({ size: [0.7, 40] }), points: { show: false } },
        ],
        axes: [
          { splits: () => xs, values: (_u, splits) => splits.map((i) => (bars[i] ? showChar(bars[i].char) : '')), grid: { show: false } },
          { label: 'mean loss, nats/char' },
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
