/**
 * CPU references, one per GPU kernel: plain float64 loops, written to be read.
 * Each function stands alone (no shared helpers beyond sigmoid), so a kernel's
 * WGSL and its reference can be compared side by side.
 *
 * Dimension legend:
 *   V vocabulary, E embedding width, H hidden size, L layers,
 *   B streams in a batch, T truncated-BPTT length, N rows (positions, N = T*B).
 *
 * Layout conventions (shared with the GPU):
 *   - row-major everywhere;
 *   - position r = t*B + b (time-major);
 *   - gate order i, f, g, o: gate q of unit j of stream b sits at b*4H + q*H + j
 *     within one timestep's [B, 4H] block;
 *   - W_ih (4H×I) and W_hh (4H×H) in PyTorch layout.
 */

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** x[r, :] = embed[tokens[r], :]. */
export function embeddingForwardReference(
  embed: ArrayLike<number>, // [V*E]
  tokens: ArrayLike<number>, // [N]
  E: number,
): Float64Array {
  const N = tokens.length;
  const out = new Float64Array(N * E); // [N*E]
  for (let r = 0; r < N; r++) {
    const tok = tokens[r];
    for (let e = 0; e < E; e++) out[r * E + e] = embed[tok * E + e];
  }
  return out;
}

/** dEmbed[v, :] = sum of dX[r, :] over the rows r whose token is v. */
export function embeddingBackwardReference(
  dX: ArrayLike<number>, // [N*E]
  tokens: ArrayLike<number>, // [N]
  V: number,
  E: number,
): Float64Array {
  const N = tokens.length;
  const dEmbed = new Float64Array(V * E); // [V*E]
  for (let r = 0; r < N; r++) {
    const tok = tokens[r];
    for (let e = 0; e < E; e++) dEmbed[tok * E + e] += dX[r * E + e];
  }
  return dEmbed;
}

/**
 * C = op(A)·op(B) (+ bias + bias2, broadcast over rows).
 * op(A) is M×K: stored M×K, or K×M when transA. op(B) is K×N: stored K×N, or N×K when transB.
 */
export function matmulReference(
  a: ArrayLike<number>, // [M*K] or [K*M] when transA
  b: ArrayLike<number>, // [K*N] or [N*K] when transB
  M: number,
  N: number,
  K: number,
  transA: boolean,
  transB: boolean,
  bias?: ArrayLike<number> | null, // [N]
  bias2?: ArrayLike<number> | null, // [N]
): Float64Array {
  const c = new Float64Array(M * N); // [M*N]
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const av = transA ? a[k * M + m] : a[m * K + k];
        const bv = transB ? b[n * K + k] : b[k * N + n];
        sum += av * bv;
      }
      if (bias) sum += bias[n];
      if (bias2) sum += bias2[n];
      c[m * N + n] = sum;
    }
  }
  return c;
}

/**
 * Weight and bias gradients over K positions: w1 = Aᵀ·B1 (M, N1), w2 = Aᵀ·B2 (M, N2),
 * bias[m] = Σ_k A[k, m].
 */
export function weightGradReference(
  a: ArrayLike<number>, // [K*M]
  b1: ArrayLike<number>, // [K*N1]
  b2: ArrayLike<number>, // [K*N2]
  K: number,
  M: number,
  N1: number,
  N2: number,
): { w1: Float64Array; w2: Float64Array; bias: Float64Array } {
  const w1 = new Float64Array(M * N1); // [M*N1]
  const w2 = new Float64Array(M * N2); // [M*N2]
  const bias = new Float64Array(M); // [M]
  for (let k = 0; k < K; k++) {
    for (let m = 0; m < M; m++) {
      const av = a[k * M + m];
      bias[m] += av;
      for (let n = 0; n < N1; n++) w1[m * N1 + n] += av * b1[k * N1 + n];
      for (let n = 0; n < N2; n++) w2[m * N2 + n] += av * b2[k * N2 + n];
    }
  }
  return { w1, w2, bias };
}

/** out[n] = sum over rows r of a[r, n]. */
export function columnSumReference(
  a: ArrayLike<number>, // [R*N]
  R: number,
  N: number,
): Float64Array {
  const out = new Float64Array(N); // [N]
  for (let r = 0; r < R; r++) {
    for (let n = 0; n < N; n++) out[n] += a[r * N + n];
  }
  return out;
}

