/**
 * Per-GEMM timings of a training step's products, every variant side by side, inside a
 * browser page (driven by src/cli/gemm-timing.ts). Figures, never assertions: each
 * product is run `reps` times in one pass and timed to the queue's completion; the
 * best of `trials` rounds is kept, the variants taking turns in every round so that
 * the load of a shared machine falls on them alike.
 *
 * Legend: V vocab, E embed, H hidden, N = T·B positions.
 */
import { requestGpu } from './device.ts';
import { storageBuffer } from './buffers.ts';
import { Kernels, encodeDispatches, weightGradShape, type Dispatch } from './kernels.ts';

export interface GemmTimingShape {
  name: string;
  vocab: number;
  embed: number;
  hidden: number;
  positions: number;
}

export interface GemmTiming {
  product: string;
  variant: string;
  dispatches: number;
  ms: number;
  gflops: number;
}

export async function runGemmTiming(
  shape: GemmTimingShape,
  o: { reps: number; trials: number; only?: string },
): Promise<{ adapter: string; limits: string; timings: GemmTiming[] }> {
  const gpu = await requestGpu(navigator.gpu, 'start Chromium with --enable-unsafe-webgpu');
  const device = gpu.device;
  const { vocab: V, embed: E, hidden: H, positions: N } = shape;
  const G = 4 * H;
  const buf = (label: string, floats: number) => {
    const data = new Float32Array(floats);
    for (let i = 0; i < floats; i++) data[i] = Math.sin(i * 0.37) * 0.5;
    return storageBuffer(device, label, floats, data);
  };
  const x = buf('x (N, E)', N * E);
  const hs = buf('h (N + B, H)', (N + 64) * H);
  const w = buf('weights', G * (E + H) + V * H + 4 * G);
  const dz = buf('dz (N, 4H)', N * G);
  const logits = buf('logits (N, V)', N * V);
  const zx = buf('zx (N, 4H)', N * G);
  const out = buf('out (N, max)', N * Math.max(G, H, E, V));
  const grads = buf('grads', G * (E + H) + V * H + 4 * G);
  const reg = new Kernels(device, { variant: 'registers', splitK: false });
  const tiled = new Kernels(device, { variant: 'tiled', splitK: true });
  const whh = G * E;
  const wout = G * (E + H);
  const bias = wout + V * H;

  type Case = { product: string; flops: number; variants: { name: string; ds: Dispatch[] }[] };
  const forward = (
    label: string,
    m: number,
    n: number,
    k: number,
    transB: boolean,
    a: GPUBuffer,
    b: GPUBuffer,
    bOff: number,
    c: GPUBuffer,
    withBias: boolean,
  ) =>
    (['registers', 'tiled'] as const).map((variant) => ({
      name: variant,
      ds: [
        (variant === 'tiled' ? tiled : reg).matmul({
          label,
          m,
          n,
          k,
          transA: false,
          transB,
          a,
          aOff: 0,
          b,
          bOff,
          c,
          cOff: 0,
          bias: withBias ? { buffer: w, off: bias, off2: bias } : undefined,
        }),
      ],
    }));
  const weight = (label: string, m: number, n1: number, n2: number, a: GPUBuffer, b1: GPUBuffer, b2: GPUBuffer | null) => {
    const one = tiled.weightGradShape(m, n1 + n2, N);
    const single = weightGradShape(m, n1 + n2, N, device.limits.maxComputeInvocationsPerWorkgroup, 1); // one slice of K
    const partials = storageBuffer(device, 'partials', Math.max(1, one.partialFloats));
    const wg = (s: typeof one) =>
      tiled.weightGrad({
        label,
        m,
        k: N,
        n1,
        n2,
        shape: s,
        a,
        aOff: 0,
        b1,
        b1Off: 0,
        b2: b2 ? { buffer: b2, off: 0 } : undefined,
        grads,
        w1Off: 0,
        w2Off: whh,
        bias: { off: bias, off2: b2 ? bias + G : undefined },
        partials,
      });
    // The former path: one register-blocked TN matmul per weight (the bias sums then ran in column_sum).
    const matmuls = [[n1, b1, 0] as const, ...(b2 ? [[n2, b2, whh] as const] : [])].map(([n, b, cOff]) =>
      reg.matmul({ label, m, n, k: N, transA: true, transB: false, a, aOff: 0, b, bOff: 0, c: grads, cOff }),
    );
    return [
      { name: 'registers TN matmuls (no bias)', ds: matmuls },
      { name: 'weight_grad, 1 slice (+bias)', ds: wg(single) },
      { name: `weight_grad, ${one.slices} slices of ${one.kSlice} (+bias)`, ds: wg(one) },
    ];
  };
  const cases: Case[] = [
    { product: `input projection X·W_ihᵀ (${N}×${G}×${E}, NT)`, flops: 2 * N * G * E, variants: forward('input projection', N, G, E, true, x, w, 0, zx, true) },
    { product: `head H·W_outᵀ (${N}×${V}×${H}, NT)`, flops: 2 * N * V * H, variants: forward('head', N, V, H, true, hs, w, wout, logits, true) },
    { product: `dH = dlogits·W_out (${N}×${H}×${V}, NN)`, flops: 2 * N * H * V, variants: forward('dH', N, H, V, false, logits, w, wout, out, false) },
    { product: `dX = dz·W_ih (${N}×${E}×${G}, NN)`, flops: 2 * N * E * G, variants: forward('dX', N, E, G, false, dz, w, 0, out, false) },
    { product: `dW_out | db_out (${V}×${H}×${N})`, flops: 2 * V * H * N, variants: weight('dW_out', V, H, 0, logits, hs, null) },
    { product: `dW_ih | dW_hh | db (${G}×${E + H}×${N})`, flops: 2 * G * (E + H) * N, variants: weight('dW_ih dW_hh', G, E, H, dz, x, hs) },
  ];

  const run = async (ds: Dispatch[]) => {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (let r = 0; r < o.reps; r++) encodeDispatches(pass, ds);
    pass.end();
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    return (performance.now() - t0) / o.reps;
  };
  const timings: GemmTiming[] = [];
  for (const c of cases.filter((c) => !o.only || c.product.includes(o.only))) {
    for (const v of c.variants) await run(v.ds); // compile and warm up
    const best = c.variants.map(() => Infinity);
    for (let t = 0; t < o.trials; t++) for (const [i, v] of c.variants.entries()) best[i] = Math.min(best[i], await run(v.ds));
    c.variants.forEach((v, i) => timings.push({ product: c.product, variant: v.name, dispatches: v.ds.length, ms: best[i], gflops: c.flops / best[i] / 1e6 }));
  }
  const l = device.limits;
  device.destroy();
  return {
    adapter: gpu.adapter.summary,
    limits: `workgroup storage ${l.maxComputeWorkgroupStorageSize} B, ${l.maxComputeInvocationsPerWorkgroup} invocations`,
    timings,
  };
}
