import { describe, expect, it } from 'vitest';
import { testGpu } from '../../gpu/testing.ts';
import { buildParamTable } from '../../model/params.ts';
import { runGpuBench, type GpuBenchCase } from './bench-gpu.ts';
import { PARITY_CASES, formatParity, runParityCase } from './parity-check.ts';

// What the bench reports, on a tiny case: every field filled, the profile covering each
// dispatch of the step. No speed is asserted (speed is `npm run bench`'s business).
const tiny: GpuBenchCase = {
  name: 'tiny',
  vocab: 11,
  embed: 4,
  hidden: 8,
  layers: 2,
  batch: 3,
  seqLen: 5,
  schedule: 'streams',
  warmup: 1,
  steps: 2,
  software: true,
};

describe('runGpuBench', () => {
  it('reports a case: spread over the timed steps, FLOPs, memory, sampling, a profile of every dispatch and GEMM throughput', async () => {
    const gpu = await testGpu();
    const r = await runGpuBench(gpu, [tiny, { ...tiny, name: 'big', software: false }], { profile: true, gemm: true, sampleLength: 7, temperatures: [0.5, 1] });
    expect(r.adapter).toBe(gpu.adapter.summary);
    const c = r.results[0];
    expect(c.name).toBe('tiny');
    expect(c.shape).toBe('E4 H8 L2 B3 T5 V11');
    expect(c.stepMs.n).toBe(2);
    expect(c.charsPerSecond.median).toBeGreaterThan(0);
    expect(c.firstStepMs).toBeGreaterThan(0);
    expect(c.dispatchesPerStep).toBeLessThanOrEqual(c.budget);
    expect(c.flopsPerStep).toBeGreaterThan(0);
    const P = buildParamTable({ vocabSize: 11, embedSize: 4, hiddenSize: 8, layers: 2 }).totalSize;
    expect(c.memoryBytes).toBeGreaterThanOrEqual(4 * 4 * P); // parameters, gradients, Adam m and v at least
    expect(c.sample).toBe('7 characters × 2 temperatures (0.5, 1)');
    expect(c.sampleCharsPerSecond).toBeGreaterThan(0);
    expect(c.sampleRowCharsPerSecond).toBeCloseTo(c.sampleCharsPerSecond / 2, 6); // two rows in one generation
    // The test device has no timestamp-query: the fallback, and it says so.
    expect(r.timestamps).toBe(false);
    const p = c.profile!;
    expect(p.method).toBe('submit-wait');
    expect(p.kernels.reduce((s, k) => s + k.dispatches, 0)).toBe(c.dispatchesPerStep);
    expect(p.kernels.map((k) => k.ms)).toEqual([...p.kernels.map((k) => k.ms)].sort((a, b) => b - a));
    // Every kernel kind that computes has its FLOPs (transposes and the embedding gather count none).
    for (const k of p.kernels) {
      if (/ᵀ|embedding_forward/.test(k.kernel)) expect(k.flops, k.kernel).toBeNull();
      else expect(k.flops, k.kernel).toBeGreaterThan(0);
    }
    expect(c.gemm!.flopsPerSecond).toBeGreaterThan(0);
    // On a software adapter a case not marked for it is skipped, with its FLOPs for the estimate.
    if (r.software) expect(r.skipped).toEqual([{ name: 'big', shape: 'E4 H8 L2 B3 T5 V11', flopsPerStep: c.flopsPerStep }]);
    else expect(r.results.map((x) => x.name)).toEqual(['tiny', 'big']);
  });
});

describe('the parity check run before real-GPU figures (bench --parity)', () => {
  // One case here: the rest are the whole-step tests of trainer.gpu.test.ts (same sizes, same
  // tolerance), which this suite runs already; this checks the check's own plumbing.
  it('agrees with the float64 reference on this device within the tests’ tolerance', async () => {
    const gpu = await testGpu();
    const c = PARITY_CASES.find((p) => p.kind === 'adam' && p.options.recurrence === undefined)!;
    const o = await runParityCase(gpu, c);
    expect(o.comparisons.map((x) => x.what)).toEqual(['losses of steps 1, 2, 3, 4, 5', 'parameters after 5 steps', 'carried h']);
    expect(o.comparisons.map((x) => x.failure)).toEqual([null, null, null]);
    expect(Math.max(...o.comparisons.map((x) => x.worst))).toBeLessThanOrEqual(1);
    expect(o.ok).toBe(true);
    expect(formatParity([o]).at(-1)).toMatch(/^parity: all 1 cases agree/);
  });
});
