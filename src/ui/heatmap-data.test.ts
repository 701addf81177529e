import { describe, expect, it } from 'vitest';
import { HEATMAP_CHOICES, heatmapOf, sentenceOf } from './heatmap-data.ts';

describe('heatmapOf', () => {
  // 2 characters, H = 2: gates laid out (n, 4H) as i | f | g | o.
  const states = {
    h: [Float32Array.from([0.1, -0.2, 0.3, -0.4])],
    c: [Float32Array.from([0.2, -0.5, 0.9, -1.3])],
    gates: [Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18])],
  };

  it('shows h around 0 and each gate around the middle of its range', () => {
    const h = heatmapOf(states, ['a', 'b'], 2, 0, 'h');
    expect([h.center, h.range, h.label]).toEqual([0, 1, 'hidden state h, layer 0']);
    expect(Array.from(h.values)).toEqual(Array.from(states.h[0]));
    const f = heatmapOf(states, ['a', 'b'], 2, 0, 'f');
    expect(Array.from(f.values)).toEqual([3, 4, 13, 14]);
    expect([f.center, f.range, f.label]).toEqual([0.5, 0.5, 'gate f, layer 0']);
    const g = heatmapOf(states, ['a', 'b'], 2, 0, 'g');
    expect(Array.from(g.values)).toEqual([5, 6, 15, 16]);
    expect([g.center, g.range]).toEqual([0, 1]);
  });

  it('offers h and the four gates in weight order', () => {
    expect(HEATMAP_CHOICES.map((c) => c.value)).toEqual(['h', 'i', 'f', 'g', 'o']);
  });
});

describe('sentenceOf', () => {
  it('cuts a long line at a space', () => {
    expect(sentenceOf('It is a truth universally acknowledged that a single man', 40)).toBe('It is a truth universally acknowledged');
    expect(sentenceOf('short line', 40)).toBe('short line');
    expect(sentenceOf('x'.repeat(50), 40)).toBe('x'.repeat(40));
  });
});
