/**
 * Throughput of a training engine, for `npm run bench` (figures, never assertions), and
 * the pure parts of the speed record: the benchmarked shapes, the exact FLOP count of a
 * training step, statistics over timed steps and the kernel-kind names a profile groups by.
 *
 * Legend: V vocab, E embed, H hidden, L layers, B streams, T BPTT length, N = T·B,
 * I = a layer's input width (E for layer 0, else H), P parameters (the table's entries; the flat buffer pads between them).
 */
import { dispatchBudget, type Trainer } from './contract.ts';
import type { Schedule } from '../model/config.ts';

/** A benchmarked model and batch shape. */
export interface BenchConfig {
  name: string;
  embed: number;
  hidden: number;
  layers: number;
  batch: number;
  seqLen: number;
  schedule: Schedule;
}

/**
 * The project's benchmark configurations (issue #9). On a software adapter only those
 * marked `software` run (SwiftShader: seconds a step for these, minutes for the others).
 */
export const BENCH_CONFIGS: (BenchConfig & { software: boolean })[] = [
  { name: 'notebook', embed: 32, hidden: 128, layers: 1, batch: 1, seqLen: 40, schedule: 'windows', software: true },
  { name: 'small', embed: 32, hidden: 128, layers: 1, batch: 32, seqLen: 64, schedule: 'streams', software: true },
  { name: 'medium', embed: 64, hidden: 256, layers: 2, batch: 64, seqLen: 128, schedule: 'streams', software: false },
  { name: 'large', embed: 128, hidden: 512, layers: 2, batch: 64, seqLen: 128, schedule: 'streams', software: false },
];

export interface BenchFigures {
  msPerStep: number;
  charsPerSecond: number;
  /** GPU dispatches per step (null on the CPU). */
  dispatchesPerStep: number | null;
  /** The dispatch budget, 8·L + 16 (see dispatchBudget; null on the CPU). */
  budget: number | null;
  /** Which recurrent kernels ran, for people (null on the CPU). */
  recurrence: string | null;
  sampleCharsPerSecond: number;
  steps: number;
}

/** What a GPU trainer tells about its step (the CPU trainer has neither field). */
interface GpuStepInfo {
  dispatchesPerStep: number;
  recurrence: { persistent: boolean; summary: string };
}

function gpuStepInfo(t: Trainer): GpuStepInfo | null {
  return 'dispatchesPerStep' in t && 'recurrence' in t ? (t as unknown as GpuStepInfo) : null;
}

/** Warm-up steps, then `steps` timed steps (all read back), then one timed generation. */
export async function benchTrainer(trainer: Trainer, o: { warmup: number; steps: number; sampleLength: number; rows: number }): Promise<BenchFigures> {
  const { batch: B, seqLen: T } = trainer.config;
  const L = trainer.table.config.layers;
  for (let i = 0; i < o.warmup; i++) await trainer.trainStep();
  await trainer.flush();
  const t0 = performance.now();
  for (let i = 0; i < o.steps; i++) await trainer.trainStep();
  await trainer.flush();
  const ms = (performance.now() - t0) / o.steps;
  const rows = Array.from({ length: o.rows }, (_, i) => ({ temperature: 0.5 + 0.5 * i, topK: 0, topP: 1 }));
  const s0 = performance.now();
  await trainer.model.sample({ prime: Int32Array.from([0]), length: o.sampleLength, rows, seed: 1 });
  const sampleS = (performance.now() - s0) / 1000;
  const gpu = gpuStepInfo(trainer);
  return {
    msPerStep: ms,
    charsPerSecond: (B * T * 1000) / ms,
    dispatchesPerStep: gpu?.dispatchesPerStep ?? null,
    budget: gpu ? dispatchBudget(L) : null,
    recurrence: gpu?.recurrence.summary ?? null,
    sampleCharsPerSecond: (o.sampleLength * o.rows) / sampleS,
    steps: o.steps,
  };
}

/** The dimensions a step's FLOP count depends on. */
export interface StepShape {
  vocab: number;
  embed: number;
  hidden: number;
  layers: number;
  batch: number;
  seqLen: number;
}

/** One GEMM C (m, n) = op(A)·op(B), run `count` times a step (the recurrent products: once per timestep). */
export interface GemmShape {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  count: number;
}

/**
 * One term of a step's FLOP count. `kernel` is the kernel kind that does the work, as
 * kernelKind names dispatches, so a profile can give each kernel its GFLOP/s.
 */
