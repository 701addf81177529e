/**
 * <char-lm-heatmap>: a units × characters heatmap on a canvas, diverging colours
 * around `center` (0 for hidden states, 0.5 for gates). Hovering a cell shows the
 * character, the unit and the value.
 *
 * @csspart canvas - the heatmap canvas
 * @csspart tooltip - the hover readout
 */
import { LitElement, css, html } from 'lit';

export interface HeatmapData {
  /** Characters along x. */
  chars: string[];
  /** Units along y. */
  units: number;
  /** (chars, units): values[c * units + u]. */
  values: Float32Array;
  center: number;
  /** Half-width of the colour range around center. */
  range: number;
  label: string;
}

export class CharLmHeatmap extends LitElement {
  static override properties = { data: { attribute: false }, hover: { state: true, attribute: false } };
  static override styles = css`
    :host {
      display: block;
      position: relative;
    }
    /* Cells keep their size (the axis below lines up with them); a narrow window scrolls. */
    .scroll {
      overflow-x: auto;
      max-width: 100%;
    }
    .scroll > div {
      display: inline-block;
    }
    canvas {
      image-rendering: pixelated;
      border: 1px solid #ddd;
      display: block;
    }
    .tip {
      font: 12px/1.4 monospace;
      min-height: 1.4em;
      color: var(--char-lm-text, #222);
    }
    .axis {
      font: 12px monospace;
      white-space: pre;
      overflow: hidden;
      color: #444;
    }
  `;

  declare data: HeatmapData | null;
  declare hover: string;

  constructor() {
    super();
    this.data = null;
    this.hover = '';
  }

  private cell(): { w: number; h: number } {
    const d = this.data!;
    const w = Math.max(4, Math.min(16, Math.floor(900 / Math.max(1, d.chars.length))));
    const h = Math.max(1, Math.min(8, Math.floor(400 / Math.max(1, d.units))));
    return { w, h };
  }

  override render() {
    if (!this.data) return html``;
    const { w } = this.cell();
    return html`
      <div class="tip" part="tooltip" aria-live="polite">${this.hover || `${this.data.label}: hover a cell`}</div>
      <div class="scroll">
        <div>
          <canvas part="canvas" @mousemove=${this.onMove} @mouseleave=${() => (this.hover = '')}></canvas>
          <div class="axis" style="letter-spacing:${w - 7.2}px">${this.data.chars.map((c) => (c === '\n' ? '⏎' : c)).join('')}</div>
        </div>
      </div>
    `;
  }

  override updated(): void {
    const d = this.data;
    const canvas = this.renderRoot.querySelector('canvas');
    if (!d || !canvas) return;
    const { w, h } = this.cell();
    canvas.width = d.chars.length * w;
    canvas.height = d.units * h;
    const ctx = canvas.getContext('2d')!;
    for (let c = 0; c < d.chars.length; c++) {
      for (let u = 0; u < d.units; u++) {
        ctx.fillStyle = diverging((d.values[c * d.units + u] - d.center) / d.range);
        ctx.fillRect(c * w, u * h, w, h);
      }
    }
  }

  private onMove(ev: MouseEvent): void {
    const d = this.data;
    if (!d) return;
    const canvas = ev.currentTarget as HTMLCanvasElement;
    const r = canvas.getBoundingClientRect();
    const { w, h } = this.cell();
    const c = Math.floor(((ev.clientX - r.left) * (canvas.width / r.width)) / w);
    const u = Math.floor(((ev.clientY - r.top) * (canvas.height / r.height)) / h);
    if (c < 0 || c >= d.chars.length || u < 0 || u >= d.units) return;
    this.hover = `character ${JSON.stringify(d.chars[c])} (#${c}), unit ${u}: ${d.values[c * d.units + u].toFixed(4)}`;
  }
}

/** Blue (−1) – white (0) – red (+1). */
function diverging(x: number): string {
  const t = Math.max(-1, Math.min(1, Number.isFinite(x) ? x : 0));
  const a = Math.abs(t);
  const lo = Math.round(255 * (1 - a));
  return t >= 0 ? `rgb(255,${lo},${lo})` : `rgb(${lo},${lo},255)`;
}

customElements.define('char-lm-heatmap', CharLmHeatmap);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-heatmap': CharLmHeatmap;
  }
}
