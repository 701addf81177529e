/**
 * The whole model on the CPU, in float64, composed from the kernel references in
 * kernels.ts in the same order the GPU engine dispatches them: forward, exact
 * truncated BPTT, global-norm clipping and Adam.
 *
 * Dimension legend:
 *   V vocabulary, E embedding width, H hidden size, L layers,
 *   B streams in a batch, T truncated-BPTT length, N rows (positions, N = T*B),
 *   I a layer's input width (E for layer 0, H above), P flat parameter count (totalSize).
 *
 * Layout: position r = t*B + b; gate order i, f, g, o; hidden/cell sequences hold
 * T+1 slots of [B*H] (slot 0 the initial state, slot t+1 the state after timestep t).
 */
import { learningRate } from '../model/config.ts';
import type { ParamEntry, ParamTable } from '../model/params.ts';
import {
  adamReference,
  clipScaleReference,
  columnSumReference,
  embeddingBackwardReference,
  embeddingForwardReference,
  gradNormReference,
  lstmStepBackwardReference,
  lstmStepForwardReference,
  matmulReference,
  softmaxCrossEntropyReference,
} from './kernels.ts';

export interface ForwardCache {
  T: number;
  B: number;
  inputs: Int32Array; // [T*B]
  targets: Int32Array; // [T*B]
  /** Per layer, the input sequence [T*B*I] (layer 0: embeddings, I = E; layer k > 0: h of layer k-1, I = H). */
  xs: Float64Array[];
  /** Per layer [(T+1)*B*H], slot 0 = initial h. */
  hs: Float64Array[];
  /** Per layer [(T+1)*B*H], slot 0 = initial c. */
  cs: Float64Array[];
  /** Per layer [T*B*4H], activated gates i, f, g, o. */
  gates: Float64Array[];
  logits: Float64Array; // [T*B*V]
  losses: Float64Array; // [T*B]
  /** dL/dlogits for the mean loss (scale 1/(T*B)). */
  dlogits: Float64Array; // [T*B*V]
}

export interface AdamState {
  m: Float64Array; // [P]
  v: Float64Array; // [P]
  /** Steps taken so far (0 before the first). */
  step: number;
}

export interface TrainStepOptions {
  lr: number;
  /** Global-norm clip threshold; 0 disables clipping. */
  clip: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** lr_t = lr * lrDecay^(step-1), step 1-based. */
  lrDecay: number;
}

/** One tensor of the flat buffer, copied out as float64. */
function tensorOf(params: ArrayLike<number> /* [P] */, e: ParamEntry): Float64Array {
  const out = new Float64Array(e.size); // [e.size]
  for (let i = 0; i < e.size; i++) out[i] = params[e.offset + i];
  return out;
}

/** Adds a tensor's values into its slot of a flat buffer. */
function addInto(flat: Float64Array /* [P] */, e: ParamEntry, values: ArrayLike<number> /* [e.size] */): void {
  if (values.length !== e.size) throw new Error(`${e.name}: expected ${e.size} values, got ${values.length}`);
  for (let i = 0; i < e.size; i++) flat[e.offset + i] += values[i];
}

function checkSizes(table: ParamTable, params: ArrayLike<number>, inputs: Int32Array, targets: Int32Array, T: number, B: number): void {
  if (params.length < table.totalSize) throw new Error(`params has ${params.length} floats, table needs ${table.totalSize}`);
  if (inputs.length !== T * B) throw new Error(`inputs has ${inputs.length} tokens, expected T*B = ${T * B}`);
  if (targets.length !== T * B) throw new Error(`targets has ${targets.length} tokens, expected T*B = ${T * B}`);
  const V = table.config.vocabSize;
  for (let r = 0; r < T * B; r++) {
    if (inputs[r] < 0 || inputs[r] >= V) throw new Error(`inputs[${r}] = ${inputs[r]} is outside the vocabulary (V = ${V})`);
    if (targets[r] < 0 || targets[r] >= V) throw new Error(`targets[${r}] = ${targets[r]} is outside the vocabulary (V = ${V})`);
  }
}

