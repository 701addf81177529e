import { describe, expect, it } from 'vitest';
import { buildParamTable, initParams } from '../model/params.ts';
import { Rng } from '../model/rng.ts';
import { CpuModel } from '../engine/cpu.ts';
import { modelForwardReference } from '../reference/model.ts';
import { cellActivations, featureProblem, featureValues, rankUnits, stretchStart, strongestUnit, unitActivations } from './cell-features.ts';

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
  const chars = [...'He said "Go On" And\nThen "Stop" Now We\nSee It All. "Yes" A B'];
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

  it('ranks nothing for a feature the stretch lacks, and says why (one line: no position in line)', () => {
    // The notebook passage's shape: one line, no quotation marks, a few capitals.
    const plain = [
      ...'It is a truth universally acknowledged that a single man in possession of a good fortune must be in want of a wife. However little known',
    ];
    const h = new Float32Array(plain.length * 2).map((_, i) => Math.sin(i));
    const r = rankUnits([h], 2, plain);
    expect(r.map((x) => [x.feature.key, x.best.length, x.absent])).toEqual([
      ['quote', 0, 'no quotation marks'],
      ['line', 0, 'no line breaks: the position in line would be the position in the text'],
      ['space', 2, ''],
      ['capital', 0, 'only 2 capital letters: too few to rank by'],
    ]);
    // The strongest unit is that of the one feature ranked.
    expect(strongestUnit(r)).toMatchObject({ feature: { key: 'space' }, unit: r[2].best[0] });
  });

  it('asks each feature for enough of the text on both sides of it', () => {
    const problem = (text: string) => {
      const chars = [...text];
      const v = featureValues(chars);
      return Object.fromEntries((['quote', 'line', 'space', 'capital'] as const).map((k) => [k, featureProblem(k, chars, v)]));
    };
    const words = 'the cat sat on the mat and the dog ran off ';
    expect(problem(`${words}\n${words}`)).toMatchObject({
      line: 'only 1 line break: too few lines to compare',
      quote: 'no quotation marks',
      capital: 'no capital letters',
    });
    expect(problem(`${words}\n${words}\n${words}`).line).toBe('');
    expect(problem(`${words}"ab"`).quote).toBe('only 3 characters inside quotes: too few to rank by');
    expect(problem(`"${words}"`).quote).toBe('only 1 character outside quotes: too few to rank by');
    expect(problem(`"${words}" ${words}`).quote).toBe('');
    expect(problem('abcdefghijklmnopqrstuvwxyz').space).toBe('no spaces');
    expect(problem('a b c d e f g').space).toBe('only 6 characters after a space: too few to rank by');
    expect(problem(`${' '.repeat(12)}ab`).space).toBe('only 2 characters not after a space: too few to rank by');
    expect(problem('ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklm').capital).toBe('');
  });

  it('finds the strongest unit over every feature by |r|, a negative r included', () => {
    const feature = (key: string) => ({ key, title: key, help: '' }) as never;
    const r = [
      { feature: feature('quote'), best: [], absent: 'no quotation marks' },
      { feature: feature('line'), best: [{ layer: 0, unit: 54, r: 0.15 }], absent: '' },
      { feature: feature('space'), best: [{ layer: 1, unit: 7, r: -0.58 }], absent: '' },
      { feature: feature('capital'), best: [{ layer: 0, unit: 3, r: 0.41 }], absent: '' },
    ];
    expect(strongestUnit(r)).toEqual({ feature: r[2].feature, unit: { layer: 1, unit: 7, r: -0.58 } });
    expect(strongestUnit([r[0]])).toBeNull();
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

describe('cellActivations', () => {
  it("is tanh of the cell state c the engine carried, as the reference's forward pass computes it, across the CPU engine's chunks", async () => {
    const table = buildParamTable({ vocabSize: 9, embedSize: 4, hiddenSize: 5, layers: 2 });
    const params = initParams(table, new Rng(7));
    for (let i = 0; i < params.length; i++) params[i] *= 3; // saturating gates, a cell state that grows
    const n = 300; // more than the CPU engine's chunk of 256 characters: c is carried from one chunk to the next
    const ids = Int32Array.from({ length: n }, (_, i) => (i * 7 + (i >> 3)) % 9);
    const states = await new CpuModel(table, params).hiddenStates(ids);
    const { cache } = modelForwardReference(table, params, ids, new Int32Array(n), n, 1);
    const chars = Array.from(ids, (id) => ' "\nAabc.B'[id]);
    const mine = states.c.map(cellActivations);
    const ref = cache.cs.map((c) => Float32Array.from(c.subarray(5), Math.tanh)); // slots 1..n
    for (let l = 0; l < 2; l++) {
      expect(states.c[l]).toHaveLength(n * 5);
      for (let i = 0; i < n * 5; i++) {
        expect(states.c[l][i]).toBeCloseTo(cache.cs[l][5 + i], 5);
        expect(mine[l][i]).toBeCloseTo(ref[l][i], 5);
      }
    }
    // c itself, not tanh(c) or h: it leaves (−1, 1).
    expect(Math.max(...states.c.map((c) => Math.max(...c.map(Math.abs))))).toBeGreaterThan(1);
    // The explorer ranks the same units as the float64 reference, with r to rounding.
    const got = rankUnits(mine, 5, chars);
    const want = rankUnits(ref, 5, chars);
    expect(got.map((x) => x.best.map((u) => [u.layer, u.unit]))).toEqual(want.map((x) => x.best.map((u) => [u.layer, u.unit])));
    got.forEach((x, k) => x.best.forEach((u, j) => expect(u.r).toBeCloseTo(want[k].best[j].r, 5)));
  });
});
