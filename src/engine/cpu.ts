/**
 * The CPU reference engine: the same contract as the WebGPU engine, computed by the
 * float64 reference in src/reference/. Slow (plain loops), exact, and available
 * everywhere: for small models, for machines without a usable GPU, and as the
 * yardstick the GPU engine is measured against. On the page it runs in a Worker
 * (cpu-worker.ts) so that a step never blocks the page.
 */
import type { ParamTable } from '../model/params.ts';
import type { TrainConfig } from '../model/config.ts';
import { modelForwardReference, trainStepReference, type AdamState } from '../reference/model.ts';
import { sampleReference } from '../reference/kernels.ts';
import type { TrainingSnapshot } from '../model/training-state.ts';
import type { Batcher } from '../text/batcher.ts';
import { cpuTrainerBytes } from './memory.ts';
import {
  checkLstmState,
  checkSampleRequest,
  describeSize,
  evaluationStreams,
  runStreams,
  samplingUniforms,
  trainingBatcher,
  type Engine,
  type HiddenStates,
  type LstmState,
  type Model,
  type SampleRequest,
  type StepResult,
  type Trainer,
  type TrainerStart,
} from './contract.ts';

/** Timesteps per reference forward call over a long text (bounds the cache's memory). */
const CHUNK = 256;

export class CpuModel implements Model {
  /** Float64 master copy; the GPU engine keeps f32. */
  readonly params: Float64Array;

  constructor(
    readonly table: ParamTable,
    initial: Float32Array | Float64Array,
  ) {
    if (initial.length !== table.totalSize) throw new Error(`parameters have ${initial.length} floats, the table needs ${table.totalSize}`);
    this.params = Float64Array.from(initial);
  }

  async readParams(): Promise<Float32Array> {
    return Float32Array.from(this.params);
  }

  /** One chunk of S streams through the reference, carrying (h, c) between calls; the first starts from `from` (S = 1) or zeros. */
  private chunkRunner(S: number, wantHidden: boolean, from?: LstmState) {
    const { hiddenSize: H, layers: L } = this.table.config;
    let h0: Float64Array[] = [];
    let c0: Float64Array[] = [];
    return async (tok: Int32Array, tgt: Int32Array, T: number, first: boolean) => {
      if (first) {
        h0 = Array.from({ length: L }, (_, l) => (from ? Float64Array.from(from.h[l]) : new Float64Array(S * H)));
        c0 = Array.from({ length: L }, (_, l) => (from ? Float64Array.from(from.c[l]) : new Float64Array(S * H)));
      }
      const { cache } = modelForwardReference(this.table, this.params, tok, tgt, T, S, h0, c0);
      h0 = cache.hs.map((x) => x.slice(T * S * H));
      c0 = cache.cs.map((x) => x.slice(T * S * H));
      return {
        losses: Float32Array.from(cache.losses),
        h: wantHidden ? cache.hs.map((x) => Float32Array.from(x.subarray(S * H))) : undefined, // slots 1..T
        c: wantHidden ? cache.cs.map((x) => Float32Array.from(x.subarray(S * H))) : undefined, // slots 1..T
        gates: wantHidden ? cache.gates.map((x) => Float32Array.from(x)) : undefined,
      };
    };
  }

  async evaluate(ids: Int32Array, streams = 1): Promise<Float32Array> {
    const layout = evaluationStreams(ids, streams);
    const { hiddenSize: H, layers: L } = this.table.config;
    return (await runStreams(layout, { H, L, chunk: CHUNK, wantHidden: false }, this.chunkRunner(layout.S, false))).losses;
  }

  async hiddenStates(ids: Int32Array, from?: LstmState): Promise<HiddenStates> {
    if (ids.length < 1) throw new Error('hidden states need at least one character');
    const { hiddenSize: H, layers: L } = this.table.config;
    if (from) checkLstmState(from, H, L);
    const layout = { inputs: ids, targets: new Int32Array(ids.length), S: 1, len: ids.length };
    const { h, c, gates } = await runStreams(layout, { H, L, chunk: CHUNK, wantHidden: true }, this.chunkRunner(1, true, from));
    return { h, c, gates };
  }

  /** The same algorithm and the same uniforms as the GPU sampler (uniforms rounded to f32). */
  async sample(req: SampleRequest, onProgress?: (rows: Int32Array[]) => void): Promise<Int32Array[]> {
    const { vocabSize: V, hiddenSize: H, layers: L } = this.table.config;
    checkSampleRequest(req, V);
    const P = req.prime.length;
    const R = req.rows.length;
    const steps = P - 1 + req.length;
    const rand = samplingUniforms(req.seed, steps * R);
    let h = Array.from({ length: L }, () => new Float64Array(R * H));
    let c = Array.from({ length: L }, () => new Float64Array(R * H));
    let input = new Int32Array(R).fill(req.prime[0]);
    const rows = Array.from({ length: R }, () => new Int32Array(req.length));
    for (let s = 0; s < steps; s++) {
      const { cache } = modelForwardReference(this.table, this.params, input, new Int32Array(R), 1, R, h, c);
      h = cache.hs.map((x) => x.slice(R * H));
      c = cache.cs.map((x) => x.slice(R * H));
      const next = new Int32Array(R);
      for (let r = 0; r < R; r++) {
        if (s + 1 < P) next[r] = req.prime[s + 1];
        else {
          next[r] = sampleReference(cache.logits.subarray(r * V, (r + 1) * V), V, req.rows[r], rand[s * R + r]);
          rows[r][s - (P - 1)] = next[r];
        }
      }
      input = next;
      if (s >= P - 1 && ((s - P + 2) % 32 === 0 || s === steps - 1)) onProgress?.(rows.map((x) => x.subarray(0, s - P + 2)));
    }
    return rows;
  }

