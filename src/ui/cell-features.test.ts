import { describe, expect, it } from 'vitest';
import { buildParamTable, initParams } from '../model/params.ts';
import { Rng } from '../model/rng.ts';
import { CpuModel } from '../engine/cpu.ts';
import { modelForwardReference } from '../reference/model.ts';
import { cellStates, featureValues, rankUnits, stretchStart, unitActivations } from './cell-features.ts';

describe('featureValues', () => {
  it('marks quotes (straight and curly), the column in the line, spaces and capitals after each character', () => {
    const f = featureValues([...'a "Hi" b\n“Yo”']);
    expect(Array.from(f.quote)).toEqual([0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0]);
    expect(Array.from(f.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4]);
    expect(Array.from(f.space)).toEqual([0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(f.capital)).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
  });
});

describe('rankUnits', () => {
  // 2 layers of H = 3 over a text; each layer has one unit built to follow one feature.
  const chars = [...'He said "go on" and\nthen "Stop" Now we\nsee it all. "Yes" A b'];
  const n = chars.length;
  const f = featureValues(chars);
  const H = 3;
  const layer0 = new Float32Array(n * H);
  const layer1 = new Float32Array(n * H);
  for (let t = 0; t < n; t++) {
    layer0[t * H + 0] = Math.sin(t); // noise
    layer0[t * H + 1] = 0.2; // never moves
    layer0[t * H + 2] = -0.9 * f.quote[t] + 0.05 * Math.cos(3 * t); // quotes, negatively
    layer1[t * H + 0] = Math.tanh(f.line[t] / 10); // position in line
    layer1[t * H + 1] = f.space[t];
    layer1[t * H + 2] = 0.3 * f.capital[t] + 0.01 * Math.sin(7 * t);
  }

  it('finds the unit that tracks each feature, with the sign of its correlation', () => {
    const r = rankUnits([layer0, layer1], H, chars);
    const best = Object.fromEntries(r.map((x) => [x.feature.key, x.best[0]]));
    expect(best.quote).toMatchObject({ layer: 0, unit: 2 });
    expect(best.quote.r).toBeLessThan(-0.99);
    expect(best.line).toMatchObject({ layer: 1, unit: 0 });
    expect(best.line.r).toBeGreaterThan(0.9);
    expect(best.space).toMatchObject({ layer: 1, unit: 1, r: 1 });
    expect(best.capital).toMatchObject({ layer: 1, unit: 2 });
    for (const x of r) {
      expect(x.best).toHaveLength(3);
      for (let k = 1; k < 3; k++) expect(Math.abs(x.best[k].r)).toBeLessThanOrEqual(Math.abs(x.best[k - 1].r));
    }
    // The unit that never moves correlates with nothing.
    const all = rankUnits([layer0, layer1], H, chars, 6);
    expect(all[0].best.find((u) => u.layer === 0 && u.unit === 1)?.r).toBe(0);
  });

  it('ranks nothing for a feature the stretch lacks (no quotes, no line breaks)', () => {
    const plain = [...'It is a truth universally acknowledged'];
    const h = new Float32Array(plain.length * 2).map((_, i) => Math.sin(i));
    const r = rankUnits([h], 2, plain);
    expect(r.map((x) => [x.feature.key, x.best.length])).toEqual([
      ['quote', 0],
      ['line', 2],
      ['space', 2],
      ['capital', 2],
    ]);
  });

  it('refuses states that do not match the text', () => {
    expect(() => rankUnits([new Float32Array(5)], 2, [...'abc'])).toThrow(/expected 3 characters × 2 units/);
  });
});

describe('unitActivations and stretchStart', () => {
  it('reads one unit over the stretch, and starts the stretch at the line of the first quote', () => {
    expect(Array.from(unitActivations(Float32Array.from([1, 2, 3, 4, 5, 6]), 3, 1))).toEqual([2, 5]);
    expect(stretchStart([...'Title\n\nSome text\nhe said "hi"'])).toBe(17);
    expect(stretchStart([...'no quotes at all'])).toBe(0);
  });
});

describe('cellStates', () => {
  it("recomputes tanh(c) from the gates exactly as the reference's forward pass carries c", async () => {
    const table = buildParamTable({ vocabSize: 9, embedSize: 4, hiddenSize: 5, layers: 2 });
    const params = initParams(table, new Rng(7));
    for (let i = 0; i < params.length; i++) params[i] *= 3; // saturating gates, a cell state that grows
    const ids = Int32Array.from([1, 4, 0, 8, 3, 3, 7, 2, 5, 6, 1]);
    const states = await new CpuModel(table, params).hiddenStates(ids);
    const { cache } = modelForwardReference(table, params, ids, new Int32Array(ids.length), ids.length, 1);
    for (let l = 0; l < 2; l++) {
      const mine = cellStates(states.gates[l], 5);
      const ref = cache.cs[l].subarray(5); // slots 1..n
      for (let i = 0; i < mine.length; i++) expect(mine[i]).toBeCloseTo(Math.tanh(ref[i]), 5);
    }
  });
});
