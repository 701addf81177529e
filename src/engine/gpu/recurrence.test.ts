/**
 * The choice between the persistent and the per-timestep recurrent kernels, from an
 * adapter's limits (pure arithmetic: no GPU needed).
 */
import { describe, expect, it } from 'vitest';
import { chooseRecurrence } from './recurrence.ts';
import { seqStreamCandidates } from '../../gpu/kernels.ts';

/** WebGPU's default limits (what every adapter offers at least). */
const DEFAULT = { maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256 };

describe('chooseRecurrence', () => {
  it('the notebook and small models run persistent on the default limits; by default as many streams per workgroup as fit, spread evenly', () => {
    const small = chooseRecurrence(DEFAULT, 128, 32, 'auto');
    expect(small.persistent).toBe(true);
    // Forward: 3H floats a stream (1,536 bytes): 10 fit, 8 at most → 4 workgroups of 8.
    expect(small.forward).toEqual({ sb: 8, wg: 128, parts: 1, stateInWorkgroup: true });
    // Backward: 2 parts (2H = 256 threads), (4 + 2 + 1)H floats a stream (3,584 bytes): 4 fit → 8 workgroups of 4.
    expect(small.backward).toEqual({ sb: 4, wg: 256, parts: 2, stateInWorkgroup: true });
    expect(small.summary).toBe(
      'persistent (forward 8 streams × 4 workgroups of 128 threads; backward 4 streams × 8 workgroups of 256 threads, 2 parts a unit)',
    );
    const notebook = chooseRecurrence(DEFAULT, 128, 1, 'auto');
    expect([notebook.forward?.sb, notebook.backward?.sb]).toEqual([1, 1]);
  });

  it('streams per workgroup asked for (calibration, tests): one stream gives B workgroups; never more than fit', () => {
    const one = chooseRecurrence(DEFAULT, 128, 32, 'auto', { forward: 1, backward: 1 });
    expect(one.summary).toBe('persistent (forward 1 stream × 32 workgroups of 128 threads; backward 1 stream × 32 workgroups of 256 threads, 2 parts a unit)');
    expect(chooseRecurrence(DEFAULT, 128, 32, 'auto', { backward: 8 }).backward?.sb).toBe(4);
    // The candidates calibration times: 1, 2, 4, 8 up to what fits, as B spreads them.
    expect(seqStreamCandidates(8, 32)).toEqual([1, 2, 4, 8]);
    expect(seqStreamCandidates(4, 32)).toEqual([1, 2, 4]);
    expect(seqStreamCandidates(8, 3)).toEqual([1, 2, 3]);
    expect(seqStreamCandidates(8, 1)).toEqual([1]);
  });

  it('B that is not a multiple of what fits: the streams are spread evenly over the workgroups needed', () => {
    expect(chooseRecurrence(DEFAULT, 20, 3, 'auto').forward).toMatchObject({ sb: 3, wg: 32 });
    expect(chooseRecurrence(DEFAULT, 20, 3, 'auto', { backward: 2 }).backward).toEqual({ sb: 2, wg: 96, parts: 4, stateInWorkgroup: true });
    expect(chooseRecurrence(DEFAULT, 128, 9, 'auto').forward?.sb).toBe(5); // 2 workgroups of 5 and 4, not 8 and 1
  });

  it('threads per workgroup stay within the invocation limits; parts of the recurrent product only as threads allow', () => {
    const r = chooseRecurrence({ ...DEFAULT, maxComputeWorkgroupStorageSize: 65536, maxComputeWorkgroupSizeX: 128 }, 512, 4, 'auto');
    expect(r.forward?.wg).toBe(128);
    expect(r.backward).toMatchObject({ wg: 128, parts: 1 });
    const wide = chooseRecurrence({ ...DEFAULT, maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupSizeX: 1024 }, 128, 32, 'auto');
    expect(wide.backward).toMatchObject({ wg: 512, parts: 4, sb: 3 }); // 9H floats a stream: 3 fit 16 KiB
  });

  it('every hidden size the model allows (up to 2048) runs persistent on the default 16 KiB: dz, then h and c, read back from global memory where they do not fit', () => {
    // H 512 (the large configuration): the backward keeps dz[t+1] in workgroup memory with one part, 6H floats = 12,288 bytes.
    const large = chooseRecurrence(DEFAULT, 512, 64, 'auto');
    expect(large.persistent).toBe(true);
    expect(large.forward).toEqual({ sb: 2, wg: 256, parts: 1, stateInWorkgroup: true });
    expect(large.backward).toEqual({ sb: 1, wg: 256, parts: 1, stateInWorkgroup: true });
    // H 1024: dz[t+1] (16 KiB alone) is read back from the dz output; dc alone, H floats = 4 KiB a stream (and 20 bytes).
    const h1024 = chooseRecurrence(DEFAULT, 1024, 64, 'auto');
    expect(h1024.forward).toMatchObject({ stateInWorkgroup: true, sb: 1 });
    expect(h1024.backward).toEqual({ sb: 3, wg: 256, parts: 1, stateInWorkgroup: false });
    expect(h1024.summary).toContain('backward 3 streams × 22 workgroups of 256 threads, 1 part a unit, dz read back from global memory');
    // H 2048: the forward reads h and c back too.
    const h2048 = chooseRecurrence(DEFAULT, 2048, 8, 'auto');
    expect(h2048.persistent).toBe(true);
    expect([h2048.forward?.stateInWorkgroup, h2048.backward?.stateInWorkgroup]).toEqual([false, false]);
  });

  it('falls back to the per-timestep kernels, per direction, only where one stream does not fit at all, and says why', () => {
    const tiny = { ...DEFAULT, maxComputeWorkgroupStorageSize: 1024 };
    const mixed = chooseRecurrence(tiny, 512, 8, 'auto');
    expect(mixed.persistent).toBe(false);
    expect(mixed.forward).toMatchObject({ stateInWorkgroup: false });
    expect(mixed.backward).toBeNull();
    expect(mixed.summary).toContain('backward per-timestep: hidden size 512 needs 2068 bytes of workgroup memory for one stream');
  });

  it('per-timestep can be forced', () => {
    expect(chooseRecurrence(DEFAULT, 128, 32, 'per-timestep')).toEqual({ forward: null, backward: null, persistent: false, summary: 'per-timestep (forced)' });
  });
});
