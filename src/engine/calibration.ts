/**
 * How fast each engine trains on this machine, predicted before a step has run: a short
 * calibration measures each engine's pace, and the exact FLOP count (stepFlops) and the
 * synchronisation count (dispatchBudget) of a step with the chosen settings turn it into
 * milliseconds per step. The page picks its engine from these predictions and says how long
 * a run will take before Train (src/ui/engine-choice.ts, src/ui/progress-line.ts).
 *
 * - CPU engine: real training steps of the model itself (its E, H and L; a B 1 × T ≤ 8
 *   window, a few to tens of millions of FLOPs; over 2 million parameters, a smaller H) on the
 *   engine given (on the page, a Worker of its own), so that the rate includes what plain
 *   float64 loops over weights of that size cost here; their FLOPs over their time give the
 *   rate. Its time is then FLOPs / rate.
 * - WebGPU engine: the project's matmul kernel (the tiled GEMM that does most of a step's
 *   FLOPs) on one 256 × 512 × 128 product, and the cost of a synchronisation from 16 tiny
 *   dispatches of the same pipeline in one pass. A step's time is then FLOPs / rate + syncs ·
 *   cost, where every dispatch and every recurrent timestep (whose workgroups wait at
 *   barriers) counts as one: dispatchBudget(T, L, persistent = false). On a software adapter
 *   (SwiftShader) the sync term is what makes a small model slow there; on a real GPU both
 *   terms are small.
 *
 * The predictions are rough: they leave out the GPU's pipeline compilation (its first step) and
 * the load of a shared machine moves them by tens of per cent; BENCHMARKS.md sets them beside
 * measured steps. Once steps run, the measured pace replaces them (src/ui/progress-line.ts).
 *
 * Legend: V vocab, E embed, H hidden, L layers, B streams, T BPTT length.
 */
import type { GpuContext } from '../gpu/device.ts';
import { storageBuffer } from '../gpu/buffers.ts';
import { Kernels, timeSubmission, type Dispatch } from '../gpu/kernels.ts';
import { buildParamTable, initParams } from '../model/params.ts';
import { NOTEBOOK_TRAIN } from '../model/config.ts';
import { Rng } from '../model/rng.ts';
import { dispatchBudget, type Engine, type EngineKind } from './contract.ts';
import { paramCount, stepFlops, totalFlops, type StepShape } from './bench.ts';

/** What a calibration measured of one engine here. */
export interface EnginePace {
  kind: EngineKind;
  /** Arithmetic rate, FLOPs per ms. */
  flopsPerMs: number;
  /** Cost of one synchronisation point (a dispatch, a recurrent timestep), ms; 0 on the CPU. */
  syncMs: number;
  /** How long the calibration took, ms (for the record and the tests). */
  tookMs: number;
}

/** Timesteps of the CPU calibration's window (B 1): enough steps that the time is arithmetic, not call overhead. */
const CPU_CALIBRATION_T = 8;
/** The CPU calibration times steps for about this long (at least two)… */
const CPU_CALIBRATION_MS = 150;
/** …and at most this many. */
const CPU_CALIBRATION_MAX_STEPS = 16;
/** The largest model the CPU calibration trains (the novel preset has 0.9 million parameters: ~0.1 s a calibration step). */
const CPU_CALIBRATION_PARAMETERS = 2_000_000;
/** The GPU calibration's GEMM, (m, n, k) with Bᵀ: the shape of an input projection (N, 4H, I) at N 256, H 128, I 128. */
const GPU_CALIBRATION_GEMM = { m: 256, n: 512, k: 128 };
/** The GPU calibration times its GEMM for about this long (at least two runs)… */
const GPU_CALIBRATION_MS = 300;
/** …and at most this many runs. */
const GPU_CALIBRATION_MAX_RUNS = 8;
/** Dispatches of the tiny GEMM timed together for the cost of a synchronisation. */
const GPU_SYNC_DISPATCHES = 16;

/**
 * Synchronisation points of a GPU step: every dispatch (at most the budget, 8·L + 16) and
 * every recurrent timestep, forward and backward (a persistent kernel's workgroup barriers
 * there cost like dispatches on a software adapter).
 */
export function stepSyncs(s: Pick<StepShape, 'seqLen' | 'layers'>): number {
  return 2 * s.seqLen * s.layers + dispatchBudget(s.layers);
}

/** Predicted ms per training step of shape `s` on the engine whose pace this is. */
export function predictStepMs(pace: Pick<EnginePace, 'kind' | 'flopsPerMs' | 'syncMs'>, s: StepShape): number {
  const flops = totalFlops(stepFlops(s));
  return flops / pace.flopsPerMs + (pace.kind === 'gpu' ? stepSyncs(s) * pace.syncMs : 0);
}

/**
 * The model and window the CPU calibration trains for a model of shape `s`: the same model on
 * B 1 × T ≤ 8; a model of more than CPU_CALIBRATION_PARAMETERS parameters with its hidden size
 * halved until it fits (its rate then stands for the larger one's, which is no faster: the
 * CPU engine is chosen for small models, and a large one's calibration would take seconds).
 */
