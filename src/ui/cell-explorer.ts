/**
 * <char-lm-cell-explorer>: what does one hidden unit do? A stretch of the run's text
 * (2,000 characters by default, from the line of its first quotation mark) goes through the
 * model once; the units of every layer are ranked by how well they track simple features of
 * the text (cell-features.ts: inside quotes, position in line, after a space, capital
 * letters), and the stretch is shown coloured by the activation of the unit picked — by
 * hand, or by a click on the best unit of a feature — as in Karpathy, Johnson & Fei-Fei,
 * "Visualizing and understanding recurrent networks" (2015).
 *
 * The model is read through TrainingRun.textStates (queued like every read of the model; on
 * the page's CPU engine it runs in the engine's Worker); ranking is one pass over the stretch
 * per layer on this thread (2,000 characters × 128 units × 4 features: a few ms).
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { live } from 'lit/directives/live.js';
import type { TrainingRun } from '../run/run.ts';
import { cellActivations, rankUnits, stretchStart, unitActivations, type FeatureRanking, type UnitRef } from './cell-features.ts';
import { ModelRead, PanelMessage } from './model-read.ts';
import { cellColours } from './colours.ts';
import { nestedPanelStyles } from './styles.ts';

const DEFAULT_LENGTH = 2000;
const MIN_LENGTH = 50;
const MAX_LENGTH = 5000;

/** What colours the text: tanh of the cell state c (as in the studies of LSTM cells) or the hidden state h = o⊙tanh(c). */
type Signal = 'c' | 'h';
const SIGNALS: readonly { value: Signal; title: string }[] = [
  { value: 'c', title: 'cell state tanh(c)' },
  { value: 'h', title: 'hidden state h' },
];

interface Stretch {
  /** Where it starts in the run's text (characters). */
  start: number;
  chars: string[];
  /** Per signal, per layer (n, H). */
  values: Record<Signal, Float32Array[]>;
  /** Per signal, worked out when the signal is first shown (a separate task from drawing the text). */
  ranking: Partial<Record<Signal, FeatureRanking[]>>;
  /** The step of the model it was computed with. */
  step: number;
}

export class CharLmCellExplorer extends LitElement {
  static override properties = {
    run: { attribute: false },
    ready: { type: Boolean },
    stretch: { state: true, attribute: false },
    picked: { state: true, attribute: false },
    signal: { state: true, attribute: false },
    unitField: { state: true, attribute: false },
    lengthField: { state: true, attribute: false },
  };

  declare run: TrainingRun | null;
  declare ready: boolean;
  declare private stretch: Stretch | null;
  declare private picked: UnitRef;
  declare private signal: Signal;
  /** The unit number as typed. */
  declare private unitField: string;
  declare private lengthField: string;
  /** Rank units: its reads of the model and the message next to its button (also why the length typed is refused). */
  private rankReads = new ModelRead(this, () => this.run);
  /** Why the unit typed is refused, next to its field. */
  private unitMessage = new PanelMessage(this);

  constructor() {
    super();
    this.run = null;
    this.ready = false;
    this.stretch = null;
    this.picked = { layer: 0, unit: 0 };
    this.signal = 'c';
    this.unitField = '0';
    this.lengthField = String(DEFAULT_LENGTH);
  }

  static override styles = [
    ...nestedPanelStyles,
    css`
      table {
        border-collapse: collapse;
        font-size: 0.9em;
        margin: 0.4em 0;
      }
      th,
      td {
        text-align: left;
        padding: 0.2em 0.6em 0.2em 0;
        vertical-align: top;
      }
      td button {
        font-size: 0.9em;
        padding: 0.1em 0.5em;
        margin: 0 0.3em 0.2em 0;
      }
      button[aria-pressed='true'] {
        background: var(--accent);
        color: white;
      }
      .table-wrap {
        overflow-x: auto;
        max-width: 100%;
      }
      .cells {
        font:
          13px/1.7 ui-monospace,
          monospace;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        background: white;
        padding: 0.6em;
        border-radius: 4px;
        max-height: 22em;
        overflow-y: auto;
      }
      .legend {
        display: flex;
        align-items: center;
        gap: 0.5em;
        font-size: 0.85em;
        color: var(--muted);
        margin: 0.4em 0;
        flex-wrap: wrap;
      }
      .ramp {
        width: 10em;
        height: 0.9em;
        border: 1px solid #ccc;
        background: linear-gradient(to right, rgb(0, 0, 255), white, rgb(255, 0, 0));
      }
    `,
  ];

