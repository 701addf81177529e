/**
 * <char-lm-heatmap>: a units × characters heatmap on a canvas, diverging colours around
 * `center` (0 for h and the cell candidate g, 0.5 for the σ gates), with what a reader needs
 * to read it: a colour legend with values, the units along the left (labelled every few
 * units) and the characters along the bottom, one column each. Cells are 14 px wide and
 * 10–16 px tall, so that one unit's row can be followed and pointed at (128 units: 1,280 px);
 * a heatmap larger than its panel scrolls inside it, both ways (the unit axis scrolls with
 * the rows and stays at the left; the character axis stays at the bottom). Hovering a cell,
 * or the arrow keys with the map focused, read the character, the unit and the value.
 *
 * @csspart canvas - the heatmap canvas
 * @csspart tooltip - the hover readout
 * @csspart legend - the colour legend
 */
import { LitElement, css, html } from 'lit';
import { DIVERGING_RAMP, diverging } from './colours.ts';

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
  /** The value's name in the readout: "h", "f", … */
  symbol?: string;
}

/** Cell width (px): room for one character of the axis below. */
const HEATMAP_CELL_W = 14;

/** Cell height (px) for a number of units: 480 px in all where that leaves 10–16 px a unit (more units scroll). */
function heatmapCellHeight(units: number): number {
  return Math.max(10, Math.min(16, Math.floor(480 / Math.max(1, units))));
}

/** Every how many units the axis has a label, so that labels are ≥ 14 px apart. */
function unitStride(cellH: number): number {
  let k = 1;
  while (k * cellH < 14) k *= 2;
  return k;
}

/** A value to 2 decimals, with a real minus sign. */
function fmt(x: number): string {
  return x.toFixed(2).replace('-', '−');
}

export class CharLmHeatmap extends LitElement {
  static override properties = { data: { attribute: false }, hover: { state: true, attribute: false } };
  static override styles = css`
    :host {
      display: block;
      position: relative;
      --axis-w: 3.2em;
    }
    .tip {
      font: 12px/1.4 monospace;
      min-height: 1.4em;
      color: var(--char-lm-text, #222);
      overflow-wrap: anywhere;
    }
    .legend {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.3em 0.6em;
      font:
        12px/1.4 system-ui,
        sans-serif;
      color: #444;
      margin: 0.2em 0 0.4em;
    }
    .bar {
      display: flex;
      flex-direction: column;
      min-width: 10em;
    }
    .ramp {
      height: 12px;
      border: 1px solid #ccc;
    }
    .ticks {
      display: flex;
      justify-content: space-between;
      font: 11px monospace;
    }
    /* The heatmap keeps its cells' size; a large one scrolls inside its panel, both ways. */
    .scroll {
      overflow: auto;
      width: fit-content;
      max-width: 100%;
      max-height: min(34em, 70vh);
      border: 1px solid #ddd;
      background: white;
    }
    .grid {
      display: grid;
      width: max-content;
    }
    .units {
      position: sticky;
      left: 0;
      z-index: 1;
      background: white;
      font: 10px monospace;
      color: #444;
      border-right: 1px solid #ddd;
    }
    .units span {
      position: absolute;
      right: 4px;
      transform: translateY(-50%);
    }
    canvas {
      image-rendering: pixelated;
      display: block;
    }
    .corner {
      position: sticky;
      left: 0;
      bottom: 0;
      z-index: 2;
      background: white;
      font: 10px monospace;
      color: #444;
      text-align: right;
      padding-right: 4px;
    }
    .axis {
      position: sticky;
      bottom: 0;
      background: white;
      display: flex;
      font: 12px/18px monospace;
      color: #222;
      border-top: 1px solid #ddd;
      white-space: pre;
    }
    .axis span {
      display: inline-block;
      text-align: center;
      overflow: hidden;
    }
    .caption {
      font-size: 12px;
      color: #555;
      margin-top: 0.2em;
    }
  `;

  declare data: HeatmapData | null;
  declare hover: string;
  /** The cell the arrow keys have reached (the map focused), outlined on the canvas; null before the first key. */
  private cursor: { c: number; u: number } | null = null;

