/**
 * The memory a setting needs, from the sizes the code allocates:
 *
 * - gpuTrainerBuffers: every buffer a GPU trainer and its model create (GpuTrainer, its
 *   SequenceBuffers, the loss ring), by label. The GPU trainer refuses settings whose
 *   largest buffer passes the adapter's per-buffer limit with it (gpuBufferRefusal), and a
 *   GPU test checks the list against the buffers a trainer really creates.
 * - gpuPassBuffers: a forward pass's buffers (validation reads 32 streams of up to 128
 *   characters; the inspector one stream), created when first used and kept.
 * - cpuTrainerBytes: the CPU reference engine's float64 working memory (its refusal).
 * - snapshotBytes: one copy of the training state kept off the device (the run keeps two,
 *   and reads a third before it lets the oldest go).
 *
 * Legend: V vocab, E embed, H hidden, L layers, B streams, T BPTT length, N = B·T, P parameters.
 */
import type { ModelConfig, TrainConfig } from '../model/config.ts';
import { buildParamTable } from '../model/params.ts';
import { storageBufferBytes } from '../gpu/buffers.ts';
import { WEIGHT_GRAD_TARGET_GROUPS, embeddingGradMaxSegments, weightGradShape } from '../gpu/kernels.ts';

type Window = Pick<TrainConfig, 'batch' | 'seqLen'>;

/** Floats of the flat parameter buffer (and of each of its gradients and moments): P, with each tensor's offset aligned as the parameter table lays them out. */
function paramFloats(c: ModelConfig): number {
  return buildParamTable(c).totalSize;
}

export interface BufferSize {
  label: string;
  bytes: number;
}

/** How the weight gradients are split (the trainer's gemm.splitK option; calibration adds split-K only where its partials fit) and maxComputeInvocationsPerWorkgroup; WebGPU's defaults and no split by default. */
interface GemmSizing {
  maxThreads: number;
  splitK: boolean;
}

const NO_SPLIT: GemmSizing = { maxThreads: 256, splitK: false };

/** The loss ring's staging buffers (GpuTrainer's RING). */
const LOSS_RING = 3;
/** Partial sums of the gradient norm (GpuTrainer's NORM_PARTS × 128). */
const NORM_PARTIAL_FLOATS = 32 * 128;
/** A forward pass of validation or inspection runs chunks of at most this many characters (GpuModel's EVAL_CHUNK). */
export const PASS_CHUNK = 128;
/** Streams of periodic validation (run.ts's VAL_STREAMS). */
export const VALIDATION_STREAMS = 32;

/** A SequenceBuffers of (T, B) labelled `prefix`: the activations of one window. */
function sequenceBuffers(c: ModelConfig, T: number, B: number, prefix: string): BufferSize[] {
  const { vocabSize: V, embedSize: E, hiddenSize: H, layers: L } = c;
  const N = T * B;
  const b = (name: string, floats: number): BufferSize => ({ label: `${prefix} ${name}`, bytes: storageBufferBytes(floats) });
  const out = [b('tokens', N), b('targets', N), b('x0', N * E)];
  for (let l = 0; l < L; l++) out.push(b(`zx${l}`, N * 4 * H), b(`hs${l}`, (T + 1) * B * H), b(`cs${l}`, (T + 1) * B * H), b(`gates${l}`, N * 4 * H));
  out.push(b('whhT', 4 * H * H), b('logits', N * V), b('losses', N), b('stateH', L * B * H), b('stateC', L * B * H));
  return out;
}

/** Every buffer of a GPU trainer and its model, as GpuTrainer and GpuModel create them. */
export function gpuTrainerBuffers(c: ModelConfig, w: Window, gemm: GemmSizing = NO_SPLIT): BufferSize[] {
  const { vocabSize: V, embedSize: E, hiddenSize: H, layers: L } = c;
  const B = w.batch;
  const N = w.seqLen * B;
  const P = paramFloats(c);
  const S = embeddingGradMaxSegments(N, V);
  const b = (label: string, floats: number): BufferSize => ({ label, bytes: storageBufferBytes(floats) });
  const groups = gemm.splitK ? WEIGHT_GRAD_TARGET_GROUPS : 1;
  const partials = Math.max(
    weightGradShape(V, H, N, gemm.maxThreads, groups).partialFloats,
    ...Array.from({ length: L }, (_, l) => weightGradShape(4 * H, (l === 0 ? E : H) + H, N, gemm.maxThreads, groups).partialFloats),
  );
  return [
    b('params', P),
    ...sequenceBuffers(c, w.seqLen, B, 'train'),
    b('grads', P),
    b('adam m', P),
    b('adam v', P),
    b('grad norm partials', NORM_PARTIAL_FLOATS),
    b('clip', 2),
    b('embed grad positions', N),
    b('embed grad segment start', S + 1),
    b('embed grad row segments', V + 1),
    b('embed grad partials', S * E),
    b('dz', N * 4 * H),
    b('dx', N * Math.max(E, H)),
    b('dc carry', B * H),
    b('weight grad partials', partials),
    // Mappable staging, not storage: (N + 2) floats each, unrounded.
    ...Array.from({ length: LOSS_RING }, (_, i) => ({ label: `loss staging ${i}`, bytes: (N + 2) * 4 })),
  ];
}

