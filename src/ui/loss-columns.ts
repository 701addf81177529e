/**
 * The loss chart's data columns, as uPlot takes them: [step, loss, moving avg, validation,
 * …the moving average of each earlier run compared]. They follow a LossHistory by what
 * changed since the last frame (its `version` and `epoch`): nothing is rebuilt when nothing
 * changed, and new points go into the same arrays (appended; beside earlier runs' curves,
 * placed at their step). The columns are rebuilt, in one pass, only for another history,
 * points forgotten, or a large batch of points at once.
 */
import type { LossHistory } from '../run/history.ts';

/** An earlier run's curve as the columns need it: its steps (ascending) and their moving average. */
interface Curve {
  steps: ArrayLike<number>;
  avg: ArrayLike<number>;
}

type Column = Float64Array | (number | null)[];

/** More new points than this at once beside earlier runs are merged in one pass rather than placed one by one. */
const MAX_PLACED = 256;

const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v);

/** The first index ≥ `from` where `x[index] >= v` (x ascending). */
function lowerBound(x: number[], v: number, from: number): number {
  let lo = from;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class LossColumns {
  /**
   * uPlot's data: the same array from frame to frame. Alone, the current run's columns are
   * views of the history's own arrays (replaced by new views when points are added: no copy)
   * and its validation, NaN made null, grown in place. Beside earlier runs: plain arrays over
   * the union of the steps (null where a curve has no point), grown in place.
   */
  readonly data: Column[];
  /** Points of the history in the columns. */
  length = 0;
  private history: LossHistory | null = null;
  private version = -1;
  private epoch = -1;
  /** Where the current run's last point is in the x column (beside earlier runs), −1 before one. */
  private lastAt = -1;

  constructor(private readonly compared: readonly Curve[] = []) {
    this.data = compared.length ? [[], [], [], [], ...compared.map(() => [])] : [new Float64Array(0), new Float64Array(0), new Float64Array(0), []];
  }

  /** Takes up what changed in `h` (null: no current run) since the last call; false when nothing did. */
  update(h: LossHistory | null): boolean {
    const version = h?.version ?? 0;
    const epoch = h?.epoch ?? 0;
    if (h === this.history && version === this.version) return false;
    const n = h?.length ?? 0;
    const rebuild = h !== this.history || epoch !== this.epoch;
    this.history = h;
    this.version = version;
    this.epoch = epoch;
    if (!this.compared.length) this.updateAlone(h, rebuild, n);
    else if (rebuild || n - this.length > MAX_PLACED || !this.place(h!, n)) this.merge(h, n);
    this.length = n;
    return true;
  }

  /** The current run alone: views of its arrays, and its validation column from the first point that may have changed. */
  private updateAlone(h: LossHistory | null, rebuild: boolean, n: number): void {
    const d = this.data;
    if (rebuild || n !== this.length) {
      d[0] = h ? h.steps.subarray(0, n) : new Float64Array(0);
      d[1] = h ? h.loss.subarray(0, n) : new Float64Array(0);
      d[2] = h ? h.avg.subarray(0, n) : new Float64Array(0);
    }
    const val = d[3] as (number | null)[];
    // Of the points seen, only the last one's validation can have changed (see LossHistory).
    const from = rebuild ? 0 : Math.max(0, this.length - 1);
    val.length = n;
    for (let i = from; i < n; i++) val[i] = orNull(h!.val[i]);
  }

  /**
   * Beside earlier runs: the current run's last point seen again (its validation) and the new
   * ones placed at their steps. False (nothing changed) unless the new steps come after the last.
   */
  private place(h: LossHistory, n: number): boolean {
    const [x, loss, avg, val, ...others] = this.data as (number | null)[][];
    const xs = x as number[];
    let prev = this.lastAt >= 0 ? xs[this.lastAt] : -Infinity;
    for (let i = this.length; i < n; i++) {
      if (!(h.steps[i] > prev)) return false;
      prev = h.steps[i];
    }
    if (this.length > 0) val[this.lastAt] = orNull(h.val[this.length - 1]);
    for (let i = this.length; i < n; i++) {
      const s = h.steps[i];
      const p = lowerBound(xs, s, this.lastAt + 1);
      if (p === xs.length || xs[p] !== s) {
        xs.splice(p, 0, s);
        for (const col of [loss, avg, val, ...others]) col.splice(p, 0, null);
      }
      loss[p] = orNull(h.loss[i]);
      avg[p] = orNull(h.avg[i]);
      val[p] = orNull(h.val[i]);
      this.lastAt = p;
    }
    return true;
  }

  /** Beside earlier runs, in one pass: the union of the steps, and each curve placed on it. */
  private merge(h: LossHistory | null, n: number): void {
    const [x, loss, avg, val, ...others] = this.data as (number | null)[][];
    for (const col of [x, loss, avg, val, ...others]) col.length = 0;
    const at = this.compared.map(() => 0);
    let i = 0;
    this.lastAt = -1;
    for (;;) {
      let next = i < n ? h!.steps[i] : Infinity;
      this.compared.forEach((c, k) => {
        if (at[k] < c.steps.length) next = Math.min(next, c.steps[at[k]]);
      });
      if (next === Infinity) break;
      x.push(next);
      const here = i < n && h!.steps[i] === next;
      loss.push(here ? orNull(h!.loss[i]) : null);
      avg.push(here ? orNull(h!.avg[i]) : null);
      val.push(here ? orNull(h!.val[i]) : null);
      if (here) {
        this.lastAt = x.length - 1;
        i++;
      }
      this.compared.forEach((c, k) => {
        const there = at[k] < c.steps.length && c.steps[at[k]] === next;
        others[k].push(there ? orNull(c.avg[at[k]]) : null);
        if (there) at[k]++;
      });
    }
  }
}
