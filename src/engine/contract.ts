/**
 * The engine contract: what a training run, the CLI and the page see of a backend.
 * An engine builds models (evaluate, hidden states, sample, read parameters) and
 * trainers (steps whose results come back through one channel, and a snapshot of
 * every bit of training state for exact resume). Three implementations keep it: the
 * WebGPU engine (gpu/), the float64 CPU reference engine (cpu.ts) and, on the page,
 * the CPU engine in a Worker (cpu-worker-client.ts).
 *
 * This module imports no implementation, so nothing that implements it forms a cycle.
 *
 * Legend: V vocab, E embed, H hidden, L layers, B streams, T BPTT length, S eval streams.
 */
import type { ParamTable } from '../model/params.ts';
import type { TrainConfig } from '../model/config.ts';
import type { TrainingSnapshot } from '../model/training-state.ts';
import { Batcher } from '../text/batcher.ts';
import { Rng } from '../model/rng.ts';

export type EngineKind = 'gpu' | 'cpu';
/** What a person asks for: an engine, or the best one here. */
export type EngineChoice = 'auto' | EngineKind;

export interface StepResult {
  step: number;
  /** Mean cross-entropy of the step's batch, nats/char. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

/** Where a trainer starts: fresh parameters (step 0, zero moments and state), or all or part of a snapshot. */
export type TrainerStart = Pick<TrainingSnapshot, 'params'> & Partial<Omit<TrainingSnapshot, 'params'>>;

export interface SampleRow {
  temperature: number;
  /** 0 = off */
  topK: number;
  /** ≥ 1 = off */
  topP: number;
}

export interface SampleRequest {
  /** Encoded prime, at least one character. */
  prime: Int32Array;
  /** Characters to generate after the prime. */
  length: number;
  rows: SampleRow[];
  seed: number;
}

export interface HiddenStates {
  /** Per layer (n, H): h after each character. */
  h: Float32Array[];
  /** Per layer (n, H): the cell state c after each character, as the engine carried it (h = o⊙tanh(c)). */
  c: Float32Array[];
  /** Per layer (n, 4H): activated gates after each character, laid out as GATE_SLICES says. */
  gates: Float32Array[];
}

/**
 * The LSTM state to resume a read from: per layer h and c, each (H), as the last row of an
 * earlier HiddenStates gives them.
 */
export interface LstmState {
  h: Float32Array[];
  c: Float32Array[];
}

/** The state after character i of a read (row i of every layer's h and c, as views), to resume from. */
export function stateAfter(s: Pick<HiddenStates, 'h' | 'c'>, H: number, i: number): LstmState {
  const row = (x: Float32Array) => x.subarray(i * H, (i + 1) * H);
  return { h: s.h.map(row), c: s.c.map(row) };
}

export type GateName = 'i' | 'f' | 'g' | 'o';

/**
 * The gate layout of HiddenStates.gates (and of the LSTM weights, as in PyTorch): gate
 * `name` of unit u after character c is gates[c·4H + slice·H + u]. `range` is the
 * activation's range (σ for i, f, o; tanh for g).
 */
export const GATE_SLICES: readonly { name: GateName; slice: number; title: string; range: readonly [number, number] }[] = [
  { name: 'i', slice: 0, title: 'input gate i', range: [0, 1] },
  { name: 'f', slice: 1, title: 'forget gate f', range: [0, 1] },
  { name: 'g', slice: 2, title: 'cell candidate g', range: [-1, 1] },
  { name: 'o', slice: 3, title: 'output gate o', range: [0, 1] },
];

/** One gate's activations, (n, H), copied out of a layer's (n, 4H) gates. */
export function gateActivations(gates: Float32Array, H: number, gate: GateName): Float32Array {
  const slice = GATE_SLICES.find((g) => g.name === gate)!.slice;
  const n = gates.length / (4 * H);
  const out = new Float32Array(n * H);
  for (let c = 0; c < n; c++) out.set(gates.subarray(c * 4 * H + slice * H, c * 4 * H + (slice + 1) * H), c * H);
  return out;
}

export interface Model {
  readonly table: ParamTable;
  readParams(): Promise<Float32Array>;
  /**
   * Per-character losses (nats) of a text, from zero state. With one stream, position i
   * is the loss of predicting ids[i+1] after ids[0..i] (length n-1); with S streams the
   * text is cut as evaluationStreams says.
   */
  evaluate(ids: Int32Array, streams?: number): Promise<Float32Array>;
  /**
   * Hidden states, cell states and gates after each character of a text, from zero state or,
   * given `from`, from that state (reading a text in two parts, the second from the first's
   * last row, gives the rows of reading it whole).
   */
  hiddenStates(ids: Int32Array, from?: LstmState): Promise<HiddenStates>;
  /** `length` characters after the prime for each row; the same seed gives the same text on every engine. */
  sample(req: SampleRequest, onProgress?: (rows: Int32Array[]) => void): Promise<Int32Array[]>;
  destroy(): void;
}

export interface Trainer {
  readonly model: Model;
  readonly table: ParamTable;
  readonly config: TrainConfig;
  /** Steps taken (submitted) so far. */
  readonly step: number;
  /**
   * Takes one step. Resolves with the results read back since the last call, in step
   * order: on the CPU this step's; on the GPU those of earlier steps (at most a couple
   * behind), so that the GPU never waits for JavaScript. This is the only result channel.
   */
  trainStep(): Promise<StepResult[]>;
  /** Waits for every step taken to be read back; resolves with the results not returned yet. */
  flush(): Promise<StepResult[]>;
  /** Everything needed to continue exactly where this trainer is (flushes first; pending results are kept for the next call). */
  snapshot(): Promise<TrainingSnapshot>;
  destroy(): void;
}

/** A backend: builds models and trainers on one device (or on the CPU). */
export interface Engine {
  readonly kind: EngineKind;
  /** What it runs on, for people: "WebGPU on nvidia ampere (…)", "CPU reference (float64)". */
  readonly description: string;
  model(table: ParamTable, params: Float32Array): Promise<Model>;
  trainer(table: ParamTable, config: TrainConfig, data: Int32Array, start: TrainerStart): Promise<Trainer>;
  /** Releases what the engine holds (a device it owns, a Worker). */
  close(): void;
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
export function evaluationStreams(ids: Int32Array, streams: number): StreamLayout {
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

/** S streams of len steps, stream-major (S, len). */
export interface StreamLayout {
  inputs: Int32Array;
  targets: Int32Array;
  S: number;
  len: number;
}

/** What an engine computes for one chunk of `steps` timesteps of S streams, time-major (steps, S, …). */
export interface ChunkOutput {
  losses: Float32Array; // (≥ steps·S)
  /** Per layer (≥ steps·S·H), when hidden states were asked for. */
  h?: Float32Array[];
  /** Per layer (≥ steps·S·H), the cell states, when hidden states were asked for. */
  c?: Float32Array[];
  /** Per layer (≥ steps·S·4H), when hidden states were asked for. */
  gates?: Float32Array[];
}

/**
 * Runs S streams through a model in chunks of at most `chunk` timesteps and puts the
 * chunk outputs back in stream-major order. The engine's `runChunk` carries the state
 * from one chunk to the next (`first` says to start from zero). Both engines' evaluate
 * and hiddenStates go through here.
 */
export async function runStreams(
  s: StreamLayout,
  dims: { H: number; L: number; chunk: number; wantHidden: boolean },
  runChunk: (tokens: Int32Array, targets: Int32Array, steps: number, first: boolean) => Promise<ChunkOutput>,
): Promise<{ losses: Float32Array; h: Float32Array[]; c: Float32Array[]; gates: Float32Array[] }> {
  const { inputs, targets, S, len } = s;
  const { H, L, chunk, wantHidden } = dims;
  const losses = new Float32Array(S * len); // (S, len)
  const h = wantHidden ? Array.from({ length: L }, () => new Float32Array(S * len * H)) : []; // per layer (S, len, H)
  const c = wantHidden ? Array.from({ length: L }, () => new Float32Array(S * len * H)) : []; // per layer (S, len, H)
  const gates = wantHidden ? Array.from({ length: L }, () => new Float32Array(S * len * 4 * H)) : []; // per layer (S, len, 4H)
  for (let c0 = 0; c0 < len; c0 += chunk) {
    const steps = Math.min(chunk, len - c0);
    const tok = new Int32Array(steps * S); // (steps, S)
    const tgt = new Int32Array(steps * S);
    for (let t = 0; t < steps; t++) {
      for (let b = 0; b < S; b++) {
        tok[t * S + b] = inputs[b * len + c0 + t];
        tgt[t * S + b] = targets[b * len + c0 + t];
      }
    }
    const out = await runChunk(tok, tgt, steps, c0 === 0);
    for (let t = 0; t < steps; t++) {
      for (let b = 0; b < S; b++) {
        const src = t * S + b;
        const dst = b * len + c0 + t;
        losses[dst] = out.losses[src];
        for (let l = 0; l < L && wantHidden; l++) {
          h[l].set(out.h![l].subarray(src * H, (src + 1) * H), dst * H);
          c[l].set(out.c![l].subarray(src * H, (src + 1) * H), dst * H);
          gates[l].set(out.gates![l].subarray(src * 4 * H, (src + 1) * 4 * H), dst * 4 * H);
        }
      }
    }
  }
  return { losses, h, c, gates };
}

/**
 * The most GPU dispatches one training step may encode (DESIGN.md section 4, issue #9):
 * 8·L + 16, independent of T, for every configuration. The persistent recurrent kernels
 * keep within it for every hidden size the model allows; a step over it (the
 * per-timestep kernels, forced or chosen where a workgroup cannot hold one stream) is
 * reported as over budget (dispatchReport), never measured against a relaxed budget.
 */
export function dispatchBudget(L: number): number {
  return 8 * L + 16;
}

/** "16/step (budget 24)", or "144/step — over the budget of 24 (8·L + 16) by 120" for a step over it. */
export function dispatchReport(dispatches: number, budget: number): string {
  return dispatches <= budget
    ? `${dispatches}/step (budget ${budget})`
    : `${dispatches}/step — over the budget of ${budget} (8·L + 16) by ${dispatches - budget}`;
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

/** Checks a starting state against a model (L layers of H units) before any work starts. */
export function checkLstmState(from: LstmState, H: number, L: number): void {
  if (from.h.length !== L || from.c.length !== L)
    throw new Error(`the starting state has ${from.h.length} h and ${from.c.length} c layers, the model has ${L}`);
  for (const x of [...from.h, ...from.c]) if (x.length !== H) throw new Error(`a starting state layer has ${x.length} units, the model has H = ${H}`);
}

/** Checks a sample request against a model before any work starts. */
export function checkSampleRequest(req: SampleRequest, vocabSize: number): void {
  if (req.prime.length < 1) throw new Error('the prime must have at least one character');
  if (req.rows.length < 1) throw new Error('give at least one temperature');
  for (const id of req.prime) if (id < 0 || id >= vocabSize) throw new Error(`prime token ${id} is outside the vocabulary of ${vocabSize}`);
}

/** "V 38, E 8, H 16, L 1, B 4 × T 40": a model and window size, for messages that refuse settings. */
export function describeSize(table: ParamTable, config: TrainConfig): string {
  const { vocabSize: V, embedSize: E, hiddenSize: H, layers: L } = table.config;
  return `V ${V}, E ${E}, H ${H}, L ${L}, B ${config.batch} × T ${config.seqLen}`;
}
