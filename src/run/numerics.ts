/**
 * The numerics guard of a training run: what counts as a step gone wrong (a NaN or
 * infinite loss or gradient norm, a loss far above where it started, weights that are no
 * longer finite), which kept snapshot is still good, and the message that says what
 * happened and what to change. Plain functions; TrainingRun (run.ts) applies them.
 *
 * Divergence is judged against a reference: the larger of ln V (the loss of a uniform
 * guess) and the first loss the run measured (that of the weights it started from). A
 * step whose loss exceeds max(2·ref, ref + 3) nats has diverged. Healthy training never
 * comes near it: the notebook's 1,000 steps stay at or below their first loss (3.64 for
 * V 38: limit 7.64), and even lr 1 on a tiny model peaks at 1.4× it, while lr 10 jumps
 * to 11× at the second step.
 */
import { countNonFinite } from '../model/checkpoint.ts';
import { NOTEBOOK_TRAIN, type TrainConfig } from '../model/config.ts';
import type { TrainingSnapshot } from '../model/training-state.ts';
import type { StepResult } from '../engine/contract.ts';
import type { Naming } from './settings.ts';

type NumericsReason = 'loss' | 'gradient' | 'divergence' | 'weights';

/** Why and where the guard stopped training. */
export interface NumericsStop {
  /** The step whose result was bad. */
  step: number;
  /** The step the model was put back at (its last good state). */
  restoredStep: number;
  /** The newest step whose state was still good (the bad step's weights came from the step before it); restoredStep is it or older. */
  newestGood: number;
  /** Steps between the kept states then (a state older than newestGood was the newest kept). */
  keptEvery: number;
  reason: NumericsReason;
  /** The bad step's loss and gradient norm (NaN where unknown). */
  loss: number;
  gradNorm: number;
  /** What happened, in words: "the loss became NaN". */
  what: string;
}

/** Training was stopped by the guard; the run is back at `stop.restoredStep`. The message says what to change. */
export class NumericsError extends Error {
  override name = 'NumericsError';
  constructor(
    message: string,
    readonly stop: NumericsStop,
  ) {
    super(message);
  }
}

/** The loss above which a step has diverged, for a reference loss (see the module comment). */
export function divergenceLimit(reference: number): number {
  return Math.max(2 * reference, reference + 3);
}

/** The reference loss of a run over V characters whose first measured loss is `first`. */
export function referenceLoss(vocabSize: number, first: number): number {
  return Math.max(Math.log(vocabSize), Number.isFinite(first) ? first : 0);
}

function nonFiniteWord(x: number): string {
  return Number.isNaN(x) ? 'NaN' : 'infinite';
}

/** What went wrong at this step, or null when it is fine. */
export function checkStep(r: StepResult, reference: number): Pick<NumericsStop, 'reason' | 'what'> | null {
  if (!Number.isFinite(r.loss)) return { reason: 'loss', what: `the loss became ${nonFiniteWord(r.loss)}` };
  if (!Number.isFinite(r.gradNorm)) return { reason: 'gradient', what: `the gradient norm became ${nonFiniteWord(r.gradNorm)}` };
  const limit = divergenceLimit(reference);
  if (r.loss > limit) {
    return {
      reason: 'divergence',
      what: `the loss diverged to ${r.loss.toFixed(2)} nats/char (it started at ${reference.toFixed(2)}; the limit is ${limit.toFixed(2)})`,
    };
  }
  return null;
}

/** The first tensor of a snapshot that is not finite, in words ("the weights have 3 NaN values"), or null. */
export function snapshotProblem(s: TrainingSnapshot): string | null {
  const parts: [string, Float32Array][] = [
    ['the weights', s.params],
    ["Adam's first moments", s.optimizer.m],
    ["Adam's second moments", s.optimizer.v],
    ['the carried hidden state', s.carried.h],
    ['the carried cell state', s.carried.c],
  ];
  for (const [name, data] of parts) {
    const c = countNonFinite(data);
    if (c) {
      const n = c.nan + c.inf;
      return `${name} became ${c.nan ? 'NaN' : 'infinite'} (${n.toLocaleString('en')} value${n === 1 ? '' : 's'})`;
    }
  }
  return null;
}

/**
 * The newest kept snapshot of step `newest` or earlier. The loss of step s+1 is computed
 * from the weights after step s, so a bad step d condemns the weights after step d-1: the
 * guard asks for d-2 or earlier (and for s-1 or earlier when the weights after s are bad).
 */
export function lastGood(kept: readonly TrainingSnapshot[], newest: number): TrainingSnapshot | null {
  for (let i = kept.length - 1; i >= 0; i--) if (kept[i].step <= newest) return kept[i];
  return null;
}

/**
 * Why the model is back at that step, in words. A step's loss and gradient come from the
 * weights the step before it left, so a bad step d condemns the state after d-1 and the
 * state to go back to is d-2's (a bad state read at step s: s-1's); the run keeps a state
 * only every few steps, so it may be older.
 */
function restoredWhy(stop: NumericsStop): string {
  const s = stop.restoredStep;
  const cause =
    stop.reason === 'weights'
      ? `the state after step ${stop.step} is not finite, so the last good state is step ${stop.newestGood}'s or older`
      : `step ${stop.step}'s ${stop.reason === 'gradient' ? 'gradient norm' : 'loss'} is measured on the weights after step ${stop.step - 1}, ` +
        `so the last good state is step ${stop.newestGood}'s or older`;
  const kept = s < stop.newestGood ? `; the newest kept by then is step ${s}'s (a state is kept every ${stop.keptEvery.toLocaleString('en')} steps)` : '';
  return `${cause}${kept}`;
}

/** The whole message: what happened at which step, where the model is now and why, and what to change. */
export function numericsMessage(stop: NumericsStop, train: TrainConfig, naming: Naming): string {
  const lr = naming === 'flag' ? '--lr' : 'the learning rate';
  const clip = naming === 'flag' ? '--clip' : 'the clip norm';
  const then = naming === 'flag' ? 'then train again.' : 'then Train again.';
  const clipNow = train.clip > 0 ? `now ${train.clip}` : 'now off';
  return (
    `Training stopped at step ${stop.step}: ${stop.what}. The model is back at step ${stop.restoredStep}, its last good state ` +
    `(${restoredWhy(stop)}). ` +
    `Lower ${lr} (now ${train.lr}; the notebook uses ${NOTEBOOK_TRAIN.lr}) or ${clip} (${clipNow}; the notebook uses ${NOTEBOOK_TRAIN.clip}), ${then}`
  );
}