/**
 * One LSTM timestep for all B streams.
 * z = zx + hPrev·W_hhᵀ; i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o);
 * c = f*cPrev + i*g; h = o*tanh(c).
 */
export function lstmStepForwardReference(
  zx: ArrayLike<number>, // [B*4H], W_ih·x + b_ih + b_hh already in
  hPrev: ArrayLike<number>, // [B*H]
  cPrev: ArrayLike<number>, // [B*H]
  whh: ArrayLike<number>, // [4H*H]
  B: number,
  H: number,
): { gates: Float64Array; h: Float64Array; c: Float64Array } {
  const G = 4 * H;
  const gates = new Float64Array(B * G); // [B*4H], activated i, f, g, o
  const h = new Float64Array(B * H); // [B*H]
  const c = new Float64Array(B * H); // [B*H]
  for (let b = 0; b < B; b++) {
    // Pre-activations, then activations, gate by gate.
    for (let q = 0; q < 4; q++) {
      for (let j = 0; j < H; j++) {
        const row = q * H + j; // row of W_hh
        let z = zx[b * G + row];
        for (let k = 0; k < H; k++) z += hPrev[b * H + k] * whh[row * H + k];
        gates[b * G + row] = q === 2 ? Math.tanh(z) : sigmoid(z);
      }
    }
    for (let j = 0; j < H; j++) {
      const ig = gates[b * G + j];
      const fg = gates[b * G + H + j];
      const gg = gates[b * G + 2 * H + j];
      const og = gates[b * G + 3 * H + j];
      const cv = fg * cPrev[b * H + j] + ig * gg;
      c[b * H + j] = cv;
      h[b * H + j] = og * Math.tanh(cv);
    }
  }
  return { gates, h, c };
}

/**
 * Backward of one LSTM timestep for all B streams.
 * dh = dhAbove + dzNext·W_hh; tc = tanh(c); do = dh*tc; dc = dcCarry + dh*o*(1-tc²);
 * di = dc*g; dg = dc*i; df = dc*cPrev;
 * dz_i = di*i*(1-i), dz_f = df*f*(1-f), dz_g = dg*(1-g²), dz_o = do*o*(1-o); dcPrev = dc*f.
 */
export function lstmStepBackwardReference(
  dhAbove: ArrayLike<number>, // [B*H], dL/dh_t from the head or the layer above
  dzNext: ArrayLike<number> | null, // [B*4H], dz of timestep t+1, null at the last timestep
  whh: ArrayLike<number>, // [4H*H]
  gates: ArrayLike<number>, // [B*4H], activated gates at t
  cPrev: ArrayLike<number>, // [B*H], c_{t-1}
  c: ArrayLike<number>, // [B*H], c_t
  dcCarry: ArrayLike<number>, // [B*H], dL/dc_t from t+1 (zeros at the last timestep)
  B: number,
  H: number,
): { dz: Float64Array; dcPrev: Float64Array } {
  const G = 4 * H;
  const dz = new Float64Array(B * G); // [B*4H]
  const dcPrev = new Float64Array(B * H); // [B*H]
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      let dh = dhAbove[b * H + j];
      if (dzNext) {
        for (let row = 0; row < G; row++) dh += dzNext[b * G + row] * whh[row * H + j];
      }
      const ig = gates[b * G + j];
      const fg = gates[b * G + H + j];
      const gg = gates[b * G + 2 * H + j];
      const og = gates[b * G + 3 * H + j];
      const tc = Math.tanh(c[b * H + j]);
      const dO = dh * tc;
      const dc = dcCarry[b * H + j] + dh * og * (1 - tc * tc);
      const dI = dc * gg;
      const dG = dc * ig;
      const dF = dc * cPrev[b * H + j];
      dz[b * G + j] = dI * ig * (1 - ig);
      dz[b * G + H + j] = dF * fg * (1 - fg);
      dz[b * G + 2 * H + j] = dG * (1 - gg * gg);
      dz[b * G + 3 * H + j] = dO * og * (1 - og);
      dcPrev[b * H + j] = dc * fg;
    }
  }
  return { dz, dcPrev };
}

