/**
 * Shared by the GPU tests (run in headless Chromium): one device per test file, and a
 * tolerance check that reports the worst mismatches instead of stopping at the first
 * (as llm.c's validate_result).
 */
import { requestGpu, type GpuContext } from './device.ts';

let ctx: Promise<GpuContext> | null = null;

/** A real adapter or a failure that says why: a GPU test never skips to green. */
export function testGpu(): Promise<GpuContext> {
  ctx ??= requestGpu(
    (globalThis.navigator as Navigator | undefined)?.gpu,
    'the GPU tests need Chromium with --enable-unsafe-webgpu (SwiftShader serves where there is no GPU)',
  ).then((c) => {
    console.log(`GPU tests on adapter: ${c.adapter.summary}`);
    return c;
  });
  return ctx;
}

/** Compares with atol + rtol·|ref|, skipping non-finite reference values; returns a report or null. */
export function compareArrays(name: string, got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): string | null {
  if (got.length !== want.length) return `${name}: length ${got.length}, expected ${want.length}`;
  let bad = 0;
  const first: string[] = [];
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    if (!Number.isFinite(w)) continue;
    const g = got[i];
    const ratio = Math.abs(g - w) / (atol + rtol * Math.abs(w));
    if (!(ratio <= 1)) {
      bad++;
      if (first.length < 5) first.push(`[${i}] got ${g}, want ${w}`);
    }
    if (!(ratio <= worst)) {
      worst = ratio;
      worstAt = i;
    }
  }
  if (bad === 0) return null;
  return `${name}: ${bad}/${want.length} mismatches (atol ${atol}, rtol ${rtol}); worst at [${worstAt}] got ${got[worstAt]}, want ${want[worstAt]}; first: ${first.join('; ')}`;
}
