/**
 * Training progress: a single line updated in place on a terminal (bar, step/total,
 * loss, 10-step moving average, chars/s, ETA; at most ~10 redraws a second), plain
 * lines every N steps otherwise. Formatting helpers are pure and unit-tested.
 */

/** Mean of the last `size` values pushed. */
export class MovingAverage {
  private values: number[] = [];
  constructor(readonly size = 10) {}

  push(x: number): number {
    this.values.push(x);
    if (this.values.length > this.size) this.values.shift();
    return this.value;
  }

  get value(): number {
    return this.values.reduce((a, b) => a + b, 0) / Math.max(1, this.values.length);
  }

  /** True once `size` values have been pushed. */
  get full(): boolean {
    return this.values.length === this.size;
  }
}

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Seconds → "0:07", "12:34", "1:02:03"; "--:--" when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

/** A bar of `width` cells filled to `fraction`. */
export function progressBar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
}

export interface ProgressState {
  step: number;
  /** Last step of this run. */
  total: number;
  /** Step the run started from (resume), for the bar and the ETA. */
  first: number;
  loss: number;
  average: number;
  charsPerSecond: number;
  /** Seconds left, NaN when unknown. */
  eta: number;
}

export function statusText(s: ProgressState): string {
  const w = String(s.total).length;
  return (
    `step ${String(s.step).padStart(w)}/${s.total}  loss ${s.loss.toFixed(4)}  avg10 ${s.average.toFixed(4)}  ` +
    `${formatCount(s.charsPerSecond)} chars/s  ETA ${formatDuration(s.eta)}`
  );
}

/** The terminal line: a bar sized to fit `columns`, then the status. */
export function progressLine(s: ProgressState, columns: number): string {
  const text = statusText(s);
  const cols = columns > 0 ? columns : 80;
  const room = cols - text.length - 4;
  if (room < 10) return text.slice(0, Math.max(20, cols - 1));
  const fraction = (s.step - s.first) / Math.max(1, s.total - s.first);
  return `${progressBar(fraction, Math.min(40, room))} ${text}`;
}

export interface Output {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface StepSummary {
  firstLoss: number;
  firstStep: number;
  lastLoss: number;
  lastStep: number;
  average: number;
  /** Lowest full 10-step moving average and the step where it ended (NaN / 0 if fewer than 10 steps). */
  bestAverage: number;
  bestAverageStep: number;
}

/** Tracks step results and draws the progress display. */
export class Progress {
  private readonly ma = new MovingAverage(10);
  private readonly tty: boolean;
  private start: number;
  private lastDraw = -Infinity;
  private drawn = false;
  private state: ProgressState | null = null;
  private first: { step: number; loss: number } | null = null;
  private best = { average: NaN, step: 0 };

  constructor(
    private readonly out: Output,
    private readonly firstStep: number,
    private readonly totalSteps: number,
    private readonly charsPerStep: number,
    private readonly logEvery: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tty = out.isTTY === true;
    this.start = now();
  }

  /** Restarts the clock (e.g. after building pipelines). */
  restartClock(): void {
    this.start = this.now();
  }

  update(step: number, loss: number): void {
    const average = this.ma.push(loss);
    if (!this.first) this.first = { step, loss };
    if (this.ma.full && !(average >= this.best.average)) this.best = { average, step };
    const elapsed = (this.now() - this.start) / 1000;
    const done = step - this.firstStep;
    const rate = elapsed > 0 ? done / elapsed : NaN;
    this.state = {
      step,
      total: this.totalSteps,
      first: this.firstStep,
      loss,
      average,
      charsPerSecond: Number.isFinite(rate) ? rate * this.charsPerStep : 0,
      eta: rate > 0 ? (this.totalSteps - step) / rate : NaN,
    };
    const last = step === this.totalSteps;
    if (this.tty) {
      const t = this.now();
      if (last || t - this.lastDraw >= 100) {
        this.lastDraw = t;
        this.draw();
      }
    } else if (step % this.logEvery === 0 || last) {
      this.out.write(statusText(this.state) + '\n');
    }
  }

  private draw(): void {
    if (!this.state) return;
    this.out.write(`\r${progressLine(this.state, this.out.columns ?? 80)}\x1b[K`);
    this.drawn = true;
  }

  /** Prints a whole line (a sample, a note) without breaking the progress display. */
  print(line: string): void {
    if (this.tty && this.drawn) {
      this.out.write(`\r\x1b[K${line}\n`);
      this.draw();
    } else {
      this.out.write(line + '\n');
    }
  }

  /** Ends the in-place line (terminal only). */
  finish(): void {
    if (this.tty && this.drawn) {
      this.draw();
      this.out.write('\n');
      this.drawn = false;
    }
  }

  summary(): StepSummary | null {
    if (!this.first || !this.state) return null;
    return {
      firstLoss: this.first.loss,
      firstStep: this.first.step,
      lastLoss: this.state.loss,
      lastStep: this.state.step,
      average: this.state.average,
      bestAverage: this.best.average,
      bestAverageStep: this.best.step,
    };
  }
}