export interface FlopTerm {
  kernel: string;
  layer: number | null;
  what: string;
  kind: 'gemm' | 'elementwise';
  flops: number;
  gemm?: GemmShape;
}

/** Elementwise FLOPs per hidden unit and timestep of the LSTM forward (see stepFlops). */
const LSTM_FORWARD_FLOPS_PER_UNIT = 13;
/** Elementwise FLOPs per hidden unit and timestep of the LSTM backward (see stepFlops). */
const LSTM_BACKWARD_FLOPS_PER_UNIT = 24;
/** FLOPs per parameter of the Adam update (see stepFlops). */
const ADAM_FLOPS_PER_PARAM = 14;

/** Parameters of the model: embed, per layer W_ih, W_hh, b_ih, b_hh, head W and b. */
export function paramCount(s: Pick<StepShape, 'vocab' | 'embed' | 'hidden' | 'layers'>): number {
  const { vocab: V, embed: E, hidden: H, layers: L } = s;
  let p = V * E + V * H + V;
  for (let l = 0; l < L; l++) p += 4 * H * ((l === 0 ? E : H) + H + 2);
  return p;
}

/**
 * The exact FLOP count of one training step (forward, truncated BPTT, clipping, Adam) as
 * a pure function of the shape, term by term. The convention, fixed so figures compare
 * across kernels and backends: a GEMM (m, n, k) is 2·m·n·k; elementwise, every add,
 * subtract, multiply, divide and compare counts 1, and so does every σ, tanh, exp, log
 * and sqrt; gathers, copies and transposes count 0. It counts the model's arithmetic,
 * not what a kernel happens to recompute, so it is the same whichever kernels run.
 *
 * Elementwise terms, per element:
 * - bias epilogues: one add per bias (the input projection adds b_ih and b_hh: 2);
 * - LSTM forward, per unit and timestep: z = zx + W_hh·h (4 adds), σ/σ/tanh/σ (4),
 *   c = f⊙c + i⊙g (3), tanh(c) (1), h = o⊙tanh(c) (1): 13;
 * - softmax/cross-entropy, per position: max (V compares), x − max and exp (2V), sum (V),
 *   log and loss (3); dlogits: (e/Σ)·(1/N) (2V) and −1/N at the target (1): 6V + 4;
 * - LSTM backward, per unit and timestep: dh = dh_above + dh_rec (1), tanh(c) (1),
 *   do = dh·tanh c·o(1−o) (4), dc = dh·o·(1−tanh² c) + dc_next (5), di, dg, df (4 each),
 *   dc_prev = dc·f (1), plus the carried dc·f of the next step (1): 24;
 * - column sums (bias gradients): one add per element summed; embedding gradient: one
 *   add per position and column;
 * - gradient norm: a square and an add per parameter (2P), then sqrt and the clip
 *   factor (3); Adam: g·clip (1), m (3), v (4), p −= (lr/bc1)·m/(sqrt(v)/sqrt(bc2) + ε) (6): 14 per parameter.
 */