export function cpuCalibrationShape(s: StepShape): StepShape {
  let hidden = s.hidden;
  while (hidden > 1 && paramCount({ ...s, hidden }) > CPU_CALIBRATION_PARAMETERS) hidden = Math.ceil(hidden / 2);
  return { ...s, hidden, batch: 1, seqLen: Math.min(s.seqLen, CPU_CALIBRATION_T) };
}

/**
 * The CPU engine's pace for a model of shape `s`: a trainer of the same model on a B 1 × T ≤ 8
 * window of random tokens, one step to warm up, then the fastest of 2–16 timed steps (~150 ms).
 */
export async function measureCpuPace(engine: Engine, s: StepShape): Promise<EnginePace> {
  if (engine.kind !== 'cpu') throw new Error(`measureCpuPace needs the CPU engine, got ${engine.kind}`);
  const t0 = performance.now();
  const c = cpuCalibrationShape(s);
  const table = buildParamTable({ vocabSize: c.vocab, embedSize: c.embed, hiddenSize: c.hidden, layers: c.layers });
  const rng = new Rng(1);
  const data = Int32Array.from({ length: 4 * c.seqLen + 2 }, () => rng.int(c.vocab));
  const trainer = await engine.trainer(table, { ...NOTEBOOK_TRAIN, batch: 1, seqLen: c.seqLen, schedule: 'windows' }, data, {
    params: initParams(table, new Rng(2)),
  });
  try {
    await trainer.trainStep();
    // The fastest of the timed steps: a fresh Worker's first steps run before the JIT has
    // optimised the loops, and a shared machine's other work lands on some steps. A small
    // model's steps take milliseconds: more of them, up to CPU_CALIBRATION_MS in all.
    let best = Infinity;
    const s0 = performance.now();
    for (let i = 0; i < CPU_CALIBRATION_MAX_STEPS && (i < 2 || performance.now() - s0 < CPU_CALIBRATION_MS); i++) {
      const t = performance.now();
      await trainer.trainStep();
      best = Math.min(best, performance.now() - t);
    }
    return { kind: 'cpu', flopsPerMs: totalFlops(stepFlops(c)) / Math.max(best, 0.01), syncMs: 0, tookMs: performance.now() - t0 };
  } finally {
    trainer.destroy();
  }
}

/** Wall time of `d` encoded `times` times in one pass, submitted and waited for. */
function timeDispatches(device: GPUDevice, d: Dispatch, times: number): Promise<number> {
  return timeSubmission(device, [d], times, 'calibration');
}

/**
 * The WebGPU engine's pace on `gpu`: the matmul kernel's rate on one input-projection-shaped
 * GEMM (a first run compiles its pipeline; then the fastest of 2–8 runs, ~300 ms), and the cost
 * of a synchronisation from 16 tiny dispatches of the same pipeline (the fastest of three).
 */
export async function measureGpuPace(gpu: GpuContext): Promise<EnginePace> {
  const t0 = performance.now();
  const device = gpu.device;
  const kernels = new Kernels(device);
  const { m, n, k } = GPU_CALIBRATION_GEMM;
  const rng = new Rng(3);
  const fill = (floats: number) => Float32Array.from({ length: floats }, () => rng.uniform() - 0.5);
  const a = storageBuffer(device, 'calibration A (m, k)', m * k, fill(m * k));
  const b = storageBuffer(device, 'calibration B (n, k)', n * k, fill(n * k));
  const c = storageBuffer(device, 'calibration C (m, n)', m * n);
  const made: Dispatch[] = [];
  try {
    const gemm = kernels.matmul({ label: 'calibration GEMM', m, n, k, transA: false, transB: true, a, aOff: 0, b, bOff: 0, c, cOff: 0 });
    // 64 × 64 × 4: one workgroup of the same pipeline (the tile and vector widths match), almost no arithmetic.
    const tiny = kernels.matmul({ label: 'calibration sync', m: 64, n: 64, k: 4, transA: false, transB: true, a, aOff: 0, b, bOff: 0, c, cOff: 0 });
    made.push(gemm, tiny);
    await timeDispatches(device, gemm, 1); // compiles
    // The fastest of the runs: the page's other work at start (a text encoded, a model built) lands on some.
    let gemmMs = Infinity;
    const g0 = performance.now();
    for (let i = 0; i < GPU_CALIBRATION_MAX_RUNS && (i < 2 || performance.now() - g0 < GPU_CALIBRATION_MS); i++) {
      gemmMs = Math.min(gemmMs, await timeDispatches(device, gemm, 1));
    }
    let syncMs = Infinity;
    for (let i = 0; i < 3; i++) syncMs = Math.min(syncMs, (await timeDispatches(device, tiny, GPU_SYNC_DISPATCHES)) / GPU_SYNC_DISPATCHES);
    const flopsPerMs = (2 * m * n * k) / Math.max(gemmMs - syncMs, 0.001);
    return { kind: 'gpu', flopsPerMs, syncMs, tookMs: performance.now() - t0 };
  } finally {
    for (const d of made) d.uniform.destroy();
    a.destroy();
    b.destroy();
    c.destroy();
  }
}
