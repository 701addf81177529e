/**
 * <char-lm-training>: Train / Pause / Reset / Save training state / Download model / Load, the live figures, the loss
 * chart and the samples written during training. It shows the run it is given and
 * follows its events; what the buttons do is the element's business (`panel-command`,
 * `panel-load-model`).
 *
 * @csspart controls - the buttons and the live figures
 * @csspart chart - the loss chart
 */
import { LitElement, css, html, nothing } from 'lit';
import type { RunLog, TrainingRun } from '../run/run.ts';
import type { SavedRunInfo } from '../run/store.ts';
import type { ComparedCurve } from './loss-chart.ts';
import './compare-runs.ts';
import { TRAINING_SAMPLE } from '../run/settings.ts';
import { panelEvent, type PanelEvent, type TrainingCommand } from './events.ts';
import { renderError, type ShownError } from './error-box.ts';
import './loss-chart.ts';
import './progress-line.ts';
import { RunWatch } from './run-watch.ts';
import { panelStyles } from './styles.ts';

/** Up to three changes in words, then how many more (the whole list is under the form): the line by Train stays short. */
function listed(changes: string[]): string {
  return changes.length > 3 ? `${changes.slice(0, 3).join(', ')} and ${changes.length - 3} more` : changes.join(', ');
}

export class CharLmTraining extends LitElement {
  static override properties = {
    run: { attribute: false },
    ready: { type: Boolean },
    modelSource: { attribute: false },
    trainedBefore: { attribute: false },
    saveNote: { attribute: false },
    earlier: { attribute: false },
    loadLog: { attribute: false },
    error: { attribute: false },
    resetError: { attribute: false },
    resetRefused: { type: Number },
    pending: { attribute: false },
    onTrain: { attribute: false },
    pauseAsked: { state: true, attribute: false },
  };

  declare run: TrainingRun | null;
  /** Whether the buttons can act now. */
  declare ready: boolean;
  /** Where the model was loaded from ('' for fresh weights). */
  declare modelSource: string;
  /** Steps the loaded model was trained before this run's own (a model-only file: its step); 0 otherwise. */
  declare trainedBefore: number;
  /** Whether the run is kept in the browser (`persist`), or why it could not be saved; null: nothing to say. */
  declare saveNote: { text: string; error: boolean } | null;
  /** Earlier runs on the same text (saved in this browser), whose curves can be shown beside this one. */
  declare earlier: SavedRunInfo[];
  /** Reads an earlier run's loss history. */
  declare loadLog: ((id: string) => Promise<RunLog | null>) | null;
  /** Why the last action of these buttons (Train, Save, Load…) failed, or why training stopped; null: none. */
  declare error: ShownError | null;
  /** Why the last Reset failed (the model stays): shown next to Reset; null: none. */
  declare resetError: ShownError | null;
  /** Counts the Resets that failed: each moves the focus to the message. */
  declare resetRefused: number;
  /** What the form would change on Reset ("Hidden H 256 (now 128)"): said next to Train, which goes on with this model. */
  declare pending: string[];
  /** What the form changes when training starts or resumes (the learning rate, its decay, the clip norm). */
  declare onTrain: string[];
  /** Pause was pressed and the step in flight is not done yet: the panel says "pausing…" at once. */
  declare private pauseAsked: boolean;

  private watch = new RunWatch(this);

  constructor() {
    super();
    this.run = null;
    this.ready = false;
    this.modelSource = '';
    this.trainedBefore = 0;
    this.saveNote = null;
    this.earlier = [];
    this.loadLog = null;
    this.error = null;
    this.resetError = null;
    this.resetRefused = 0;
    this.pending = [];
    this.onTrain = [];
    this.pauseAsked = false;
  }