  constructor() {
    super();
    this.data = null;
    this.hover = '';
  }

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('data')) this.cursor = null;
  }

  private cell(): { w: number; h: number } {
    return { w: HEATMAP_CELL_W, h: heatmapCellHeight(this.data!.units) };
  }

  override render() {
    const d = this.data;
    if (!d) return html``;
    const { w, h } = this.cell();
    const stride = unitStride(h);
    const lo = d.center - d.range;
    const hi = d.center + d.range;
    const symbol = d.symbol ?? 'value';
    const tip = this.hover || `${d.label}: hover a cell for its value (or focus the map and use the arrow keys)`;
    const labels = [];
    for (let u = 0; u < d.units; u += stride) labels.push(html`<span style="top:${u * h + h / 2}px">${u}</span>`);
    return html`
      <div class="tip" part="tooltip" aria-live="polite">${tip}</div>
      <div class="legend" part="legend" data-testid="heatmap-legend">
        <span>${symbol} =</span>
        <div class="bar">
          <div
            class="ramp"
            role="img"
            aria-label=${`colour scale: blue ${fmt(lo)}, white ${fmt(d.center)}, red ${fmt(hi)}`}
            style=${`background:${DIVERGING_RAMP}`}
          ></div>
          <div class="ticks"><span>${fmt(lo)}</span><span>${fmt(d.center)}</span><span>${fmt(hi)}</span></div>
        </div>
        <span>${d.label}</span>
      </div>
      <div
        class="scroll"
        tabindex="0"
        role="region"
        aria-label=${`heatmap of ${d.label}: ${d.units} units × ${d.chars.length} characters; the arrow keys read its cells`}
        @keydown=${this.onKey}
      >
        <div class="grid" style="grid-template-columns: var(--axis-w) ${d.chars.length * w}px">
          <div class="units" style="height:${d.units * h}px" data-testid="unit-axis">${labels}</div>
          <canvas part="canvas" @mousemove=${this.onMove} @mouseleave=${() => (this.hover = '')}></canvas>
          <div class="corner" title="units ↑ · characters →">unit</div>
          <div class="axis">${d.chars.map((c) => html`<span style="width:${w}px" title=${JSON.stringify(c)}>${c === '\n' ? '⏎' : c}</span>`)}</div>
        </div>
      </div>
      <div class="caption">Rows: units 0–${d.units - 1} · columns: the ${d.chars.length} characters read, in order · the value after reading each</div>
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
    if (this.cursor) {
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 2;
      ctx.strokeRect(this.cursor.c * w + 1, this.cursor.u * h + 1, w - 2, h - 2);
    }
  }

  /** The readout of one cell, in the words and units the hover uses. */
  private readout(c: number, u: number): string {
    const d = this.data!;
    const v = d.values[c * d.units + u];
    return `character ${JSON.stringify(d.chars[c])} (#${c}), unit ${u}: ${d.symbol ?? 'value'} = ${v.toFixed(4).replace('-', '−')} (scale ${fmt(d.center - d.range)} … ${fmt(d.center + d.range)})`;
  }

  /** Arrow keys (and Page Up / Down, Home / End) move a cursor over the cells (from the first cell), reading each out and keeping it in view. */
  private onKey = (ev: KeyboardEvent): void => {
    const d = this.data;
    if (!d) return;
    // Page Up / Page Down move by the rows in view (256 units are 2,560 px), Home / End to the first / last character.
    const page = Math.max(1, Math.floor((ev.currentTarget as HTMLElement).clientHeight / this.cell().h) - 2);
    const n = d.chars.length;
    const step = (
      {
        ArrowLeft: [-1, 0],
        ArrowRight: [1, 0],
        ArrowUp: [0, -1],
        ArrowDown: [0, 1],
        PageUp: [0, -page],
        PageDown: [0, page],
        Home: [-n, 0],
        End: [n, 0],
      } as Record<string, [number, number]>
    )[ev.key];
    if (!step) return;
    ev.preventDefault();
    const at = this.cursor ? { c: this.cursor.c + step[0], u: this.cursor.u + step[1] } : { c: 0, u: 0 };
    const c = Math.max(0, Math.min(d.chars.length - 1, at.c));
    const u = Math.max(0, Math.min(d.units - 1, at.u));
    this.cursor = { c, u };
    this.hover = this.readout(c, u);
    this.requestUpdate();
    const { w, h } = this.cell();
    const box = ev.currentTarget as HTMLElement;
    const axis = box.querySelector<HTMLElement>('.units')?.offsetWidth ?? 0;
    const x = axis + c * w;
    if (x < box.scrollLeft + axis) box.scrollLeft = x - axis;
    else if (x + w > box.scrollLeft + box.clientWidth) box.scrollLeft = x + w - box.clientWidth;
    // The character axis stays over the bottom of the box: a row under it is not in view.
    const below = box.querySelector<HTMLElement>('.axis')?.offsetHeight ?? 0;
    const y = u * h;
    if (y < box.scrollTop) box.scrollTop = y;
    else if (y + h > box.scrollTop + box.clientHeight - below) box.scrollTop = y + h - box.clientHeight + below;
  };

  private onMove(ev: MouseEvent): void {
    const d = this.data;
    if (!d) return;
    const canvas = ev.currentTarget as HTMLCanvasElement;
    const r = canvas.getBoundingClientRect();
    const { w, h } = this.cell();
    const c = Math.floor(((ev.clientX - r.left) * (canvas.width / r.width)) / w);
    const u = Math.floor(((ev.clientY - r.top) * (canvas.height / r.height)) / h);
    if (c < 0 || c >= d.chars.length || u < 0 || u >= d.units) return;
    this.hover = this.readout(c, u);
  }
}

customElements.define('char-lm-heatmap', CharLmHeatmap);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-heatmap': CharLmHeatmap;
  }
}