/**
 * One layer's LSTM over a whole window of T timesteps for all B streams, from the
 * carried state (h0, c0): at each t, z = zx[t] + h_{t-1}·W_hhᵀ; i = σ(z_i), f = σ(z_f),
 * g = tanh(z_g), o = σ(z_o); c_t = f*c_{t-1} + i*g; h_t = o*tanh(c_t).
 */
export function lstmSeqForwardReference(
  zx: ArrayLike<number>, // [T*B*4H], W_ih·x + b_ih + b_hh already in
  h0: ArrayLike<number>, // [B*H]
  c0: ArrayLike<number>, // [B*H]
  whh: ArrayLike<number>, // [4H*H]
  T: number,
  B: number,
  H: number,
): { gates: Float64Array; h: Float64Array; c: Float64Array } {
  const G = 4 * H;
  const gates = new Float64Array(T * B * G); // [T*B*4H], activated i, f, g, o
  const h = new Float64Array((T + 1) * B * H); // [(T+1)*B*H], slot 0 = h0
  const c = new Float64Array((T + 1) * B * H); // [(T+1)*B*H], slot 0 = c0
  for (let i = 0; i < B * H; i++) {
    h[i] = h0[i];
    c[i] = c0[i];
  }
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const prev = (t * B + b) * H; // h_{t-1}, c_{t-1}
      const cur = ((t + 1) * B + b) * H; // h_t, c_t
      const gb = (t * B + b) * G;
      for (let row = 0; row < G; row++) {
        let z = zx[gb + row];
        for (let k = 0; k < H; k++) z += h[prev + k] * whh[row * H + k];
        gates[gb + row] = row >= 2 * H && row < 3 * H ? Math.tanh(z) : sigmoid(z);
      }
      for (let j = 0; j < H; j++) {
        const ig = gates[gb + j];
        const fg = gates[gb + H + j];
        const gg = gates[gb + 2 * H + j];
        const og = gates[gb + 3 * H + j];
        c[cur + j] = fg * c[prev + j] + ig * gg;
        h[cur + j] = og * Math.tanh(c[cur + j]);
      }
    }
  }
  return { gates, h: h.slice(B * H), c: c.slice(B * H) };
}

/**
 * Truncated BPTT through one layer's window, t = T-1 … 0, with no gradient flowing in
 * from after the window: dh_t = dhAbove[t] + dz[t+1]·W_hh (no second term at T-1);
 * tc = tanh(c_t); dc_t = dcCarry + dh_t*o*(1-tc²) (dcCarry = 0 at T-1);
 * dz[t] = [dc*g*i(1-i), dc*c_{t-1}*f(1-f), dc*i*(1-g²), dh*tc*o(1-o)]; dcCarry = dc_t*f.
 * dz carries the recurrence: dz_o[t] is dh_t scaled, dz_i, dz_f, dz_g are dc_t scaled.
 */
export function lstmSeqBackwardReference(
  dhAbove: ArrayLike<number>, // [T*B*H], dL/dh_t from the head or the layer above
  whh: ArrayLike<number>, // [4H*H]
  gates: ArrayLike<number>, // [T*B*4H], activated gates
  cs: ArrayLike<number>, // [(T+1)*B*H], slot 0 = c of the carried state, slot t+1 = c_t
  T: number,
  B: number,
  H: number,
): { dz: Float64Array } {
  const G = 4 * H;
  const dz = new Float64Array(T * B * G); // [T*B*4H]
  const carry = new Float64Array(B * H); // [B*H], dL/dc_t from t+1
  for (let t = T - 1; t >= 0; t--) {
    for (let b = 0; b < B; b++) {
      const hb = (t * B + b) * H;
      const gb = (t * B + b) * G;
      for (let j = 0; j < H; j++) {
        let dh = dhAbove[hb + j];
        if (t < T - 1) {
          const nb = ((t + 1) * B + b) * G;
          for (let row = 0; row < G; row++) dh += dz[nb + row] * whh[row * H + j];
        }
        const ig = gates[gb + j];
        const fg = gates[gb + H + j];
        const gg = gates[gb + 2 * H + j];
        const og = gates[gb + 3 * H + j];
        const cPrev = cs[hb + j];
        const tc = Math.tanh(cs[hb + B * H + j]);
        const dc = (t < T - 1 ? carry[b * H + j] : 0) + dh * og * (1 - tc * tc);
        dz[gb + j] = dc * gg * ig * (1 - ig);
        dz[gb + H + j] = dc * cPrev * fg * (1 - fg);
        dz[gb + 2 * H + j] = dc * ig * (1 - gg * gg);
        dz[gb + 3 * H + j] = dh * tc * og * (1 - og);
        carry[b * H + j] = dc * fg;
      }
    }
  }
  return { dz };
}

