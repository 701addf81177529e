/**
 * <char-lm-compare-runs>: earlier runs on the same text (saved in this browser, `persist`),
 * each with a checkbox that draws its loss curve on the chart beside the current run's.
 * The swatch beside each checkbox is its colour on the chart (the legend). It loads a run's
 * loss history when it is first ticked (`loadLog`) and tells its panel the curves to draw
 * (`compare-curves`, a plain event for the training panel that holds it).
 */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { LossHistory } from '../run/history.ts';
import type { RunLog } from '../run/run.ts';
import type { SavedRunInfo } from '../run/store.ts';
import type { ComparedCurve } from './loss-chart.ts';
import { savedWhen } from './saved-runs.ts';
import { renderPanelMessage } from './error-box.ts';

/** Colours of the compared curves, in turn (none is the current run's blue or validation's orange). */
const COLOURS = ['#2b8a3e', '#862e9c', '#c2255c', '#5c940d', '#0b7285', '#495057'];

/** A saved run's 10-step moving average of loss, worked out by LossHistory as for the current run's curve. */
function movingAverage(log: RunLog): Float64Array {
  const h = new LossHistory();
  for (let i = 0; i < log.steps.length; i++) h.push(log.steps[i], log.loss[i]);
  return h.avg.subarray(0, h.length);
}

export class CharLmCompareRuns extends LitElement {
  static override properties = {
    runs: { attribute: false },
    loadLog: { attribute: false },
    checked: { state: true },
    error: { state: true },
  };

  /** Earlier runs on the current text, the most recent first. */
  declare runs: SavedRunInfo[];
  /** Reads a saved run's loss history (null when it is gone). */
  declare loadLog: ((id: string) => Promise<RunLog | null>) | null;
  declare private checked: string[];
  declare private error: string;
  private logs = new Map<string, RunLog>();

  constructor() {
    super();
    this.runs = [];
    this.loadLog = null;
    this.checked = [];
    this.error = '';
  }

  static override styles = css`
    :host {
      display: block;
      font-size: 0.9em;
    }
    fieldset {
      border: 1px solid #d5dbe7;
      border-radius: 6px;
      margin: 0.5em 0 0.8em;
      padding: 0.3em 0.8em 0.5em;
      min-width: 0;
    }
    legend {
      color: var(--char-lm-muted, #5f6368);
      padding: 0 0.3em;
    }
    label {
      display: flex;
      align-items: center;
      gap: 0.5em;
      padding: 0.15em 0;
      overflow-wrap: anywhere;
      cursor: pointer;
    }
    .swatch {
      flex: none;
      width: 1.6em;
      height: 0;
      border-top: 3px dashed;
    }
    .nw {
      white-space: nowrap;
    }
    .error {
      color: #8a1c12;
      margin-top: 0.3em;
    }
  `;

  private colour(id: string): string {
    return COLOURS[
      Math.max(
        0,
        this.runs.findIndex((r) => r.id === id),
      ) % COLOURS.length
    ];
  }

  override willUpdate(changed: PropertyValues<this>): void {
    // A run that left the list (deleted, continued, another text) leaves the chart too.
    if (changed.has('runs')) {
      const ids = new Set(this.runs.map((r) => r.id));
      const kept = this.checked.filter((id) => ids.has(id));
      if (kept.length !== this.checked.length) {
        this.checked = kept;
        this.announce();
      }
    }
  }

  private async toggle(r: SavedRunInfo, on: boolean): Promise<void> {
    this.error = '';
    if (!on) {
      this.checked = this.checked.filter((id) => id !== r.id);
      this.announce();
      return;
    }
    try {
      if (!this.logs.has(r.id)) {
        const log = await this.loadLog?.(r.id);
        if (!log) throw new Error('it is no longer in this browser');
        this.logs.set(r.id, log);
      }
      this.checked = [...this.checked.filter((id) => id !== r.id), r.id];
      this.announce();
    } catch (e) {
      this.error = `Could not show the run saved ${savedWhen(r.updated)}: ${(e as Error).message}`;
      this.requestUpdate();
    }
  }

  private announce(): void {
    const curves: ComparedCurve[] = this.checked.flatMap((id) => {
      const r = this.runs.find((x) => x.id === id);
      const log = this.logs.get(id);
      if (!r || !log) return [];
      return [{ label: this.label(r), color: this.colour(id), steps: log.steps, avg: movingAverage(log) }];
    });
    this.dispatchEvent(new CustomEvent<ComparedCurve[]>('compare-curves', { detail: curves }));
  }

  private label(r: SavedRunInfo): string {
    const m = r.settings.model;
    return `earlier run (E ${m.embedSize}, H ${m.hiddenSize}, L ${m.layers}, lr ${r.settings.train.lr}; saved ${savedWhen(r.updated)})`;
  }

  override render() {
    if (!this.runs.length) return nothing;
    const n = (x: number) => x.toLocaleString('en');
    return html`<fieldset data-testid="compare-runs">
      <legend>Show earlier runs on this text on the chart</legend>
      ${this.runs.map((r) => {
        const m = r.settings.model;
        return html`<label data-run-id=${r.id}>
          <input type="checkbox" .checked=${this.checked.includes(r.id)} @change=${(e: Event) => void this.toggle(r, (e.target as HTMLInputElement).checked)} />
          <span class="swatch" style="color: ${this.colour(r.id)}" aria-hidden="true"></span>
          <span
            ><span class="nw">step ${n(r.step)}</span>${r.lastLoss === null ? nothing : html` · <span class="nw">loss ${r.lastLoss.toFixed(3)}</span>`} ·
            <span class="nw">E ${m.embedSize}, H ${m.hiddenSize}, L ${m.layers}</span> · <span class="nw">lr ${r.settings.train.lr}</span> ·
            <span class="nw muted">saved ${savedWhen(r.updated)}</span></span
          >
        </label>`;
      })}
      ${renderPanelMessage(this.error, 'compare-error')}
    </fieldset>`;
  }
}

customElements.define('char-lm-compare-runs', CharLmCompareRuns);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-compare-runs': CharLmCompareRuns;
  }
}
