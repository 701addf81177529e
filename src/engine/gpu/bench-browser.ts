/**
 * The WebGPU engine's benchmark inside a browser page (loaded by src/cli/bench-browser.ts
 * through Vite's dev server and driven by Playwright).
 */
import { requestGpu } from '../../gpu/device.ts';
import { buildParamTable, initParams } from '../../model/params.ts';
import { NOTEBOOK_TRAIN } from '../../model/config.ts';
import { Rng } from '../../model/rng.ts';
import { GpuTrainer } from './trainer.ts';
import type { RecurrenceChoice } from './recurrence.ts';
import { benchTrainer, type BenchConfig, type BenchFigures } from '../bench.ts';

export interface BrowserBenchCase extends BenchConfig {
  vocab: number;
  warmup: number;
  steps: number;
  /** Whether it also runs on a software adapter (SwiftShader: a few seconds a step at most; bigger cases take minutes). */
  software: boolean;
  /** `per-timestep` forces the per-timestep recurrent kernels (to compare); default auto. */
  recurrence?: RecurrenceChoice;
}

export async function runBrowserBench(
  cases: BrowserBenchCase[],
): Promise<{ adapter: string; results: (BenchFigures & { name: string })[]; skipped: string[] }> {
  const gpu = await requestGpu(navigator.gpu, 'start Chromium with --enable-unsafe-webgpu');
  const software = /swiftshader|llvmpipe|lavapipe/i.test(gpu.adapter.summary);
  const results: (BenchFigures & { name: string })[] = [];
  const skipped: string[] = [];
  for (const c of cases) {
    if (software && !c.software) {
      skipped.push(c.name);
      continue;
    }
    const table = buildParamTable({ vocabSize: c.vocab, embedSize: c.embed, hiddenSize: c.hidden, layers: c.layers });
    const rng = new Rng(1);
    const data = Int32Array.from({ length: Math.max(10_000, c.batch * c.seqLen * 4 + 1) }, () => rng.int(c.vocab));
    const trainer = await GpuTrainer.create(
      gpu,
      table,
      { ...NOTEBOOK_TRAIN, batch: c.batch, seqLen: c.seqLen, schedule: c.schedule },
      data,
      { params: initParams(table, new Rng(2)) },
      { recurrence: c.recurrence ?? 'auto' },
    );
    results.push({ name: c.name, ...(await benchTrainer(trainer, { warmup: c.warmup, steps: c.steps, sampleLength: 100, rows: 3 })) });
    trainer.destroy();
  }
  gpu.device.destroy();
  return { adapter: gpu.adapter.summary, results, skipped };
}