/**
 * Row-wise softmax cross-entropy: losses[r] = -log softmax(logits[r])[targets[r]],
 * dlogits[r] = (softmax(logits[r]) - onehot(targets[r])) * scale. Stable: subtracts the row max.
 */
export function softmaxCrossEntropyReference(
  logits: ArrayLike<number>, // [N*V]
  targets: ArrayLike<number>, // [N]
  N: number,
  V: number,
  scale: number,
): { losses: Float64Array; dlogits: Float64Array } {
  const losses = new Float64Array(N); // [N]
  const dlogits = new Float64Array(N * V); // [N*V]
  for (let r = 0; r < N; r++) {
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, logits[r * V + v]);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[r * V + v] - max);
    const logSum = Math.log(sum);
    const target = targets[r];
    losses[r] = -(logits[r * V + target] - max - logSum);
    for (let v = 0; v < V; v++) {
      const p = Math.exp(logits[r * V + v] - max - logSum);
      dlogits[r * V + v] = (p - (v === target ? 1 : 0)) * scale;
    }
  }
  return { losses, dlogits };
}

/** sqrt of the sum of squares of every gradient element. */
export function gradNormReference(grads: ArrayLike<number> /* [any] */): number {
  let sum = 0;
  for (let i = 0; i < grads.length; i++) sum += grads[i] * grads[i];
  return Math.sqrt(sum);
}

/** PyTorch clip_grad_norm_: scale = maxNorm/(norm + 1e-6) when that is < 1, else 1; maxNorm ≤ 0 disables. */
export function clipScaleReference(norm: number, maxNorm: number): number {
  if (maxNorm <= 0) return 1;
  const scale = maxNorm / (norm + 1e-6);
  return scale < 1 ? scale : 1;
}

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** 1-based step count, for bias correction. */
  step: number;
  /** Multiplies the gradient first (the clipping scale). */
  gradScale: number;
}

/**
 * PyTorch Adam, in place: g = grads*gradScale; m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²;
 * p -= (lr/(1-β1^step)) * m / (sqrt(v)/sqrt(1-β2^step) + eps).
 */
export function adamReference(
  params: Float64Array, // [P]
  grads: ArrayLike<number>, // [P]
  m: Float64Array, // [P]
  v: Float64Array, // [P]
  opts: AdamOptions,
): void {
  const { lr, beta1, beta2, eps, step, gradScale } = opts;
  const stepSize = lr / (1 - Math.pow(beta1, step));
  const sqrtBias2 = Math.sqrt(1 - Math.pow(beta2, step));
  for (let i = 0; i < params.length; i++) {
    const g = grads[i] * gradScale;
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    params[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtBias2 + eps);
  }
}

export interface SampleOptions {
  temperature: number;
  /** Keep the topK most probable tokens; 0 = off. */
  topK: number;
  /** Keep the smallest prefix (by rank) whose mass reaches topP; ≥ 1 = off. */
  topP: number;
}

/**
 * One categorical draw, with the exact algorithm of the GPU sampler:
 * temperature ≤ 0 → argmax (lowest index on ties). Else p = softmax(logits/temperature);
 * rank_i = #{j : p_j > p_i or (p_j == p_i and j < i)}; massBefore_i = Σ p_j over rank_j < rank_i;
 * keep_i = (topK ≤ 0 || rank_i < topK) && (topP ≥ 1 || massBefore_i < topP);
 * walk the kept tokens in index order and return the first where the running sum > u·(kept mass);
 * if rounding leaves none, the last kept index.
 */
