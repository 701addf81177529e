/**
 * GPU ↔ CPU parity of every WGSL kernel, one test per kernel: seeded random inputs,
 * the prepared dispatch from `Kernels`, and the float64 reference of
 * src/reference/kernels.ts. Data sits at nonzero element offsets inside larger
 * buffers whose other elements hold garbage, and the garbage is checked to be left
 * exactly as it was. Sizes are small (SwiftShader is slow) but include ones that are
 * not multiples of the workgroup or tile sizes. Every test also fails on any WebGPU
 * validation, out-of-memory or internal error (these do not throw by themselves).
 */
import { describe, it, expect } from 'vitest';
import { testGpu, compareArrays } from './testing.ts';
import {
  EMBED_GRAD_SEGMENT,
  Kernels,
  embeddingGradIndex,
  embeddingGradMaxSegments,
  sampleBlockShape,
  sampleWeightsLayout,
  packRowSettings,
  encodeDispatches,
  DEFAULT_GEMM,
  gemmTile,
  lstmSeqShape,
  weightGradShape,
  type Dispatch,
  type SeqShape,
} from './kernels.ts';
import { storageBuffer, readBuffer, readFloats } from './buffers.ts';
import {
  embeddingForwardReference,
  embeddingBackwardReference,
  matmulReference,
  weightGradReference,
  lstmStepForwardReference,
  lstmStepBackwardReference,
  lstmSeqForwardReference,
  lstmSeqBackwardReference,
  softmaxCrossEntropyReference,
  gradNormReference,
  clipScaleReference,
  adamReference,
  sampleReference,
  sampleBlockReference,
} from '../reference/kernels.ts';
import { Rng } from '../model/rng.ts';

// ---- harness ----

let kernels: Kernels | null = null;

/** Rows of the sampler tests: argmax, plain temperatures, top_k, top_p and both. */
const SAMPLE_ROWS = [
  { temperature: 0, topK: 0, topP: 1 },
  { temperature: 1.0, topK: 0, topP: 1 },
  { temperature: 0.5, topK: 0, topP: 1 },
  { temperature: 1.5, topK: 5, topP: 1 },
  { temperature: 1.0, topK: 0, topP: 0.9 },
  { temperature: 0.8, topK: 10, topP: 0.5 },
];

/** Runs `fn` with the shared device inside error scopes; any WebGPU error fails the test. */
async function withGpu(fn: (device: GPUDevice, k: Kernels) => Promise<void>): Promise<void> {
  const { device } = await testGpu();
  kernels ??= new Kernels(device);
  const filters: GPUErrorFilter[] = ['internal', 'out-of-memory', 'validation'];
  for (const f of filters) device.pushErrorScope(f);
  let errors: (string | null)[] = [];
  try {
    await fn(device, kernels);
  } finally {
    const popped = [];
    for (let i = 0; i < filters.length; i++) popped.push(await device.popErrorScope());
    errors = popped.map((e) => e?.message ?? null);
  }
  expect(errors).toEqual([null, null, null]);
}

function submit(device: GPUDevice, dispatches: Dispatch[]): void {
  const enc = device.createCommandEncoder({ label: 'kernels test' });
  const pass = enc.beginComputePass();
  encodeDispatches(pass, dispatches);
  pass.end();
  device.queue.submit([enc.finish()]);
}

async function readInts(device: GPUDevice, buf: GPUBuffer, count: number): Promise<Int32Array> {
  return new Int32Array(await readBuffer(device, buf, count * 4));
}

