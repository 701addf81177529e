/**
 * What keeping the training state off the GPU costs a run (`npm run bench:browser`): the
 * notebook's run on the WebGPU engine with its snapshots kept as the page keeps them
 * (every N steps, N chosen for a 1% budget), against the same run with none. And the
 * notebook run itself as a check of what the model learns (`--notebook-run`).
 */
import { requestGpu } from '../gpu/device.ts';
import { gpuEngine } from '../engine/gpu/engine.ts';
import { TrainingRun, prepareRun } from './run.ts';
import { NOTEBOOK_SETTINGS, copySettings } from './settings.ts';
import { notebookRun, type NotebookRunFigures } from './notebook-run.ts';

export interface SnapshotFigures {
  adapter: string;
  steps: number;
  snapshots: number;
  msPerSnapshot: number;
  every: number;
  /** Wall time of the run, ms: with snapshots kept, and with none after the first. */
  withMs: number;
  withoutMs: number;
  /** The snapshots' own time as a share of the run's. */
  share: number;
}

export async function benchSnapshots(text: string, steps: number): Promise<SnapshotFigures> {
  const gpu = await requestGpu(navigator.gpu, 'start Chromium with --enable-unsafe-webgpu');
  const engine = gpuEngine(gpu, gpu.adapter.summary, false);
  const settings = copySettings(NOTEBOOK_SETTINGS);
  settings.sampleEvery = 0;
  settings.valEvery = 0;
  const time = async (keep: boolean) => {
    const run = await TrainingRun.open(prepareRun({ corpus: { name: 'notebook', text }, settings, naming: 'label' }), engine);
    if (!keep) run.snapshotEvery = Number.MAX_SAFE_INTEGER;
    await run.start(3); // warm-up: pipelines built, first reads done
    const t0 = performance.now();
    const cost0 = { ...run.snapshotCost };
    await run.start(3 + steps);
    const ms = performance.now() - t0;
    const cost = { ms: run.snapshotCost.ms - cost0.ms, count: run.snapshotCost.count - cost0.count };
    const every = run.snapshotEvery;
    await run.destroy();
    return { ms, cost, every };
  };
  const without = await time(false);
  const kept = await time(true);
  gpu.device.destroy();
  return {
    adapter: gpu.adapter.summary,
    steps,
    snapshots: kept.cost.count,
    msPerSnapshot: kept.cost.count ? kept.cost.ms / kept.cost.count : 0,
    every: kept.every,
    withMs: kept.ms,
    withoutMs: without.ms,
    share: kept.cost.ms / kept.ms,
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
