/** A step the loss chart marks with a labelled line (where the numerics guard stopped training). */
export interface StepMarker {
  step: number;
  label: string;
}

/**
 * Loss history in growable typed arrays (the chart streams from these without copying).
 * Points are appended; of those already there only the last one's validation loss changes
 * (`pushVal`), until `truncate` forgets some. `version` and `epoch` let a reader (the chart)
 * take up only what changed since it last looked.
 */
export class LossHistory {
  steps = new Float64Array(1024);
  loss = new Float64Array(1024);
  /** 10-step moving average of loss. */
  avg = new Float64Array(1024);
  /** Validation loss at the steps where it was measured, NaN elsewhere. */
  val = new Float64Array(1024).fill(NaN);
  length = 0;
  /** Steps where training was stopped (the numerics guard), with a short label for the chart. */
  markers: StepMarker[] = [];
  /** Bumped by every change to the points: a reader that has seen this version has seen them all. */
  version = 0;
  /**
   * Bumped when points are forgotten (`truncate`). While it stays the same, the points a
   * reader has seen stay as they were, but for the validation loss of the last of them.
   */
  epoch = 0;

  push(step: number, loss: number): void {
    if (this.length === this.steps.length) this.grow();
    const i = this.length++;
    this.steps[i] = step;
    this.loss[i] = loss;
    const from = Math.max(0, i - 9);
    let s = 0;
    for (let k = from; k <= i; k++) s += this.loss[k];
    this.avg[i] = s / (i - from + 1);
    this.val[i] = NaN;
    this.version++;
  }

  /** Marks the validation loss at the latest step. */
  pushVal(v: number): void {
    if (this.length === 0) return;
    this.val[this.length - 1] = v;
    this.version++;
  }

  /**
   * Forgets the points after `step` (the run went back to that step: the steps after it
   * will be trained again). The moving average of what stays is unchanged.
   */
  truncate(step: number): void {
    let n = this.length;
    while (n > 0 && this.steps[n - 1] > step) n--;
    if (n === this.length) return;
    this.val.fill(NaN, n, this.length);
    this.length = n;
    this.version++;
    this.epoch++;
  }

  private grow(): void {
    const n = this.steps.length * 2;
    const g = (a: Float64Array, fill = 0) => {
      const b = new Float64Array(n).fill(fill);
      b.set(a);
      return b;
    };
    this.steps = g(this.steps);
    this.loss = g(this.loss);
    this.avg = g(this.avg);
    this.val = g(this.val, NaN);
  }

  get last(): { step: number; loss: number; avg: number } | null {
    if (this.length === 0) return null;
    const i = this.length - 1;
    return { step: this.steps[i], loss: this.loss[i], avg: this.avg[i] };
  }
}
