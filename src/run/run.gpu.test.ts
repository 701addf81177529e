/**
 * The training run's numerics guard and device-loss move on the WebGPU engine (headless
 * Chromium; SwiftShader where there is no GPU): tiny models, a few dozen steps.
 */
import { describe, expect, it } from 'vitest';
import { requestGpu } from '../gpu/device.ts';
import { testGpu } from '../gpu/testing.ts';
import { NOTEBOOK_TRAIN } from '../model/config.ts';
import { copySnapshot } from '../model/training-state.ts';
import { gpuEngine } from '../engine/gpu/engine.ts';
import { NumericsError } from './numerics.ts';
import { TrainingRun, prepareRun } from './run.ts';
import type { RunSettings } from './settings.ts';

const settings = (lr: number): RunSettings => ({
  model: { embedSize: 4, hiddenSize: 8, layers: 1 },
  train: { ...NOTEBOOK_TRAIN, seqLen: 8, lr },
  steps: 30,
  sampleEvery: 0,
  valEvery: 0,
});
const corpus = { name: 'test', text: 'The quick brown fox jumps over the lazy dog; the cat sat on the mat. '.repeat(3) };

describe('the training run on the GPU engine', () => {
  it('lr 10: stopped where the loss diverged, back at the last good state bit for bit', async () => {
    const gpu = await testGpu();
    const run = await TrainingRun.open(prepareRun({ corpus, settings: settings(10), naming: 'label' }), gpuEngine(gpu, 'test', false));
    const start = copySnapshot(run.snapshot);
    const errors: Error[] = [];
    run.on('error', (e) => errors.push(e));
    await run.start();
    expect(errors[0]).toBeInstanceOf(NumericsError);
    const stop = (errors[0] as NumericsError).stop;
    expect(stop.restoredStep).toBeLessThanOrEqual(Math.max(0, stop.step - 2));
    expect(run.step).toBe(stop.restoredStep);
    if (stop.restoredStep === 0) expect(await run.trainer.snapshot()).toEqual(start);
    expect(await run.trainer.snapshot()).toEqual(run.snapshot);
    expect(run.history.length).toBe(stop.restoredStep);
    await run.destroy();
  });

  it('moved to a new device from its kept snapshot, it trains the same steps as a run that never moved', async () => {
    const gpu = await testGpu();
    const straight = await TrainingRun.open(prepareRun({ corpus, settings: settings(0.02), naming: 'label' }), gpuEngine(gpu, 'test', false));
    await straight.start();

    const other = await requestGpu(navigator.gpu);
    const run = await TrainingRun.open(prepareRun({ corpus, settings: settings(0.02), naming: 'label' }), gpuEngine(other, 'lost', false));
    run.snapshotEvery = 5;
    await run.start(18);
    const kept = run.snapshot.step;
    expect(kept).toBeGreaterThanOrEqual(5);
    expect(kept).toBeLessThanOrEqual(18);
    other.device.destroy();
    expect(await run.moveTo(gpuEngine(gpu, 'new', false))).toBe(kept);
    expect(run.step).toBe(kept);
    expect(run.history.length).toBe(kept);
    await run.start(30);
    expect(Array.from(run.history.steps.subarray(0, 30))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(Array.from(run.history.loss.subarray(0, 30))).toEqual(Array.from(straight.history.loss.subarray(0, 30)));
    await run.destroy();
    await straight.destroy();
  });

  it('a device lost after the run is done loses no step: the state it stopped at was kept (paused: e2e/numerics.spec.ts)', async () => {
    const gpu = await testGpu();
    const other = await requestGpu(navigator.gpu);
    const run = await TrainingRun.open(prepareRun({ corpus, settings: settings(0.02), naming: 'label' }), gpuEngine(other, 'lost', false));
    run.snapshotBudget = 1e-12; // none kept while training after step 8: only the one at the stop
    await run.start(12);
    const losses = Array.from(run.history.loss.subarray(0, 12));
    expect(run.status).toBe('done');
    expect(run.snapshot.step).toBe(12);
    other.device.destroy();
    expect(await run.moveTo(gpuEngine(gpu, 'new', false))).toBe(12);
    expect(run.step).toBe(12);
    expect(run.status).toBe('done');
    expect(Array.from(run.history.steps.subarray(0, run.history.length))).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(Array.from(run.history.loss.subarray(0, 12))).toEqual(losses);
    await run.destroy();
  });
});