  static override styles = [
    panelStyles,
    css`
      .figures {
        font-variant-numeric: tabular-nums;
        overflow-wrap: anywhere;
        margin-top: 0.4em;
      }
      .chart-wrap {
        position: relative;
      }
      .chart-empty {
        position: absolute;
        left: 12%;
        right: 12%;
        top: 60px;
        font-size: 0.9em;
        text-align: center;
        pointer-events: none;
        color: var(--muted);
        background: rgba(255, 255, 255, 0.85);
        border-radius: 6px;
        padding: 0.4em 0.6em;
      }
      .log {
        max-height: 12em;
        overflow-y: auto;
        font:
          13px/1.45 ui-monospace,
          monospace;
        background: white;
        padding: 0.5em;
        border-radius: 4px;
      }
      .log div {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        border-bottom: 1px solid #eee;
        padding: 0.2em 0;
      }
      /* The file actions: smaller than Train / Pause / Reset, so that all fit on one row. */
      .files {
        display: flex;
        flex-wrap: wrap;
        gap: 0.6em;
      }
      .files button,
      .files label.file-button {
        font-size: 0.9em;
        padding: 0.35em 0.7em;
      }
      /* Load model: a button that opens the file picker (the input stays focusable, out of sight). */
      label.file-button {
        /* Styled as a button (styles.ts). */
        position: relative;
        display: inline-block;
      }
      label.file-button[data-disabled] {
        opacity: 0.5;
        cursor: default;
      }
      .file-button:focus-within {
        outline: 2px solid var(--accent);
        outline-offset: 2px;
      }
      .file-button input {
        position: absolute;
        inset: 0;
        width: 100%;
        opacity: 0;
        cursor: inherit;
      }
      .form-note {
        background: #fff4e5;
        border-left: 4px solid #f29900;
        padding: 0.3em 0.8em;
        border-radius: 4px;
        margin-top: 0.5em;
        font-size: 0.9em;
        overflow-wrap: anywhere;
      }
      .save-note {
        font-size: 0.85em;
        margin-top: 0.4em;
        overflow-wrap: anywhere;
      }
      .save-note.error {
        color: #8a1c12;
        border-left: 4px solid #d93025;
        padding-left: 0.6em;
      }
    `,
  ];

  private command(c: TrainingCommand): void {
    if (c === 'pause') this.pauseAsked = true;
    this.dispatchEvent(panelEvent('panel-command', c));
  }

  override willUpdate(): void {
    this.watch.watch(this.run);
    if (this.run?.status !== 'training') this.pauseAsked = false;
  }

  /** The failed Reset whose message has had the focus. */
  private focusedRefusal = 0;

  override updated(): void {
    if (this.resetError && this.resetRefused !== this.focusedRefusal) {
      this.focusedRefusal = this.resetRefused;
      const box = this.renderRoot.querySelector<HTMLElement>('[data-place="settings"]');
      box?.setAttribute('tabindex', '-1');
      box?.focus();
    }
    // One chart redraw per frame at most (the chart throttles), from the run's own arrays.
    if (this.run) this.renderRoot.querySelector('char-lm-loss-chart')?.show(this.run.history);
  }

  /**
   * The run in one line: its status, the steps whose results are in (the same count as the
   * progress line's, while later steps may still run), the loss of the last of them. A model
   * loaded from a model-only file counts the steps it was trained before: "trained 3,000
   * steps · 0 / 1,000 more".
   */
  private statusLine(status: string) {
    const s = this.run;
    if (!s) return html`${status} · step <span data-testid="step">0</span> / 0`;
    const step = s.progress().step;
    const last = s.history.last;
    const n = (x: number) => x.toLocaleString('en');
    const steps =
      this.trainedBefore > 0
        ? html`trained ${n(this.trainedBefore + step)} steps · <span data-testid="step">${step}</span> / ${n(s.target)} more`
        : html`step <span data-testid="step">${step}</span> / ${s.target}`;
    return html`${status === 'pausing' ? 'pausing…' : status} · ${steps}
    ${this.modelSource ? html` · <span data-testid="model-source">loaded from ${this.modelSource}</span>` : nothing}
    ${last ? html` · loss <span data-testid="loss">${last.loss.toFixed(3)}</span> nats (${(last.loss / Math.LN2).toFixed(3)} bits) · avg ${last.avg.toFixed(3)}` : nothing}
    ${s.lastValidation ? html` · validation ${s.lastValidation.loss.toFixed(3)}` : nothing}`;
  }

  /** What the empty chart says: press Train; a step is running; or a trained model is loaded, ready to sample. */
  private emptyChartNote(s: TrainingRun) {
    if (s.status === 'training' || s.status === 'pausing') {
      const running = s.progress().inFlight?.step ?? s.step + 1;
      return html`Step ${running.toLocaleString('en')} running… its loss will be drawn here when it is done.`;
    }
    if (this.modelSource)
      return html`A trained model is loaded: generate from it below, or press <strong>${s.status === 'paused' ? 'Resume' : 'Train'}</strong> to train it on.`;
    return html`No steps yet: press <strong>Train</strong> and the loss will be drawn here as it falls.`;
  }

