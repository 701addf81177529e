/**
 * The WebGPU engine's speed record on one device, the same in a browser page and in Node
 * on Dawn: for each configuration, timed training steps (median and spread), the first
 * step (pipeline compilation included), dispatches, achieved GFLOP/s from the exact FLOP
 * count, the GPU memory its buffers take, sampling speed; optionally a per-kernel profile
 * and the raw GEMM throughput of the project's matmul kernel at the step's shapes.
 * Figures only: nothing here asserts a speed.
 *
 * Legend: V vocab, E embed, H hidden, L layers, B streams, T BPTT length, N = T·B.
 */
import type { GpuContext } from '../../gpu/device.ts';
import { timeSubmission, type Dispatch, type Kernels } from '../../gpu/kernels.ts';
import { storageBuffer } from '../../gpu/buffers.ts';
import { buildParamTable, initParams } from '../../model/params.ts';
import { NOTEBOOK_TRAIN } from '../../model/config.ts';
import { Rng } from '../../model/rng.ts';
import { dispatchBudget } from '../contract.ts';
import {
  BENCH_CONFIGS,
  flopsByKernel,
  kernelKind,
  kindFlops,
  spread,
  stepFlops,
  totalFlops,
  type BenchConfig,
  type GemmShape,
  type Spread,
  type StepShape,
} from '../bench.ts';
import { GpuTrainer } from './trainer.ts';
import type { RecurrenceChoice } from './recurrence.ts';

export interface GpuBenchCase extends BenchConfig {
  vocab: number;
  warmup: number;
  steps: number;
  /** Whether it runs on a software adapter too. */
  software: boolean;
  /** `per-timestep` forces the per-timestep recurrent kernels (to compare); default auto. */
  recurrence?: RecurrenceChoice;
}

export interface GpuBenchOptions {
  /** Per-kernel GPU times (timestamp queries where the device has them, else one submit per dispatch). */
  profile: boolean;
  /** The matmul kernel alone at the step's GEMM shapes. */
  gemm: boolean;
  /** Characters generated per temperature. */
  sampleLength: number;
  temperatures: number[];
}

interface KernelTime {
  kernel: string;
  /** Dispatches of this kind in one step. */
  dispatches: number;
  /** GPU time of one step's dispatches of this kind (median over the profiled steps). */
  ms: number;
  /** FLOPs of this kind in one step (null: a kind the FLOP count does not name). */
  flops: number | null;
}

export interface StepProfile {
  /** `timestamp-query`: GPU timestamps around each dispatch; `submit-wait`: wall time of a submit and onSubmittedWorkDone per dispatch (includes the round trip). */
  method: 'timestamp-query' | 'submit-wait';
  steps: number;
  kernels: KernelTime[];
}

interface GemmThroughput {
  /** FLOP/s of the matmul kernel over the step's whole-window GEMMs, each at its own shape (the recurrent products left out). */
  flopsPerSecond: number;
  /** Time those GEMMs take at their shapes. */
  msPerStep: number;
  /** Their FLOPs. */
  gemmFlops: number;
}

export interface GpuCaseResult {
  name: string;
  shape: string;
  recurrence: string;
  dispatchesPerStep: number;
  budget: number;
  stepMs: Spread;
  charsPerSecond: Spread;
  /** Building the trainer and its first step, read back: pipeline compilation included. */
  firstStepMs: number;
  flopsPerStep: number;
  /** Bytes of the GPU buffers the trainer and model created (live after the timed steps). */
  memoryBytes: number;
  /** Characters per second of each row (temperature) of the generation: the figure a user waiting for one text sees. */
  sampleRowCharsPerSecond: number;
  /** All rows together (rows × length over the generation's time). */
  sampleCharsPerSecond: number;
  sample: string;
  profile?: StepProfile;
  gemm?: GemmThroughput;
}

