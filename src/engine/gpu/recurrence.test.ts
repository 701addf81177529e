/**
 * The choice between the persistent and the per-timestep recurrent kernels, from an
 * adapter's limits (pure arithmetic: no GPU needed).
 */
import { describe, expect, it } from 'vitest';
import { chooseRecurrence } from './recurrence.ts';

/** WebGPU's default limits (what every adapter offers at least). */
const DEFAULT = { maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256 };

describe('chooseRecurrence', () => {
  it('the notebook and small models run persistent on the default limits, as many streams per workgroup as fit, spread evenly', () => {
    const small = chooseRecurrence(DEFAULT, 128, 32, 'auto');
    expect(small.persistent).toBe(true);
    // Forward: 3H floats a stream (1,536 bytes): 10 fit, 8 at most → 4 workgroups of 8.
    expect(small.forward).toEqual({ sb: 8, wg: 128 });
    // Backward: 9H floats a stream (4,608 bytes): 3 fit → 11 workgroups, 32 streams spread as 3 each.
    expect(small.backward).toEqual({ sb: 3, wg: 256 });
    expect(small.summary).toMatch(/^persistent \(forward 8 streams × 4 workgroups of 128 threads; backward 3 streams × 11 workgroups of 256 threads\)$/);
    const notebook = chooseRecurrence(DEFAULT, 128, 1, 'auto');
    expect([notebook.forward?.sb, notebook.backward?.sb]).toEqual([1, 1]);
  });

  it('B that is not a multiple of what fits: the streams are spread evenly over the workgroups needed', () => {
    expect(chooseRecurrence(DEFAULT, 20, 3, 'auto').forward).toEqual({ sb: 3, wg: 32 });
    expect(chooseRecurrence(DEFAULT, 20, 3, 'auto', 2).backward).toEqual({ sb: 2, wg: 96 });
    expect(chooseRecurrence(DEFAULT, 128, 9, 'auto').forward?.sb).toBe(5); // 2 workgroups of 5 and 4, not 8 and 1
  });

  it('threads per workgroup stay within the invocation limits', () => {
    const r = chooseRecurrence({ ...DEFAULT, maxComputeWorkgroupStorageSize: 65536, maxComputeWorkgroupSizeX: 128 }, 512, 4, 'auto');
    expect(r.forward?.wg).toBe(128);
    expect(r.backward?.wg).toBe(128);
  });

  it('falls back to the per-timestep kernels, per direction, where one stream does not fit, and says why', () => {
    // H 512: the forward needs 6,144 bytes a stream, the backward 18,432 (> 16,384).
    const mixed = chooseRecurrence(DEFAULT, 512, 8, 'auto');
    expect(mixed.persistent).toBe(false);
    expect(mixed.forward).toEqual({ sb: 2, wg: 256 });
    expect(mixed.backward).toBeNull();
    expect(mixed.summary).toContain('backward per-timestep: hidden size 512 needs 18432 bytes of workgroup memory per stream');
    const none = chooseRecurrence(DEFAULT, 2048, 8, 'auto');
    expect([none.forward, none.backward, none.persistent]).toEqual([null, null, false]);
    expect(none.summary).toMatch(/^per-timestep \(forward per-timestep: hidden size 2048 needs 24576 bytes/);
  });

  it('per-timestep can be forced', () => {
    expect(chooseRecurrence(DEFAULT, 128, 32, 'per-timestep')).toEqual({ forward: null, backward: null, persistent: false, summary: 'per-timestep (forced)' });
  });
});