function normals(rng: Rng, n: number, scale = 1): Float32Array<ArrayBuffer> {
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

/** Recognisable garbage for the memory around the data (large, so that reading it shows). */
function garbage(rng: Rng, n: number): Float32Array<ArrayBuffer> {
  return Float32Array.from({ length: n }, () => 1000 + 100 * rng.normal());
}

/** A buffer of `total` floats of garbage with `data` copied in at each offset. */
function layout(rng: Rng, total: number, parts: [number, ArrayLike<number>][]): Float32Array<ArrayBuffer> {
  const out = garbage(rng, total);
  for (const [off, data] of parts) out.set(data, off);
  return out;
}

function close(name: string, got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): void {
  expect(compareArrays(name, got, want, atol, rtol)).toBeNull();
}

/** Bit-for-bit equal (for kernels that only move data). */
function exact(name: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  const bad: string[] = [];
  for (let i = 0; i < Math.max(got.length, want.length); i++) if (!Object.is(got[i], want[i])) bad.push(`[${i}] got ${got[i]}, want ${want[i]}`);
  expect(
    bad.length === 0 ? null : `${name}: ${bad.length} differences (lengths ${got.length}, ${want.length}); first: ${bad.slice(0, 5).join('; ')}`,
  ).toBeNull();
}

/** Every element outside the written [start, end) ranges is bit-for-bit what it was. */
function untouched(name: string, got: Float32Array, before: Float32Array, written: [number, number][]): void {
  expect(got.length).toBe(before.length);
  const gotBits = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const beforeBits = new Uint32Array(before.buffer, before.byteOffset, before.length);
  const changed: number[] = [];
  for (let i = 0; i < got.length; i++) {
    if (written.some(([s, e]) => i >= s && i < e)) continue;
    if (gotBits[i] !== beforeBits[i]) changed.push(i);
  }
  expect(changed.length === 0 ? null : `${name}: ${changed.length} elements outside the output changed, first at ${changed.slice(0, 5).join(', ')}`).toBeNull();
}

function slice(a: Float32Array, off: number, n: number): Float32Array {
  return a.subarray(off, off + n);
}

// ---- tests ----

describe('GPU kernels match the CPU reference', () => {
  it('embedding_forward', async () => {
    await withGpu(async (device, k) => {
      const rng = new Rng(11);
      for (const [V, E, N] of [
        [3, 1, 1],
        [37, 13, 70],
        [5, 130, 3],
        [65, 37, 37],
      ]) {
        const embedOff = 5,
          tokOff = 3,
          outOff = 7;
        const embed = normals(rng, V * E);
        const tokens = Int32Array.from({ length: N }, () => rng.int(V));
        tokens[0] = V - 1;
        const params = layout(rng, embedOff + V * E + 4, [[embedOff, embed]]);
        const tokBuf = new Int32Array(tokOff + N + 2).fill(-1);
        tokBuf.set(tokens, tokOff);
        const outInit = garbage(rng, outOff + N * E + 9);
        const P = storageBuffer(device, 'params', params.length, params);
        const T = storageBuffer(device, 'tokens', tokBuf.length, tokBuf);
        const O = storageBuffer(device, 'out', outInit.length, outInit);
        submit(device, [k.embeddingForward({ n: N, e: E, embedOff, outOff, tokOff, params: P, tokens: T, out: O })]);
        const got = await readFloats(device, O, outInit.length);
        const name = `embedding_forward V=${V} E=${E} N=${N}`;
        exact(name, slice(got, outOff, N * E), embeddingForwardReference(embed, tokens, E));
        untouched(name, got, outInit, [[outOff, outOff + N * E]]);
      }
    });
  });

  it('embedding_backward (balanced segments; a token that never occurs gets a zero row; one token owning most positions)', async () => {
    await withGpu(async (device, k) => {
      const rng = new Rng(12);
      for (const [V, E, N, skew] of [
        [2, 1, 1, 0],
        [11, 37, 70, 0],
        [6, 130, 5, 0],
        // Token 1 takes ~70% of 333 positions: its run spans several segments, the last one partial.
        [9, 7, 333, 0.7],
      ]) {
        const dxOff = 6,
          gradOff = 9;
        // Token 0 never occurs (its row must be written as zeros over the garbage); V-1 does.
        const tokens = Int32Array.from({ length: N }, () => (rng.uniform() < skew ? 1 : 1 + rng.int(V - 1)));
        tokens[N - 1] = V - 1;
        const index = embeddingGradIndex(tokens, V);
        expect(index.segStart.length).toBe(embeddingGradMaxSegments(N, V) + 1);
        const dx = normals(rng, N * E);
        const dxBuf = layout(rng, dxOff + N * E + 3, [[dxOff, dx]]);
        const gradInit = garbage(rng, gradOff + V * E + 5);
        const DX = storageBuffer(device, 'dx', dxBuf.length, dxBuf);
        const G = storageBuffer(device, 'grads', gradInit.length, gradInit);
        submit(
          device,
          k.embeddingBackward({
            v: V,
            e: E,
            n: N,
            dxOff,
            gradOff,
            dx: DX,
            positions: storageBuffer(device, 'positions', N, index.positions),
            segStart: storageBuffer(device, 'seg_start', index.segStart.length, index.segStart),
            rowSegStart: storageBuffer(device, 'row_seg_start', V + 1, index.rowSegStart),
            partials: storageBuffer(device, 'partials', embeddingGradMaxSegments(N, V) * E),
            grads: G,
          }),
        );
        const got = await readFloats(device, G, gradInit.length);
        const name = `embedding_backward V=${V} E=${E} N=${N} skew=${skew}`;
        const want = embeddingBackwardReference(dx, tokens, V, E);
        close(name, slice(got, gradOff, V * E), want, 1e-5, 1e-4);
        expect(Array.from(slice(got, gradOff, E))).toEqual(new Array(E).fill(0));
        untouched(name, got, gradInit, [[gradOff, gradOff + V * E]]);
      }
    });
  });

  it('embedding_backward index: segments of at most EMBED_GRAD_SEGMENT positions, all of one token, covering every position once', () => {
    const rng = new Rng(14);
    for (const [V, N] of [
      [1, 1],
      [5, 64],
      [40, 1000],
    ]) {
      const tokens = Int32Array.from({ length: N }, () => (rng.uniform() < 0.5 ? 0 : rng.int(V)));
      const { positions, segStart, rowSegStart } = embeddingGradIndex(tokens, V);
      const S = rowSegStart[V];
      expect(S).toBeLessThanOrEqual(embeddingGradMaxSegments(N, V));
      expect(Array.from(positions).sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
      expect(Array.from(segStart.subarray(S))).toEqual(new Array(segStart.length - S).fill(N));
      for (let v = 0; v < V; v++) {
        for (let s = rowSegStart[v]; s < rowSegStart[v + 1]; s++) {
          expect(segStart[s + 1] - segStart[s]).toBeGreaterThan(0);
          expect(segStart[s + 1] - segStart[s]).toBeLessThanOrEqual(EMBED_GRAD_SEGMENT);
          for (let i = segStart[s]; i < segStart[s + 1]; i++) expect(tokens[positions[i]]).toBe(v);
        }
      }
    }
  });

  it('embedding kernels also cover a grid spread over x and y (as groups1d does past 65535 groups)', async () => {
    await withGpu(async (device, k) => {
      const rng = new Rng(13);
      const V = 9,
        E = 37,
        N = 70; // N·E = 2590: 11 groups of 256, spread as 2 × 6
      const embed = normals(rng, V * E);
      const tokens = Int32Array.from({ length: N }, () => 1 + rng.int(V - 1));
      const P = storageBuffer(device, 'params', V * E, embed);
      const T = storageBuffer(device, 'tokens', N, tokens);
      const outInit = garbage(rng, N * E + 300);
      const O = storageBuffer(device, 'out', outInit.length, outInit);
      const fwd = k.embeddingForward({ n: N, e: E, embedOff: 0, outOff: 0, tokOff: 0, params: P, tokens: T, out: O });
      fwd.workgroups = [2, Math.ceil(Math.ceil((N * E) / 256) / 2), 1];
      submit(device, [fwd]);
      const got = await readFloats(device, O, outInit.length);
      exact('embedding_forward 2-D grid', slice(got, 0, N * E), embeddingForwardReference(embed, tokens, E));
      untouched('embedding_forward 2-D grid', got, outInit, [[0, N * E]]);

      const index = embeddingGradIndex(tokens, V);
      const sMax = embeddingGradMaxSegments(N, V);
      const dx = normals(rng, N * E);
      const gradInit = garbage(rng, V * E + 300);
      const G = storageBuffer(device, 'grads', gradInit.length, gradInit);
      const bwd = k.embeddingBackward({
        v: V,
        e: E,
        n: N,
        dxOff: 0,
        gradOff: 0,
        dx: storageBuffer(device, 'dx', N * E, dx),
        positions: storageBuffer(device, 'positions', N, index.positions),
        segStart: storageBuffer(device, 'seg_start', sMax + 1, index.segStart),
        rowSegStart: storageBuffer(device, 'row_seg_start', V + 1, index.rowSegStart),
        partials: storageBuffer(device, 'partials', sMax * E),
        grads: G,
      });
      bwd[0].workgroups = [1, Math.ceil((sMax * E) / 256), 1];
      bwd[1].workgroups = [1, Math.ceil((V * E) / 256), 1];
      submit(device, bwd);
      const g = await readFloats(device, G, gradInit.length);
      close('embedding_backward 2-D grid', slice(g, 0, V * E), embeddingBackwardReference(dx, tokens, V, E), 1e-5, 1e-4);
      untouched('embedding_backward 2-D grid', g, gradInit, [[0, V * E]]);
    });
  });

  for (const variant of ['registers', 'tiled'] as const) {
    it(`matmul (${variant}): four transpose variants, bias, bias+bias2, accumulate, offsets, odd sizes`, async () => {
      await withGpu(async (device, k) => {
        const rng = new Rng(1);
        // `off` 'odd' puts the operands at offsets that are not multiples of 4 (scalar loads and
        // stores in the tiled kernel), 'aligned' at multiples of 4 (its vec4 loads and stores
        // wherever the row length allows).
        const cases = [
          { M: 1, N: 1, K: 1, bias: false, bias2: false, acc: false, off: 'none' },
          { M: 3, N: 5, K: 17, bias: true, bias2: false, acc: false, off: 'odd' },
          { M: 7, N: 13, K: 5, bias: false, bias2: false, acc: false, off: 'aligned' },
          { M: 70, N: 33, K: 45, bias: true, bias2: false, acc: false, off: 'none' }, // the former smoke test
          { M: 70, N: 130, K: 37, bias: true, bias2: true, acc: true, off: 'odd' },
          { M: 130, N: 70, K: 16, bias: false, bias2: false, acc: true, off: 'odd' },
          { M: 64, N: 129, K: 33, bias: true, bias2: true, acc: false, off: 'odd' },
          { M: 68, N: 40, K: 36, bias: true, bias2: false, acc: true, off: 'aligned' }, // vec4 loads of both operands, vec4 stores into C
          { M: 33, N: 75, K: 129, bias: true, bias2: false, acc: false, off: 'aligned' }, // a narrow tile, K past a slab
          { M: 100, N: 32, K: 64, bias: false, bias2: false, acc: false, off: 'aligned' }, // dX-like: N = E = 32
        ];
        for (const [tA, tB] of [
          [false, false],
          [false, true],
          [true, false],
          [true, true],
        ] as const) {
          for (const c of cases) {
            const { M, N, K } = c;
            const offsets: Record<string, number[]> = { none: [0, 0, 0, 0], odd: [3, 5, 7, 2], aligned: [4, 8, 12, 1] };
            const o = offsets[c.off];
            const [aOff, bOff, cOff, biasOff] = o;
            const bias2Off = biasOff + N + 3;
            const a = normals(rng, M * K),
              b = normals(rng, K * N);
            const bias = normals(rng, N),
              bias2 = normals(rng, N),
              c0 = normals(rng, M * N);
            const aBuf = layout(rng, aOff + M * K + 4, [[aOff, a]]);
            const bBuf = layout(rng, bOff + K * N + 4, [[bOff, b]]);
            const biasBuf = layout(rng, bias2Off + N + 2, [
              [biasOff, bias],
              [bias2Off, bias2],
            ]);
            const cInit = layout(rng, cOff + M * N + 6, [[cOff, c0]]);
            const C = storageBuffer(device, 'c', cInit.length, cInit);
            const d = k.matmul({
              label: 'matmul test',
              m: M,
              n: N,
              k: K,
              transA: tA,
              transB: tB,
              a: storageBuffer(device, 'a', aBuf.length, aBuf),
              aOff,
              b: storageBuffer(device, 'b', bBuf.length, bBuf),
              bOff,
              c: C,
              cOff,
              bias: c.bias ? { buffer: storageBuffer(device, 'bias', biasBuf.length, biasBuf), off: biasOff, off2: c.bias2 ? bias2Off : undefined } : undefined,
              accumulate: c.acc,
              variant,
            });
            submit(device, [d]);
            const got = await readFloats(device, C, cInit.length);
            const want = matmulReference(a, b, M, N, K, tA, tB, c.bias ? bias : null, c.bias2 ? bias2 : null);
            if (c.acc) for (let i = 0; i < want.length; i++) want[i] += c0[i];
            const name = `matmul ${variant} tA=${tA} tB=${tB} M=${M} N=${N} K=${K} off=${c.off} bias=${c.bias} bias2=${c.bias2} acc=${c.acc}`;
            close(name, slice(got, cOff, M * N), want, 1e-4, 1e-4);
            untouched(name, got, cInit, [[cOff, cOff + M * N]]);
          }
        }
      });
    });
  }

  it('matmul (tiled): the small config’s input projection and head shapes (N·K large, vec4 loads)', async () => {
    await withGpu(async (device, k) => {
      const rng = new Rng(21);
      for (const [M, N, K] of [
        [2048, 512, 32],
        [2048, 75, 128],
      ]) {
        const a = normals(rng, M * K);
        const b = normals(rng, N * K);
        const C = storageBuffer(device, 'c', M * N);
        const d = k.matmul({
          label: 'matmul test',
          m: M,
          n: N,
          k: K,
          transA: false,
          transB: true,
          a: storageBuffer(device, 'a', a.length, a),
          aOff: 0,
          b: storageBuffer(device, 'b', b.length, b),
          bOff: 0,
          c: C,
          cOff: 0,
          variant: 'tiled',
        });
        submit(device, [d]);
        close(`matmul tiled NT M=${M} N=${N} K=${K}`, await readFloats(device, C, M * N), matmulReference(a, b, M, N, K, false, true), 1e-4, 1e-4);
      }
    });
  });

  it('DEFAULT_GEMM, gemmTile, weightGradShape: tiled, one pass of K unless split (calibration decides), narrow tiles for narrow outputs, within the thread limit', () => {
    expect(DEFAULT_GEMM).toEqual({ variant: 'tiled', splitK: false });
    expect(gemmTile(2048, 512, 256)).toEqual({ wx: 16, wy: 16 });
    expect(gemmTile(2048, 32, 256)).toEqual({ wx: 8, wy: 16 });
    expect(gemmTile(2048, 75, 256)).toEqual({ wx: 4, wy: 16 });
    expect(gemmTile(2048, 512, 128).wx * gemmTile(2048, 512, 128).wy).toBeLessThanOrEqual(128);
    const s = weightGradShape(512, 160, 2048, 256, 256);
    expect(s.slices).toBeGreaterThan(1);
    expect(s.kSlice % 16).toBe(0);
    expect(s.kSlice * s.slices).toBeGreaterThanOrEqual(2048);
    expect(s.kSlice * (s.slices - 1)).toBeLessThan(2048);
    expect(weightGradShape(512, 160, 2048, 256, 1)).toMatchObject({ slices: 1, partialFloats: 0 });
  });

  it('weight_grad: dW1, dW2 and db over K, one slice and split K, odd sizes, offsets, garbage around', async () => {
    await withGpu(async (device, k) => {
      const rng = new Rng(22);
      const cases = [
        { K: 1, M: 1, N1: 1, N2: 0, slices: 1, bias: 0 },
        { K: 5, M: 7, N1: 13, N2: 0, slices: 1, bias: 1 },
        { K: 129, M: 33, N1: 75, N2: 5, slices: 1, bias: 2 },
        { K: 129, M: 33, N1: 75, N2: 5, slices: 4, bias: 2 },
        { K: 131, M: 36, N1: 75, N2: 5, slices: 4, bias: 2 }, // M a multiple of 4: A read as vec4s
        { K: 300, M: 75, N1: 37, N2: 0, slices: 3, bias: 1 }, // the head: dW_out and db_out
        { K: 2048, M: 512, N1: 32, N2: 128, slices: 0, bias: 2 }, // the small config's dW_ih | dW_hh | db, split as on a GPU
      ];
      for (const c of cases) {
        const { K, M, N1, N2 } = c;
        const shape = c.slices === 0 ? weightGradShape(M, N1 + N2, K, 256, 256) : weightGradShape(M, N1 + N2, K, 256, c.slices === 1 ? 1 : 100000);
        if (c.slices > 1) {
          // force the asked number of slices
          shape.kSlice = Math.ceil(K / c.slices / 16) * 16;
          shape.slices = Math.ceil(K / shape.kSlice);
          shape.partialFloats = shape.slices * M * (N1 + N2 + 1);
        }
        // A at an offset that is a multiple of 4 where M is one too (vec4 loads), else not.
        const aOff = M % 4 === 0 ? 4 : 3,
          b1Off = 5,
          b2Off = 2,
          w1Off = 7,
          w2Off = w1Off + M * N1 + 3,
          biasOff = w2Off + M * N2 + 2,
          bias2Off = biasOff + M + 4;
        const a = normals(rng, K * M),
          b1 = normals(rng, K * N1),
          b2 = normals(rng, K * N2);
        const gradInit = garbage(rng, bias2Off + M + 5);
        const G = storageBuffer(device, 'grads', gradInit.length, gradInit);
        const aBuf = layout(rng, aOff + a.length + 3, [[aOff, a]]);
        const b1Buf = layout(rng, b1Off + b1.length + 3, [[b1Off, b1]]);
        const b2Buf = layout(rng, b2Off + b2.length + 3, [[b2Off, b2]]);
        const partials = shape.slices > 1 ? storageBuffer(device, 'partials', shape.partialFloats, garbage(rng, shape.partialFloats)) : undefined;
        const ds = k.weightGrad({
          label: 'weight_grad test',
          m: M,
          k: K,
          n1: N1,
          n2: N2,
          shape,
          a: storageBuffer(device, 'a', aBuf.length, aBuf),
          aOff,
          b1: storageBuffer(device, 'b1', b1Buf.length, b1Buf),
          b1Off,
          b2: N2 > 0 ? { buffer: storageBuffer(device, 'b2', b2Buf.length, b2Buf), off: b2Off } : undefined,
          grads: G,
          w1Off,
          w2Off: N2 > 0 ? w2Off : undefined,
          bias: c.bias === 0 ? undefined : { off: biasOff, off2: c.bias === 2 ? bias2Off : undefined },
          partials,
        });
        expect(ds.length).toBe(shape.slices > 1 ? 2 : 1);
        submit(device, ds);
        const got = await readFloats(device, G, gradInit.length);
        const want = weightGradReference(a, b1, b2, K, M, N1, N2);
        const name = `weight_grad K=${K} M=${M} N1=${N1} N2=${N2} slices=${shape.slices} tile=${4 * shape.tile.wy}x${4 * shape.tile.wx} bias=${c.bias}`;
        close(`${name} dW1`, slice(got, w1Off, M * N1), want.w1, 1e-4, 1e-4);
        const written: [number, number][] = [[w1Off, w1Off + M * N1]];
        if (N2 > 0) {
          close(`${name} dW2`, slice(got, w2Off, M * N2), want.w2, 1e-4, 1e-4);
          written.push([w2Off, w2Off + M * N2]);
        }
        if (c.bias > 0) {
          close(`${name} db`, slice(got, biasOff, M), want.bias, 1e-4, 1e-4);
          written.push([biasOff, biasOff + M]);
        }
        if (c.bias > 1) {
          close(`${name} db copy`, slice(got, bias2Off, M), want.bias, 1e-4, 1e-4);
          written.push([bias2Off, bias2Off + M]);
        }
        untouched(name, got, gradInit, written);
      }
    });
  });

  it('transpose', async () => {
    await withGpu(async (device, k) => {
      const rng = new Rng(2);
      for (const [R, C] of [
        [1, 1],
        [3, 70],
        [37, 16],
        [130, 37],
        [16, 17],
      ]) {
        const inOff = 11;
        const outOff = R === 16 ? 0 : 5; // the default and an offset
        const a = normals(rng, R * C);
        const src = layout(rng, inOff + R * C + 5, [[inOff, a]]);
        const dstInit = garbage(rng, outOff + R * C + 7);
        const D = storageBuffer(device, 'dst', dstInit.length, dstInit);
        submit(device, [
          k.transpose({
            label: 'transpose test',
            rows: R,
            cols: C,
            inOff,
            outOff: outOff || undefined,
            src: storageBuffer(device, 'src', src.length, src),
            dst: D,
          }),
        ]);
        const got = await readFloats(device, D, dstInit.length);
        const want = new Float64Array(R * C);
        for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) want[c * R + r] = a[r * C + c];
        const name = `transpose ${R}x${C} at ${outOff}`;
        exact(name, slice(got, outOff, R * C), want);
        untouched(name, got, dstInit, [[outOff, outOff + R * C]]);
      }
    });
  });

  it('lstm_step_forward: gates, h and c', async () => {
    await withGpu(async (device, k) => {
      const rng = new Rng(4);
      for (const [B, H] of [
        [1, 3],
        [5, 70],
        [4, 64],
        [9, 130],
      ]) {
        const G = 4 * H,
          BH = B * H;
        const zx = normals(rng, B * G);
        const whh = normals(rng, G * H, 0.3);
        const hPrev = Float32Array.from({ length: BH }, () => Math.tanh(rng.normal()));
        const cPrev = normals(rng, BH);
        const whhT = new Float32Array(H * G);
        for (let row = 0; row < G; row++) for (let j = 0; j < H; j++) whhT[j * G + row] = whh[row * H + j];
        const zxOff = 2,
          hPrevOff = 3,
          hOff = hPrevOff + BH + 2,
          cPrevOff = 5,
          cOff = cPrevOff + BH + 1,
          gatesOff = 7;
        const zxBuf = layout(rng, zxOff + B * G + 3, [[zxOff, zx]]);
        const hsInit = layout(rng, hOff + BH + 3, [[hPrevOff, hPrev]]);
        const csInit = layout(rng, cOff + BH + 4, [[cPrevOff, cPrev]]);
        const gatesInit = garbage(rng, gatesOff + B * G + 4);
        const HS = storageBuffer(device, 'hs', hsInit.length, hsInit);
        const CS = storageBuffer(device, 'cs', csInit.length, csInit);
        const GA = storageBuffer(device, 'gates', gatesInit.length, gatesInit);
        submit(device, [
          k.lstmStepForward({
            label: 'lstm fwd test',
            b: B,
            h: H,
            zxOff,
            hPrevOff,
            hOff,
            cPrevOff,
            cOff,
            gatesOff,
            zx: storageBuffer(device, 'zx', zxBuf.length, zxBuf),
            whhT: storageBuffer(device, 'whh_t', whhT.length, whhT),
            hs: HS,
            cs: CS,
            gates: GA,
          }),
        ]);
        const [hs, cs, gates] = [
          await readFloats(device, HS, hsInit.length),
          await readFloats(device, CS, csInit.length),
          await readFloats(device, GA, gatesInit.length),
        ];
        const want = lstmStepForwardReference(zx, hPrev, cPrev, whh, B, H);
        const name = `lstm_step_forward B=${B} H=${H}`;
        close(`${name} gates`, slice(gates, gatesOff, B * G), want.gates, 2e-5, 1e-4);
        close(`${name} h`, slice(hs, hOff, BH), want.h, 2e-5, 1e-4);
        close(`${name} c`, slice(cs, cOff, BH), want.c, 2e-5, 1e-4);
        untouched(`${name} hs`, hs, hsInit, [[hOff, hOff + BH]]);
        untouched(`${name} cs`, cs, csInit, [[cOff, cOff + BH]]);
        untouched(`${name} gates`, gates, gatesInit, [[gatesOff, gatesOff + B * G]]);
      }
    });
  });

  it('lstm_step_backward: dz and dc_carry, with and without dz_next (garbage carry ignored at the last step)', async () => {
    await withGpu(async (device, k) => {
      const rng = new Rng(5);
      for (const [B, H] of [
        [1, 3],
        [5, 70],
        [6, 130],
      ]) {
        for (const hasNext of [true, false]) {
          const G = 4 * H,
            BH = B * H;
          const whh = normals(rng, G * H, 0.3);
          // Consistent activations from a forward step.
          const fwd = lstmStepForwardReference(
            normals(rng, B * G),
            Float32Array.from({ length: BH }, () => Math.tanh(rng.normal())),
            normals(rng, BH),
            whh,
            B,
            H,
          );
          const gates = Float32Array.from(fwd.gates);
          const c = Float32Array.from(fwd.c);
          const cPrev = normals(rng, BH);
          const dhAbove = normals(rng, BH);
          const dzNext = normals(rng, B * G, 0.1);
          const dcCarry = hasNext ? normals(rng, BH) : garbage(rng, BH); // garbage must be ignored at has_next = 0
          const dhOff = 4,
            whhOff = 9,
            gatesOff = 3,
            cPrevOff = 2,
            cOff = cPrevOff + BH + 3,
            dzOff = 1,
            dzNextOff = dzOff + B * G + 2;
          const dhBuf = layout(rng, dhOff + BH + 2, [[dhOff, dhAbove]]);
          const params = layout(rng, whhOff + G * H + 5, [[whhOff, whh]]);
          const gatesBuf = layout(rng, gatesOff + B * G + 1, [[gatesOff, gates]]);
          const csBuf = layout(rng, cOff + BH + 2, [
            [cPrevOff, cPrev],
            [cOff, c],
          ]);
          const dzInit = layout(rng, dzNextOff + B * G + 3, [[dzNextOff, hasNext ? dzNext : garbage(rng, B * G)]]);
          const DZ = storageBuffer(device, 'dz', dzInit.length, dzInit);
          const DC = storageBuffer(device, 'dc_carry', BH, dcCarry);
          submit(device, [
            k.lstmStepBackward({
              label: 'lstm bwd test',
              b: B,
              h: H,
              dhOff,
              dzNextOff,
              dzOff,
              hasNext,
              whhOff,
              gatesOff,
              cPrevOff,
              cOff,
              dhAbove: storageBuffer(device, 'dh_above', dhBuf.length, dhBuf),
              params: storageBuffer(device, 'params', params.length, params),
              gates: storageBuffer(device, 'gates', gatesBuf.length, gatesBuf),
              cs: storageBuffer(device, 'cs', csBuf.length, csBuf),
              dz: DZ,
              dcCarry: DC,
            }),
          ]);
          const dz = await readFloats(device, DZ, dzInit.length);
          const dc = await readFloats(device, DC, BH);
          const want = lstmStepBackwardReference(dhAbove, hasNext ? dzNext : null, whh, gates, cPrev, c, hasNext ? dcCarry : new Float32Array(BH), B, H);
          const name = `lstm_step_backward B=${B} H=${H} has_next=${hasNext}`;
          close(`${name} dz`, slice(dz, dzOff, B * G), want.dz, 2e-5, 1e-4);
          close(`${name} dc_carry`, dc, want.dcPrev, 2e-5, 1e-4);
          untouched(`${name} dz`, dz, dzInit, [[dzOff, dzOff + B * G]]);
        }
      }
    });
  });

  // Persistent kernels: sizes where H, B, the streams per workgroup (sb) and the threads
  // per workgroup (wg) are not multiples of each other, every number of parts of the
  // backward's recurrent product, and the state read back from global memory (what a hidden
  // size too large for the workgroup memory runs: H 1024 and up on 16 KiB); 'auto' takes
  // this device's shape. H 512 at small B and T: the large configuration's hidden size.
  const shape = (sb: number, wg: number, parts: number, stateInWorkgroup = true): SeqShape => ({ sb, wg, parts, stateInWorkgroup });
  const seqCases: [number, number, number, SeqShape | 'auto'][] = [
    [5, 3, 20, shape(2, 32, 4)],
    [5, 3, 20, 'auto'],
    [4, 5, 70, shape(3, 64, 2)],
    [1, 2, 3, shape(1, 32, 4)],
    [3, 9, 13, shape(8, 32, 4)],
    [4, 5, 37, shape(2, 64, 1, false)],
    [4, 3, 13, shape(8, 32, 1, false)],
    [3, 2, 512, shape(1, 256, 1)],
    [2, 3, 512, shape(2, 256, 1, false)],
  ];
  const seqShape = (device: GPUDevice, dir: 'forward' | 'backward', H: number, B: number, s: SeqShape | 'auto'): SeqShape => {
    if (s !== 'auto') return s;
    const shape = lstmSeqShape(dir, device.limits, H, B);
    if ('reason' in shape) throw new Error(shape.reason);
    return shape;
  };

  it('lstm_seq_forward: gates, h and c of every timestep from the carried state', async () => {
    await withGpu(async (device, k) => {
      const rng = new Rng(14);
      for (const [T, B, H, s] of seqCases) {
        const shape = seqShape(device, 'forward', H, B, s);
        const G = 4 * H,
          BH = B * H;
        const zx = normals(rng, T * B * G);
        const whh = normals(rng, G * H, 0.3);
        const h0 = Float32Array.from({ length: BH }, () => Math.tanh(rng.normal()));
        const c0 = normals(rng, BH);
        const whhT = new Float32Array(H * G);
        for (let row = 0; row < G; row++) for (let j = 0; j < H; j++) whhT[j * G + row] = whh[row * H + j];
        const zxOff = 3,
          hsOff = 5,
          csOff = 2,
          gatesOff = 7;
        const zxBuf = layout(rng, zxOff + T * B * G + 3, [[zxOff, zx]]);
        const hsInit = layout(rng, hsOff + (T + 1) * BH + 3, [[hsOff, h0]]);
        const csInit = layout(rng, csOff + (T + 1) * BH + 4, [[csOff, c0]]);
        const gatesInit = garbage(rng, gatesOff + T * B * G + 4);
        const HS = storageBuffer(device, 'hs', hsInit.length, hsInit);
        const CS = storageBuffer(device, 'cs', csInit.length, csInit);
        const GA = storageBuffer(device, 'gates', gatesInit.length, gatesInit);
        submit(device, [
          k.lstmSeqForward({
            label: 'lstm seq fwd test',
            t: T,
            b: B,
            h: H,
            shape,
            zxOff,
            hsOff,
            csOff,
            gatesOff,
            zx: storageBuffer(device, 'zx', zxBuf.length, zxBuf),
            whhT: storageBuffer(device, 'whh_t', whhT.length, whhT),
            hs: HS,
            cs: CS,
            gates: GA,
          }),
        ]);
        const [hs, cs, gates] = [
          await readFloats(device, HS, hsInit.length),
          await readFloats(device, CS, csInit.length),
          await readFloats(device, GA, gatesInit.length),
        ];
        const want = lstmSeqForwardReference(zx, h0, c0, whh, T, B, H);
        const name = `lstm_seq_forward T=${T} B=${B} H=${H} sb=${shape.sb} wg=${shape.wg}${shape.stateInWorkgroup ? '' : ' state in global memory'}`;
        close(`${name} gates`, slice(gates, gatesOff, T * B * G), want.gates, 2e-5, 1e-4);
        close(`${name} h`, slice(hs, hsOff + BH, T * BH), want.h, 2e-5, 1e-4);
        close(`${name} c`, slice(cs, csOff + BH, T * BH), want.c, 2e-5, 1e-4);
        untouched(`${name} hs`, hs, hsInit, [[hsOff + BH, hsOff + (T + 1) * BH]]);
        untouched(`${name} cs`, cs, csInit, [[csOff + BH, csOff + (T + 1) * BH]]);
        untouched(`${name} gates`, gates, gatesInit, [[gatesOff, gatesOff + T * B * G]]);
      }
    });
  });

  it('lstm_seq_backward: dz of every timestep, dh and dc carried back through the window', async () => {
    await withGpu(async (device, k) => {
      const rng = new Rng(15);
      for (const [T, B, H, s] of seqCases) {
        const shape = seqShape(device, 'backward', H, B, s);
        const G = 4 * H,
          BH = B * H;
        const whh = normals(rng, G * H, 0.3);
        // Consistent activations from a forward pass; dz_o[t] = dh_t·tanh(c_t)·o(1-o) and
        // dz_i, dz_f, dz_g ∝ dc_t, so dz at every t checks what was carried from t+1.
        const fwd = lstmSeqForwardReference(
          normals(rng, T * B * G),
          Float32Array.from({ length: BH }, () => Math.tanh(rng.normal())),
          normals(rng, BH),
          whh,
          T,
          B,
          H,
        );
        const gates = Float32Array.from(fwd.gates);
        const cs = new Float32Array((T + 1) * BH);
        cs.set(normals(rng, BH));
        cs.set(fwd.c, BH);
        const dhAbove = normals(rng, T * BH);
        const dhOff = 4,
          whhOff = 9,
          gatesOff = 3,
          csOff = 2,
          dzOff = 6;
        const dhBuf = layout(rng, dhOff + T * BH + 2, [[dhOff, dhAbove]]);
        const params = layout(rng, whhOff + G * H + 5, [[whhOff, whh]]);
        const gatesBuf = layout(rng, gatesOff + T * B * G + 1, [[gatesOff, gates]]);
        const csBuf = layout(rng, csOff + (T + 1) * BH + 2, [[csOff, cs]]);
        const dzInit = garbage(rng, dzOff + T * B * G + 3);
        const DZ = storageBuffer(device, 'dz', dzInit.length, dzInit);
        submit(device, [
          k.lstmSeqBackward({
            label: 'lstm seq bwd test',
            t: T,
            b: B,
            h: H,
            shape,
            dhOff,
            dzOff,
            whhOff,
            gatesOff,
            csOff,
            dhAbove: storageBuffer(device, 'dh_above', dhBuf.length, dhBuf),
            params: storageBuffer(device, 'params', params.length, params),
            gates: storageBuffer(device, 'gates', gatesBuf.length, gatesBuf),
            cs: storageBuffer(device, 'cs', csBuf.length, csBuf),
            dz: DZ,
          }),
        ]);
        const dz = await readFloats(device, DZ, dzInit.length);
        const want = lstmSeqBackwardReference(dhAbove, whh, gates, cs, T, B, H);
        const name = `lstm_seq_backward T=${T} B=${B} H=${H} sb=${shape.sb} wg=${shape.wg} parts=${shape.parts}${shape.stateInWorkgroup ? '' : ' dz in global memory'}`;
        close(`${name} dz`, slice(dz, dzOff, T * B * G), want.dz, 2e-5, 1e-4);
        untouched(`${name} dz`, dz, dzInit, [[dzOff, dzOff + T * B * G]]);
      }
    });
  });

  it('softmax_cross_entropy (both variants): losses, and dlogits in place only when write_grad', async () => {
    await withGpu(async (device, k) => {
      const rng = new Rng(6);
      for (const [N, V] of [
        [1, 38],
        [5, 65],
        [37, 130],
        [3, 1],
        [2, 3],
        [70, 300],
      ]) {
        for (const [writeGrad, variant] of [
          [false, 'workgroup-per-row'],
          [true, 'workgroup-per-row'],
          [false, 'thread-per-row'],
          [true, 'thread-per-row'],
        ] as const) {
          const logitsOff = 4,
            lossOff = 2,
            targetOff = 3,
            scale = 1 / N;
          const logits = normals(rng, N * V, 3);
          const targets = Int32Array.from({ length: N }, () => rng.int(V));
          const logitsInit = layout(rng, logitsOff + N * V + 5, [[logitsOff, logits]]);
          const tBuf = new Int32Array(targetOff + N + 1).fill(-7);
          tBuf.set(targets, targetOff);
          const lossInit = garbage(rng, lossOff + N + 3);
          const L = storageBuffer(device, 'logits', logitsInit.length, logitsInit);
          const LS = storageBuffer(device, 'losses', lossInit.length, lossInit);
          submit(device, [
            k.softmaxCrossEntropy({
              n: N,
              v: V,
              logitsOff,
              writeGrad,
              scale,
              lossOff,
              targetOff,
              targets: storageBuffer(device, 'targets', tBuf.length, tBuf),
              logits: L,
              losses: LS,
              variant,
            }),
          ]);
          const gotLogits = await readFloats(device, L, logitsInit.length);
          const gotLoss = await readFloats(device, LS, lossInit.length);
          const want = softmaxCrossEntropyReference(logits, targets, N, V, Math.fround(scale));
          const name = `softmax_cross_entropy (${variant}) N=${N} V=${V} write_grad=${writeGrad}`;
          close(`${name} losses`, slice(gotLoss, lossOff, N), want.losses, 1e-5, 1e-5);
          untouched(`${name} losses`, gotLoss, lossInit, [[lossOff, lossOff + N]]);
          if (writeGrad) {
            close(`${name} dlogits`, slice(gotLogits, logitsOff, N * V), want.dlogits, 1e-6, 1e-4);
            untouched(`${name} logits`, gotLogits, logitsInit, [[logitsOff, logitsOff + N * V]]);
          } else {
            untouched(`${name} logits`, gotLogits, logitsInit, []);
          }
        }
      }
    });
  });

  it('grad_norm: norm and clip scale (clipping, no clipping, max_norm 0)', async () => {
    await withGpu(async (device, k) => {
      const rng = new Rng(7);
      for (const [n, parts] of [
        [1, 1],
        [37, 1],
        [1000, 3],
        [5000, 7],
        [20000, 130],
      ]) {
        const g = normals(rng, n, 0.1);
        // Garbage past n must not count.
        const gBuf = layout(rng, n + 13, [[0, g]]);
        const G = storageBuffer(device, 'grads', gBuf.length, gBuf);
        const norm = gradNormReference(g);
        for (const maxNorm of [norm * 0.5, norm * 2, 0]) {
          const PA = storageBuffer(device, 'partials', parts * 128, garbage(rng, parts * 128));
          const CL = storageBuffer(device, 'clip', 2, garbage(rng, 2));
          submit(device, k.gradNorm({ n, maxNorm, grads: G, partials: PA, parts, clip: CL }));
          const clip = await readFloats(device, CL, 2);
          const name = `grad_norm n=${n} parts=${parts} max_norm=${maxNorm}`;
          close(`${name} norm`, [clip[0]], [norm], 1e-7, 1e-5);
          close(`${name} scale`, [clip[1]], [clipScaleReference(norm, Math.fround(maxNorm))], 1e-7, 1e-5);
          if (maxNorm === norm * 0.5) expect(clip[1]).toBeLessThan(1);
          else expect(clip[1]).toBe(1);
        }
      }
    });
  });

  it('adam: three steps with bias correction and the clip scale', async () => {
    await withGpu(async (device, k) => {
      const rng = new Rng(8);
      for (const [n, grid] of [
        [1, null],
        [1000, null],
        [1000, [2, 2, 1]],
        [300, [1, 2, 1]],
      ] as const) {
        const tail = 5;
        const p0 = normals(rng, n),
          m0 = normals(rng, n, 0.01),
          v0 = Float32Array.from({ length: n }, () => 1e-4 * rng.uniform());
        const pInit = layout(rng, n + tail, [[0, p0]]),
          mInit = layout(rng, n + tail, [[0, m0]]),
          vInit = layout(rng, n + tail, [[0, v0]]);
        const P = storageBuffer(device, 'params', pInit.length, pInit),
          M = storageBuffer(device, 'm', mInit.length, mInit),
          Vb = storageBuffer(device, 'v', vInit.length, vInit);
        const GR = storageBuffer(device, 'grads', n + tail);
        const CL = storageBuffer(device, 'clip', 2);
        const d = k.adam({ n, grads: GR, clip: CL, params: P, m: M, v: Vb });
        if (grid) d.workgroups = [...grid]; // as groups1d spreads past 65535 groups
        const refP = Float64Array.from(p0),
          refM = Float64Array.from(m0),
          refV = Float64Array.from(v0);
        const opts = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
        for (const [step, scale] of [
          [1, 1],
          [2, 0.37],
          [3, 0.8],
        ]) {
          const grads = layout(rng, n + tail, [[0, normals(rng, n, 0.05)]]);
          device.queue.writeBuffer(GR, 0, grads);
          device.queue.writeBuffer(CL, 0, Float32Array.of(123, scale));
          k.setAdamStep(d, n, { ...opts, step });
          submit(device, [d]);
          adamReference(refP, grads.subarray(0, n), refM, refV, { ...opts, step, gradScale: Math.fround(scale) });
          const [p, m, v] = [await readFloats(device, P, n + tail), await readFloats(device, M, n + tail), await readFloats(device, Vb, n + tail)];
          const name = `adam n=${n} grid=${grid ?? 'groups1d'} step=${step}`;
          close(`${name} params`, slice(p, 0, n), refP, 1e-6, 1e-5);
          close(`${name} m`, slice(m, 0, n), refM, 1e-8, 1e-5);
          close(`${name} v`, slice(v, 0, n), refV, 1e-10, 1e-5);
          untouched(`${name} params`, p, pInit, [[0, n]]);
          untouched(`${name} m`, m, mInit, [[0, n]]);
          untouched(`${name} v`, v, vInit, [[0, n]]);
        }
      }
    });
  });

  it('sample_forward: argmax, temperatures, top_k, top_p, forced tokens, counter', async () => {
    await withGpu(async (device, k) => {
      const rng = new Rng(9);
      const rowSettings = [...SAMPLE_ROWS, { temperature: 1.5, topK: 1, topP: 1 }];
      const R = rowSettings.length;
      for (const V of [3, 65, 130]) {
        const steps = 5,
          logitsOff = 5;
        const forced = Int32Array.from({ length: steps }, (_, s) => (s === 1 ? 7 % V : s === 3 ? V - 1 : -1));
        const rand = Float32Array.from({ length: steps * R }, () => Math.fround(rng.uniform()));
        const L = storageBuffer(device, 'logits', logitsOff + R * V + 3);
        const CT = storageBuffer(device, 'counter', R, new Uint32Array(R));
        const TK = storageBuffer(device, 'tokens', R, new Int32Array(R).fill(-5));
        const OS = storageBuffer(device, 'out_seq', steps * R, new Int32Array(steps * R).fill(-9));
        const d = k.sampleForward({
          v: V,
          rows: R,
          logitsOff,
          logits: L,
          settings: storageBuffer(device, 'settings', 4 * R, packRowSettings(rowSettings)),
          rand: storageBuffer(device, 'rand', rand.length, rand),
          forced: storageBuffer(device, 'forced', steps, forced),
          counter: CT,
          tokens: TK,
          outSeq: OS,
        });
        const want = new Int32Array(steps * R);
        for (let s = 0; s < steps; s++) {
          const logits = normals(rng, R * V, 2);
          device.queue.writeBuffer(L, 0, layout(rng, logitsOff + R * V + 3, [[logitsOff, logits]]));
          submit(device, [d]);
          for (let r = 0; r < R; r++) {
            const st = rowSettings[r];
            const opts = { temperature: Math.fround(st.temperature), topK: st.topK, topP: Math.fround(st.topP) };
            want[s * R + r] = forced[s] >= 0 ? forced[s] : sampleReference(logits.subarray(r * V, (r + 1) * V), V, opts, rand[s * R + r]);
          }
        }
        const outSeq = await readInts(device, OS, steps * R);
        const tokens = await readInts(device, TK, R);
        const counter = new Uint32Array(await readBuffer(device, CT, R * 4));
        expect({ V, outSeq: Array.from(outSeq) }).toEqual({ V, outSeq: Array.from(want) });
        expect(Array.from(tokens)).toEqual(Array.from(want.subarray((steps - 1) * R)));
        expect(Array.from(counter)).toEqual(new Array(R).fill(steps));
      }
    });
  });

  it('sample_block shape: threads from H and V (32 … 256), and a reason where the workgroup memory does not fit', () => {
    const limits = { maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256 };
    expect(sampleBlockShape(limits, 38, 128, 1)).toEqual({ wg: 128 });
    expect(sampleBlockShape(limits, 7, 6, 2)).toEqual({ wg: 32 });
    expect(sampleBlockShape(limits, 300, 20, 1)).toEqual({ wg: 256 });
    expect(sampleBlockShape({ ...limits, maxComputeInvocationsPerWorkgroup: 64 }, 75, 256, 2)).toEqual({ wg: 64 });
    // 3·L·H + 2·V + 1 floats: 3·2·512 + 2·75 + 1 = 3223 floats fit 16 KiB; 3·3·512 + … does not.
    expect(sampleBlockShape(limits, 75, 512, 2)).toEqual({ wg: 256 });
    const no = sampleBlockShape(limits, 75, 512, 3);
    expect('reason' in no && no.reason).toMatch(/needs 19036 bytes of workgroup memory .* allows 16384/);
  });

  it('sample_block: whole-model draws over two blocks (state carried), forced prime, argmax, top_k, top_p, odd H and V', async () => {
    await withGpu(async (device, k) => {
      const rng = new Rng(15);
      const rowSettings = SAMPLE_ROWS;
      const R = rowSettings.length;
      // [V, E, H, L, threads]: threads below H and V make every thread own several units and entries.
      for (const [V, E, H, L, wg] of [
        [7, 5, 20, 2, 32],
        [65, 3, 33, 1, 96],
        [70, 6, 40, 3, 32],
      ]) {
        const blocks = [4, 5];
        const steps = blocks[0] + blocks[1];
        const weights = {
          embed: normals(rng, V * E, 0.5),
          layers: Array.from({ length: L }, (_, l) => {
            const I = l === 0 ? E : H;
            return { wih: normals(rng, 4 * H * I, 0.4), whh: normals(rng, 4 * H * H, 0.4), bih: normals(rng, 4 * H, 0.2), bhh: normals(rng, 4 * H, 0.2) };
          }),
          wout: normals(rng, V * H, 1.5),
          bout: normals(rng, V, 0.3),
        };
        // Pack as the shader's header says: transposed matrices, then biases; the head last.
        const { base, size } = sampleWeightsLayout(V, E, H, L);
        const w = new Float32Array(size);
        const putT = (m: Float32Array, rows: number, cols: number, off: number) => {
          for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) w[off + c * rows + r] = m[r * cols + c];
        };
        weights.layers.forEach((lw, l) => {
          const I = l === 0 ? E : H;
          putT(lw.wih, 4 * H, I, base[l]);
          putT(lw.whh, 4 * H, H, base[l] + I * 4 * H);
          w.set(lw.bih, base[l] + (I + H) * 4 * H);
          w.set(lw.bhh, base[l] + (I + H) * 4 * H + 4 * H);
        });
        putT(weights.wout, V, H, base[L]);
        w.set(weights.bout, base[L] + H * V);
        w.set(weights.embed, base[L] + H * V + V);

        const forced = Int32Array.from({ length: steps }, (_, s) => (s === 0 ? 2 % V : s === 1 ? V - 1 : -1));
        const rand = Float32Array.from({ length: steps * R }, () => Math.fround(rng.uniform()));
        const h0 = Array.from({ length: L }, () => normals(rng, R * H, 0.5));
        const c0 = Array.from({ length: L }, () => normals(rng, R * H, 0.5));
        const state = new Float32Array(2 * L * R * H);
        for (let l = 0; l < L; l++) {
          state.set(h0[l], l * R * H);
          state.set(c0[l], (L + l) * R * H);
        }
        const first = Int32Array.from({ length: R }, (_, r) => r % V);
        const cursor = new Uint32Array(2 * R);
        for (let r = 0; r < R; r++) cursor[2 * r + 1] = first[r];
        const CU = storageBuffer(device, 'cursor', 2 * R, cursor);
        const ST = storageBuffer(device, 'state', state.length, state);
        const OS = storageBuffer(device, 'out_seq', steps * R, new Int32Array(steps * R).fill(-9));
        const d = k.sampleBlock({
          v: V,
          e: E,
          h: H,
          l: L,
          rows: R,
          steps: blocks[0],
          shape: { wg },
          w: storageBuffer(device, 'w', size, w),
          wBase: storageBuffer(device, 'w_base', L + 1, Uint32Array.from(base)),
          settings: storageBuffer(device, 'settings', 4 * R, packRowSettings(rowSettings)),
          rand: storageBuffer(device, 'rand', rand.length, rand),
          forced: storageBuffer(device, 'forced', steps, forced),
          cursor: CU,
          outSeq: OS,
          state: ST,
        });
        submit(device, [d]);
        k.setUniform(d, [R, E, blocks[1]]);
        submit(device, [d]);

        const h = h0.map((x) => Float64Array.from(x));
        const c = c0.map((x) => Float64Array.from(x));
        const tokens = Int32Array.from(first);
        const opts = rowSettings.map((st) => ({ temperature: Math.fround(st.temperature), topK: st.topK, topP: Math.fround(st.topP) }));
        const want = new Int32Array(steps * R);
        let k0 = 0;
        for (const n of blocks) {
          want.set(sampleBlockReference(weights, V, E, H, opts, h, c, tokens, k0, n, forced, rand), k0 * R);
          k0 += n;
        }
        const name = `sample_block V=${V} E=${E} H=${H} L=${L} WG=${wg}`;
        expect(new Set(want).size, `${name}: the draws should not all be one character`).toBeGreaterThan(2);
        expect({ name, outSeq: Array.from(await readInts(device, OS, steps * R)) }).toEqual({ name, outSeq: Array.from(want) });
        const gotCursor = new Uint32Array(await readBuffer(device, CU, 2 * R * 4));
        expect(Array.from(gotCursor)).toEqual(Array.from(tokens).flatMap((t) => [steps, t]));
        const gotState = await readFloats(device, ST, state.length);
        for (let l = 0; l < L; l++) {
          close(`${name} h l${l}`, slice(gotState, l * R * H, R * H), h[l], 1e-5, 1e-4);
          close(`${name} c l${l}`, slice(gotState, (L + l) * R * H, R * H), c[l], 1e-5, 1e-4);
        }
      }
    });
  });
});

describe('pipeline cache', () => {
  it('compiles a pipeline once per device: every Kernels on the device (each model and trainer) shares it', async () => {
    await withGpu(async (device, k) => {
      const other = new Kernels(device, { variant: 'registers', splitK: false });
      const a = k.pipeline('adam');
      expect(other.pipeline('adam')).toBe(a);
      // Another entry point or other constants are another pipeline.
      const c1 = other.pipeline('matmulTiled', 'main', { WX: 8 });
      expect(k.pipeline('matmulTiled', 'main', { WX: 8 })).toBe(c1);
      expect(k.pipeline('matmulTiled', 'main', { WX: 16 })).not.toBe(c1);
    });
  });
});