/** The forward passes validation (32 streams) and the inspector (one stream) add to a GPU model once used. */
export function gpuPassBuffers(c: ModelConfig): BufferSize[] {
  return [
    ...sequenceBuffers(c, PASS_CHUNK, VALIDATION_STREAMS, `eval ${PASS_CHUNK}x${VALIDATION_STREAMS}`),
    ...sequenceBuffers(c, PASS_CHUNK, 1, `eval ${PASS_CHUNK}x1`),
  ];
}

/** What a buffer is, in words, and what to lower when it is too large. */
function describeBuffer(label: string): { what: string; lower: string } {
  const window = 'fewer streams B or a shorter length T';
  const name = label.replace(/^train /, '');
  if (/^(params|grads|adam [mv])$/.test(name))
    return { what: 'the parameters (and each of their gradients and Adam moments)', lower: 'a smaller model (E, H, L)' };
  if (name === 'logits') return { what: 'the logits (B·T × V)', lower: window };
  if (/^(zx\d+|gates\d+|dz)$/.test(name)) return { what: 'the gate pre-activations (B·T × 4H)', lower: `${window}, or a smaller H` };
  if (/^(x0|dx)$/.test(name)) return { what: 'the layer inputs (B·T × max(E, H))', lower: `${window}, or a smaller E or H` };
  if (/^[hc]s\d+$/.test(name)) return { what: 'the hidden and cell states ((T + 1) × B × H)', lower: `${window}, or a smaller H` };
  if (name === 'whhT') return { what: 'the recurrent weights (4H × H)', lower: 'a smaller H' };
  if (name === 'weight grad partials') return { what: 'partial sums of the weight gradients', lower: `${window}, or a smaller H` };
  return { what: `the buffer "${name}"`, lower: `${window}, or a smaller model` };
}

/** The most positions B·T a window of this model can have with every buffer within `maxBytes` (0 when none fits). */
export function largestWindow(c: ModelConfig, maxBytes: number, gemm: GemmSizing = NO_SPLIT): number {
  const fits = (n: number) => gpuTrainerBuffers(c, { batch: 1, seqLen: n }, gemm).every((x) => x.bytes <= maxBytes);
  if (!fits(1)) return 0;
  let lo = 1;
  let hi = 2;
  while (fits(hi)) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

const mib = (b: number) => `${(b / 2 ** 20).toLocaleString('en', { maximumFractionDigits: 1 })} MiB`;

/**
 * Why a GPU with `maxBytes` per buffer cannot take these settings (the largest buffer that
 * passes it, what to lower, and the most positions B·T this model can have there), or null.
 * `size` names the settings: "V 75, E 64, H 2048, L 1, B 64 × T 128".
 */
export function gpuBufferRefusal(c: ModelConfig, w: Window, maxBytes: number, size: string, gemm: GemmSizing = NO_SPLIT): string | null {
  const buffers = gpuTrainerBuffers(c, w, gemm);
  const over = buffers.filter((x) => x.bytes > maxBytes).sort((a, b) => b.bytes - a.bytes)[0];
  if (!over) return null;
  const { what, lower } = describeBuffer(over.label);
  const most = lower.startsWith('fewer') ? largestWindow(c, maxBytes, gemm) : 0;
  const room = most > 0 ? ` (this model fits at most ${most.toLocaleString('en')} positions B·T here)` : '';
  return `these settings (${size}) need ${mib(over.bytes)} for ${what}, more than this GPU allows in one buffer (${mib(maxBytes)}): use ${lower}${room}`;
}

/**
 * The CPU reference engine's float64 working memory for one trainer: the parameters with
 * their gradients and Adam moments (4·P), and per position of a B·T window the embeddings,
 * per layer the gate inputs and activations and the h, c sequences, the logits and the
 * gradients flowing back.
 */
export function cpuTrainerBytes(c: ModelConfig, w: Window): number {
  const { vocabSize: V, embedSize: E, hiddenSize: H, layers: L } = c;
  const N = w.batch * w.seqLen;
  return 8 * (4 * paramFloats(c) + N * (E + 10 * L * H + 4 * H + Math.max(E, H) + V + 4));
}

/** One copy of the training state off the device (float32): parameters, Adam's two moments, and the carried h and c (L, B, H). */
function snapshotBytes(c: ModelConfig, w: Pick<TrainConfig, 'batch'>): number {
  return 4 * (3 * paramFloats(c) + 2 * c.layers * w.batch * c.hiddenSize);
}

/** Snapshots held at the most: two kept, and a third read before the oldest goes. */
const SNAPSHOTS_HELD = 3;

/**
 * The tab's memory a model takes beside its text on an engine (what the page's text limit
 * leaves room for): the snapshots kept off the device, and on the CPU engine (its Worker is
 * in the same tab) its float64 working memory. The GPU engine's buffers are the GPU's.
 */
export function tabModelMemory(c: ModelConfig, w: Window, engine: 'gpu' | 'cpu'): { bytes: number; what: string } {
  const snapshots = SNAPSHOTS_HELD * snapshotBytes(c, w);
  const size = `E ${c.embedSize}, H ${c.hiddenSize}, L ${c.layers}, B ${w.batch} × T ${w.seqLen}`;
  if (engine === 'cpu') {
    return {
      bytes: cpuTrainerBytes(c, w) + snapshots,
      what: `${size} on the CPU engine: its float64 working memory and ${SNAPSHOTS_HELD} copies of the training state`,
    };
  }
  return { bytes: snapshots, what: `${size} on the GPU engine: ${SNAPSHOTS_HELD} copies of the training state kept off the GPU` };
}
