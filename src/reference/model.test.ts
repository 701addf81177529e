/**
 * The CPU reference checked against central finite differences (float64) and against
 * the behaviour the sampler, Adam and clipping promise.
 *
 * Dimension legend: V vocabulary, E embedding width, H hidden size, L layers,
 * B streams, T BPTT length, N rows, P flat parameter count.
 */
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../model/config.ts';
import { buildParamTable } from '../model/params.ts';
import { Rng } from '../model/rng.ts';
import {
  adamReference,
  clipScaleReference,
  embeddingBackwardReference,
  gradNormReference,
  lstmStepBackwardReference,
  lstmStepForwardReference,
  matmulReference,
  sampleReference,
  softmaxCrossEntropyReference,
} from './kernels.ts';
import { modelBackwardReference, modelForwardReference, trainStepReference, type AdamState } from './model.ts';

function randomArray(rng: Rng, n: number, std: number): Float64Array {
  const a = new Float64Array(n); // [n]
  for (let i = 0; i < n; i++) a[i] = rng.normal() * std;
  return a;
}

function relErr(a: number, n: number): number {
  return Math.abs(a - n) / Math.max(1e-8, Math.abs(a) + Math.abs(n));
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('kernel references', () => {
  it('matmul honours both transposes and both biases', () => {
    const rng = new Rng(1);
    const M = 3,
      N = 4,
      K = 5;
    const A = randomArray(rng, M * K, 1); // [M*K]
    const Bm = randomArray(rng, K * N, 1); // [K*N]
    const bias = randomArray(rng, N, 1); // [N]
    const bias2 = randomArray(rng, N, 1); // [N]
    const At = new Float64Array(K * M); // [K*M]
    const Bt = new Float64Array(N * K); // [N*K]
    for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) At[k * M + m] = A[m * K + k];
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) Bt[n * K + k] = Bm[k * N + n];
    const ref = matmulReference(A, Bm, M, N, K, false, false, bias, bias2);
    for (const [a, b, ta, tb] of [
      [At, Bm, true, false],
      [A, Bt, false, true],
      [At, Bt, true, true],
    ] as const) {
      const c = matmulReference(a, b, M, N, K, ta, tb, bias, bias2);
      for (let i = 0; i < M * N; i++) expect(c[i]).toBeCloseTo(ref[i], 12);
    }
    let s = bias[1] + bias2[1];
    for (let k = 0; k < K; k++) s += A[2 * K + k] * Bm[k * N + 1];
    expect(ref[2 * N + 1]).toBeCloseTo(s, 12);
  });

  it('embedding backward sums the rows of each token', () => {
    const dX = Float64Array.from([1, 2, 10, 20, 100, 200]); // [N*E], N 3, E 2
    const g = embeddingBackwardReference(dX, [2, 0, 2], 3, 2); // [V*E]
    expect(Array.from(g)).toEqual([10, 20, 0, 0, 101, 202]);
  });

  it('softmax cross-entropy gradient matches finite differences', () => {
    const rng = new Rng(2);
    const N = 3,
      V = 6,
      scale = 0.7;
    const logits = randomArray(rng, N * V, 3); // [N*V]
    const targets = [4, 0, 5];
    const { dlogits } = softmaxCrossEntropyReference(logits, targets, N, V, scale);
    const lossOf = (l: Float64Array) => {
      const { losses } = softmaxCrossEntropyReference(l, targets, N, V, 1);
      return scale * losses.reduce((a, b) => a + b, 0);
    };
    const h = 1e-5;
    for (let i = 0; i < N * V; i++) {
      const p = logits.slice();
      p[i] += h;
      const m = logits.slice();
      m[i] -= h;
      const num = (lossOf(p) - lossOf(m)) / (2 * h);
      expect(relErr(dlogits[i], num)).toBeLessThan(1e-6);
    }
  });

  it('lstmStepBackwardReference matches finite differences of lstmStepForwardReference', () => {
    // Two chained steps, L = <A1,h1> + <A2,h2> + <C2,c2>, so both the dzNext and the carry paths count.
    const rng = new Rng(3);
    const B = 2,
      H = 3,
      G = 4 * H;
    const whh = randomArray(rng, G * H, 0.6); // [4H*H]
    const zx0 = randomArray(rng, B * G, 0.8); // [B*4H]
    const zx1 = randomArray(rng, B * G, 0.8); // [B*4H]
    const hInit = randomArray(rng, B * H, 0.5); // [B*H]
    const cInit = randomArray(rng, B * H, 0.8); // [B*H]
    const A1 = randomArray(rng, B * H, 1); // [B*H]
    const A2 = randomArray(rng, B * H, 1); // [B*H]
    const C2 = randomArray(rng, B * H, 1); // [B*H]

    const run = (z0: Float64Array, z1: Float64Array, cI: Float64Array) => {
      const s0 = lstmStepForwardReference(z0, hInit, cI, whh, B, H);
      const s1 = lstmStepForwardReference(z1, s0.h, s0.c, whh, B, H);
      return { s0, s1, loss: dot(A1, s0.h) + dot(A2, s1.h) + dot(C2, s1.c) };
    };
    const { s0, s1 } = run(zx0, zx1, cInit);
    const b1 = lstmStepBackwardReference(A2, null, whh, s1.gates, s0.c, s1.c, C2, B, H);
    const b0 = lstmStepBackwardReference(A1, b1.dz, whh, s0.gates, cInit, s0.c, b1.dcPrev, B, H);

    const h = 1e-5;
    const fd = (which: 0 | 1 | 2, i: number) => {
      const arrs = [zx0, zx1, cInit].map((a) => a.slice());
      arrs[which][i] += h;
      const lp = run(arrs[0], arrs[1], arrs[2]).loss;
      arrs[which][i] -= 2 * h;
      const lm = run(arrs[0], arrs[1], arrs[2]).loss;
      return (lp - lm) / (2 * h);
    };
    let worst = 0;
    for (let i = 0; i < B * G; i++) worst = Math.max(worst, relErr(b0.dz[i], fd(0, i)), relErr(b1.dz[i], fd(1, i)));
    for (let i = 0; i < B * H; i++) worst = Math.max(worst, relErr(b0.dcPrev[i], fd(2, i)));
    expect(worst).toBeLessThan(1e-6);
  });
});

