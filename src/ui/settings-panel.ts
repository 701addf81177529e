/**
 * <char-lm-settings>: the "Model and training" form. It shows a draft (the form as
 * typed, kept by the element) and reports every edit with a `panel-settings` event
 * carrying the whole new draft; the element parses it when a model is built (Reset, a
 * new text). Each field says what it means on hover and focus. Settings the text in use is
 * too short for are said at once, under the presets; a preset made for another text (the
 * novel's) offers to load that text with them (`panel-text`). A Reset that failed is shown
 * by the training panel, next to Reset.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { live } from 'lit/directives/live.js';
import { NUMBER_SETTINGS, SETTINGS_PRESETS, type NumberSetting } from '../run/settings.ts';
import { panelEvent } from './events.ts';
import { CORPUS_PRESETS } from '../text/presets.ts';
import {
  FIELD_HELP,
  FORM_NUMBERS,
  SCHEDULES,
  draftFrom,
  fieldError,
  isPresetDraft,
  textNeeded,
  type FormField,
  type FormNumber,
  type SettingsDraft,
} from './settings-form.ts';
import { panelStyles } from './styles.ts';

/** Where a field's step arrows go: whole numbers, or any value for the rates. */
const STEP: Partial<Record<FormNumber, string>> = { lr: 'any', lrDecay: 'any', clip: 'any' };

/** The fields in view, by group, and those behind "More settings". */
const MODEL_FIELDS: readonly FormField[] = ['embedSize', 'hiddenSize', 'layers'];
const TRAINING_FIELDS: readonly FormField[] = ['batch', 'seqLen', 'lr', 'steps'];
const MORE_FIELDS: readonly FormField[] = ['schedule', 'lrDecay', 'clip', 'seed', 'sampleEvery', 'valEvery'];

export class CharLmSettings extends LitElement {
  static override properties = {
    draft: { attribute: false },
    pending: { attribute: false },
    refused: { type: Number },
    onTrain: { attribute: false },
    text: { attribute: false },
    hovered: { state: true, attribute: false },
    focused: { state: true, attribute: false },
    moreOpen: { state: true, attribute: false },
  };

  /** The form as typed. */
  declare draft: SettingsDraft | null;
  /** What differs from the model in use ("Hidden H 24 (now 16)"): it takes effect on Reset. */
  declare pending: string[];
  /** Counts the Resets refused because of the form: each one moves the focus to the first field in error. */
  declare refused: number;
  /** Changes to the learning rate, its decay or the clip norm: they take effect when training starts or resumes. */
  declare onTrain: string[];
  /** The text in use: its name and the characters training reads (the batches must fit in them); null before there is one. */
  declare text: { name: string; characters: number } | null;
  /** The field under the pointer and the field with the keyboard focus: their meaning shows under their group. */
  declare private hovered: FormField | null;
  declare private focused: FormField | null;
  /** "More settings" opened by the user. */
  declare private moreOpen: boolean;

  constructor() {
    super();
    this.draft = null;
    this.pending = [];
    this.refused = 0;
    this.onTrain = [];
    this.text = null;
    this.hovered = null;
    this.focused = null;
    this.moreOpen = false;
  }

  override updated(changed: PropertyValues<this>): void {
    if (changed.has('refused') && this.refused > 0) this.renderRoot.querySelector<HTMLInputElement>('input[aria-invalid="true"]')?.focus();
  }

  static override styles = [
    panelStyles,
    css`
      .pending {
        background: #fff4e5;
        border-left: 4px solid #f29900;
        padding: 0.3em 0.8em;
        border-radius: 4px;
        margin-top: 0.6em;
      }
      .note {
        margin-top: 0.4em;
      }
      .intro {
        margin: 0 0 0.5em;
        font-size: 0.9em;
      }
      fieldset {
        border: 0;
        padding: 0;
        margin: 0.6em 0 0;
        min-width: 0;
      }
      legend {
        font-weight: 600;
        font-size: 0.9em;
        padding: 0;
        margin-bottom: 0.2em;
      }
      details {
        margin-top: 0.8em;
      }
      details .group {
        margin-top: 0.5em;
      }
      /* The meaning of the field hovered or focused, over what lies under its group: showing and hiding it moves nothing (a click is never lost to a shift). */
      .group {
        position: relative;
      }
      .help {
        position: absolute;
        z-index: 2;
        top: calc(100% + 4px);
        left: 0;
        right: 0;
        margin: 0;
        padding: 0.3em 0.6em;
        font-size: 0.85em;
        background: white;
        border-left: 3px solid var(--accent);
        border-radius: 4px;
        box-shadow: 0 2px 8px rgba(0, 0, 0, 0.18);
        pointer-events: none;
      }
    `,
  ];

  private edit(next: SettingsDraft): void {
    this.dispatchEvent(panelEvent('panel-settings', next));
  }

  private numberField(d: SettingsDraft, f: FormNumber) {
    const spec: NumberSetting = NUMBER_SETTINGS[f];
    const error = fieldError(d, f);
    return html`<label @mouseenter=${() => (this.hovered = f)}
      >${spec.label}<input
        type="number"
        name=${spec.flag}
        aria-label=${spec.label}
        aria-invalid=${error ? 'true' : 'false'}
        aria-describedby=${error ? `help-${spec.flag} error-${spec.flag}` : `help-${spec.flag}`}
        step=${STEP[f] ?? '1'}
        min=${spec.minExclusive ? nothing : spec.min}
        .value=${live(d.numbers[f])}
        @focus=${() => (this.focused = f)}
        @blur=${() => (this.focused = null)}
        @input=${(e: Event) => this.edit({ ...d, numbers: { ...d.numbers, [f]: (e.target as HTMLInputElement).value } })}
      /><span id=${`help-${spec.flag}`} hidden>${FIELD_HELP[f]}</span></label
    >`;
  }

