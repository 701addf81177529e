import { describe, expect, it } from 'vitest';
import { cpuEngine } from './cpu.ts';
import { stepFlops, totalFlops, type StepShape } from './bench.ts';
import { cpuCalibrationShape, measureCpuPace, predictStepMs, stepSyncs } from './calibration.ts';

const NOTEBOOK: StepShape = { vocab: 38, embed: 32, hidden: 128, layers: 1, batch: 1, seqLen: 40 };
const NOVEL: StepShape = { vocab: 75, embed: 64, hidden: 256, layers: 2, batch: 32, seqLen: 64 };

describe('predictStepMs', () => {
  it('CPU: the exact FLOPs at the measured rate', () => {
    const flops = totalFlops(stepFlops(NOVEL));
    expect(predictStepMs({ kind: 'cpu', flopsPerMs: 5e5, syncMs: 9 }, NOVEL)).toBeCloseTo(flops / 5e5, 6);
  });

  it('WebGPU: the FLOPs at the rate, plus a sync per dispatch and per recurrent timestep', () => {
    // The per-timestep budget: 2·T·L + 8·L + 16 = 2·40 + 8 + 16 for the notebook, 2·64·2 + 16 + 16 for the novel preset.
    expect(stepSyncs(NOTEBOOK)).toBe(104);
    expect(stepSyncs(NOVEL)).toBe(288);
    const flops = totalFlops(stepFlops(NOTEBOOK));
    expect(predictStepMs({ kind: 'gpu', flopsPerMs: 8e5, syncMs: 0.75 }, NOTEBOOK)).toBeCloseTo(flops / 8e5 + 104 * 0.75, 6);
  });

  it('on the paces measured on the 2-core machine: the CPU for the notebook, WebGPU for the novel preset', () => {
    // CPU: 0.73 GFLOP/s on the notebook model's window, 0.53 on the novel's; SwiftShader: 0.85 GFLOP/s, 0.75 ms a sync.
    const gpu = { kind: 'gpu' as const, flopsPerMs: 8.5e5, syncMs: 0.75 };
    expect(predictStepMs({ kind: 'cpu', flopsPerMs: 7.3e5, syncMs: 0 }, NOTEBOOK)).toBeLessThan(predictStepMs(gpu, NOTEBOOK));
    expect(predictStepMs({ kind: 'cpu', flopsPerMs: 5.3e5, syncMs: 0 }, NOVEL)).toBeGreaterThan(predictStepMs(gpu, NOVEL));
  });
});

describe('measureCpuPace', () => {
  it('trains the model itself on a B 1 × T ≤ 8 window and gives its rate', async () => {
    expect(cpuCalibrationShape(NOVEL)).toEqual({ ...NOVEL, batch: 1, seqLen: 8 });
    expect(cpuCalibrationShape({ ...NOTEBOOK, seqLen: 5 }).seqLen).toBe(5);
    // A model over 2 million parameters is measured with its hidden size halved until it fits: H 2048, L 4 → H 256.
    expect(cpuCalibrationShape({ ...NOVEL, hidden: 2048, layers: 4 })).toEqual({ ...NOVEL, hidden: 256, layers: 4, batch: 1, seqLen: 8 });
    const pace = await measureCpuPace(cpuEngine(), { ...NOTEBOOK, embed: 8, hidden: 16 });
    expect(pace.kind).toBe('cpu');
    expect(pace.syncMs).toBe(0);
    // Between 1 MFLOP/s and 1 TFLOP/s on any machine this runs on.
    expect(pace.flopsPerMs).toBeGreaterThan(1e3);
    expect(pace.flopsPerMs).toBeLessThan(1e9);
    expect(pace.tookMs).toBeGreaterThan(0);
  });

  it('refuses another engine', async () => {
    await expect(measureCpuPace({ ...cpuEngine(), kind: 'gpu' }, NOTEBOOK)).rejects.toThrow('measureCpuPace needs the CPU engine, got gpu');
  });
});
