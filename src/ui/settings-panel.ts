/**
 * <char-lm-settings>: the "Model and training" form. It shows a draft (the form as
 * typed, kept by the element) and reports every edit with a `panel-settings` event
 * carrying the whole new draft; the element parses it when a model is built (Reset, a
 * new text). Each label's title says what the setting does.
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { live } from 'lit/directives/live.js';
import { NUMBER_SETTINGS, SCHEDULE_HELP, SETTINGS_PRESETS, type NumberSetting } from '../run/settings.ts';
import { panelEvent } from './events.ts';
import { FORM_NUMBERS, SCHEDULES, draftFrom, fieldError, type FormNumber, type SettingsDraft } from './settings-form.ts';
import { panelStyles } from './styles.ts';

/** Where a field's step arrows go: whole numbers, or any value for the rates. */
const STEP: Partial<Record<FormNumber, string>> = { lr: 'any', lrDecay: 'any', clip: 'any' };

export class CharLmSettings extends LitElement {
  static override properties = {
    draft: { attribute: false },
    pending: { attribute: false },
    refused: { type: Number },
    onTrain: { attribute: false },
  };

  /** The form as typed. */
  declare draft: SettingsDraft | null;
  /** What differs from the model in use ("Hidden H 24 (now 16)"): it takes effect on Reset. */
  declare pending: string[];
  /** Counts the Resets refused because of the form: each one moves the focus to the first field in error. */
  declare refused: number;
  /** Changes to the learning rate, its decay or the clip norm: they take effect when training starts or resumes. */
  declare onTrain: string[];

  constructor() {
    super();
    this.draft = null;
    this.pending = [];
    this.refused = 0;
    this.onTrain = [];
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
    `,
  ];

  private edit(next: SettingsDraft): void {
    this.dispatchEvent(panelEvent('panel-settings', next));
  }

  private numberField(d: SettingsDraft, f: FormNumber) {
    const spec: NumberSetting = NUMBER_SETTINGS[f];
    const error = fieldError(d, f);
    return html`<label title=${spec.help}
      >${spec.label}<input
        type="number"
        name=${spec.flag}
        aria-label=${spec.label}
        aria-invalid=${error ? 'true' : 'false'}
        aria-describedby=${error ? `error-${spec.flag}` : nothing}
        step=${STEP[f] ?? '1'}
        min=${spec.minExclusive ? nothing : spec.min}
        .value=${live(d.numbers[f])}
        @input=${(e: Event) => this.edit({ ...d, numbers: { ...d.numbers, [f]: (e.target as HTMLInputElement).value } })}
    /></label>`;
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
    return html`
      <section>
        <h2>Model and training</h2>
        <div class="row">
          ${SETTINGS_PRESETS.map((p) => html`<button @click=${() => this.edit(draftFrom(p.settings))} title=${p.description}>${p.label} preset</button>`)}
        </div>
        <div class="row">
          ${FORM_NUMBERS.slice(0, 7).map((f) => this.numberField(d, f))}
          <label title=${SCHEDULES.map((s) => SCHEDULE_HELP[s]).join('\n')}
            >Schedule
            <select name="schedule" @change=${(e: Event) => this.edit({ ...d, schedule: (e.target as HTMLSelectElement).value })}>
              ${SCHEDULES.map((s) => html`<option value=${s} .selected=${d.schedule === s} title=${SCHEDULE_HELP[s]}>${s === 'windows' ? 'random windows (notebook)' : 'contiguous streams'}</option>`)}
            </select>
          </label>
          ${FORM_NUMBERS.slice(7).map((f) => this.numberField(d, f))}
        </div>
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
