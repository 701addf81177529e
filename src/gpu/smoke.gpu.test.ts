import { it, expect } from 'vitest';
import { testGpu, compareArrays } from './testing.ts';
import { Kernels, encodeDispatches } from './kernels.ts';
import { storageBuffer, readFloats } from './buffers.ts';
import { matmulReference } from '../reference/kernels.ts';
import { Rng } from '../model/rng.ts';
it('matmul smoke', async () => {
  const { device, adapter } = await testGpu();
  console.log(adapter.summary);
  const k = new Kernels(device);
  const rng = new Rng(1);
  for (const [tA, tB] of [[false,false],[false,true],[true,false],[true,true]] as const) {
    const M = 70, N = 33, K = 45;
    const a = Float32Array.from({ length: M * K }, () => rng.normal());
    const b = Float32Array.from({ length: K * N }, () => rng.normal());
    const bias = Float32Array.from({ length: N }, () => rng.normal());
    const A = storageBuffer(device, 'a', a.length, a), Bb = storageBuffer(device, 'b', b.length, b), bb = storageBuffer(device, 'bias', N, bias), C = storageBuffer(device, 'c', M * N);
    const d = k.matmul({ label: 't', m: M, n: N, k: K, transA: tA, transB: tB, a: A, aOff: 0, b: Bb, bOff: 0, c: C, cOff: 0, bias: { buffer: bb, off: 0 } });
    const enc = device.createCommandEncoder(); const pass = enc.beginComputePass(); encodeDispatches(pass, [d]); pass.end(); device.queue.submit([enc.finish()]);
    const got = await readFloats(device, C, M * N);
    const want = matmulReference(a, b, M, N, K, tA, tB, bias);
    expect(compareArrays(`matmul ${tA} ${tB}`, got, want, 1e-4, 1e-4)).toBeNull();
  }
});
