/**
 * The CPU reference engine: the same contract as the WebGPU engine, computed by the
 * float64 reference in src/reference/. Slow (plain loops), exact, and available
 * everywhere: for small models, for machines without a usable GPU, and as the
 * yardstick the GPU engine is measured against.
 */
import type { ParamTable } from '../model/params.ts';
import type { TrainConfig } from '../model/config.ts';
import { modelForwardReference, trainStepReference, type AdamState } from '../reference/model.ts';
import { sampleReference } from '../reference/kernels.ts';
import type { Batcher } from '../text/batcher.ts';
import { evaluationStreams, samplingUniforms, trainingBatcher, type HiddenStates, type ModelEngine, type SampleRequest, type StepResult, type TrainEngine, type TrainerInit } from './engine.ts';

/** Timesteps per reference forward call over a long text (bounds the cache's memory). */
const CHUNK = 256;

export class CpuModel implements ModelEngine {
  /** Float64 master copy; the GPU engine keeps f32. */
  params: Float64Array;

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

  writeParams(p: Float32Array): void {
    this.params = Float64Array.from(p);
  }

  /** Runs S streams of len steps (stream-major inputs) from zero state, chunked, carrying state. */
  private runStreams(inputs: Int32Array, targets: Int32Array, S: number, len: number, wantHidden: boolean) {
    const { hiddenSize: H, layers: L } = this.table.config;
    const losses = new Float32Array(S * len);
    const h = wantHidden ? Array.from({ length: L }, () => new Float32Array(S * len * H)) : [];
    const gates = wantHidden ? Array.from({ length: L }, () => new Float32Array(S * len * 4 * H)) : [];
    let h0 = Array.from({ length: L }, () => new Float64Array(S * H));
    let c0 = Array.from({ length: L }, () => new Float64Array(S * H));
    for (let c = 0; c < len; c += CHUNK) {
      const T = Math.min(CHUNK, len - c);
      const tok = new Int32Array(T * S);
      const tgt = new Int32Array(T * S);
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < S; b++) {
          tok[t * S + b] = inputs[b * len + c + t];
          tgt[t * S + b] = targets[b * len + c + t];
        }
      }
      const { cache } = modelForwardReference(this.table, this.params, tok, tgt, T, S, h0, c0);
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < S; b++) {
          const dst = b * len + c + t;
          losses[dst] = cache.losses[t * S + b];
          for (let l = 0; l < L && wantHidden; l++) {
            for (let j = 0; j < H; j++) h[l][dst * H + j] = cache.hs[l][((t + 1) * S + b) * H + j];
            for (let j = 0; j < 4 * H; j++) gates[l][dst * 4 * H + j] = cache.gates[l][(t * S + b) * 4 * H + j];
          }
        }
      }
      h0 = cache.hs.map((x) => x.slice(T * S * H));
      c0 = cache.cs.map((x) => x.slice(T * S * H));
    }
    return { losses, h, gates };
  }

  async evaluate(ids: Int32Array, streams = 1): Promise<Float32Array> {
    const { inputs, targets, S, len } = evaluationStreams(ids, streams);
    return this.runStreams(inputs, targets, S, len, false).losses;
  }

  async hiddenStates(ids: Int32Array): Promise<HiddenStates> {
    if (ids.length < 1) throw new Error('hidden states need at least one character');
    const { h, gates } = this.runStreams(ids, new Int32Array(ids.length), 1, ids.length, true);
    return { h, gates };
  }

  /** The same algorithm and the same uniforms as the GPU sampler (uniforms rounded to f32). */
  async sample(req: SampleRequest, onProgress?: (rows: Int32Array[]) => void): Promise<Int32Array[]> {
    const { vocabSize: V, hiddenSize: H, layers: L } = this.table.config;
    const P = req.prime.length;
    const R = req.rows.length;
    if (P < 1) throw new Error('the prime must have at least one character');
    if (R < 1) throw new Error('give at least one temperature');
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

export class CpuTrainer implements TrainEngine {
  readonly model: CpuModel;
  readonly batcher: Batcher;
  readonly dispatchesPerStep = 0;
  step: number;
  onStep: ((r: StepResult) => void) | null = null;
  private adam: AdamState;
  private carried: { h: Float64Array[]; c: Float64Array[] };
  private results: StepResult[] = [];

  constructor(
    readonly table: ParamTable,
    readonly config: TrainConfig,
    data: Int32Array,
    init: TrainerInit,
  ) {
    const { hiddenSize: H, layers: L } = table.config;
    const B = config.batch;
    this.model = new CpuModel(table, init.params);
    roundToF32(this.model.params);
    this.step = init.step ?? 0;
    this.batcher = trainingBatcher(data, config);
    if (init.batcher) this.batcher.setState(init.batcher);
    const P = table.totalSize;
    this.adam = {
      m: init.optimizer ? Float64Array.from(init.optimizer.m) : new Float64Array(P),
      v: init.optimizer ? Float64Array.from(init.optimizer.v) : new Float64Array(P),
      step: this.step,
    };
    const split = (a: Float32Array | undefined) =>
      Array.from({ length: L }, (_, l) => (a ? Float64Array.from(a.subarray(l * B * H, (l + 1) * B * H)) : new Float64Array(B * H)));
    this.carried = { h: split(init.carried?.h), c: split(init.carried?.c) };
  }

  get learningRate(): number {
    return this.config.lr * Math.pow(this.config.lrDecay, Math.max(0, this.step - 1));
  }

  async trainStep(): Promise<void> {
    const { seqLen: T, batch: B } = this.config;
    const batch = this.batcher.next();
    if (batch.resetState) {
      for (const a of [...this.carried.h, ...this.carried.c]) a.fill(0);
    }
    const r = trainStepReference(this.table, this.model.params, this.adam, batch.inputs, batch.targets, T, B, this.config, this.carried.h, this.carried.c);
    // State between steps is kept at f32, as on the GPU and in checkpoints, so that a
    // snapshot restores it exactly; within a step the reference computes in float64.
    for (const a of [this.model.params, this.adam.m, this.adam.v, ...r.hT, ...r.cT]) roundToF32(a);
    this.carried = { h: r.hT, c: r.cT };
    this.step = this.adam.step;
    const result = { step: this.step, loss: r.loss, gradNorm: r.gradNorm };
    this.results.push(result);
    this.onStep?.(result);
  }

  async flush(): Promise<StepResult[]> {
    return this.takeResults();
  }

  takeResults(): StepResult[] {
    const r = this.results;
    this.results = [];
    return r;
  }

  async snapshot(): Promise<Required<TrainerInit>> {
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
      step: this.step,
      batcher: this.batcher.getState(),
      carried: { h: join(this.carried.h), c: join(this.carried.c) },
    };
  }

  destroy(): void {}
}