  override willUpdate(changed: PropertyValues): void {
    if (changed.has('run')) {
      // Nothing of another model stays on screen.
      this.stretch = null;
      this.unitMessage.reset();
      const H = this.run?.table.config.hiddenSize ?? 1;
      const L = this.run?.table.config.layers ?? 1;
      this.picked = { layer: Math.min(this.picked.layer, L - 1), unit: Math.min(this.picked.unit, H - 1) };
      this.unitField = String(this.picked.unit);
    }
  }

  /** Runs the stretch through the model and ranks the units; then shows the best unit of the first feature the stretch has. */
  rank(): Promise<void> {
    if (!this.run) return Promise.resolve();
    const raw = this.lengthField.trim();
    const length = Number(raw);
    if (!/^\d+$/.test(raw) || length < MIN_LENGTH || length > MAX_LENGTH) {
      this.rankReads.message.fail(`Characters must be a whole number from ${MIN_LENGTH} to ${MAX_LENGTH.toLocaleString('en')}, got ${JSON.stringify(raw)}`);
      return Promise.resolve();
    }
    return this.rankReads.request({
      read: async (s): Promise<Stretch | null> => {
        const head = Array.from(s.prepared.ids.subarray(0, 20_000), (id) => s.vocab.chars[id]);
        const start = stretchStart(head);
        const { ids, states } = await s.textStates(start, length);
        if (this.run !== s) return null;
        const chars = Array.from(ids, (id) => s.vocab.chars[id]);
        const H = s.table.config.hiddenSize;
        const values = { c: states.c.map(cellActivations), h: states.h };
        const ranking = { [this.signal]: rankUnits(values[this.signal], H, chars) };
        // Ranking and drawing 2,000 coloured characters are separate tasks: the page stays responsive between them.
        await new Promise((r) => setTimeout(r, 0));
        return { start, chars, values, ranking, step: s.step };
      },
      show: (x) => {
        if (!x) return;
        this.stretch = x;
        const first = x.ranking[this.signal]?.find((r) => r.best.length > 0)?.best[0];
        if (first) this.pick(first);
      },
    });
  }

  /** Another signal: the ranking is that signal's, and the best unit of the first feature it has is shown. */
  private chooseSignal(signal: Signal): void {
    this.signal = signal;
    const x = this.stretch;
    if (!x || !this.run) return;
    const ranking = (x.ranking[signal] ??= rankUnits(x.values[signal], this.run.table.config.hiddenSize, x.chars));
    const first = ranking.find((r) => r.best.length > 0)?.best[0];
    if (first) this.pick(first);
    this.requestUpdate();
  }

  private pick(u: UnitRef): void {
    this.picked = { layer: u.layer, unit: u.unit };
    this.unitField = String(u.unit);
    this.unitMessage.say('');
  }

  /** A unit number typed: checked at once, shown when valid; a bad one is named next to the field and the text stays as it was. */
  private typeUnit(value: string): void {
    this.unitField = value;
    const H = this.run?.table.config.hiddenSize ?? 1;
    const raw = value.trim();
    const u = Number(raw);
    if (!/^\d+$/.test(raw) || u >= H) {
      this.unitMessage.say(`Unit must be a whole number from 0 to ${H - 1} (the hidden size is ${H}), got ${JSON.stringify(raw)}`);
      return;
    }
    this.picked = { ...this.picked, unit: u };
    this.unitMessage.say('');
  }