/** Forward pass over T timesteps of B streams; loss is the mean over all T*B positions. */
export function modelForwardReference(
  table: ParamTable,
  params: ArrayLike<number>, // [P]
  inputs: Int32Array, // [T*B]
  targets: Int32Array, // [T*B]
  T: number,
  B: number,
  h0?: Float64Array[], // per layer [B*H], zeros if omitted
  c0?: Float64Array[], // per layer [B*H], zeros if omitted
): { loss: number; cache: ForwardCache } {
  checkSizes(table, params, inputs, targets, T, B);
  const { vocabSize: V, embedSize: E, hiddenSize: H, layers: L } = table.config;
  const N = T * B;
  const G = 4 * H;

  const xs: Float64Array[] = [];
  const hs: Float64Array[] = [];
  const cs: Float64Array[] = [];
  const gatesAll: Float64Array[] = [];

  // Embedding gather.
  let x = embeddingForwardReference(tensorOf(params, table.embed), inputs, E); // [N*E]

  for (let k = 0; k < L; k++) {
    const lp = table.layers[k];
    const I = k === 0 ? E : H;
    const wih = tensorOf(params, lp.weightIh); // [4H*I]
    const whh = tensorOf(params, lp.weightHh); // [4H*H]
    const bih = tensorOf(params, lp.biasIh); // [4H]
    const bhh = tensorOf(params, lp.biasHh); // [4H]

    // Input projection for all timesteps at once: zx = X·W_ihᵀ + b_ih + b_hh.
    const zx = matmulReference(x, wih, N, G, I, false, true, bih, bhh); // [N*4H]

    const h = new Float64Array((T + 1) * B * H); // [(T+1)*B*H]
    const c = new Float64Array((T + 1) * B * H); // [(T+1)*B*H]
    const gates = new Float64Array(N * G); // [N*4H]
    if (h0?.[k]) h.set(h0[k].subarray(0, B * H), 0);
    if (c0?.[k]) c.set(c0[k].subarray(0, B * H), 0);

    for (let t = 0; t < T; t++) {
      const step = lstmStepForwardReference(
        zx.subarray(t * B * G, (t + 1) * B * G), // [B*4H]
        h.subarray(t * B * H, (t + 1) * B * H), // [B*H]
        c.subarray(t * B * H, (t + 1) * B * H), // [B*H]
        whh,
        B,
        H,
      );
      gates.set(step.gates, t * B * G);
      h.set(step.h, (t + 1) * B * H);
      c.set(step.c, (t + 1) * B * H);
    }

    xs.push(x);
    hs.push(h);
    cs.push(c);
    gatesAll.push(gates);
    x = h.slice(B * H); // [N*H], slots 1..T feed the layer above
  }

  // Head over all positions, then softmax cross-entropy.
  const hTop = hs[L - 1].subarray(B * H); // [N*H]
  const logits = matmulReference(
    hTop,
    tensorOf(params, table.headWeight), // [V*H]
    N,
    V,
    H,
    false,
    true,
    tensorOf(params, table.headBias), // [V]
  ); // [N*V]
  const { losses, dlogits } = softmaxCrossEntropyReference(logits, targets, N, V, 1 / N);
  let sum = 0;
  for (let r = 0; r < N; r++) sum += losses[r];

  return {
    loss: sum / N,
    cache: {
      T,
      B,
      inputs: Int32Array.from(inputs),
      targets: Int32Array.from(targets),
      xs,
      hs,
      cs,
      gates: gatesAll,
      logits,
      losses,
      dlogits,
    },
  };
}

/**
 * Exact truncated BPTT over the cached window. Returns the flat gradient in the table's
 * layout (length totalSize, padding 0). The bias gradient goes to both b_ih and b_hh;
 * gradients with respect to the initial state are dropped.
 */
