/**
 * <char-lm-sampler>: generate from the model — prime, length, temperatures (one column
 * each, streaming), top-k, top-p, seed. Fields are parsed as the CLI parses its flags,
 * with messages naming the field's label. The prime and temperatures start from the
 * element's attributes; a prime the model cannot read (a character outside its text)
 * falls back to the run's training prime (less any characters the model lacks).
 */
import { LitElement, css, html, type PropertyValues } from 'lit';
import { live } from 'lit/directives/live.js';
import type { TrainingRun } from '../run/run.ts';
import { DEFAULT_SAMPLE_LENGTH, NUMBER_SETTINGS, parseNumberSetting, parseTemperatures } from '../run/settings.ts';
import { panelError, panelEvent } from './events.ts';
import { renderPanelMessage } from './error-box.ts';
import { panelStyles } from './styles.ts';

interface SamplerDraft {
  prime: string;
  length: string;
  temperatures: string;
  topK: string;
  topP: string;
  seed: string;
}

/** Whether the model can read every character of `text`. */
function readable(run: TrainingRun, text: string): boolean {
  for (const ch of text) if (!run.vocab.has(ch)) return false;
  return true;
}

/**
 * The prime used when the one asked for has characters the model cannot read: the run's
 * training prime, without any characters the model lacks (a model loaded onto a text with
 * a replacement character does not know all of the text's opening).
 */
function fallbackPrime(run: TrainingRun): string {
  const kept = [...run.samplePrime].filter((c) => run.vocab.has(c)).join('');
  return kept.trim() ? kept : run.vocab.chars[0];
}

export class CharLmSampler extends LitElement {
  static override properties = {
    run: { attribute: false },
    ready: { type: Boolean },
    prime: { type: String },
    temperatures: { type: String },
    draft: { state: true, attribute: false },
    outputs: { state: true, attribute: false },
    sampling: { state: true, attribute: false },
    message: { state: true, attribute: false },
  };

  declare run: TrainingRun | null;
  declare ready: boolean;
  /** The prime asked for (the element's `prime` attribute). */
  declare prime: string;
  /** The temperatures asked for (the element's `temperatures` attribute, already checked). */
  declare temperatures: string;
  declare private draft: SamplerDraft;
  declare private outputs: { temperature: number; text: string }[];
  declare private sampling: boolean;
  /** Why the last Generate was refused or failed ('' for none). */
  declare private message: string;

  constructor() {
    super();
    this.run = null;
    this.ready = false;
    this.prime = '';
    this.temperatures = '';
    this.draft = { prime: '', length: String(DEFAULT_SAMPLE_LENGTH), temperatures: '', topK: '0', topP: '1', seed: '0' };
    this.outputs = [];
    this.sampling = false;
    this.message = '';
  }

  static override styles = [
    panelStyles,
    css`
      .outputs {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(16em, 100%), 1fr));
        gap: 0.8em;
        margin-top: 0.6em;
      }
      .outputs pre {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        background: white;
        padding: 0.6em;
        border-radius: 4px;
        margin: 0.3em 0 0;
        min-height: 4em;
        font-size: 13px;
      }
      input[name='prime'] {
        width: 12em;
      }
      input[name='temperatures'] {
        width: 9em;
      }
    `,
  ];

  override willUpdate(changed: PropertyValues<this>): void {
    const run = this.run;
    if (changed.has('run')) {
      // Nothing of the previous model stays on screen; its generation, if any, is dropped.
      this.outputs = [];
      this.sampling = false;
      this.message = '';
    }
    if (changed.has('prime') || (changed.has('run') && run && !readable(run, this.draft.prime))) {
      this.draft = { ...this.draft, prime: run && !readable(run, this.prime) ? fallbackPrime(run) : this.prime };
    }
    if (changed.has('temperatures')) this.draft = { ...this.draft, temperatures: this.temperatures };
  }

  private field(key: keyof SamplerDraft) {
    return (e: Event) => (this.draft = { ...this.draft, [key]: (e.target as HTMLInputElement).value });
  }

