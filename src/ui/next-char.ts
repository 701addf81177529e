/**
 * <char-lm-next-char>: what does the model expect next? As a person types, the model reads
 * the text (from zero state) and the ten likeliest next characters are shown as bars with
 * their probability and surprise (−ln p in nats, and in bits); the text typed is coloured by
 * the probability the model gave each character that was actually typed (hover for the
 * numbers). Distributions come from TrainingRun.predictions (hidden states, then the head on
 * the host: see src/run/predictions.ts); a key typed at the end reads only the new characters,
 * and a backspace reads none (TrainingRun keeps the last read). One read of the model at a
 * time: keys typed while one runs are taken up together when it ends.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { live } from 'lit/directives/live.js';
import type { TrainingRun } from '../run/run.ts';
import { topPredictions, type Predictions } from '../run/predictions.ts';
import { surpriseColours } from './colours.ts';
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
        font:
          14px/1.8 ui-monospace,
          monospace;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        background: white;
        padding: 0.4em 0.6em;
        border-radius: 4px;
        margin: 0.3em 0;
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
      show: (preds, s) => (this.shown = { text, chars: [...text], ids: s.encode(text, 'the text'), preds }),
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
    const scale = Math.log(V); // the surprise of a uniform guess: full colour
    let sum = 0;
    const span = (c: string, i: number) => {
      if (i === 0) return html`<span title="first character: not predicted">${c}</span>`;
      const p = x.preds.probs[(i - 1) * V + x.ids[i]];
      sum += -Math.log(p);
      const best = topPredictions(x.preds, i - 1, 1)[0];
      const { bg, fg } = surpriseColours(-Math.log(p), scale);
      const title = `${JSON.stringify(c)}: p = ${pct(p)}, surprise ${nats(p)}; the likeliest was ${JSON.stringify(this.run!.vocab.chars[best.id])} (${pct(best.p)})`;
      return html`<span style="background:${bg};color:${fg}" title=${title}>${c}</span>`;
    };
    // One span per character and nothing else: the box keeps whitespace.
    // prettier-ignore
    const typed = html`<div class="typed" data-testid="next-typed">${x.chars.map(span)}</div>`;
    const mean = x.chars.length > 1 ? sum / (x.chars.length - 1) : NaN;
    return html`
      ${typed}
      <div class="muted" data-testid="next-mean">
        ${
          x.chars.length > 1
            ? `Mean surprise of the characters typed: ${mean.toFixed(3)} nats/char (${(mean / Math.LN2).toFixed(3)} bits) · white: expected, orange: as surprising as a blind guess among ${V} characters or more · hover a character for its probability`
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