export function modelBackwardReference(
  table: ParamTable,
  params: ArrayLike<number>, // [P]
  cache: ForwardCache,
): Float64Array {
  const { vocabSize: V, embedSize: E, hiddenSize: H, layers: L } = table.config;
  const { T, B } = cache;
  const N = T * B;
  const G = 4 * H;
  const grads = new Float64Array(table.totalSize); // [P]

  // Head: dW_out = dlogitsᵀ·H_top, db_out = Σ_r dlogits, dH_top = dlogits·W_out.
  const hTop = cache.hs[L - 1].subarray(B * H); // [N*H]
  addInto(grads, table.headWeight, matmulReference(cache.dlogits, hTop, V, H, N, true, false)); // [V*H]
  addInto(grads, table.headBias, columnSumReference(cache.dlogits, N, V)); // [V]
  let dhAbove = matmulReference(cache.dlogits, tensorOf(params, table.headWeight), N, H, V, false, false); // [N*H]

  for (let k = L - 1; k >= 0; k--) {
    const lp = table.layers[k];
    const I = k === 0 ? E : H;
    const whh = tensorOf(params, lp.weightHh); // [4H*H]
    const h = cache.hs[k]; // [(T+1)*B*H]
    const c = cache.cs[k]; // [(T+1)*B*H]
    const gates = cache.gates[k]; // [N*4H]

    // Recurrent backward, last timestep first.
    const dz = new Float64Array(N * G); // [N*4H]
    let dcCarry: Float64Array = new Float64Array(B * H); // [B*H]
    for (let t = T - 1; t >= 0; t--) {
      const step = lstmStepBackwardReference(
        dhAbove.subarray(t * B * H, (t + 1) * B * H), // [B*H]
        t < T - 1 ? dz.subarray((t + 1) * B * G, (t + 2) * B * G) : null, // [B*4H]
        whh,
        gates.subarray(t * B * G, (t + 1) * B * G), // [B*4H]
        c.subarray(t * B * H, (t + 1) * B * H), // [B*H] c_{t-1}
        c.subarray((t + 1) * B * H, (t + 2) * B * H), // [B*H] c_t
        dcCarry,
        B,
        H,
      );
      dz.set(step.dz, t * B * G);
      dcCarry = step.dcPrev;
    }

    // Whole-sequence weight gradients.
    const x = cache.xs[k]; // [N*I]
    const hPrevSeq = h.subarray(0, N * H); // [N*H], slots 0..T-1
    addInto(grads, lp.weightIh, matmulReference(dz, x, G, I, N, true, false)); // [4H*I]
    addInto(grads, lp.weightHh, matmulReference(dz, hPrevSeq, G, H, N, true, false)); // [4H*H]
    const db = columnSumReference(dz, N, G); // [4H]
    addInto(grads, lp.biasIh, db);
    addInto(grads, lp.biasHh, db);

    // Gradient into this layer's input: dX = dz·W_ih.
    dhAbove = matmulReference(dz, tensorOf(params, lp.weightIh), N, I, G, false, false); // [N*I]
  }

  // Layer 0's dX is the gradient of the embedding rows.
  addInto(grads, table.embed, embeddingBackwardReference(dhAbove, cache.inputs, V, E)); // [V*E]
  return grads;
}

/**
 * One training step: forward, backward, global-norm clipping, Adam (params updated in place,
 * adam.step incremented). Returns the final hidden and cell states for carrying to the next window.
 */
export function trainStepReference(
  table: ParamTable,
  params: Float64Array, // [P], updated in place
  adam: AdamState,
  inputs: Int32Array, // [T*B]
  targets: Int32Array, // [T*B]
  T: number,
  B: number,
  opts: TrainStepOptions,
  h0?: Float64Array[], // per layer [B*H]
  c0?: Float64Array[], // per layer [B*H]
): { loss: number; gradNorm: number; hT: Float64Array[]; cT: Float64Array[] } {
  const { hiddenSize: H, layers: L } = table.config;
  const { loss, cache } = modelForwardReference(table, params, inputs, targets, T, B, h0, c0);
  const grads = modelBackwardReference(table, params, cache); // [P]
  const gradNorm = gradNormReference(grads);
  const gradScale = clipScaleReference(gradNorm, opts.clip);
  adam.step += 1;
  const lr = learningRate(opts, adam.step);
  adamReference(params, grads, adam.m, adam.v, {
    lr,
    beta1: opts.beta1,
    beta2: opts.beta2,
    eps: opts.eps,
    step: adam.step,
    gradScale,
  });
  const hT: Float64Array[] = [];
  const cT: Float64Array[] = [];
  for (let k = 0; k < L; k++) {
    hT.push(cache.hs[k].slice(T * B * H, (T + 1) * B * H)); // [B*H]
    cT.push(cache.cs[k].slice(T * B * H, (T + 1) * B * H)); // [B*H]
  }
  return { loss, gradNorm, hT, cT };
}
