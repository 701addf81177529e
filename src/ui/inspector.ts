/**
 * <char-lm-inspector>: look inside the model — per-character loss over the text (the 15
 * hardest characters as bars, the text coloured by surprise), a heatmap of the hidden
 * state or of one gate over a sentence, the model's next-character probabilities as one
 * types (next-char.ts) and the cell explorer (cell-explorer.ts). The sentence starts as a
 * line of the model's own text. Everything shown belongs to the run it is given: a new run
 * clears it. Each part shows its own errors next to its controls (and the element reports them).
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { live } from 'lit/directives/live.js';
import type { HiddenStates } from '../engine/contract.ts';
import type { CharLoss, TrainingRun } from '../run/run.ts';
import { panelError, type PanelEvent } from './events.ts';
import { ModelRead } from './model-read.ts';
import { surpriseColours, surpriseScale, type ColourScale } from './colours.ts';
import type { CharPaint } from './char-text.ts';
import './char-text.ts';
import { showChar } from './bar-chart.ts';
import './bar-chart.ts';
import './heatmap.ts';
import './next-char.ts';
import './cell-explorer.ts';
import { HEATMAP_CHOICES, heatmapOf, sentenceOf, type HeatmapChoice } from './heatmap-data.ts';
import type { HeatmapData } from './heatmap.ts';
import { panelStyles } from './styles.ts';

/** The heatmap's columns: one per character of the sentence. */
const MAX_SENTENCE = 200;

