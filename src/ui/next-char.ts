/**
 * <char-lm-next-char>: what does the model expect next? As a person types, the model reads
 * the text (from zero state) and the ten likeliest next characters are shown as bars with
 * their probability and surprise (−ln p in nats, and in bits); the text typed is coloured by
 * the probability the model gave each character that was actually typed (hover or tap one,
 * or the arrow keys, for the numbers: char-text.ts). Distributions come from TrainingRun.predictions (hidden states, then the head on
 * the host: see src/run/predictions.ts); a key typed at the end reads only the new characters,
 * and a backspace reads none (TrainingRun keeps the last read). One read of the model at a
 * time: keys typed while one runs are taken up together when it ends.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { live } from 'lit/directives/live.js';
import type { TrainingRun } from '../run/run.ts';
import { topPredictions, type Predictions } from '../run/predictions.ts';
import { surpriseColours, surpriseScale, type ColourScale } from './colours.ts';
import type { CharPaint } from './char-text.ts';
import './char-text.ts';
import { ModelRead } from './model-read.ts';
import { nestedPanelStyles } from './styles.ts';

/** The longest text read (from zero state each time: the cost grows with it). */
const MAX_TYPED = 500;
const TOP = 10;

interface Shown {
  text: string;
  chars: string[];
  ids: Int32Array;
  preds: Predictions;
  /** The typed characters' colours, readouts and legend (made once per read). */
  paint: (i: number) => CharPaint | null;
  readout: (i: number) => string;
  scale: ColourScale;
  /** Mean surprise of the characters typed after the first (nats/char; NaN for one character). */
  mean: number;
}

/** A character as the bars name it: whitespace in words (glyphs such as ␠ are missing from many monospace fonts). */
function charName(c: string): string {
  return c === ' ' ? 'space' : c === '\n' ? 'line break' : c === '\t' ? 'tab' : c;
}

const pct = (p: number) => `${(100 * p).toFixed(p >= 0.1 ? 1 : p >= 0.001 ? 2 : 3)}%`;
const nats = (p: number) => {
  const n = -Math.log(Math.max(p, 1e-30));
  return `${n.toFixed(2)} nats (${(n / Math.LN2).toFixed(2)} bits)`;
};

/** What is shown for a read of `text`: each typed character after the first coloured by its surprise (full colour at a blind guess's, ln V) and read out with what the model expected. */
function shownOf(s: TrainingRun, text: string, preds: Predictions): Shown {
  const chars = [...text];
  const ids = s.encode(text, 'the text');
  const V = preds.V;
  const p = (i: number) => preds.probs[(i - 1) * V + ids[i]];
  let sum = 0;
  for (let i = 1; i < chars.length; i++) sum -= Math.log(p(i));
  return {
    text,
    chars,
    ids,
    preds,
    paint: (i) => (i === 0 ? null : surpriseColours(-Math.log(p(i)), Math.log(V))),
    readout: (i) => {
      if (i === 0) return `${JSON.stringify(chars[0])}: the first character, not predicted`;
      const best = topPredictions(preds, i - 1, 1)[0];
      return `${JSON.stringify(chars[i])}: p = ${pct(p(i))}, surprise ${nats(p(i))}; the likeliest was ${JSON.stringify(s.vocab.chars[best.id])} (${pct(best.p)})`;
    },
    scale: surpriseScale(Math.log(V), true),
    mean: chars.length > 1 ? sum / (chars.length - 1) : NaN,
  };
}

export class CharLmNextChar extends LitElement {
  static override properties = {
    run: { attribute: false },
    ready: { type: Boolean },
    text: { state: true, attribute: false },
    shown: { state: true, attribute: false },
  };

  declare run: TrainingRun | null;
  declare ready: boolean;
  declare private text: string;
  declare private shown: Shown | null;
  /** The reads of the model (one at a time; keys typed meanwhile are read together next) and the message next to the box. */
  private reads = new ModelRead(this, () => this.run);

  constructor() {
    super();
    this.run = null;
    this.ready = false;
    this.text = '';
    this.shown = null;
  }

  static override styles = [
    ...nestedPanelStyles,
    css`
      textarea {
        width: 36em;
        max-width: 100%;
        font-family: ui-monospace, monospace;
      }
      label.wide {
        display: flex;
      }
      .bars {
        list-style: none;
        padding: 0;
        margin: 0.4em 0;
        display: grid;
        grid-template-columns: max-content minmax(4em, 18em) auto;
        gap: 2px 0.6em;
        align-items: center;
        font-size: 0.9em;
      }
      .bars li {
        display: contents;
      }
      .char {
        font:
          14px ui-monospace,
          monospace;
        text-align: center;
        padding: 0 0.3em;
        background: white;
        border: 1px solid #ddd;
        border-radius: 3px;
      }
      .track {
        background: #e8eaf0;
        height: 0.9em;
        border-radius: 2px;
      }
      .fill {
        background: var(--accent);
        height: 100%;
        border-radius: 2px;
        min-width: 1px;
      }
      .typed {
        --char-lm-text-max-height: 12em;
      }
      .stale {
        opacity: 0.55;
      }
    `,
  ];