export function sampleReference(
  logits: ArrayLike<number>, // [V]
  V: number,
  opts: SampleOptions,
  u: number,
): number {
  const { temperature, topK, topP } = opts;
  if (temperature <= 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, logits[i] / temperature);
  const p = new Float64Array(V); // [V]
  let sum = 0;
  for (let i = 0; i < V; i++) {
    p[i] = Math.exp(logits[i] / temperature - max);
    sum += p[i];
  }
  for (let i = 0; i < V; i++) p[i] /= sum;

  const rank = new Int32Array(V); // [V]
  for (let i = 0; i < V; i++) {
    let r = 0;
    for (let j = 0; j < V; j++) if (p[j] > p[i] || (p[j] === p[i] && j < i)) r++;
    rank[i] = r;
  }
  const keep = new Uint8Array(V); // [V]
  let total = 0;
  for (let i = 0; i < V; i++) {
    let massBefore = 0;
    for (let j = 0; j < V; j++) if (rank[j] < rank[i]) massBefore += p[j];
    const kept = (topK <= 0 || rank[i] < topK) && (topP >= 1 || massBefore < topP);
    keep[i] = kept ? 1 : 0;
    if (kept) total += p[i];
  }

  const target = u * total;
  let acc = 0;
  let last = -1;
  for (let i = 0; i < V; i++) {
    if (!keep[i]) continue;
    acc += p[i];
    last = i;
    if (acc > target) return i;
  }
  return last;
}

/** One layer's weights, PyTorch layout, as sampleBlockReference reads them. */
export interface LayerWeights {
  wih: ArrayLike<number>; // [4H*I]
  whh: ArrayLike<number>; // [4H*H]
  bih: ArrayLike<number>; // [4H]
  bhh: ArrayLike<number>; // [4H]
}

/**
 * A block of a generation, as sample_block.wgsl runs it: for each of `steps` characters
 * and each row r, the model on the row's current token (embedding, every layer's LSTM
 * step from the row's state, head), then the next token: forced[k] when ≥ 0 (the prime),
 * else sampleReference(logits, V, rows[r], rand[k*R + r]), k = k0 + step. This one
 * composes the other references (lstmStepForwardReference, sampleReference): the kernel
 * fuses exactly those. Updates `tokens` and the state in place; returns out[(k-k0)*R + r].
 */
export function sampleBlockReference(
  w: {
    embed: ArrayLike<number>; // [V*E]
    layers: LayerWeights[]; // L
    wout: ArrayLike<number>; // [V*H]
    bout: ArrayLike<number>; // [V]
  },
  V: number,
  E: number,
  H: number,
  rows: SampleOptions[], // R
  h: Float64Array[], // L × [R*H], in place
  c: Float64Array[], // L × [R*H], in place
  tokens: Int32Array, // [R], in place: next input of each row
  k0: number,
  steps: number,
  forced: ArrayLike<number>, // [k0 + steps]
  rand: ArrayLike<number>, // [(k0 + steps)*R]
): Int32Array {
  const R = rows.length;
  const out = new Int32Array(steps * R); // [steps*R]
  for (let s = 0; s < steps; s++) {
    const k = k0 + s;
    for (let r = 0; r < R; r++) {
      let x: ArrayLike<number> = Array.from({ length: E }, (_, e) => w.embed[tokens[r] * E + e]); // [I]
      w.layers.forEach((lw, l) => {
        const I = x.length;
        const zx = new Float64Array(4 * H); // [4H]
        for (let row = 0; row < 4 * H; row++) {
          let z = lw.bih[row] + lw.bhh[row];
          for (let i = 0; i < I; i++) z += lw.wih[row * I + i] * x[i];
          zx[row] = z;
        }
        const step = lstmStepForwardReference(zx, h[l].subarray(r * H, (r + 1) * H), c[l].subarray(r * H, (r + 1) * H), lw.whh, 1, H);
        h[l].set(step.h, r * H);
        c[l].set(step.c, r * H);
        x = step.h;
      });
      const logits = new Float64Array(V); // [V]
      for (let v = 0; v < V; v++) {
        let z = w.bout[v];
        for (let j = 0; j < H; j++) z += w.wout[v * H + j] * x[j];
        logits[v] = z;
      }
      const next = forced[k] >= 0 ? forced[k] : sampleReference(logits, V, rows[r], rand[k * R + r]);
      out[s * R + r] = next;
      tokens[r] = next;
    }
  }
  return out;
}
