/**
 * The notebook run as a regression check of what the model learns (issue #9's target
 * "1,000 notebook steps still reach < 0.3 nats/char"): the notebook's settings (seed 42,
 * B 1 × T 40, E 32, H 128, Adam lr 0.005, clip 5) for 1,000 steps on the notebook passage,
 * on any engine, then the loss on the whole passage from zero state — the figure
 * `train` prints as "training-text loss". Run by `npm run bench -- --notebook-run`
 * (WebGPU in headless Chromium), `bench --notebook-run` on the CLI's engine and
 * tools/gpu-bench.sh on a real GPU.
 */
import type { Engine } from '../engine/contract.ts';
import { TrainingRun, prepareRun } from './run.ts';
import { NOTEBOOK_SETTINGS, copySettings } from './settings.ts';

/** The target: the passage's loss after the run, nats/char. */
export const NOTEBOOK_TARGET = 0.3;

export interface NotebookRunFigures {
  engine: string;
  steps: number;
  firstLoss: number;
  /** The lowest moving average of 10 steps, and the step it ends at. */
  lowestAverage: number;
  lowestAverageStep: number;
  /** The loss on the whole passage from zero state after the last step, nats/char. */
  passageLoss: number;
  characters: number;
  /** Wall time of the training steps, ms. */
  ms: number;
}

/** The lowest mean of `window` consecutive losses and the (1-based) step it ends at; NaN before `window` losses. */
export function lowestMovingAverage(losses: readonly number[], window = 10): { average: number; step: number } {
  let best = { average: NaN, step: 0 };
  let sum = 0;
  for (let i = 0; i < losses.length; i++) {
    sum += losses[i];
    if (i >= window) sum -= losses[i - window];
    if (i >= window - 1 && !(sum / window >= best.average)) best = { average: sum / window, step: i + 1 };
  }
  return best;
}

export async function notebookRun(engine: Engine, passage: string, steps = NOTEBOOK_SETTINGS.steps): Promise<NotebookRunFigures> {
  const settings = copySettings(NOTEBOOK_SETTINGS);
  settings.steps = steps;
  settings.sampleEvery = 0;
  const run = await TrainingRun.open(prepareRun({ corpus: { name: 'notebook', text: passage }, settings, naming: 'label' }), engine);
  try {
    const losses: number[] = [];
    run.on('step', (r) => {
      losses[r.step - 1] = r.loss;
    });
    const t0 = performance.now();
    await run.start(steps);
    const t = await run.trainingTextLoss();
    const ms = performance.now() - t0;
    const low = lowestMovingAverage(losses);
    return {
      engine: engine.description,
      steps: losses.length,
      firstLoss: losses[0],
      lowestAverage: low.average,
      lowestAverageStep: low.step,
      passageLoss: t.loss,
      characters: t.characters,
      ms,
    };
  } finally {
    await run.destroy();
  }
}

/** What the benches print for a notebook run; the last line says whether the target holds. */
export function formatNotebookRun(f: NotebookRunFigures): string[] {
  const met = f.passageLoss < NOTEBOOK_TARGET;
  return [
    `notebook run: ${f.steps} steps of the notebook's settings (seed 42, B1 T40 E32 H128) on ${f.engine}, ${(f.ms / 1000).toFixed(1)} s`,
    `  loss     step 1 ${f.firstLoss.toFixed(4)}; lowest 10-step average ${f.lowestAverage.toFixed(4)} at step ${f.lowestAverageStep} (nats/char)`,
    `  passage  ${f.passageLoss.toFixed(4)} nats/char on the whole passage (${f.characters.toLocaleString('en-US')} characters, zero state) after step ${f.steps}`,
    met
      ? `  target   met: < ${NOTEBOOK_TARGET} nats/char on the passage`
      : `  target   MISSED: ${f.passageLoss.toFixed(4)} ≥ ${NOTEBOOK_TARGET} nats/char on the passage — what the model learns has regressed`,
  ];
}
