/**
 * <char-lm-char-text>: a text shown one coloured character at a time (the text coloured by
 * surprise, by a unit's activation, the characters typed), whose value at each character a
 * person can read however they reach it: with the mouse (hover), with a finger (a tap) or
 * with the keyboard (focus the text: ← → one character, ↑ ↓ one line, Home / End). The
 * character reached is outlined and its value written in the readout line above the text
 * (aria-live, so a screen reader says it), in the words a hover title gives. A legend of
 * the colour scale, with its values, sits above.
 *
 * The characters are spans made by the DOM once per text (2,000 in a few ms) and recoloured
 * in place when `paint` changes; a value is written only when its character is reached.
 *
 * @csspart legend - the colour scale
 * @csspart readout - the line that reads out the character reached
 * @csspart text - the characters
 * @cssprop --char-lm-text-max-height - the text's height before it scrolls (default none)
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import type { ColourScale } from './colours.ts';

/** Background and text colour of one character (colours.ts). */
export interface CharPaint {
  bg: string;
  fg: string;
}

export class CharLmCharText extends LitElement {
  static override properties = {
    chars: { attribute: false },
    paint: { attribute: false },
    readout: { attribute: false },
    scale: { attribute: false },
    label: {},
    hint: {},
    shown: { state: true, attribute: false },
  };

  /** One span each, in order. */
  declare chars: readonly string[];
  /** The colours of character i (null leaves it plain). A new function recolours every character. */
  declare paint: ((i: number) => CharPaint | null) | null;
  /** The value of character i, in words with its unit. A new function rewrites the readout shown. */
  declare readout: ((i: number) => string) | null;
  /** The legend of the colours (none when null). */
  declare scale: ColourScale | null;
  /** What the text is, for a screen reader ("the text coloured by surprise"). */
  declare label: string;
  /** The readout line before a character is reached. */
  declare hint: string;
  /** The character whose value the readout line shows: hovered, else the cursor's; −1 for none. */
  declare private shown: number;
  /** The character the keyboard or a tap reached (outlined), −1 before the first. */
  private cursor = -1;
  /** The characters in the box now (spans are remade only for another text). */
  private drawn: readonly string[] | null = null;

  constructor() {
    super();
    this.chars = [];
    this.paint = null;
    this.readout = null;
    this.scale = null;
    this.label = 'the text';
    this.hint = 'Hover or tap a character for its value, or focus the text and use the arrow keys';
    this.shown = -1;
  }

  static override styles = css`
    :host {
      display: block;
      margin: 0.3em 0;
    }
    .readout {
      font:
        12px/1.5 ui-monospace,
        monospace;
      color: var(--char-lm-text, #222);
      min-height: 1.5em;
      padding: 0.1em 0;
      overflow-wrap: anywhere;
    }
    .legend {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.2em 0.6em;
      font-size: 0.85em;
      color: var(--muted, #5f6368);
      margin: 0.3em 0;
    }
    .bar {
      display: flex;
      flex-direction: column;
      width: 14em;
      max-width: 100%;
    }
    .ramp {
      height: 0.9em;
      border: 1px solid #ccc;
    }
    .ticks {
      display: flex;
      justify-content: space-between;
      font:
        11px/1.3 ui-monospace,
        monospace;
    }
    .text {
      font:
        13px/1.7 ui-monospace,
        monospace;
      white-space: pre-wrap;
      overflow-wrap: anywhere;
      background: white;
      color: #000;
      padding: 0.6em;
      border-radius: 4px;
      max-height: var(--char-lm-text-max-height, none);
      overflow-y: auto;
      cursor: default;
    }
    .text:focus-visible {
      outline: 2px solid var(--accent, #1f4fbf);
      outline-offset: 2px;
    }
    /* The character reached: a black ring inside a white one, visible on every colour of the scales. */
    span.at {
      box-shadow:
        0 0 0 1px #fff,
        0 0 0 3px #000;
      position: relative;
      z-index: 0;
    }
  `;

  private get box(): HTMLElement | null {
    return this.renderRoot.querySelector('.text');
  }

  override willUpdate(changed: PropertyValues): void {
    if (changed.has('chars') && this.chars !== this.drawn) {
      this.cursor = -1;
      this.shown = -1;
    }
  }

