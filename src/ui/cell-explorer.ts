/**
 * <char-lm-cell-explorer>: what does one hidden unit do? A stretch of the run's text
 * (2,000 characters by default, from the line of its first quotation mark) goes through the
 * model once; the units of every layer are ranked by how well they track simple features of
 * the text (cell-features.ts: inside quotes, position in line, after a space, capital
 * letters; a feature the stretch does not vary in is shown as not in this text, with why),
 * and the stretch is shown coloured by the activation of the unit picked — first the
 * strongest of all (highest |r|), then by hand or by a click on the best units of a feature —
 * as in Karpathy, Johnson & Fei-Fei, "Visualizing and understanding recurrent networks"
 * (2015). Each character's value is read out by hover, tap or keyboard (char-text.ts).
 *
 * The model is read through TrainingRun.textStates (queued like every read of the model; on
 * the page's CPU engine it runs in the engine's Worker); ranking is one pass over the stretch
 * per layer on this thread (2,000 characters × 128 units × 4 features: a few ms).
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { live } from 'lit/directives/live.js';
import type { TrainingRun } from '../run/run.ts';
import {
  cellActivations,
  rankUnits,
  stretchStart,
  strongestUnit,
  unitActivations,
  unitCorrelations,
  type FeatureRanking,
  type UnitRef,
} from './cell-features.ts';
import { ModelRead, PanelMessage } from './model-read.ts';
import { activationScale, cellColours, type ColourScale } from './colours.ts';
import type { CharPaint } from './char-text.ts';
import './char-text.ts';
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

/** What the text box shows for the unit picked. */
interface TextView {
  chars: readonly string[];
  paint: (i: number) => CharPaint;
  readout: (i: number) => string;
  scale: ColourScale;
  /** The unit's r with each feature (null where the stretch lacks it). */
  correlations: ReturnType<typeof unitCorrelations>;
}

/** x to `digits` decimals, with a real minus sign. */
function signed(x: number, digits = 2): string {
  return x.toFixed(digits).replace('-', '−');
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
      th .help {
        display: block;
        font-weight: normal;
        font-size: 0.85em;
        color: var(--muted);
        max-width: 16em;
      }
      .absent {
        color: var(--muted);
      }
      .cells {
        --char-lm-text-max-height: 22em;
      }
    `,
  ];

  /** Runs the stretch through the model and ranks the units; then shows the unit that tracks a feature most closely (highest |r| over every feature). */
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
        // tanh of every cell state (n · H per layer: 512,000 of them for 2,000 characters of the shipped model), one layer a task, then the ranking.
        const c: Float32Array[] = [];
        for (const layer of states.c) {
          await new Promise((r) => setTimeout(r, 0));
          if (this.run !== s) return null;
          c.push(cellActivations(layer));
        }
        const values = { c, h: states.h };
        await new Promise((r) => setTimeout(r, 0));
        if (this.run !== s) return null;
        const ranking = { [this.signal]: rankUnits(values[this.signal], H, chars) };
        // Ranking and drawing 2,000 coloured characters are separate tasks: the page stays responsive between them.
        await new Promise((r) => setTimeout(r, 0));
        return { start, chars, values, ranking, step: s.step };
      },
      show: (x) => {
        if (!x) return;
        this.stretch = x;
        this.pickStrongest(x.ranking[this.signal] ?? []);
      },
    });
  }

  /** Another signal: the ranking is that signal's, and its strongest unit is shown. */
  private chooseSignal(signal: Signal): void {
    this.signal = signal;
    const x = this.stretch;
    if (!x || !this.run) return;
    this.pickStrongest((x.ranking[signal] ??= rankUnits(x.values[signal], this.run.table.config.hiddenSize, x.chars)));
    this.requestUpdate();
  }

  /** Shows the unit with the highest |r| over every feature ranked (none ranked: the unit shown stays). */
  private pickStrongest(ranking: readonly FeatureRanking[]): void {
    const best = strongestUnit(ranking);
    if (best) this.pick(best.unit);
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
                  <th scope="row">${r.feature.title}<span class="help">${r.feature.help}</span></th>
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
                                ${name(u)} <span>(r = ${signed(u.r)})</span>
                              </button>`,
                          )
                        : html`<span class="absent" data-testid="feature-absent"><strong>not in this text</strong>: ${r.absent}</span>`
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
    `;
  }

  /** What the unit shown follows: its r with each feature of the stretch, strongest first, and whether it is the strongest unit of all. */
  private renderSummary(x: Stretch, view: TextView) {
    const L = x.values.h.length;
    const { layer, unit } = this.picked;
    const who = L > 1 ? `layer ${layer} unit ${unit}` : `unit ${unit}`;
    const best = strongestUnit(x.ranking[this.signal] ?? []);
    const isBest = best && best.unit.layer === layer && best.unit.unit === unit;
    const ranked = view.correlations.filter((c) => c.r !== null).sort((a, b) => Math.abs(b.r!) - Math.abs(a.r!));
    return html`<p data-testid="cell-unit-summary">
      <strong>${who}</strong>${isBest ? html` <span class="muted">(the unit that tracks a feature most closely)</span>` : nothing}:
      ${ranked.length ? ranked.map((c, k) => html`${k ? ' · ' : ''}${c.title} r = ${signed(c.r!)}`) : 'no feature of this stretch to compare it with'}
    </p>`;
  }

  private renderText(view: TextView) {
    const { layer, unit } = this.picked;
    const name = this.signal === 'c' ? 'tanh(c)' : 'h';
    return html`<char-lm-char-text
      class="cells"
      data-testid="cell-text"
      data-signal=${this.signal}
      data-layer=${layer}
      data-unit=${unit}
      label=${`the text coloured by ${name} of layer ${layer}, unit ${unit}`}
      .chars=${view.chars}
      .paint=${view.paint}
      .readout=${view.readout}
      .scale=${view.scale}
    ></char-lm-char-text>`;
  }

  /** The text as the unit shown colours it: made when the stretch, the unit or the signal change (2,000 characters are recoloured only then). */
  private view: TextView | null = null;

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
    const x = this.stretch;
    if (!x) this.view = null;
    else if (!this.view || changed.has('stretch') || changed.has('picked') || changed.has('signal')) {
      const { layer, unit } = this.picked;
      const values = x.values[this.signal][layer];
      const acts = unitActivations(values, values.length / x.chars.length, unit);
      const name = this.signal === 'c' ? 'tanh(c)' : 'h';
      this.view = {
        chars: x.chars,
        paint: (i) => cellColours(acts[i]),
        readout: (i) =>
          `${JSON.stringify(x.chars[i])} (character ${(x.start + i).toLocaleString('en')}): ${name} = ${signed(acts[i], 3)} (layer ${layer}, unit ${unit}; −1 … 1)`,
        scale: activationScale(name),
        correlations: unitCorrelations(acts, x.chars),
      };
    }
  }

  override render() {
    const run = this.run;
    const ready = this.ready && !!run && !this.rankReads.busy;
    const H = run?.table.config.hiddenSize ?? 1;
    const L = run?.table.config.layers ?? 1;
    const x = this.stretch;
    const view = this.view;
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
                  text${x.step > 0 ? `, the model as trained at step ${x.step.toLocaleString('en')}` : ''}.
                </p>
                <p class="muted" data-testid="cell-r-meaning">
                  r is how closely a unit's activation follows the feature over these characters: +1 rises and falls with it, −1 exactly against it, 0
                  unrelated.
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
                ${this.unitMessage.render('cells-unit-error')} ${view ? html`${this.renderSummary(x, view)} ${this.renderText(view)}` : nothing}
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