describe('whole-model gradient', () => {
  it('matches central finite differences for every element of every tensor', () => {
    const config: ModelConfig = { vocabSize: 5, embedSize: 3, hiddenSize: 4, layers: 2 };
    const T = 4,
      B = 2;
    const { hiddenSize: H, layers: L, vocabSize: V } = config;
    const table = buildParamTable(config);
    const rng = new Rng(12345);
    const params = new Float64Array(table.totalSize); // [P], padding stays 0
    for (const e of table.entries) for (let i = 0; i < e.size; i++) params[e.offset + i] = rng.normal() * 0.5;
    const inputs = new Int32Array(T * B); // [T*B]
    const targets = new Int32Array(T * B); // [T*B]
    for (let r = 0; r < T * B; r++) {
      inputs[r] = rng.int(V);
      targets[r] = rng.int(V);
    }
    const h0: Float64Array[] = [];
    const c0: Float64Array[] = [];
    for (let k = 0; k < L; k++) {
      h0.push(randomArray(rng, B * H, 0.5)); // [B*H]
      c0.push(randomArray(rng, B * H, 0.5)); // [B*H]
    }

    const { cache } = modelForwardReference(table, params, inputs, targets, T, B, h0, c0);
    const grads = modelBackwardReference(table, params, cache); // [P]
    expect(grads.length).toBe(table.totalSize);

    const h = 1e-5;
    const lossAt = (p: Float64Array) => modelForwardReference(table, p, inputs, targets, T, B, h0, c0).loss;
    const failures: string[] = [];
    const report: string[] = [];
    for (const e of table.entries) {
      let worst = 0;
      let worstAt = -1;
      let worstA = 0;
      let worstN = 0;
      for (let i = 0; i < e.size; i++) {
        const idx = e.offset + i;
        const saved = params[idx];
        params[idx] = saved + h;
        const lp = lossAt(params);
        params[idx] = saved - h;
        const lm = lossAt(params);
        params[idx] = saved;
        const num = (lp - lm) / (2 * h);
        const err = relErr(grads[idx], num);
        if (err > worst || worstAt < 0) {
          worst = err;
          worstAt = i;
          worstA = grads[idx];
          worstN = num;
        }
      }
      const line = `${e.name}: worst rel err ${worst.toExponential(2)} at [${worstAt}] analytic ${worstA} numeric ${worstN}`;
      report.push(line);
      if (worst >= 1e-5) failures.push(line);
    }
    // Padding between tensors gets no gradient.
    const inTensor = new Uint8Array(table.totalSize); // [P]
    for (const e of table.entries) inTensor.fill(1, e.offset, e.offset + e.size);
    for (let i = 0; i < table.totalSize; i++) if (!inTensor[i]) expect(grads[i]).toBe(0);
    if (process.env.SHOW_FD || failures.length) console.log(report.join('\n'));
    expect(failures).toEqual([]);
  });
});