  /** Where the form differs from the model in use, said by Train: Train goes on with this model, Reset builds the form's. */
  private renderFormNote() {
    if (!this.pending.length && !this.onTrain.length) return nothing;
    return html`<div class="form-note" data-testid="form-note" role="status">
      ${
        this.pending.length
          ? html`<span title=${this.pending.join(', ')}
              >The form differs from this model (${listed(this.pending)}): <strong>Reset</strong> builds a fresh model with it; Train goes on with this
              one.</span
            >`
          : nothing
      }
      ${this.onTrain.length ? html`Train applies ${listed(this.onTrain)} from the form.` : nothing}
    </div>`;
  }

  override render() {
    const s = this.run;
    const status = this.pauseAsked && s?.status === 'training' ? 'pausing' : (s?.status ?? 'idle');
    const ready = this.ready && !!s;
    return html`
      <section part="controls">
        <div class="row">
          <button
            class="primary"
            data-testid="train"
            ?disabled=${!ready || status === 'training' || status === 'pausing'}
            @click=${() => this.command('train')}
          >
            ${status === 'paused' ? 'Resume' : status === 'done' ? 'Train more' : 'Train'}
          </button>
          <button data-testid="pause" ?disabled=${status !== 'training'} @click=${() => this.command('pause')}>Pause</button>
          <button data-testid="reset" ?disabled=${!ready} @click=${() => this.command('reset')} title="Fresh weights with the settings in the form">
            Reset
          </button>
          <span class="files">
            <button
              data-testid="save"
              ?disabled=${!ready || status === 'training' || status === 'pausing'}
              @click=${() => this.command('save')}
              title="Download the model with its training state (.safetensors): Load here or the command line's --resume continues it exactly"
            >
              Save training state
            </button>
            <button
              data-testid="download-model"
              ?disabled=${!ready || status === 'training' || status === 'pausing'}
              @click=${() => this.command('download-model')}
              title="Download the model alone (.safetensors): PyTorch's load_state_dict takes it as it is; Load here samples from it"
            >
              Download model
            </button>
            <label
              class="file-button"
              title="A .safetensors file from this page or the command line (training state or model only); or drop it onto the element"
              ?data-disabled=${!ready}
              >Load model…<input
                type="file"
                name="model-file"
                accept=".safetensors"
                ?disabled=${!ready}
                @change=${(e: Event) => {
                  const input = e.target as HTMLInputElement;
                  const f = input.files?.[0];
                  if (f) this.dispatchEvent(panelEvent('panel-load-model', f));
                  input.value = '';
                }}
            /></label>
          </span>
        </div>
        <div class="figures" data-testid="status" data-status=${status}>${this.statusLine(status)}</div>
        <char-lm-progress .run=${s} @panel-fit=${(e: PanelEvent<'panel-fit'>) => this.dispatchEvent(panelEvent('panel-fit', e.detail))}></char-lm-progress>
        ${renderError(this.resetError, 'settings')} ${renderError(this.error, 'training')} ${this.renderFormNote()}
        ${
          this.saveNote
            ? html`<div class="save-note ${this.saveNote.error ? 'error' : 'muted'}" data-testid="save-status" role=${this.saveNote.error ? 'alert' : 'status'}>
                ${this.saveNote.text}
              </div>`
            : nothing
        }
      </section>
      <section>
        <h2>Training loss</h2>
        <div class="chart-wrap">
          <char-lm-loss-chart part="chart"></char-lm-loss-chart>
          ${s && s.history.length === 0 ? html`<div class="chart-empty" data-testid="chart-empty">${this.emptyChartNote(s)}</div>` : nothing}
        </div>
        <h2>
          Samples during training
          <span class="muted" data-testid="sample-log-prime"
            >(newest first; prime “${s?.samplePrime ?? TRAINING_SAMPLE.prime}”, temperature ${TRAINING_SAMPLE.temperature})</span
          >
        </h2>
        <div class="log" data-testid="sample-log" tabindex="0" aria-label="Samples during training, newest first">
          ${
            s && s.samples.length
              ? // Newest first: the newest sample sits right under the chart, in view while training runs.
                s.samples
                  .slice()
                  .reverse()
                  .map((x) => html`<div><span class="muted">step ${x.step}:</span> ${x.text}</div>`)
              : html`<span class="muted">None yet.</span>`
          }
        </div>
        <!-- Under the samples: the newest sample stays right under the chart. -->
        <char-lm-compare-runs
          .runs=${this.earlier}
          .loadLog=${this.loadLog}
          @compare-curves=${(e: CustomEvent<ComparedCurve[]>) => this.renderRoot.querySelector('char-lm-loss-chart')?.compare(e.detail)}
        ></char-lm-compare-runs>
      </section>
    `;
  }
}

customElements.define('char-lm-training', CharLmTraining);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-training': CharLmTraining;
  }
}
