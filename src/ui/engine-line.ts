/**
 * <char-lm-engine-line>: which engine the model trains on, in one short line, with the Engine
 * control that overrides the automatic choice (src/ui/engine-choice.ts); why it was chosen
 * (engineReason) is the element's "About this run". What the control does is the element's
 * business (`panel-engine`: it sets the `engine` attribute).
 */
import { LitElement, css, html, nothing } from 'lit';
import type { EngineKind } from '../engine/contract.ts';
import { ENGINE_NAMES, type EngineAsked, type EngineChoice } from './engine-choice.ts';
import { panelEvent } from './events.ts';

const NAMES: Record<EngineKind, string> = { gpu: 'WebGPU', cpu: 'CPU (float64, in a Worker)' };

/**
 * Why the model trains on its engine, or which engine the form would move it to on Reset and
 * why: "automatic: …", "WebGPU on Reset (chosen by hand)". Null before there is a choice and a model.
 */
export function engineReason(choice: EngineChoice | null, running: EngineKind | null): string | null {
  if (!choice || !running) return null;
  return choice.kind === running ? choice.why : `${NAMES[choice.kind]} on Reset (${choice.why})`;
}

export class CharLmEngineLine extends LitElement {
  static override properties = {
    asked: { attribute: false },
    choice: { attribute: false },
    running: { attribute: false },
    hasGpu: { type: Boolean },
    ready: { type: Boolean },
  };

  /** What the `engine` attribute asks for. */
  declare asked: EngineAsked;
  /** The engine chosen for the settings in the form, and why; null when the choice failed (the error says why). */
  declare choice: EngineChoice | null;
  /** The engine the current model runs on (null before there is one). */
  declare running: EngineKind | null;
  /** Whether WebGPU may be had (false once the browser has refused it: then WebGPU is not offered). */
  declare hasGpu: boolean;
  declare ready: boolean;

  constructor() {
    super();
    this.asked = 'auto';
    this.choice = null;
    this.running = null;
    this.hasGpu = false;
    this.ready = false;
  }

  static override styles = css`
    :host {
      display: block;
      overflow-wrap: anywhere;
    }
    .line {
      display: flex;
      flex-wrap: wrap;
      align-items: baseline;
      gap: 0.2em 0.8em;
    }
    label {
      white-space: nowrap;
      color: var(--char-lm-muted, #5f6368);
      font-size: 0.9em;
    }
    select {
      font: inherit;
      font-size: 0.95em;
    }
    .why {
      color: var(--char-lm-muted, #5f6368);
      font-size: 0.9em;
    }
  `;

  private onChange(e: Event): void {
    this.dispatchEvent(panelEvent('panel-engine', (e.target as HTMLSelectElement).value as EngineAsked));
  }

  override render() {
    const running = this.running;
    const next = this.choice?.kind;
    const auto = this.choice && this.asked === 'auto' ? ` (${ENGINE_NAMES[this.choice.kind]} here)` : '';
    return html`<div class="line" data-testid="engine" data-engine=${running ?? ''}>
      <span
        >Engine: <strong data-testid="engine-name">${running ? NAMES[running] : '…'}</strong>${
          next && running && next !== running ? html` <span class="why" data-testid="engine-next">→ ${NAMES[next]} on Reset</span>` : nothing
        }</span
      >
      <label
        ><select
          name="engine"
          aria-label="Engine"
          title="Which engine trains: the faster one here (Automatic), or the one you pick"
          ?disabled=${!this.ready}
          .value=${this.asked}
          @change=${(e: Event) => this.onChange(e)}
        >
          <option value="auto" ?selected=${this.asked === 'auto'}>Automatic${auto}</option>
          <option value="gpu" ?selected=${this.asked === 'gpu'} ?disabled=${!this.hasGpu}>WebGPU</option>
          <option value="cpu" ?selected=${this.asked === 'cpu'}>CPU</option>
        </select></label
      >
    </div>`;
  }
}

customElements.define('char-lm-engine-line', CharLmEngineLine);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-engine-line': CharLmEngineLine;
  }
}