  /**
   * Generates from the model: one column per temperature, streaming. Every field (the
   * prime's characters included) is checked first: a bad one is reported next to the
   * controls and the samples on screen stay; a generation that fails puts them back.
   */
  async generate(): Promise<void> {
    const s = this.run;
    if (!s || this.sampling) return;
    let request: { prime: string; length: number; temps: number[]; topK: number; topP: number; seed: number };
    try {
      const d = this.draft;
      const temps = parseTemperatures(d.temperatures, 'label');
      const length = parseNumberSetting(NUMBER_SETTINGS.length, d.length, 'label');
      const topK = parseNumberSetting(NUMBER_SETTINGS.topK, d.topK, 'label');
      const topP = parseNumberSetting(NUMBER_SETTINGS.topP, d.topP, 'label');
      const seed = parseNumberSetting(NUMBER_SETTINGS.sampleSeed, d.seed, 'label');
      if (s.encode(d.prime, 'the prime').length === 0) throw new Error('the prime is empty: type at least one character');
      request = { prime: d.prime, length, temps, topK, topP, seed };
    } catch (e) {
      this.refuse((e as Error).message);
      return;
    }
    this.refuse(null);
    const { prime, length, temps, topK, topP, seed } = request;
    const before = this.outputs;
    const show = (texts: string[]) => temps.map((t, i) => ({ temperature: t, text: prime + texts[i] }));
    this.sampling = true;
    try {
      this.outputs = show(temps.map(() => ''));
      const rows = temps.map((temperature) => ({ temperature, topK, topP }));
      const texts = await s.sample(prime, length, rows, seed, (partial) => {
        if (this.run === s) this.outputs = show(partial);
      });
      if (this.run !== s) return; // the model was replaced (Reset, another text) meanwhile
      this.outputs = show(texts);
      this.dispatchEvent(panelEvent('panel-sample', { temperatures: temps, texts: this.outputs.map((x) => x.text) }));
    } catch (e) {
      if (this.run !== s || s.closed) return; // replaced meanwhile: the new model's panel shows nothing of this one
      this.outputs = before;
      this.refuse((e as Error).message);
    } finally {
      if (this.run === s) this.sampling = false;
    }
  }

  /** Shows a message next to the controls (null: clears it) and passes it on to the element, which reports it. */
  private refuse(message: string | null): void {
    this.message = message ?? '';
    this.dispatchEvent(panelError(message));
  }

  override render() {
    const d = this.draft;
    const n = NUMBER_SETTINGS;
    return html`
      <section>
        <h2>Sample</h2>
        <div class="row">
          <label title="The text generation starts from (characters of the model's text)"
            >Prime <input name="prime" .value=${live(d.prime)} @input=${this.field('prime')}
          /></label>
          <label title=${n.length.help}
            >${n.length.label} <input type="number" name="length" aria-label=${n.length.label} .value=${live(d.length)} @input=${this.field('length')}
          /></label>
          <label title="One column per temperature: low is safe and repetitive, high is adventurous (0 = always the likeliest character)"
            >Temperatures <input name="temperatures" .value=${live(d.temperatures)} @input=${this.field('temperatures')}
          /></label>
          <label title=${n.topK.help}
            >${n.topK.label} <input type="number" name="top-k" aria-label=${n.topK.label} .value=${live(d.topK)} @input=${this.field('topK')}
          /></label>
          <label title=${n.topP.help}
            >${n.topP.label} <input type="number" name="top-p" aria-label=${n.topP.label} step="0.05" .value=${live(d.topP)} @input=${this.field('topP')}
          /></label>
          <label title=${n.sampleSeed.help}
            >Seed <input type="number" name="sample-seed" aria-label=${n.sampleSeed.label} .value=${live(d.seed)} @input=${this.field('seed')}
          /></label>
          <button class="primary" data-testid="generate" ?disabled=${!this.ready || !this.run || this.sampling} @click=${() => void this.generate()}>
            Generate
          </button>
        </div>
        ${renderPanelMessage(this.message, 'sample-error')}
        <div class="outputs" data-testid="samples">
          ${this.outputs.map(
            (x) =>
              html`<div data-temperature=${x.temperature}>
                <strong>Temperature ${x.temperature}</strong>
                <pre>${x.text}</pre>
              </div>`,
          )}
        </div>
      </section>
    `;
  }
}

customElements.define('char-lm-sampler', CharLmSampler);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-sampler': CharLmSampler;
  }
}