export function stepFlops(s: StepShape): FlopTerm[] {
  const { vocab: V, embed: E, hidden: H, layers: L, batch: B, seqLen: T } = s;
  const N = T * B;
  const P = paramCount(s);
  const out: FlopTerm[] = [];
  const gemm = (kernel: string, layer: number | null, what: string, g: Omit<GemmShape, 'count'> & { count?: number }) => {
    const shape: GemmShape = { count: 1, ...g };
    out.push({ kernel, layer, what, kind: 'gemm', flops: 2 * shape.m * shape.n * shape.k * shape.count, gemm: shape });
  };
  const ew = (kernel: string, layer: number | null, what: string, flops: number) => out.push({ kernel, layer, what, kind: 'elementwise', flops });
  for (let l = 0; l < L; l++) {
    const I = l === 0 ? E : H;
    gemm('input projection', l, `X·W_ih${l}ᵀ (N, 4H, I)`, { m: N, n: 4 * H, k: I, transA: false, transB: true });
    ew('input projection', l, 'b_ih + b_hh', 2 * N * 4 * H);
    gemm('lstm forward', l, `h·W_hh${l}ᵀ per timestep (B, 4H, H)`, { m: B, n: 4 * H, k: H, transA: false, transB: true, count: T });
    ew('lstm forward', l, 'gates, c and h', LSTM_FORWARD_FLOPS_PER_UNIT * N * H);
  }
  gemm('head', null, 'H·W_outᵀ (N, V, H)', { m: N, n: V, k: H, transA: false, transB: true });
  ew('head', null, 'b_out', N * V);
  ew('softmax_cross_entropy', null, 'softmax, loss and dlogits', N * (6 * V + 4));
  gemm('dW_out', null, 'dlogitsᵀ·H (V, H, N)', { m: V, n: H, k: N, transA: true, transB: false });
  ew('db_out', null, 'column sum of dlogits', N * V);
  gemm('dH top', null, 'dlogits·W_out (N, H, V)', { m: N, n: H, k: V, transA: false, transB: false });
  for (let l = L - 1; l >= 0; l--) {
    const I = l === 0 ? E : H;
    if (T > 1)
      gemm('lstm backward', l, `dz·W_hh${l} per timestep but the last (B, H, 4H)`, { m: B, n: H, k: 4 * H, transA: false, transB: false, count: T - 1 });
    ew('lstm backward', l, 'gate and cell gradients', LSTM_BACKWARD_FLOPS_PER_UNIT * N * H);
    gemm('dW_ih', l, `dzᵀ·X (4H, I, N)`, { m: 4 * H, n: I, k: N, transA: true, transB: false });
    gemm('dW_hh', l, `dzᵀ·H_prev (4H, H, N)`, { m: 4 * H, n: H, k: N, transA: true, transB: false });
    ew('db', l, 'column sum of dz', N * 4 * H);
    gemm('dX', l, `dz·W_ih${l} (N, I, 4H)`, { m: N, n: I, k: 4 * H, transA: false, transB: false });
  }
  ew('embedding_backward', null, 'dX rows into embedding rows', N * E);
  ew('grad_norm', null, 'squares and sum, sqrt, clip factor', 2 * P + 3);
  ew('adam', null, 'clip, moments, update', ADAM_FLOPS_PER_PARAM * P);
  return out;
}

export function totalFlops(terms: FlopTerm[]): number {
  return terms.reduce((s, t) => s + t.flops, 0);
}

/** FLOPs per kernel kind. */
export function flopsByKernel(terms: FlopTerm[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of terms) m.set(t.kernel, (m.get(t.kernel) ?? 0) + t.flops);
  return m;
}

/**
 * The kernel kind of a dispatch, from its label: layer and timestep suffixes go
 * ("dW_ih l1" → "dW_ih", "lstm forward l0 t3" → "lstm forward", "W_hh0ᵀ" → "W_hhᵀ"), and
 * so do the names of a kernel's passes, which join their kernel ("grad_norm partial" and
 * "grad_norm finalize" → "grad_norm", "dW_ih dW_hh db l0 reduce" → "dW_ih dW_hh db"), and so
 * does a variant in parentheses ("softmax_cross_entropy (row)" → "softmax_cross_entropy").
 */
export function kernelKind(label: string): string {
  return label
    .replace(/ [lt]\d+\b/g, '')
    .replace(/\d+ᵀ/g, 'ᵀ')
    .replace(/ \([^)]*\)$/, '')
    .replace(/ (partial sums|partial|finalize|reduce|segments|rows)$/, '')
    .trim();
}

/**
 * The FLOPs of a kernel kind: its own term, or, for a kernel that fuses several
 * ("dW_out db_out", "dW_ih dW_hh db"), the sum of theirs; null when a part is unknown.
 */
export function kindFlops(kind: string, byKernel: Map<string, number>): number | null {
  const own = byKernel.get(kind);
  if (own !== undefined) return own;
  const parts = kind.split(/[\s|]+/);
  if (parts.length < 2 || !parts.every((p) => byKernel.has(p))) return null;
  return parts.reduce((s, p) => s + byKernel.get(p)!, 0);
}

export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
  /** First and third quartiles (linear interpolation between order statistics). */
  q1: number;
  q3: number;
}

/** Median, quartiles and range of some samples (at least one). */
export function spread(samples: readonly number[]): Spread {
  if (samples.length === 0) throw new Error('spread of no samples');
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => {
    const x = q * (s.length - 1);
    const i = Math.floor(x);
    return i + 1 < s.length ? s[i] + (x - i) * (s[i + 1] - s[i]) : s[i];
  };
  return { n: s.length, median: at(0.5), min: s[0], max: s[s.length - 1], q1: at(0.25), q3: at(0.75) };
}

/** 1234567 → "1,234,567"; under 10, two significant decimals ("3.4", "0.052"). */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 10) return Math.round(x).toLocaleString('en');
  return Number(x.toPrecision(2)).toString();
}

/** Bytes as MiB with one decimal ("12.3 MiB"). */
export function formatMiB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