export interface GpuBenchReport {
  adapter: string;
  software: boolean;
  /** Whether the device was given `timestamp-query`. */
  timestamps: boolean;
  results: GpuCaseResult[];
  skipped: { name: string; shape: string; flopsPerStep: number }[];
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe/i;

/** "E32 H128 L1 B32 T64 V75". */
function describeCase(c: Pick<GpuBenchCase, 'embed' | 'hidden' | 'layers' | 'batch' | 'seqLen' | 'vocab'>): string {
  return `E${c.embed} H${c.hidden} L${c.layers} B${c.batch} T${c.seqLen} V${c.vocab}`;
}

function shapeOf(c: GpuBenchCase): StepShape {
  return { vocab: c.vocab, embed: c.embed, hidden: c.hidden, layers: c.layers, batch: c.batch, seqLen: c.seqLen };
}

/**
 * Counts the bytes of the buffers a device creates from now until `stop()` (destroyed ones
 * leave the count): the bench's cheap view of what a trainer allocates, whatever kernels run.
 */
function trackBuffers(device: GPUDevice): { bytes: () => number; stop: () => void } {
  const live = new Set<GPUBuffer>();
  const create = device.createBuffer;
  device.createBuffer = function (this: GPUDevice, d: GPUBufferDescriptor): GPUBuffer {
    const b = create.call(this, d);
    const destroy = b.destroy;
    live.add(b);
    b.destroy = function (this: GPUBuffer) {
      live.delete(b);
      return destroy.call(this);
    };
    return b;
  };
  return {
    bytes: () => [...live].reduce((s, b) => s + b.size, 0),
    stop: () => {
      device.createBuffer = create;
    },
  };
}

export async function runGpuBench(gpu: GpuContext, cases: GpuBenchCase[], o: GpuBenchOptions, log: (s: string) => void = () => {}): Promise<GpuBenchReport> {
  const software = SOFTWARE.test(gpu.adapter.summary);
  const timestamps = gpu.device.features.has('timestamp-query');
  const results: GpuCaseResult[] = [];
  const skipped: GpuBenchReport['skipped'] = [];
  for (const c of cases) {
    if (software && !c.software) {
      skipped.push({ name: c.name, shape: describeCase(c), flopsPerStep: totalFlops(stepFlops(shapeOf(c))) });
      continue;
    }
    log(`${c.name}: ${describeCase(c)}`);
    results.push(await benchCase(gpu, c, o, timestamps, log));
  }
  return { adapter: gpu.adapter.summary, software, timestamps, results, skipped };
}

async function benchCase(gpu: GpuContext, c: GpuBenchCase, o: GpuBenchOptions, timestamps: boolean, log: (s: string) => void): Promise<GpuCaseResult> {
  const device = gpu.device;
  const table = buildParamTable({ vocabSize: c.vocab, embedSize: c.embed, hiddenSize: c.hidden, layers: c.layers });
  const rng = new Rng(1);
  const data = Int32Array.from({ length: Math.max(10_000, c.batch * c.seqLen * 4 + 1) }, () => rng.int(c.vocab));
  const params = initParams(table, new Rng(2));
  const terms = stepFlops(shapeOf(c));
  const flopsPerStep = totalFlops(terms);
  const memory = trackBuffers(device);
  let trainer: GpuTrainer;
  const t0 = performance.now();
  try {
    trainer = await GpuTrainer.create(
      gpu,
      table,
      { ...NOTEBOOK_TRAIN, batch: c.batch, seqLen: c.seqLen, schedule: c.schedule },
      data,
      { params },
      { recurrence: c.recurrence ?? 'auto' },
    );
  } finally {
    memory.stop();
  }
  for (const line of trainer.calibration) log(`${c.name}: calibration ${line}`);
  log(`${c.name}: weight gradients ${trainer.splitK.map((s) => (s ? 'split over K' : 'one pass')).join(', ')} (dW_out, then each layer)`);
  try {
    await trainer.trainStep();
    await trainer.flush();
    const firstStepMs = performance.now() - t0;
    for (let i = 1; i < c.warmup; i++) await trainer.trainStep();
    await trainer.flush();
    const times: number[] = [];
    for (let i = 0; i < c.steps; i++) {
      const s0 = performance.now();
      await trainer.trainStep();
      await trainer.flush();
      times.push(performance.now() - s0);
    }
    const memoryBytes = memory.bytes();
    log(`${c.name}: ${c.steps} steps timed`);
    const chars = c.batch * c.seqLen;
    const rows = o.temperatures.map((temperature) => ({ temperature, topK: 0, topP: 1 }));
    await trainer.model.sample({ prime: Int32Array.from([0]), length: 8, rows, seed: 1 }); // builds the sampler
    const s0 = performance.now();
    const sampled = await trainer.model.sample({ prime: Int32Array.from([0]), length: o.sampleLength, rows, seed: 1 });
    const sampleS = (performance.now() - s0) / 1000;
    const result: GpuCaseResult = {
      name: c.name,
      shape: describeCase(c),
      recurrence: trainer.recurrence.summary,
      dispatchesPerStep: trainer.dispatchesPerStep,
      budget: dispatchBudget(c.layers),
      stepMs: spread(times),
      charsPerSecond: spread(times.map((ms) => (chars * 1000) / ms)),
      firstStepMs,
      flopsPerStep,
      memoryBytes,
      sampleRowCharsPerSecond: o.sampleLength / sampleS,
      sampleCharsPerSecond: (o.sampleLength * rows.length) / sampleS,
      sample: `${sampled[0].length} characters × ${rows.length} temperatures (${o.temperatures.join(', ')})`,
    };
    if (o.profile) {
      result.profile = await profileStep(device, trainer.stepDispatches, timestamps, flopsByKernel(terms), c.software ? 2 : 5);
      log(`${c.name}: profiled (${result.profile.method})`);
    }
    if (o.gemm) {
      result.gemm = await gemmThroughput(trainer.model.kernels, terms);
      log(`${c.name}: GEMM throughput measured`);
    }
    return result;
  } finally {
    trainer.destroy();
  }
}

/**
 * GPU time per kernel kind of one step's dispatches, run `reps` times after a real step
 * (the same buffers, so the same work). With timestamp-query every dispatch gets its own
 * compute pass with timestamps at its start and end, all in one submission; without it,
 * each dispatch is its own submission, timed on the CPU to onSubmittedWorkDone.
 */
async function profileStep(
  device: GPUDevice,
  dispatches: readonly Dispatch[],
  timestamps: boolean,
  flops: Map<string, number>,
  reps: number,
): Promise<StepProfile> {
  const n = dispatches.length;
  const perRep: Float64Array[] = [];
  if (timestamps) {
    const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * n });
    const resolve = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      for (let r = 0; r < reps; r++) {
        const enc = device.createCommandEncoder({ label: 'profile step' });
        dispatches.forEach((d, i) => {
          const pass = enc.beginComputePass({
            label: d.label,
            timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
          });
          pass.setPipeline(d.pipeline);
          pass.setBindGroup(0, d.bindGroup);
          pass.dispatchWorkgroups(...d.workgroups);
          pass.end();
        });
        enc.resolveQuerySet(querySet, 0, 2 * n, resolve, 0);
        enc.copyBufferToBuffer(resolve, 0, read, 0, 16 * n);
        device.queue.submit([enc.finish()]);
        await read.mapAsync(GPUMapMode.READ);
        const t = new BigInt64Array(read.getMappedRange());
        perRep.push(Float64Array.from({ length: n }, (_, i) => Math.max(0, Number(t[2 * i + 1] - t[2 * i])) / 1e6));
        read.unmap();
      }
    } finally {
      querySet.destroy();
      resolve.destroy();
      read.destroy();
    }
  } else {
    for (let r = 0; r < reps; r++) {
      const ms = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const d = dispatches[i];
        const enc = device.createCommandEncoder({ label: `profile ${d.label}` });
        const pass = enc.beginComputePass({ label: d.label });
        pass.setPipeline(d.pipeline);
        pass.setBindGroup(0, d.bindGroup);
        pass.dispatchWorkgroups(...d.workgroups);
        pass.end();
        const t0 = performance.now();
        device.queue.submit([enc.finish()]);
        await device.queue.onSubmittedWorkDone();
        ms[i] = performance.now() - t0;
      }
      perRep.push(ms);
    }
  }
  const byKind = new Map<string, KernelTime>();
  dispatches.forEach((d, i) => {
    const kind = kernelKind(d.label);
    const k = byKind.get(kind) ?? { kernel: kind, dispatches: 0, ms: 0, flops: kindFlops(kind, flops) };
    k.dispatches++;
    k.ms += spread(perRep.map((r) => r[i])).median;
    byKind.set(kind, k);
  });
  return { method: timestamps ? 'timestamp-query' : 'submit-wait', steps: reps, kernels: [...byKind.values()].sort((a, b) => b.ms - a.ms) };
}