describe('sampleReference', () => {
  const logits = Float64Array.from([0.3, 2.0, -1.0, 1.2, 0.5, 1.9]); // [V]
  const V = logits.length;

  it('returns the argmax at temperature 0, with topK = 1 and with a tiny topP', () => {
    for (const u of [0, 0.25, 0.5, 0.999999]) {
      expect(sampleReference(logits, V, { temperature: 0, topK: 0, topP: 1 }, u)).toBe(1);
      expect(sampleReference(logits, V, { temperature: 1, topK: 1, topP: 1 }, u)).toBe(1);
      expect(sampleReference(logits, V, { temperature: 1.5, topK: 0, topP: 1e-6 }, u)).toBe(1);
    }
    // Ties: lowest index.
    expect(sampleReference([1, 3, 3], 3, { temperature: 0, topK: 0, topP: 1 }, 0.5)).toBe(1);
    expect(sampleReference([1, 3, 3], 3, { temperature: 1, topK: 1, topP: 1 }, 0.9)).toBe(1);
  });

  it('draws from softmax at temperature 1', () => {
    let max = -Infinity;
    for (let i = 0; i < V; i++) max = Math.max(max, logits[i]);
    const p = new Float64Array(V); // [V]
    let sum = 0;
    for (let i = 0; i < V; i++) sum += p[i] = Math.exp(logits[i] - max);
    for (let i = 0; i < V; i++) p[i] /= sum;

    const rng = new Rng(7);
    const n = 20000;
    const counts = new Float64Array(V); // [V]
    for (let s = 0; s < n; s++) counts[sampleReference(logits, V, { temperature: 1, topK: 0, topP: 1 }, rng.uniform())]++;
    for (let i = 0; i < V; i++) expect(Math.abs(counts[i] / n - p[i])).toBeLessThan(0.015);
  });

  it('topK and topP keep only the most probable tokens', () => {
    const seen = new Set<number>();
    for (let s = 0; s < 200; s++) seen.add(sampleReference(logits, V, { temperature: 1, topK: 2, topP: 1 }, s / 200));
    expect([...seen].sort()).toEqual([1, 5]);
    // p(1) ≈ 0.33, p(5) ≈ 0.30, p(3) ≈ 0.15: topP 0.5 keeps tokens 1 and 5 only.
    seen.clear();
    for (let s = 0; s < 200; s++) seen.add(sampleReference(logits, V, { temperature: 1, topK: 0, topP: 0.5 }, s / 200));
    expect([...seen].sort()).toEqual([1, 5]);
  });
});

describe('optimizer references', () => {
  it("Adam's first step moves each parameter by about lr*sign(g)", () => {
    const rng = new Rng(9);
    const P = 50;
    const params = randomArray(rng, P, 1); // [P]
    const before = params.slice();
    const grads = randomArray(rng, P, 1); // [P]
    const m = new Float64Array(P); // [P]
    const v = new Float64Array(P); // [P]
    const lr = 0.01;
    adamReference(params, grads, m, v, { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1, gradScale: 0.3 });
    for (let i = 0; i < P; i++) {
      expect(before[i] - params[i]).toBeCloseTo(lr * Math.sign(grads[i]), 6);
    }
  });

  it('clipping scales the global norm down to maxNorm and leaves small norms alone', () => {
    const rng = new Rng(10);
    const grads = randomArray(rng, 100, 3); // [100]
    const norm = gradNormReference(grads);
    expect(norm).toBeGreaterThan(5);
    const scale = clipScaleReference(norm, 5);
    const clipped = grads.map((g) => g * scale);
    expect(gradNormReference(clipped)).toBeCloseTo(5, 5);
    expect(clipScaleReference(norm, norm * 2)).toBe(1);
    expect(clipScaleReference(norm, 0)).toBe(1);
    expect(gradNormReference([3, 4])).toBe(5);
  });
});

describe('trainStepReference', () => {
  it('drives the loss down on a small repeating text over 50 steps', () => {
    const text = 'the cat sat on the mat. '.repeat(20);
    const chars = [...new Set(text)].sort();
    const V = chars.length;
    const ids = [...text].map((ch) => chars.indexOf(ch));
    const config: ModelConfig = { vocabSize: V, embedSize: 8, hiddenSize: 16, layers: 1 };
    const table = buildParamTable(config);
    const rng = new Rng(42);
    const params = new Float64Array(table.totalSize); // [P]
    for (const e of table.entries) for (let i = 0; i < e.size; i++) params[e.offset + i] = rng.normal() * 0.1;
    const adam: AdamState = { m: new Float64Array(table.totalSize), v: new Float64Array(table.totalSize), step: 0 };
    const T = 8,
      B = 2;
    const streamLen = Math.floor((ids.length - 1) / B);
    let h: Float64Array[] | undefined;
    let c: Float64Array[] | undefined;
    let cursor = 0;
    const losses: number[] = [];
    for (let s = 0; s < 50; s++) {
      if (cursor + T > streamLen) {
        cursor = 0;
        h = c = undefined;
      }
      const inputs = new Int32Array(T * B); // [T*B]
      const targets = new Int32Array(T * B); // [T*B]
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          const pos = b * streamLen + cursor + t;
          inputs[t * B + b] = ids[pos];
          targets[t * B + b] = ids[pos + 1];
        }
      }
      cursor += T;
      const out = trainStepReference(table, params, adam, inputs, targets, T, B, { lr: 0.02, clip: 5, beta1: 0.9, beta2: 0.999, eps: 1e-8, lrDecay: 1 }, h, c);
      h = out.hT;
      c = out.cT;
      expect(Number.isFinite(out.gradNorm)).toBe(true);
      losses.push(out.loss);
    }
    if (process.env.SHOW_FD) console.log(losses.map((l) => l.toFixed(3)).join(' '));
    expect(adam.step).toBe(50);
    const first = losses.slice(0, 5).reduce((a, b) => a + b, 0) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    expect(first).toBeGreaterThan(Math.log(V) * 0.9);
    expect(last).toBeLessThan(first * 0.5);
  });
});