  override willUpdate(changed: PropertyValues): void {
    if (changed.has('run')) this.shown = null;
  }

  override updated(changed: PropertyValues): void {
    // A model that became ready, or another model, reads what is typed (when it can).
    if ((changed.has('run') || changed.has('ready')) && this.ready && this.run && this.text && this.shown?.text !== this.text && this.check(this.text)) {
      void this.predict();
    }
  }

  /** Whether the model can read `text`; if not, says why next to the box (what was shown stays). */
  private check(text: string): boolean {
    const s = this.run;
    if (!s) return false;
    const chars = [...text];
    let problem = '';
    if (chars.length > MAX_TYPED) problem = `The text has ${chars.length.toLocaleString('en')} characters; this box reads at most ${MAX_TYPED}: shorten it`;
    else {
      const bad = [...new Set(chars.filter((c) => !s.vocab.has(c)))];
      if (bad.length) {
        problem = `The model does not know ${bad.map((c) => JSON.stringify(c)).join(', ')} (it knows the ${s.vocab.size} characters of its text): remove ${bad.length > 1 ? 'them' : 'it'} to see predictions again`;
      }
    }
    this.reads.message.say(problem);
    return !problem;
  }

  private onInput(value: string): void {
    this.text = value;
    if (!value) {
      this.reads.message.say('');
      this.shown = null;
      return;
    }
    if (this.check(value) && this.ready) void this.predict();
  }

  /** Reads the text typed; while a read runs, later keys wait and the newest text is read next (checked again when its turn comes). */
  private predict(): Promise<void> {
    let text = '';
    return this.reads.request({
      start: () => {
        text = this.text;
        return !!text && this.check(text);
      },
      read: (s) => s.predictions(text),
      show: (preds, s) => (this.shown = shownOf(s, text, preds)),
    });
  }

  private renderBars(x: Shown) {
    const s = this.run!;
    const top = topPredictions(x.preds, x.preds.n - 1, TOP);
    const tail = x.chars.slice(-24).join('');
    return html`
      <div class="muted" data-testid="next-after">After “${x.chars.length > 24 ? '…' : ''}${tail}”, the model expects:</div>
      <ol class="bars" data-testid="next-bars" aria-label="The likeliest next characters">
        ${top.map((t) => {
          const c = s.vocab.chars[t.id];
          return html`<li data-char=${c} title=${`${JSON.stringify(c)}: p = ${pct(t.p)}, surprise ${nats(t.p)}`}>
            <span class="char">${charName(c)}</span>
            <span class="track"><div class="fill" style="width:${(100 * t.p).toFixed(2)}%"></div></span>
            <span class="value">${pct(t.p)} · ${nats(t.p)}</span>
          </li>`;
        })}
      </ol>
    `;
  }

  private renderTyped(x: Shown) {
    const V = x.preds.V;
    return html`
      <char-lm-char-text
        class="typed"
        data-testid="next-typed"
        label="the characters typed, coloured by the probability the model gave each"
        .chars=${x.chars}
        .paint=${x.paint}
        .readout=${x.readout}
        .scale=${x.scale}
      ></char-lm-char-text>
      <div class="muted" data-testid="next-mean">
        ${
          x.chars.length > 1
            ? `Mean surprise of the characters typed: ${x.mean.toFixed(3)} nats/char (${(x.mean / Math.LN2).toFixed(3)} bits) · white: expected, orange: as surprising as a blind guess among ${V} characters or more`
            : 'Type more: each character after the first is coloured by the probability the model gave it'
        }
      </div>
    `;
  }

  override render() {
    const run = this.run;
    const x = this.shown;
    const stale = !!x && x.text !== this.text;
    return html`
      <section>
        <h3>What comes next?</h3>
        <p class="muted">
          Type: the model's ten likeliest next characters appear as bars as you type, and each character you type is coloured by the probability the model gave
          it.
        </p>
        <label class="wide"
          >Your text
          <textarea
            name="next-text"
            rows="2"
            spellcheck="false"
            placeholder="Type here (characters of the model's text)"
            aria-invalid=${this.reads.message.text ? 'true' : 'false'}
            ?disabled=${!run}
            .value=${live(this.text)}
            @input=${(e: Event) => this.onInput((e.target as HTMLTextAreaElement).value)}
          ></textarea>
        </label>
        ${this.reads.message.render('next-error')}
        ${this.reads.busy && !x ? html`<div class="muted" role="status">The model is reading your text…</div>` : nothing}
        ${x ? html`<div class=${stale ? 'stale' : ''} data-testid="next-result" aria-busy=${stale ? 'true' : 'false'}>${this.renderBars(x)} ${this.renderTyped(x)}</div>` : nothing}
      </section>
    `;
  }
}

customElements.define('char-lm-next-char', CharLmNextChar);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-next-char': CharLmNextChar;
  }
}
