/**
 * <char-lm-model-notice>: what happens to a model being loaded — the download of a
 * `model-url` (bytes received / total), and a model refused because the text has
 * characters outside its vocabulary: those characters, as people can see them, and the
 * choice of a character of the model to stand for them (`panel-replacement`).
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { panelEvent } from './events.ts';
import { formatBytes } from '../text/read-text.ts';
import { defaultReplacement, describeCharacter, type FetchProgress } from './model-file.ts';
import { panelStyles } from './styles.ts';

/** A model that the text does not fit: the characters the text has and the model lacks. */
export interface VocabRefusal {
  /** The model's name (file name or URL). */
  model: string;
  /** The text's name. */
  text: string;
  /** Characters of the text outside the model's vocabulary, each once. */
  characters: string[];
  /** The model's vocabulary, in index order. */
  vocab: readonly string[];
}

export class CharLmModelNotice extends LitElement {
  static override properties = {
    download: { attribute: false },
    refusal: { attribute: false },
    ready: { type: Boolean },
    replacement: { state: true, attribute: false },
  };

  /** A model-url being fetched, or null. */
  declare download: { url: string; progress: FetchProgress } | null;
  declare refusal: VocabRefusal | null;
  /** Whether the element can act now. */
  declare ready: boolean;
  declare private replacement: string;

  constructor() {
    super();
    this.download = null;
    this.refusal = null;
    this.ready = false;
    this.replacement = '';
  }

  static override styles = [
    panelStyles,
    css`
      :host(:not([active])) {
        display: none;
      }
      section {
        border-left: 4px solid var(--accent);
      }
      progress {
        width: min(24em, 100%);
      }
      .chars {
        display: flex;
        flex-wrap: wrap;
        gap: 0.3em 0.6em;
        margin: 0.4em 0 0.6em;
        padding: 0;
        list-style: none;
        font-variant-numeric: tabular-nums;
      }
      .chars li {
        background: white;
        border-radius: 4px;
        padding: 0 0.4em;
      }
      p {
        margin: 0.2em 0;
        overflow-wrap: anywhere;
      }
    `,
  ];

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('refusal') && this.refusal) this.replacement = defaultReplacement(this.refusal.vocab);
    this.toggleAttribute('active', !!(this.download || this.refusal));
  }

  private answer(replacement: string | null): void {
    this.dispatchEvent(panelEvent('panel-replacement', replacement));
  }

  override render() {
    return html`${this.download ? this.renderDownload(this.download) : nothing}${this.refusal ? this.renderRefusal(this.refusal) : nothing}`;
  }

  private renderDownload(d: { url: string; progress: FetchProgress }) {
    const { received, total } = d.progress;
    return html`<section data-testid="model-download" role="status">
      <p>Loading the model ${d.url}…</p>
      ${total ? html`<progress max=${total} .value=${received}></progress>` : html`<progress></progress>`}
      <span class="muted" data-testid="model-download-bytes">${formatBytes(received)}${total ? ` / ${formatBytes(total)}` : ''}</span>
    </section>`;
  }

  private renderRefusal(r: VocabRefusal) {
    const n = r.characters.length;
    return html`<section data-testid="vocab-refusal">
      <p>
        <strong>${r.model}</strong> does not know ${n === 1 ? 'a character' : `${n} characters`} of ${r.text}; it was not loaded. The text has
        ${n === 1 ? 'this character' : 'these characters'}, which the model never saw:
      </p>
      <ul class="chars" data-testid="vocab-characters">
        ${r.characters.map((c) => html`<li>${describeCharacter(c)}</li>`)}
      </ul>
      <div class="row">
        <label title="Each character above is read as this one"
          >Stand-in from the model's characters
          <select name="replacement" @change=${(e: Event) => (this.replacement = (e.target as HTMLSelectElement).value)}>
            ${r.vocab.map((c) => html`<option value=${c} .selected=${c === this.replacement}>${describeCharacter(c)}</option>`)}
          </select>
        </label>
        <button class="primary" data-testid="continue-replacement" ?disabled=${!this.ready} @click=${() => this.answer(this.replacement)}>
          Continue with replacement
        </button>
        <button data-testid="cancel-replacement" @click=${() => this.answer(null)}>Keep the current model</button>
      </div>
    </section>`;
  }
}

customElements.define('char-lm-model-notice', CharLmModelNotice);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-model-notice': CharLmModelNotice;
  }
}
