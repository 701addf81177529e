/**
 * <char-lm-progress>: how far training has got and how fast, honestly (TrainingRun.progress()):
 * steps done / target with a bar, chars/s of training alone, elapsed time and time left,
 * characters seen and epochs. While a step runs long (the first step compiles; a large model
 * on a slow adapter) it says "step 1 running… 3 s" with a moving bar, so the page never sits
 * frozen at step 0. When the run will take long at this pace it says how long and offers
 * settings that fit (`panel-fit`: stop earlier, or the notebook settings). Before the first step it
 * says how long the run will take: at the pace measured on this page, or else at the ms/step the
 * page's engine calibration predicts (src/ui/engine-choice.ts); the measured pace replaces the
 * prediction once steps run.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { RunProgress, TrainingRun } from '../run/run.ts';
import { NOTEBOOK_SETTINGS, type RunSettings } from '../run/settings.ts';
import { stepFlops, totalFlops } from '../engine/bench.ts';
import { ENGINE_NAMES, pagePaces, perStep, stepShape } from './engine-choice.ts';
import { panelEvent } from './events.ts';
import { RunWatch } from './run-watch.ts';
import { panelStyles } from './styles.ts';

/** A step running longer than this shows the step-in-flight indicator. */
const SLOW_STEP_MS = 700;
/** A run that will take longer than this (at the current pace) offers settings that fit. */
const FIT_LIMIT_MS = 10 * 60_000;
/** The pace (FLOPs per ms) is taken from steps at least this long, whose time is mostly arithmetic. */
const MIN_PACE_STEP_MS = 20;
/** "Stop at step N" aims at about this much more training. */
const FIT_TARGET_MS = 5 * 60_000;

