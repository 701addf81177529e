/**
 * What keeping the training state off the GPU costs a run (`npm run bench:browser`): the
 * notebook's run on the WebGPU engine with its snapshots kept as the page keeps them (every
 * N steps, N chosen so that their whole cost, the steps in flight read back and then the
 * state, stays under 1% of training time; and one when the run stops), against the same run
 * keeping none. The two alternate (without, with, without, with…) so that a machine whose
 * load drifts weighs on both alike; each run is fresh and warmed up first (pipelines built,
 * and the run's early snapshots after steps 1, 2, 4 and 8, timed apart).
 * And the notebook run itself as a check of what the model learns (`--notebook-run`).
 */
import { requestGpu } from '../gpu/device.ts';
import { gpuEngine } from '../engine/gpu/engine.ts';
import { TrainingRun, prepareRun } from './run.ts';
import { NOTEBOOK_SETTINGS, copySettings } from './settings.ts';
import { notebookRun, type NotebookRunFigures } from './notebook-run.ts';

/** Steps of each run before the timed ones: compilation, and the early snapshots (1, 2, 4, 8). */
const WARM_STEPS = 10;

export interface SnapshotFigures {
  adapter: string;
  /** Timed steps of each run, and how many runs of each kind (alternated). */
  steps: number;
  pairs: number;
  /** Snapshots kept in the timed steps of the runs with them, all together, and the interval N at the end of the last. */
  snapshots: number;
  every: number;
  /** Mean of one, ms: its whole wall time, which the budget counts (the wait for the steps in flight, then the read), and the read alone. */
  msPerSnapshot: number;
  readMsPerSnapshot: number;
  /** The early snapshots of a fresh run (after steps 1, 2, 4 and 8), all of them, ms (mean over the runs with them). */
  earlyMs: number;
  /** ms per timed step, over all runs of each kind; and each pair's own (without, with). */
  withMsPerStep: number;
  withoutMsPerStep: number;
  perPair: { without: number; with: number }[];
  /** Wall-time overhead: with / without − 1. */
  overhead: number;
  /** The snapshots' whole wall time as a share of the runs' (what the budget steers). */
  share: number;
}

export async function benchSnapshots(text: string, steps: number, pairs = 2): Promise<SnapshotFigures> {
  const gpu = await requestGpu(navigator.gpu, 'start Chromium with --enable-unsafe-webgpu');
  const engine = gpuEngine(gpu, gpu.adapter.summary, false);
  const settings = copySettings(NOTEBOOK_SETTINGS);
  settings.sampleEvery = 0;
  settings.valEvery = 0;
  const time = async (keep: boolean) => {
    const run = await TrainingRun.open(prepareRun({ corpus: { name: 'notebook', text }, settings, naming: 'label' }), engine);
    run.keepSnapshots = keep;
    await run.start(WARM_STEPS);
    const early = run.snapshotCost.ms;
    const cost0 = { ...run.snapshotCost };
    const t0 = performance.now();
    await run.start(WARM_STEPS + steps);
    const ms = performance.now() - t0;
    const c = run.snapshotCost;
    const cost = { ms: c.ms - cost0.ms, readMs: c.readMs - cost0.readMs, count: c.count - cost0.count };
    const every = run.snapshotEvery;
    await run.destroy();
    return { ms, cost, every, early };
  };
  const without: Awaited<ReturnType<typeof time>>[] = [];
  const kept: Awaited<ReturnType<typeof time>>[] = [];
  for (let i = 0; i < pairs; i++) {
    without.push(await time(false));
    kept.push(await time(true));
  }
  gpu.device.destroy();
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const withMs = sum(kept.map((k) => k.ms));
  const withoutMs = sum(without.map((k) => k.ms));
  const count = sum(kept.map((k) => k.cost.count));
  return {
    adapter: gpu.adapter.summary,
    steps,
    pairs,
    snapshots: count,
    every: kept[kept.length - 1].every,
    msPerSnapshot: count ? sum(kept.map((k) => k.cost.ms)) / count : 0,
    readMsPerSnapshot: count ? sum(kept.map((k) => k.cost.readMs)) / count : 0,
    earlyMs: sum(kept.map((k) => k.early)) / pairs,
    withMsPerStep: withMs / (steps * pairs),
    withoutMsPerStep: withoutMs / (steps * pairs),
    perPair: kept.map((k, i) => ({ without: without[i].ms / steps, with: k.ms / steps })),
    overhead: withMs / withoutMs - 1,
    share: sum(kept.map((k) => k.cost.ms)) / withMs,
  };
}

/** The notebook run (src/run/notebook-run.ts) on the WebGPU engine of this page: `npm run bench:browser -- --notebook-run`. */
export async function benchNotebookRun(text: string, steps: number): Promise<NotebookRunFigures> {
  const gpu = await requestGpu(navigator.gpu, 'start Chromium with --enable-unsafe-webgpu');
  try {
    return await notebookRun(gpuEngine(gpu, `WebGPU in headless Chromium on ${gpu.adapter.summary}`, false), text, steps);
  } finally {
    gpu.device.destroy();
  }
}
