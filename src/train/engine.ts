/**
 * What the CLI and the page see of a backend: a model (evaluate, hidden states,
 * sample, read parameters) and a trainer (steps with results read back
 * asynchronously, and a snapshot of every bit of training state for exact resume).
 * Two backends keep it: the WebGPU engine (gpu-model.ts, trainer.ts) and the CPU
 * reference engine (cpu-engine.ts, float64, for small models and machines without
 * a usable GPU).
 */
import type { ParamTable } from '../model/params.ts';
import type { TrainConfig } from '../model/config.ts';
import { Batcher, type BatcherState } from '../text/batcher.ts';
import { Rng } from '../model/rng.ts';
import type { HiddenStates, SampleRequest } from './gpu-model.ts';

export type { HiddenStates, SampleRequest, SampleRow } from './gpu-model.ts';

export interface StepResult {
  step: number;
  /** Mean cross-entropy of the step's batch, nats/char. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

/** Every bit of training state, enough to continue exactly. */
export interface TrainerInit {
  params: Float32Array;
  optimizer?: { m: Float32Array; v: Float32Array };
  step?: number;
  batcher?: BatcherState;
  /** Carried hidden state, (L, B, H) each. */
  carried?: { h: Float32Array; c: Float32Array };
}

export interface ModelEngine {
  readonly table: ParamTable;
  readParams(): Promise<Float32Array>;
  writeParams(p: Float32Array): void;
  evaluate(ids: Int32Array, streams?: number): Promise<Float32Array>;
  hiddenStates(ids: Int32Array): Promise<HiddenStates>;
  sample(req: SampleRequest, onProgress?: (rows: Int32Array[]) => void): Promise<Int32Array[]>;
  destroy(): void;
}

export interface TrainEngine {
  readonly model: ModelEngine;
  readonly table: ParamTable;
  readonly config: TrainConfig;
  readonly batcher: Batcher;
  /** GPU dispatches encoded per step (0 on the CPU). */
  readonly dispatchesPerStep: number;
  /** Steps taken (submitted) so far. */
  step: number;
  onStep: ((r: StepResult) => void) | null;
  trainStep(): Promise<void>;
  flush(): Promise<StepResult[]>;
  takeResults(): StepResult[];
  snapshot(): Promise<Required<TrainerInit>>;
  destroy(): void;
}

/** The batcher a trainer with this config uses (its RNG is derived from the seed). */
export function trainingBatcher(data: Int32Array, config: TrainConfig): Batcher {
  return new Batcher(data, config.batch, config.seqLen, config.schedule, new Rng((config.seed ^ 0x5bd1e995) >>> 0));
}

/**
 * How evaluate(ids, streams) lays out a text: S equal segments run side by side, each
 * from zero state, stream-major (S, len); position i of segment b predicts
 * ids[b·len + i + 1]. With one stream that is every character after the first; with
 * more, the tail that does not divide evenly is left out.
 */
export function evaluationStreams(ids: Int32Array, streams: number): { inputs: Int32Array; targets: Int32Array; S: number; len: number } {
  const S = Math.max(1, Math.min(streams, Math.floor((ids.length - 1) / 2)));
  const len = Math.floor((ids.length - 1) / S);
  if (len < 1) throw new Error(`text of ${ids.length} characters is too short to evaluate: it needs at least 2`);
  const inputs = new Int32Array(S * len);
  const targets = new Int32Array(S * len);
  for (let b = 0; b < S; b++) {
    inputs.set(ids.subarray(b * len, b * len + len), b * len);
    targets.set(ids.subarray(b * len + 1, b * len + len + 1), b * len);
  }
  return { inputs, targets, S, len };
}

/** The most GPU dispatches one training step may encode (DESIGN.md section 4): 2·T·L + 8·L + 16. */
export function dispatchBudget(T: number, L: number): number {
  return 2 * T * L + 8 * L + 16;
}

/**
 * The uniforms of a generation's categorical draws, (steps, rows), from Rng(seed) and
 * rounded to f32: both engines draw with exactly these, so a seed gives one text.
 */
export function samplingUniforms(seed: number, count: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.uniform();
  return out;
}
