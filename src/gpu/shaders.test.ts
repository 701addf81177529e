import { describe, expect, it } from 'vitest';
import { SHADERS, withIncludes } from './shaders.ts';

describe('shader library includes', () => {
  it('every kernel is whole: no include left, and the shared functions defined once where used', () => {
    for (const [name, code] of Object.entries(SHADERS)) {
      expect(code, name).not.toMatch(/#include/);
      for (const fn of ['sigmoid', 'tanh_stable', 'draw_kept', 'fma_slab']) {
        const defined = code.match(new RegExp(`\\bfn ${fn}\\(`, 'g'))?.length ?? 0;
        const used = new RegExp(`\\b${fn}\\(`).test(code.replace(new RegExp(`\\bfn ${fn}\\(`, 'g'), ''));
        expect(defined, `${name}: fn ${fn}`).toBe(used ? 1 : defined);
        expect(defined, `${name}: fn ${fn}`).toBeLessThanOrEqual(1);
      }
    }
    expect(SHADERS.lstmSeqForward).toMatch(/fn sigmoid\(/);
    expect(SHADERS.sampleForward).toMatch(/fn draw_kept\(/);
    expect(SHADERS.weightGrad).toMatch(/fn fma_slab\(/);
    expect(SHADERS.matmul).toMatch(/struct Uniforms \{/);
  });

  it('an include that names no library file is refused with the kernel and the name', () => {
    expect(() => withIncludes('k', 'fn a() {}\n// #include nosuch\n')).toThrow('shader k includes nosuch, which is not in shaders/lib/');
    expect(withIncludes('k', 'a\n// #include activations\nb')).toMatch(/^a\n\/\/ The LSTM's gate activations[\s\S]*\}\nb$/);
  });
});