/** Why the model cannot show the heatmap of `sentence` ('' when it can, or when it is empty): the words Show heatmap would use. */
function sentenceProblem(run: TrainingRun | null, sentence: string): string {
  if (!run) return '';
  const n = [...sentence].length;
  if (n > MAX_SENTENCE) return `the sentence has ${n.toLocaleString('en')} characters; the heatmap shows at most ${MAX_SENTENCE}: shorten it`;
  try {
    run.encode(sentence, 'the sentence');
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

interface Surprise {
  hardest: CharLoss[];
  chars: string[];
  /** (chars − 1): the loss of predicting chars[i + 1]. */
  losses: Float32Array;
  maxLoss: number;
  /** The mean of `losses`: the loss over these characters from zero state, as the CLI's `eval` measures it. */
  mean: number;
  /** Character i's colour, its readout and the legend (made once per analysis: the text is recoloured only when they change). */
  paint: (i: number) => CharPaint | null;
  readout: (i: number) => string;
  scale: ColourScale;
}

/** Character i of the text coloured by surprise: what predicting it cost, in nats and bits, and its probability. */
function surpriseReadout(chars: readonly string[], losses: Float32Array, i: number): string {
  if (i === 0) return `${JSON.stringify(chars[0])}: the first character, not predicted`;
  const l = losses[i - 1];
  return `${JSON.stringify(chars[i])}: ${l.toFixed(3)} nats (${(l / Math.LN2).toFixed(3)} bits), p = ${(100 * Math.exp(-l)).toFixed(1)}%`;
}

export class CharLmInspector extends LitElement {
  static override properties = {
    run: { attribute: false },
    ready: { type: Boolean },
    surprise: { state: true, attribute: false },
    sentence: { state: true, attribute: false },
    choice: { state: true, attribute: false },
    layer: { state: true, attribute: false },
    states: { state: true, attribute: false },
  };

  declare run: TrainingRun | null;
  declare ready: boolean;
  declare private surprise: Surprise | null;
  declare private sentence: string;
  declare private choice: HeatmapChoice;
  declare private layer: number;
  /** The hidden states of the sentence last shown, with its characters. */
  declare private states: { chars: string[]; states: HiddenStates } | null;
  /** Per-character loss: its reads of the model and the message next to its button. */
  private analyseReads = new ModelRead(this, () => this.run);
  /** The heatmap: its reads, and the message next to its button (also why the sentence typed is refused; a new run starts with that). */
  private heatmapReads = new ModelRead(
    this,
    () => this.run,
    (run) => sentenceProblem(run, this.sentence),
  );

  constructor() {
    super();
    this.run = null;
    this.ready = false;
    this.surprise = null;
    this.sentence = '';
    this.choice = 'h';
    this.layer = 0;
    this.states = null;
  }

  static override styles = [
    panelStyles,
    css`
      .surprise {
        --char-lm-text-max-height: 16em;
      }
      input[name='sentence'] {
        width: 24em;
      }
    `,
  ];

  /** What the heatmap shows, worked out when the states, the layer or the choice change. */
  private heatmap: HeatmapData | null = null;

  override willUpdate(changed: PropertyValues): void {
    const run = this.run;
    if (changed.has('run')) {
      const previous = changed.get('run') as TrainingRun | null | undefined;
      this.surprise = null;
      this.states = null;
      if (run) {
        this.layer = Math.min(this.layer, run.table.config.layers - 1);
        // A new text brings its own sentence; Reset and Load keep the one typed (and the heatmap's message says so if this model cannot read it).
        if (!previous || previous.prepared.corpus !== run.prepared.corpus || !this.sentence) this.sentence = sentenceOf(run.defaultSentence(60), 40);
      }
    }
    if (changed.has('states') || changed.has('layer') || changed.has('choice') || changed.has('run')) {
      this.heatmap = run && this.states ? heatmapOf(this.states.states, this.states.chars, run.table.config.hiddenSize, this.layer, this.choice) : null;
    }
  }

  override updated(changed: PropertyValues): void {
    const bars = this.renderRoot.querySelector('char-lm-bars');
    const x = this.surprise;
    // The bars draw into their own shadow root, which exists once they have rendered.
    if (changed.has('surprise') && x && bars) void bars.updateComplete.then(() => this.surprise === x && bars.show(x.hardest));
  }

  /** A part's message (shown next to its own controls) goes on to the element, which reports it. */
  private forwardError = (e: PanelEvent<'panel-error'>): void => {
    e.stopPropagation();
    this.dispatchEvent(panelError(e.detail?.message ?? null));
  };

  /** The sentence as typed: a character the model lacks is named next to the heatmap at once; the heatmap shown stays. */
  private typeSentence(value: string): void {
    this.sentence = value;
    if (this.run) this.heatmapReads.message.say(sentenceProblem(this.run, value));
  }

  /** Per-character loss over the text: the 15 hardest characters and the text coloured by surprise. */
  analyse(): Promise<void> {
    return this.analyseReads.request({
      read: (s) => s.perCharacterLoss(),
      show: (r) => {
        let maxLoss = 1e-6;
        let sum = 0;
        for (const l of r.losses) {
          maxLoss = Math.max(maxLoss, l);
          sum += l;
        }
        this.surprise = {
          hardest: r.hardest,
          chars: r.chars,
          losses: r.losses,
          maxLoss,
          mean: sum / Math.max(1, r.losses.length),
          paint: (i) => (i === 0 ? null : surpriseColours(r.losses[i - 1], maxLoss)),
          readout: (i) => surpriseReadout(r.chars, r.losses, i),
          scale: surpriseScale(maxLoss),
        };
      },
    });
  }

  /** Hidden states (and gates) of the sentence in the form (a sentence the model cannot read is refused next to the button). */
  showHeatmap(): Promise<void> {
    return this.heatmapReads.request({
      read: async (s) => {
        const text = this.sentence;
        const problem = sentenceProblem(s, text);
        if (problem) throw new Error(problem);
        return { chars: [...text], states: await s.hiddenStates(text) };
      },
      show: (states) => (this.states = states),
    });
  }

  private renderSurprise(x: Surprise) {
    return html`<char-lm-char-text
      class="surprise"
      data-testid="surprise"
      label="the text coloured by surprise"
      .chars=${x.chars}
      .paint=${x.paint}
      .readout=${x.readout}
      .scale=${x.scale}
    ></char-lm-char-text>`;
  }

  override render() {
    const ready = this.ready && !!this.run;
    const layers = this.run?.table.config.layers ?? 1;
    const x = this.surprise;
    return html`
      <section>
        <h2>Inspect</h2>
        <div class="row">
          <button data-testid="analyse" ?disabled=${!ready} @click=${() => void this.analyse()}>Per-character loss</button>
        </div>
        ${this.analyseReads.message.render('analyse-error')}
        ${
          x
            ? html`
                <p class="muted" data-testid="mean-loss-line">
                  Mean loss over ${this.run!.prepared.ids.length > x.chars.length ? 'the first' : 'all'} ${x.chars.length.toLocaleString('en')} characters of
                  the text: <span data-testid="mean-loss">${x.mean.toFixed(4)}</span> nats/char (${(x.mean / Math.LN2).toFixed(4)} bits)
                </p>
                <h3>The 15 hardest characters <span class="muted">(mean loss in nats/char; hover a bar for bits)</span></h3>
                <char-lm-bars data-testid="hardest"></char-lm-bars>
                <div class="muted" data-testid="hardest-list">${x.hardest.map((h) => `${showChar(h.char)} ${h.loss.toFixed(2)}`).join(' · ')}</div>
                <h3>
                  Surprise per character
                  <span class="muted">(what predicting each character cost the model)</span>
                </h3>
                ${this.renderSurprise(x)}
              `
            : nothing
        }
        <h3>Hidden state heatmap</h3>
        <div class="row">
          <label title="Characters of the model's text; one column of the heatmap each"
            >Sentence
            <input
              name="sentence"
              .value=${live(this.sentence)}
              aria-invalid=${sentenceProblem(this.run, this.sentence) ? 'true' : 'false'}
              @input=${(e: Event) => this.typeSentence((e.target as HTMLInputElement).value)}
          /></label>
          <label title="The hidden state h, or one gate's activations"
            >Show
            <select name="gate" @change=${(e: Event) => (this.choice = (e.target as HTMLSelectElement).value as HeatmapChoice)}>
              ${HEATMAP_CHOICES.map((c) => html`<option value=${c.value} .selected=${c.value === this.choice}>${c.title}</option>`)}
            </select>
          </label>
          <label
            >Layer
            <select name="layer" @change=${(e: Event) => (this.layer = Number((e.target as HTMLSelectElement).value))}>
              ${Array.from({ length: layers }, (_, l) => html`<option value=${l} .selected=${l === this.layer}>${l}</option>`)}
            </select>
          </label>
          <button data-testid="heatmap-button" ?disabled=${!ready} @click=${() => void this.showHeatmap()}>Show heatmap</button>
        </div>
        ${this.heatmapReads.message.render('heatmap-error')}
        <char-lm-heatmap data-testid="heatmap" .data=${this.heatmap}></char-lm-heatmap>
        <char-lm-next-char .run=${this.run} ?ready=${ready} @panel-error=${this.forwardError}></char-lm-next-char>
        <char-lm-cell-explorer .run=${this.run} ?ready=${ready} @panel-error=${this.forwardError}></char-lm-cell-explorer>
      </section>
    `;
  }
}

customElements.define('char-lm-inspector', CharLmInspector);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-inspector': CharLmInspector;
  }
}