  override render() {
    const i = this.shown;
    const words = i >= 0 && i < this.chars.length && this.readout ? this.readout(i) : this.hint;
    const s = this.scale;
    const legend = s
      ? html`<div class="legend" part="legend" data-testid="legend">
          <span>${s.name} =</span>
          <div class="bar">
            <div class="ramp" role="img" aria-label=${`colour scale: ${s.description}`} style=${`background:${s.ramp}`}></div>
            ${s.ticks.map((row) => html`<div class="ticks">${row.map((t) => html`<span>${t}</span>`)}</div>`)}
          </div>
        </div>`
      : nothing;
    return html`${legend}
      <div class="readout" part="readout" data-testid="readout" aria-live="polite">${words}</div>
      <div
        class="text"
        part="text"
        tabindex="0"
        role="region"
        aria-label=${`${this.label}; the arrow keys read its characters`}
        @keydown=${this.onKey}
        @mousemove=${this.onHover}
        @mouseleave=${() => (this.shown = this.cursor)}
        @click=${this.onTap}
      ></div>`;
  }

  override updated(changed: PropertyValues): void {
    const box = this.box;
    if (!box) return;
    const spans = box.children;
    let repaint = changed.has('paint');
    if (this.drawn !== this.chars || spans.length !== this.chars.length) {
      box.replaceChildren(
        ...this.chars.map((c) => {
          const span = document.createElement('span');
          span.textContent = c;
          return span;
        }),
      );
      this.drawn = this.chars;
      repaint = true;
    }
    if (repaint) {
      for (let i = 0; i < spans.length; i++) {
        const p = this.paint?.(i);
        (spans[i] as HTMLElement).style.cssText = p ? `background:${p.bg};color:${p.fg}` : '';
      }
    }
    // A hover title where one was given: rewritten for the values shown now.
    if (changed.has('readout')) for (const span of box.querySelectorAll<HTMLElement>('span[title]')) span.title = this.titleOf(span);
    for (const span of box.querySelectorAll('span.at')) span.classList.remove('at');
    if (this.cursor >= 0) spans[this.cursor]?.classList.add('at');
  }

  private indexOf(span: Element): number {
    return Array.prototype.indexOf.call(this.box!.children, span) as number;
  }

  private titleOf(span: Element): string {
    return this.readout?.(this.indexOf(span)) ?? '';
  }

  /**
   * The character under the pointer is read out (and given its title, for a tooltip by the
   * pointer). Only when the pointer moved: the browser also sends a move when the text scrolls
   * under a resting pointer (the arrow keys, a tap elsewhere), which must not take the readout
   * from the character the keys or the tap reached.
   */
  private onHover = (e: MouseEvent): void => {
    const span = e.target as HTMLElement;
    if (span.parentElement !== this.box || span.tagName !== 'SPAN' || (e.movementX === 0 && e.movementY === 0)) return;
    this.shown = this.indexOf(span);
    span.title = this.titleOf(span);
  };

  /** A tap or a click puts the cursor on the character (and the keyboard goes on from there). */
  private onTap = (e: Event): void => {
    const span = e.target as HTMLElement;
    if (span.parentElement !== this.box || span.tagName !== 'SPAN') return;
    this.moveTo(this.indexOf(span));
  };

  /** Moves the cursor to character i, reads it out and keeps it in view. */
  moveTo(i: number): void {
    const n = this.chars.length;
    if (!n) return;
    this.cursor = Math.max(0, Math.min(n - 1, i));
    this.shown = this.cursor;
    this.requestUpdate();
    const span = this.box?.children[this.cursor] as HTMLElement | undefined;
    span?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  /** The character on the next (+1) or previous (−1) line of the box, nearest across to character i. */
  private lineFrom(i: number, dir: 1 | -1): number {
    const spans = this.box!.children;
    const here = spans[i].getBoundingClientRect();
    const x = here.left + here.width / 2;
    let line: number | null = null;
    let best = i;
    let bestDx = Infinity;
    for (let j = i + dir; j >= 0 && j < spans.length; j += dir) {
      const r = spans[j].getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const moved = dir > 0 ? r.top > here.top + here.height / 2 : r.bottom < here.bottom - here.height / 2;
      if (!moved) continue;
      line ??= r.top;
      if (Math.abs(r.top - line) > here.height / 2) break; // past the line below (above)
      const dx = Math.abs(r.left + r.width / 2 - x);
      if (dx < bestDx) [best, bestDx] = [j, dx];
    }
    return best;
  }

  private onKey = (e: KeyboardEvent): void => {
    const n = this.chars.length;
    if (!n) return;
    const at = this.cursor;
    let to: number;
    if (e.key === 'ArrowRight') to = at + 1;
    else if (e.key === 'ArrowLeft') to = at < 0 ? 0 : at - 1;
    else if (e.key === 'ArrowDown') to = at < 0 ? 0 : this.lineFrom(at, 1);
    else if (e.key === 'ArrowUp') to = at < 0 ? 0 : this.lineFrom(at, -1);
    else if (e.key === 'Home') to = 0;
    else if (e.key === 'End') to = n - 1;
    else return;
    e.preventDefault();
    this.moveTo(to);
  };
}

customElements.define('char-lm-char-text', CharLmCharText);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-char-text': CharLmCharText;
  }
}