  private scheduleField(d: SettingsDraft) {
    return html`<label @mouseenter=${() => (this.hovered = 'schedule')}
      >Schedule
      <select
        name="schedule"
        aria-describedby="help-schedule"
        @focus=${() => (this.focused = 'schedule')}
        @blur=${() => (this.focused = null)}
        @change=${(e: Event) => this.edit({ ...d, schedule: (e.target as HTMLSelectElement).value })}
      >
        ${SCHEDULES.map((s) => html`<option value=${s} .selected=${d.schedule === s}>${s === 'windows' ? 'random windows (notebook)' : 'contiguous streams'}</option>`)}
      </select>
      <span id="help-schedule" hidden>${FIELD_HELP.schedule}</span></label
    >`;
  }

  /**
   * A group of fields with, under it, what the field hovered or focused in it means (the
   * field focused wins: a keyboard user reads what they are on).
   */
  private group(d: SettingsDraft, fields: readonly FormField[]) {
    const shown = [this.focused, this.hovered].find((f) => f !== null && fields.includes(f)) ?? null;
    return html`<div class="group" @mouseleave=${() => (this.hovered = null)}>
      <div class="row">${fields.map((f) => (f === 'schedule' ? this.scheduleField(d) : this.numberField(d, f)))}</div>
      ${
        shown
          ? html`<p class="help" data-testid="settings-help" aria-hidden="true">
              <strong>${shown === 'schedule' ? 'Schedule' : NUMBER_SETTINGS[shown].label}:</strong> ${FIELD_HELP[shown]}
            </p>`
          : nothing
      }
    </div>`;
  }

  /**
   * Settings the text in use is too short for, said as soon as they are in the form (Reset
   * would refuse them); a preset made for a longer text offers to load it with them.
   */
  private renderTextFit(d: SettingsDraft) {
    const text = this.text;
    const need = textNeeded(d);
    if (!text || !need || need.characters <= text.characters) return nothing;
    const n = (x: number) => x.toLocaleString('en');
    const preset = SETTINGS_PRESETS.find((p) => p.text && isPresetDraft(d, p.settings));
    const corpus = preset && CORPUS_PRESETS.find((c) => c.id === preset.text && c.name !== text.name);
    return html`<div class="pending" role="status" data-testid="settings-text-fit">
      ${preset ? `The ${preset.label.toLowerCase()} settings` : 'These settings'} (${need.what}) need a text of at least ${n(need.characters)} characters;
      ${text.name} has ${n(text.characters)} to train on: Reset would refuse them.
      ${
        corpus
          ? html`<div class="row note">
              <button
                class="primary"
                data-testid="settings-use-text"
                @click=${() => this.dispatchEvent(panelEvent('panel-text', { kind: 'preset', id: corpus.id }))}
              >
                Use ${corpus.name} with these settings
              </button>
            </div>`
          : nothing
      }
    </div>`;
  }

  /** The message of each field that does not parse, under the fields (each input points to its own). */
  private renderErrors(d: SettingsDraft) {
    const errors = FORM_NUMBERS.map((f) => ({ flag: NUMBER_SETTINGS[f].flag, message: fieldError(d, f) })).filter((e) => e.message !== null);
    if (!errors.length) return nothing;
    return html`<div class="error" role="alert" data-testid="settings-errors">
      ${errors.map((e) => html`<div id=${`error-${e.flag}`}>${e.message}.</div>`)}
      <div>Reset keeps the current model until ${errors.length > 1 ? 'these are' : 'this is'} fixed.</div>
    </div>`;
  }

  override render() {
    const d = this.draft;
    if (!d)
      return html`<section>
        <h2>Model and training</h2>
        <span class="muted">Loading…</span>
      </section>`;
    // "More settings" opens by itself while one of its fields does not parse, so that its message points at a field in view.
    const moreOpen = this.moreOpen || MORE_FIELDS.some((f) => f !== 'schedule' && fieldError(d, f) !== null);
    return html`
      <section>
        <h2>Model and training</h2>
        <p class="muted intro">Hover over a field, or tab to it, to see what it means.</p>
        <div class="row presets">
          ${SETTINGS_PRESETS.map((p) => html`<button @click=${() => this.edit(draftFrom(p.settings))} title=${p.description}>${p.label} preset</button>`)}
        </div>
        ${this.renderTextFit(d)}
        <fieldset>
          <legend>Model</legend>
          ${this.group(d, MODEL_FIELDS)}
        </fieldset>
        <fieldset>
          <legend>Training</legend>
          ${this.group(d, TRAINING_FIELDS)}
        </fieldset>
        <details ?open=${moreOpen} @toggle=${(e: Event) => (this.moreOpen = (e.target as HTMLDetailsElement).open)} data-testid="more-settings">
          <summary>More settings: schedule, learning-rate decay, clipping, seed, samples, validation</summary>
          ${this.group(d, MORE_FIELDS)}
        </details>
        ${this.renderErrors(d)}
        ${
          this.onTrain.length
            ? html`<div class="pending" data-testid="settings-on-train" role="status">Takes effect on Train: ${this.onTrain.join(', ')}.</div>`
            : nothing
        }
        ${
          this.pending.length
            ? html`<div class="pending" data-testid="settings-pending" role="status">Takes effect on Reset: ${this.pending.join(', ')}.</div>`
            : this.onTrain.length
              ? nothing
              : html`<div class="muted note">Changes take effect on Reset (learning rate, LR decay and clip norm: on Train).</div>`
        }
      </section>
    `;
  }
}

customElements.define('char-lm-settings', CharLmSettings);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-settings': CharLmSettings;
  }
}
