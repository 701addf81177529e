/**
 * <char-lm-text-source>: where the text comes from — a preset, a file, a URL or pasted
 * text. It only says what was chosen (a `panel-text` event); the element loads, encodes
 * and trains on it. While a file or URL is read it shows the bytes read and a Cancel
 * button (`panel-cancel-text`). "Try a trained model" asks for the shipped model on its
 * novel (`panel-try-model`).
 */
import { LitElement, css, html, nothing } from 'lit';
import { live } from 'lit/directives/live.js';
import { CORPUS_PRESETS } from '../text/presets.ts';
import { formatBytes, type ReadProgress } from '../text/read-text.ts';
import { panelEvent } from './events.ts';
import { renderError, type ShownError } from './error-box.ts';
import type { TextChoice } from './corpus-source.ts';
import { panelStyles } from './styles.ts';

export class CharLmTextSource extends LitElement {
  static override properties = {
    corpusName: { attribute: false },
    ready: { type: Boolean },
    reading: { attribute: false },
    error: { attribute: false },
    url: { state: true, attribute: false },
    paste: { state: true, attribute: false },
  };

  /** The name of the text in use ('' before there is one). */
  declare corpusName: string;
  /** Whether a new text can be chosen now. */
  declare ready: boolean;
  /** A file or URL being read: its name and the bytes so far (null when none). */
  declare reading: { name: string; progress: ReadProgress } | null;
  /** Why the last text chosen here was refused (the text in use stays), or null. */
  declare error: ShownError | null;
  declare private url: string;
  declare private paste: string;

  constructor() {
    super();
    this.corpusName = '';
    this.ready = false;
    this.reading = null;
    this.error = null;
    this.url = '';
    this.paste = '';
  }

  static override styles = [
    panelStyles,
    css`
      textarea {
        width: 100%;
      }
      input[type='url'] {
        width: min(22em, 100%);
      }
      .reading {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.4em 0.8em;
        margin-top: 0.6em;
        overflow-wrap: anywhere;
      }
      .reading progress {
        width: min(16em, 100%);
      }
    `,
  ];

  /** Where the last text was chosen: a refusal is shown under that control (the paste box's own button, or the row above). */
  private lastKind: TextChoice['kind'] | null = null;

  private choose(choice: TextChoice): void {
    this.lastKind = choice.kind;
    this.dispatchEvent(panelEvent('panel-text', choice));
  }

  override render() {
    // The menu shows the text in use: a preset, or (disabled) the name of any other text, or
    // "Choose a text…" when there is none (a corpus-url that failed), so that every preset can be picked.
    const current = CORPUS_PRESETS.find((p) => p.name === this.corpusName)?.id ?? '';
    return html`
      <section>
        <h2>Text</h2>
        <div class="row">
          <label
            >Preset
            <select name="preset" ?disabled=${!this.ready} @change=${(e: Event) => this.choose({ kind: 'preset', id: (e.target as HTMLSelectElement).value })}>
              ${current ? nothing : html`<option value="" disabled .selected=${true}>${this.corpusName || 'Choose a text…'}</option>`}
              ${CORPUS_PRESETS.map((p) => html`<option value=${p.id} .selected=${live(p.id === current)} title=${p.description}>${p.name}</option>`)}
            </select>
          </label>
          <label
            >File
            <input
              type="file"
              name="file"
              accept=".txt,text/plain"
              ?disabled=${!this.ready}
              @change=${(e: Event) => {
                const input = e.target as HTMLInputElement;
                const file = input.files?.[0];
                if (file) this.choose({ kind: 'file', file });
                input.value = ''; // the same file can be picked again
              }}
            />
          </label>
          <label
            >URL
            <input
              type="url"
              name="url"
              placeholder="https://…/corpus.txt"
              @input=${(e: Event) => (this.url = (e.target as HTMLInputElement).value)}
              @keydown=${(e: KeyboardEvent) => {
                if (e.key === 'Enter' && this.ready) this.choose({ kind: 'url', url: this.url });
              }}
          /></label>
          <button ?disabled=${!this.ready} @click=${() => this.choose({ kind: 'url', url: this.url })}>Load URL</button>
          <button
            class="primary"
            data-testid="try-model"
            ?disabled=${!this.ready}
            @click=${() => this.dispatchEvent(panelEvent('panel-try-model', null))}
            title="Pride and Prejudice with a model trained on the whole novel, ready to sample"
          >
            Try a trained model
          </button>
        </div>
        ${this.reading ? this.renderReading(this.reading) : nothing} ${this.lastKind === 'paste' ? nothing : renderError(this.error, 'text')}
        <details>
          <summary>Paste your own text</summary>
          <textarea
            name="paste"
            rows="5"
            placeholder="Paste at least a few hundred characters…"
            @input=${(e: Event) => (this.paste = (e.target as HTMLTextAreaElement).value)}
          ></textarea>
          <button ?disabled=${!this.ready} @click=${() => this.choose({ kind: 'paste', text: this.paste })}>Use this text</button>
          ${this.lastKind === 'paste' ? renderError(this.error, 'text') : nothing}
        </details>
      </section>
    `;
  }

  private renderReading({ name, progress: { received, total } }: { name: string; progress: ReadProgress }) {
    // A compressed body can outgrow the length announced for it: then only the bytes so far.
    const of = total !== null && received <= total ? total : null;
    return html`<div class="reading" role="status" data-testid="text-reading">
      <span>Reading ${name}… <span data-testid="text-reading-bytes">${formatBytes(received)}${of !== null ? ` / ${formatBytes(of)}` : ''}</span></span>
      <progress max=${of ?? nothing} value=${of !== null ? received : nothing}></progress>
      <button data-testid="cancel-text" @click=${() => this.dispatchEvent(panelEvent('panel-cancel-text', null))}>Cancel</button>
    </div>`;
  }
}

customElements.define('char-lm-text-source', CharLmTextSource);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-text-source': CharLmTextSource;
  }
}