/**
 * The project's matmul kernel alone (as the model's Kernels choose it for this adapter)
 * at each whole-window GEMM shape of the step (the
 * input projections, the head, the weight and input gradients; scratch buffers, small
 * random values). The recurrent products — T small GEMMs in a chain, inside the recurrent
 * kernels — are left out: one dispatch each would measure dispatch overhead, not GEMM
 * speed. Each shape: a warm-up dispatch, then enough dispatches in one pass to take about
 * 100 ms (at least 3), timed to onSubmittedWorkDone. The throughput is those GEMMs' FLOPs
 * over the time they take.
 */
async function gemmThroughput(k: Kernels, terms: ReturnType<typeof stepFlops>): Promise<GemmThroughput> {
  const device = k.device;
  const gemms = terms.filter((t) => t.gemm && t.gemm.count === 1);
  const size = (f: (g: GemmShape) => number) => Math.max(...gemms.map((t) => f(t.gemm!)));
  const rng = new Rng(3);
  const fill = (floats: number) => Float32Array.from({ length: floats }, () => rng.uniform() - 0.5);
  const a = storageBuffer(
    device,
    'gemm bench A',
    size((g) => g.m * g.k),
    fill(size((g) => g.m * g.k)),
  );
  const b = storageBuffer(
    device,
    'gemm bench B',
    size((g) => g.k * g.n),
    fill(size((g) => g.k * g.n)),
  );
  const c = storageBuffer(
    device,
    'gemm bench C',
    size((g) => g.m * g.n),
  );
  const made: Dispatch[] = [];
  let ms = 0;
  let gemmFlops = 0;
  try {
    const timed = new Map<string, number>();
    for (const t of gemms) {
      const g = t.gemm!;
      const key = `${g.m}x${g.n}x${g.k}:${g.transA}:${g.transB}`;
      let per = timed.get(key);
      if (per === undefined) {
        const d = k.matmul({ label: `gemm ${key}`, m: g.m, n: g.n, k: g.k, transA: g.transA, transB: g.transB, a, aOff: 0, b, bOff: 0, c, cOff: 0 });
        made.push(d);
        const run = (times: number) => timeSubmission(device, [d], times, `gemm bench ${key}`);
        const once = await run(1);
        const reps = Math.max(3, Math.min(500, Math.ceil(100 / Math.max(once, 0.01))));
        per = (await run(reps)) / reps;
        timed.set(key, per);
      }
      ms += per;
      gemmFlops += t.flops;
    }
  } finally {
    for (const d of made) d.uniform.destroy();
    a.destroy();
    b.destroy();
    c.destroy();
  }
  return { flopsPerSecond: gemmFlops / (ms / 1000), msPerStep: ms, gemmFlops };
}

/**
 * The benchmark cases of BENCH_CONFIGS with their vocabularies (the notebook passage's 38
 * characters, Pride and Prejudice's 75) and step counts: `quick` for a first look.
 */
export function gpuBenchCases(quick: boolean): GpuBenchCase[] {
  const steps: Record<string, [number, number]> = { notebook: [20, 5], small: [5, 2], medium: [20, 3], large: [20, 3] };
  return BENCH_CONFIGS.map((c) => {
    const [full, short] = steps[c.name] ?? [10, 2];
    return { ...c, vocab: c.name === 'notebook' ? 38 : 75, warmup: 2, steps: quick ? short : full };
  });
}