  destroy(): void {}
}

function roundToF32(a: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] = Math.fround(a[i]);
}

/** The most working memory the CPU reference engine takes on for one trainer. */
const CPU_MEMORY_LIMIT = 4 * 2 ** 30;

/**
 * Refuses, before allocating, settings whose float64 working memory (cpuTrainerBytes)
 * would exceed CPU_MEMORY_LIMIT.
 */
function checkCpuMemory(table: ParamTable, config: TrainConfig): void {
  const bytes = cpuTrainerBytes(table.config, config);
  if (bytes > CPU_MEMORY_LIMIT) {
    const gib = (b: number) => `${(b / 2 ** 30).toLocaleString('en', { maximumFractionDigits: 1 })} GiB`;
    throw new Error(
      `the CPU reference engine would need about ${gib(bytes)} of memory for these settings (${describeSize(table, config)}), ` +
        `more than the ${gib(CPU_MEMORY_LIMIT)} it takes on: use a smaller model, fewer streams B or a shorter length T, or the GPU engine`,
    );
  }
}

export class CpuTrainer implements Trainer {
  readonly model: CpuModel;
  private readonly batcher: Batcher;
  private adam: AdamState;
  private carried: { h: Float64Array[]; c: Float64Array[] };

  constructor(
    readonly table: ParamTable,
    readonly config: TrainConfig,
    data: Int32Array,
    start: TrainerStart,
  ) {
    checkCpuMemory(table, config);
    const { hiddenSize: H, layers: L } = table.config;
    const B = config.batch;
    this.model = new CpuModel(table, start.params);
    roundToF32(this.model.params);
    this.batcher = trainingBatcher(data, config);
    if (start.batcher) this.batcher.setState(start.batcher);
    const P = table.totalSize;
    this.adam = {
      m: start.optimizer ? Float64Array.from(start.optimizer.m) : new Float64Array(P),
      v: start.optimizer ? Float64Array.from(start.optimizer.v) : new Float64Array(P),
      step: start.step ?? 0,
    };
    const split = (a: Float32Array | undefined) =>
      Array.from({ length: L }, (_, l) => (a ? Float64Array.from(a.subarray(l * B * H, (l + 1) * B * H)) : new Float64Array(B * H)));
    this.carried = { h: split(start.carried?.h), c: split(start.carried?.c) };
  }

  get step(): number {
    return this.adam.step;
  }

  async trainStep(): Promise<StepResult[]> {
    const { seqLen: T, batch: B } = this.config;
    const batch = this.batcher.next();
    if (batch.resetState) {
      for (const a of [...this.carried.h, ...this.carried.c]) a.fill(0);
    }
    // trainStepReference applies learningRate(config, step) itself.
    const r = trainStepReference(this.table, this.model.params, this.adam, batch.inputs, batch.targets, T, B, this.config, this.carried.h, this.carried.c);
    // State between steps is kept at f32, as on the GPU and in checkpoints, so that a
    // snapshot restores it exactly; within a step the reference computes in float64.
    for (const a of [this.model.params, this.adam.m, this.adam.v, ...r.hT, ...r.cT]) roundToF32(a);
    this.carried = { h: r.hT, c: r.cT };
    return [{ step: this.adam.step, loss: r.loss, gradNorm: r.gradNorm }];
  }

  async flush(): Promise<StepResult[]> {
    return [];
  }

  async snapshot(): Promise<TrainingSnapshot> {
    const join = (a: Float64Array[]) => {
      const out = new Float32Array(a.reduce((n, x) => n + x.length, 0));
      let o = 0;
      for (const x of a) {
        out.set(x, o);
        o += x.length;
      }
      return out;
    };
    return {
      params: Float32Array.from(this.model.params),
      optimizer: { m: Float32Array.from(this.adam.m), v: Float32Array.from(this.adam.v) },
      step: this.adam.step,
      batcher: this.batcher.getState(),
      carried: { h: join(this.carried.h), c: join(this.carried.c) },
    };
  }

  destroy(): void {}
}

/** The CPU reference engine in this thread (the CLI's, and the Worker's on the page). */
export function cpuEngine(): Engine {
  return {
    kind: 'cpu',
    description: 'CPU reference (float64)',
    model: async (table, params) => new CpuModel(table, params),
    trainer: async (table, config, data, start) => new CpuTrainer(table, config, data, start),
    close: () => {},
  };
}
