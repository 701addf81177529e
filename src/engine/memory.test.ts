/**
 * The figures README's "Memory and the largest settings" quotes, from memory.ts (whose GPU
 * buffers trainer.gpu.test.ts checks against those a trainer really creates).
 */
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../model/config.ts';
import { cpuTrainerBytes, gpuBufferRefusal, gpuPassBuffers, gpuTrainerBuffers, largestWindow, tabModelMemory } from './memory.ts';

const MiB = 2 ** 20;
const mib = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;
const sum = (xs: { bytes: number }[]) => xs.reduce((s, x) => s + x.bytes, 0);
const model = (H: number, L: number): ModelConfig => ({ vocabSize: 75, embedSize: 64, hiddenSize: H, layers: L });

describe('memory of a setting', () => {
  it('the most positions B·T at H 128, 512 and 2048 for per-buffer limits of 128 MiB, 256 MiB, 1 GiB and 2 GiB', () => {
    const table = [128 * MiB, 256 * MiB, 2 ** 30, 2 ** 31 - 4].map((limit) => [128, 512, 2048].map((H) => largestWindow(model(H, 1), limit)));
    expect(table).toEqual([
      [65_536, 16_384, 4_096],
      [131_072, 32_768, 8_192],
      [524_288, 131_072, 32_768],
      [1_048_575, 262_143, 65_535],
    ]);
    for (const limit of [128 * MiB, 256 * MiB]) for (const H of [128, 512]) expect(largestWindow(model(H, 2), limit)).toBe(largestWindow(model(H, 1), limit));
    expect(largestWindow(model(2048, 2), 128 * MiB)).toBe(0); // the parameters alone pass 128 MiB
    expect(largestWindow(model(1657, 2), 128 * MiB)).toBeGreaterThan(0);
    expect(largestWindow(model(1658, 2), 128 * MiB)).toBe(0);
  });

  it('a refusal names the buffer, the sizes, what to lower and how far', () => {
    expect(gpuBufferRefusal(model(2048, 1), { batch: 32, seqLen: 128 }, 128 * MiB, 'x')).toBeNull();
    expect(gpuBufferRefusal(model(2048, 1), { batch: 64, seqLen: 128 }, 128 * MiB, 'V 75, E 64, H 2048, L 1, B 64 × T 128')).toBe(
      'these settings (V 75, E 64, H 2048, L 1, B 64 × T 128) need 256 MiB for the gate pre-activations (B·T × 4H), more than this GPU allows in one buffer (128 MiB): ' +
        'use fewer streams B or a shorter length T, or a smaller H (this model fits at most 4,096 positions B·T here)',
    );
    expect(gpuBufferRefusal(model(2048, 2), { batch: 1, seqLen: 128 }, 128 * MiB, 's')).toBe(
      'these settings (s) need 194.7 MiB for the parameters (and each of their gradients and Adam moments), more than this GPU allows in one buffer (128 MiB): use a smaller model (E, H, L)',
    );
  });

  it('the presets: GPU buffers, passes, the CPU engine and the snapshots; the bench counted the same for its configurations', () => {
    const notebook = { c: { vocabSize: 38, embedSize: 32, hiddenSize: 128, layers: 1 }, w: { batch: 1, seqLen: 40 } };
    const novel = { c: model(256, 2), w: { batch: 32, seqLen: 64 } };
    const figures = [notebook, novel].map(({ c, w }) => [
      mib(sum(gpuTrainerBuffers(c, w))),
      mib(sum(gpuPassBuffers(c))),
      mib(cpuTrainerBytes(c, w)),
      mib(tabModelMemory(c, w, 'gpu').bytes / 3),
    ]);
    expect(figures).toEqual([
      [1.9, 22.4, 3.3, 1.0],
      [65.9, 87.0, 129.1, 10.2],
    ]);
    // BENCHMARKS.md's "GPU memory" (buffers counted as they were created, SwiftShader: no split weight gradients).
    expect(mib(sum(gpuTrainerBuffers({ vocabSize: 75, embedSize: 32, hiddenSize: 128, layers: 1 }, { batch: 32, seqLen: 64 })))).toBe(17.7);
    expect(tabModelMemory(novel.c, novel.w, 'cpu').bytes).toBe(cpuTrainerBytes(novel.c, novel.w) + tabModelMemory(novel.c, novel.w, 'gpu').bytes);
  });
});