/** Elapsed time: "3.2 s" under ten seconds, then as a clock: "0:42", "12:05", "1:02:09". */
function clock(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const t = Math.floor(ms / 1000);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A duration in words, rounded as an estimate: "40 s", "3 min", "2 h 5 min", "3 days". */
function roughly(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${Math.max(1, s)} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  return `${Math.round(h / 24)} days`;
}

/** The largest 1, 2 or 5 × 10^k not above n (a round number of steps to stop at). */
function roundDown(n: number): number {
  if (n < 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  return [5, 2, 1].map((f) => f * p).find((v) => v <= n) ?? p;
}

const n = (x: number) => Math.round(x).toLocaleString('en');

/** Epochs to two significant digits when small, then two or one decimals: "0.0013", "0.89", "41.6". */
function epochs(e: number): string {
  return e === 0 ? '0' : e < 0.01 ? e.toPrecision(2) : e < 10 ? e.toFixed(2) : e.toFixed(1);
}

/** FLOPs of one training step with these settings (src/engine/bench.ts). */
function stepCost(s: RunSettings, vocab: number): number {
  const { model: m, train: t } = s;
  return totalFlops(stepFlops({ vocab, embed: m.embedSize, hidden: m.hiddenSize, layers: m.layers, batch: t.batch, seqLen: t.seqLen }));
}

/** What the run's pace says about fitting it: null when it fits (or too little is known yet). */
function fitAdvice(p: RunProgress, sessionMs: number): { text: string; stopAt: number | null } | null {
  const left = p.target - p.step;
  if (left <= 1) return null;
  if (p.inFlight && p.inFlight.ms > 5000 && p.msPerStep < p.inFlight.ms) {
    // A step in flight this long is a lower bound for every step to come.
    const atLeast = left * p.inFlight.ms;
    if (atLeast < FIT_LIMIT_MS) return null;
    return {
      text: `Each step takes at least ${roughly(p.inFlight.ms)} here: the ${n(left)} steps left would take at least ${roughly(atLeast)}.`,
      stopAt: null,
    };
  }
  if (p.remainingMs === null || p.remainingMs < FIT_LIMIT_MS || sessionMs < 2000) return null;
  const perStep = p.remainingMs / left;
  const more = roundDown(FIT_TARGET_MS / perStep);
  return {
    text: `At this pace the ${n(left)} steps left take about ${roughly(p.remainingMs)}.`,
    stopAt: more < left ? p.step + more : null,
  };
}

export class CharLmProgress extends LitElement {
  static override properties = {
    run: { attribute: false },
  };

  declare run: TrainingRun | null;

  private watch = new RunWatch(this);
  private timer = 0;
  /**
   * The best pace measured on this page for each engine, FLOPs per ms of training alone, from
   * steps of at least MIN_PACE_STEP_MS: a new run's time is estimated from it before its first
   * step (roughly: it leaves out samples and validation, and a smaller model's steps carry
   * more overhead than their arithmetic says).
   */
  private pace = new Map<string, number>();

  constructor() {
    super();
    this.run = null;
  }

  static override styles = [
    panelStyles,
    css`
      :host {
        font-variant-numeric: tabular-nums;
      }
      .bar {
        display: flex;
        align-items: center;
        gap: 0.6em;
        margin-top: 0.4em;
      }
      progress {
        flex: 1 1 auto;
        min-width: 4em;
        height: 0.7em;
        accent-color: var(--accent);
      }
      .figures {
        font-size: 0.9em;
        overflow-wrap: anywhere;
        margin-top: 0.2em;
      }
      .nw {
        white-space: nowrap;
      }
      .running {
        display: flex;
        align-items: center;
        gap: 0.6em;
        font-size: 0.9em;
        margin-top: 0.2em;
      }
      .running progress {
        flex: 0 1 10em;
      }
      .fit {
        background: #fff4e5;
        border-left: 4px solid #f29900;
        border-radius: 4px;
        padding: 0.4em 0.8em;
        margin-top: 0.5em;
        font-size: 0.9em;
      }
      .fit .row {
        margin-top: 0.3em;
        align-items: center;
      }
      .fit button {
        font-size: 0.95em;
        padding: 0.2em 0.7em;
      }
    `,
  ];

  override willUpdate(): void {
    this.watch.watch(this.run);
  }

  override updated(): void {
    // While training, the clock and a long step's indicator move between steps too.
    const training = this.run?.status === 'training';
    if (training && !this.timer) this.timer = window.setInterval(() => this.requestUpdate(), 250);
    else if (!training && this.timer) this.stopTimer();
  }

  /** A pace measured by the page's calibration: the estimate before Train may have changed. */
  private onMeasured = () => this.requestUpdate();

  override connectedCallback(): void {
    super.connectedCallback();
    pagePaces.addEventListener('measured', this.onMeasured);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    pagePaces.removeEventListener('measured', this.onMeasured);
    this.stopTimer();
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = 0;
  }

  private fit(detail: { stopAt: number } | { preset: 'notebook' }): void {
    this.dispatchEvent(panelEvent('panel-fit', detail));
  }

  override render() {
    const run = this.run;
    if (!run) return nothing;
    const p = run.progress();
    const training = run.status === 'training';
    const started = p.elapsedMs > 0 || p.step > 0;
    const running = p.inFlight && p.inFlight.ms > SLOW_STEP_MS ? p.inFlight : null;
    const cost = stepCost(run.settings, run.vocab.size);
    const kind = run.engine.kind;
    // Only steps long enough to be bound by their arithmetic: a tiny model's steps are mostly overhead.
    if (p.msPerStep >= MIN_PACE_STEP_MS) this.pace.set(kind, Math.max(this.pace.get(kind) ?? 0, cost / p.msPerStep));
    const pace = this.pace.get(kind);
    // Before any step measured here: the ms/step the page's calibration predicts for these settings on this engine (engine-choice.ts).
    const predicted = pace ? null : (pagePaces.predict(kind, stepShape(run.settings, run.vocab.size)) ?? null);
    const msPerStep = pace ? cost / pace : predicted;
    // Before the first step: the time these settings take at that pace.
    const estimate = !started && msPerStep !== null && p.target > p.step ? (p.target - p.step) * msPerStep : null;
    const estimateText =
      estimate === null
        ? ''
        : pace
          ? `At the pace measured on this page (${(pace / 1e6).toFixed(2)} GFLOP/s on the ${ENGINE_NAMES[kind]} engine), these ${n(p.target - p.step)} steps take roughly ${roughly(estimate)}.`
          : `About ${roughly(estimate)} for these ${n(p.target - p.step)} steps on the ${ENGINE_NAMES[kind]} engine (${perStep(predicted!)}, predicted by a short calibration on this machine).`;
    const advice = training
      ? fitAdvice(p, p.elapsedMs)
      : estimate !== null && estimate > FIT_LIMIT_MS
        ? { text: estimateText, stopAt: p.step + Math.min(p.target - p.step - 1, roundDown(FIT_TARGET_MS / msPerStep!)) }
        : null;
    // The notebook settings are offered where a step of theirs costs under half of this run's.
    const notebookIsSmaller = advice !== null && 2 * stepCost(NOTEBOOK_SETTINGS, run.vocab.size) < cost;
    const left = p.remainingMs === null ? 'time left: measuring…' : p.remainingMs === 0 ? '' : `about ${roughly(p.remainingMs)} left`;
    return html`<div data-testid="progress">
      <div class="bar">
        <progress aria-label="Training progress: steps done" max=${Math.max(1, p.target)} .value=${p.step}></progress>
        <span class="nw" data-testid="progress-steps">${n(p.step)} / ${n(p.target)} steps</span>
      </div>
      ${
        started
          ? html`<div class="figures" data-testid="progress-figures">
              ${
                p.charsPerSecond > 0
                  ? html`<span class="nw" data-testid="throughput" title="Characters per second of training alone: samples, validation and snapshots left out"
                        >${n(p.charsPerSecond)} chars/s, ${p.msPerStep < 10 ? p.msPerStep.toFixed(2) : n(p.msPerStep)} ms/step</span
                      >
                      · `
                  : nothing
              }<span class="nw" data-testid="elapsed">elapsed ${clock(p.elapsedMs)}</span>${
                training || p.step < p.target ? html` · <span class="nw" data-testid="time-left">${left || 'done'}</span>` : nothing
              }
              · <span class="nw" data-testid="tokens">${n(p.tokens)} characters seen</span> ·
              <span class="nw" data-testid="epochs" title="Passes over the ${n(run.prepared.train.length)} training characters"
                >${epochs(p.epochs)} epochs</span
              >
            </div>`
          : html`<div class="figures muted" data-testid="estimate">
              Press Train: the figures (chars/s, time left, characters seen, epochs) appear with the first
              step.${estimate !== null && estimate <= FIT_LIMIT_MS ? html` ${estimateText}` : nothing}
            </div>`
      }
      ${
        running
          ? html`<div class="running" data-testid="step-running" role="status">
              <span>step ${n(running.step)} running… ${running.ms < 10_000 ? (running.ms / 1000).toFixed(1) : Math.floor(running.ms / 1000)} s</span>
              <progress aria-label="Step ${running.step} in progress"></progress>
            </div>`
          : nothing
      }
      ${
        advice
          ? html`<div class="fit" data-testid="fit" role="status">
              ${advice.text}
              <div class="row">
                ${
                  advice.stopAt !== null
                    ? html`<button data-testid="fit-stop" @click=${() => this.fit({ stopAt: advice.stopAt! })}>
                        Stop at step ${n(advice.stopAt)} (about ${roughly(FIT_TARGET_MS)} more)
                      </button>`
                    : nothing
                }
                ${
                  notebookIsSmaller
                    ? html`<button
                        data-testid="fit-notebook"
                        @click=${() => this.fit({ preset: 'notebook' })}
                        title="A fresh model with the notebook's settings (E 32, H 128, T 40)"
                      >
                        Use the notebook settings (a fresh, smaller model)
                      </button>`
                    : nothing
                }
              </div>
            </div>`
          : nothing
      }
    </div>`;
  }
}

customElements.define('char-lm-progress', CharLmProgress);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-progress': CharLmProgress;
  }
}