  private renderRanking(x: Stretch) {
    const p = this.picked;
    const L = x.values.h.length;
    const name = (u: UnitRef) => (L > 1 ? `layer ${u.layer} unit ${u.unit}` : `unit ${u.unit}`);
    return html`
      <div class="table-wrap">
        <table data-testid="cell-ranking">
          <thead>
            <tr>
              <th scope="col">Feature of the text</th>
              <th scope="col">Units that track it best (correlation r)</th>
            </tr>
          </thead>
          <tbody>
            ${(x.ranking[this.signal] ?? []).map(
              (r) =>
                html`<tr data-feature=${r.feature.key}>
                  <th scope="row" title=${r.feature.help}>${r.feature.title}</th>
                  <td>
                    ${
                      r.best.length
                        ? r.best.map(
                            (u) =>
                              html`<button
                                aria-pressed=${u.layer === p.layer && u.unit === p.unit ? 'true' : 'false'}
                                title=${`Colour the text by ${name(u)}: its activation correlates with "${r.feature.title}" at r = ${u.r.toFixed(2)}`}
                                @click=${() => this.pick(u)}
                              >
                                ${name(u)} <span>(r = ${u.r.toFixed(2).replace('-', '−')})</span>
                              </button>`,
                          )
                        : html`<span class="muted">${r.feature.absent}</span>`
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
    `;
  }

  private renderText() {
    const { layer, unit } = this.picked;
    const name = this.signal === 'c' ? 'tanh(c)' : 'h';
    // The characters are drawn by colourText (one span each, built once per stretch): Lit leaves the box's children alone.
    return html`<div
      class="cells"
      data-testid="cell-text"
      data-signal=${this.signal}
      data-layer=${layer}
      data-unit=${unit}
      tabindex="0"
      role="region"
      aria-label=${`the text coloured by ${name} of layer ${layer}, unit ${unit}`}
      @mouseover=${this.onHover}
      @focusin=${this.onHover}
    ></div>`;
  }

  /** The stretch's characters in the box, one span each (made once per stretch, by the DOM: 2,000 of them in a few ms), coloured by the unit picked. */
  private colourText(x: Stretch): void {
    const box = this.renderRoot.querySelector('.cells');
    if (!box) return;
    if (this.drawn !== x || box.childElementCount !== x.chars.length) {
      box.replaceChildren(
        ...x.chars.map((c) => {
          const span = document.createElement('span');
          span.textContent = c;
          return span;
        }),
      );
      this.drawn = x;
    }
    const { layer, unit } = this.picked;
    const acts = unitActivations(x.values[this.signal][layer], this.run!.table.config.hiddenSize, unit);
    const name = this.signal === 'c' ? 'tanh(c)' : 'h';
    const spans = box.children;
    for (let i = 0; i < spans.length; i++) {
      const { bg, fg } = cellColours(acts[i]);
      (spans[i] as HTMLElement).style.cssText = `background:${bg};color:${fg}`;
    }
    // A character's title (its value) is written when it is hovered: 2,000 strings per unit would be most of the work.
    this.titleOf = (i) => `${JSON.stringify(x.chars[i])}: ${name} = ${acts[i].toFixed(3)} (layer ${layer}, unit ${unit}; −1 … 1)`;
    for (const span of box.querySelectorAll<HTMLElement>('span[title]')) span.title = this.titleOf(Array.prototype.indexOf.call(spans, span));
  }

  /** The stretch whose characters are in the box. */
  private drawn: Stretch | null = null;
  /** The hover title of character i, for the unit shown. */
  private titleOf: ((i: number) => string) | null = null;

  /** Gives the character under the pointer its title (value of the unit shown), as it is hovered. */
  private onHover = (e: Event): void => {
    const span = e.target as HTMLElement;
    const box = span.parentElement;
    if (span.tagName !== 'SPAN' || !box?.classList.contains('cells') || !this.titleOf) return;
    span.title = this.titleOf(Array.prototype.indexOf.call(box.children, span));
  };

  override updated(changed: PropertyValues): void {
    const x = this.stretch;
    if (x && (changed.has('stretch') || changed.has('picked') || changed.has('signal'))) this.colourText(x);
  }

  override render() {
    const run = this.run;
    const ready = this.ready && !!run && !this.rankReads.busy;
    const H = run?.table.config.hiddenSize ?? 1;
    const L = run?.table.config.layers ?? 1;
    const x = this.stretch;
    return html`
      <section>
        <h3>Cell explorer</h3>
        <p class="muted">
          What does one unit of the LSTM do? Run a stretch of the text through the model, rank its units by how well they follow simple features of the text,
          and see the text coloured by one unit's cell state tanh(c) or hidden state h (blue −1, white 0, red +1).
        </p>
        <div class="row">
          <label title="How many characters of the text to run through the model (from the line of its first quotation mark, if any)"
            >Characters
            <input
              type="number"
              name="cell-length"
              aria-label="Characters"
              min=${MIN_LENGTH}
              max=${MAX_LENGTH}
              .value=${live(this.lengthField)}
              aria-invalid=${this.rankReads.message.text ? 'true' : 'false'}
              @input=${(e: Event) => (this.lengthField = (e.target as HTMLInputElement).value)}
          /></label>
          <button data-testid="rank-units" ?disabled=${!ready} @click=${() => void this.rank()}>Rank units</button>
          ${this.rankReads.busy ? html`<span class="muted" role="status">Running the text through the model…</span>` : nothing}
        </div>
        ${this.rankReads.message.render('cells-rank-error')}
        ${
          x
            ? html`
                <p class="muted" data-testid="cell-stretch">
                  ${x.chars.length.toLocaleString('en')} characters from character ${x.start.toLocaleString('en')} of the
                  text${x.step > 0 ? `, the model as trained at step ${x.step.toLocaleString('en')}` : ''}; r is the correlation of a unit's activation with the
                  feature over them (hover a feature for what it measures).
                </p>
                ${this.renderRanking(x)}
                <div class="row">
                  <label title="The cell state c carries what a unit remembers; h = o·tanh(c) is what the layer passes on (the output gate o can hide c)"
                    >Show
                    <select name="cell-signal" @change=${(e: Event) => this.chooseSignal((e.target as HTMLSelectElement).value as Signal)}>
                      ${SIGNALS.map((g) => html`<option value=${g.value} .selected=${g.value === this.signal}>${g.title}</option>`)}
                    </select>
                  </label>
                  <label title="The layer whose unit colours the text"
                    >Layer
                    <select name="cell-layer" @change=${(e: Event) => (this.picked = { ...this.picked, layer: Number((e.target as HTMLSelectElement).value) })}>
                      ${Array.from({ length: L }, (_, l) => html`<option value=${l} .selected=${l === this.picked.layer}>${l}</option>`)}
                    </select>
                  </label>
                  <label title=${`Any unit from 0 to ${H - 1}`}
                    >Unit
                    <input
                      type="number"
                      name="cell-unit"
                      aria-label="Unit"
                      min="0"
                      max=${H - 1}
                      .value=${live(this.unitField)}
                      aria-invalid=${this.unitMessage.text ? 'true' : 'false'}
                      @input=${(e: Event) => this.typeUnit((e.target as HTMLInputElement).value)}
                  /></label>
                </div>
                ${this.unitMessage.render('cells-unit-error')}
                <div class="legend">
                  <span>${this.signal === 'c' ? 'tanh(c)' : 'h'} =</span><span>−1</span
                  ><span class="ramp" role="img" aria-label="colour scale: blue −1, white 0, red +1"></span><span>+1</span>
                  <span>· hover a character for its value</span>
                </div>
                ${this.renderText()}
              `
            : nothing
        }
      </section>
    `;
  }
}

customElements.define('char-lm-cell-explorer', CharLmCellExplorer);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-cell-explorer': CharLmCellExplorer;
  }
}
