import { describe, it, expect } from 'vitest';
import { checkCorpus, CorpusError, splitTrainVal } from './corpus.ts';

describe('checkCorpus', () => {
  it('accepts a usable corpus', () => {
    expect(() => checkCorpus('abcde', 4)).not.toThrow();
  });

  it('rejects an empty corpus', () => {
    expect(() => checkCorpus('', 4)).toThrow(CorpusError);
    expect(() => checkCorpus('', 4)).toThrow(/empty/);
  });

  it('rejects a corpus of one distinct character', () => {
    expect(() => checkCorpus('aaaaaaaa', 4)).toThrow(/only 1 distinct character/);
    expect(() => checkCorpus('😀😀😀😀😀😀', 2)).toThrow(/at least 2 different characters/);
  });

  it('names the length found and the length needed, counted in code points', () => {
    expect(() => checkCorpus('abcd', 4)).toThrow('the corpus has 4 characters but a sequence length of 4 needs at least 5');
    // 4 code points, 8 UTF-16 units.
    expect(() => checkCorpus('😀a😀b', 4)).toThrow(/has 4 characters/);
    expect(() => checkCorpus('😀a😀b😀', 4)).not.toThrow();
  });
});

describe('splitTrainVal', () => {
  const ids = (n: number) => Int32Array.from({ length: n }, (_, i) => i % 7);

  it('keeps short corpora whole with no validation split', () => {
    const { train, val } = splitTrainVal(ids(10000));
    expect(train.length).toBe(10000);
    expect(val).toBeNull();
    expect(splitTrainVal(ids(1153)).val).toBeNull();
  });

  it('splits longer corpora 90/10, validation at the end', () => {
    const data = ids(10001);
    const { train, val } = splitTrainVal(data);
    expect(val).not.toBeNull();
    expect(train.length).toBe(9001);
    expect(val!.length).toBe(1000);
    expect(Array.from(val!)).toEqual(Array.from(data.subarray(9001)));
    expect(Array.from(train)).toEqual(Array.from(data.subarray(0, 9001)));
    const big = splitTrainVal(ids(1_115_394));
    expect(big.train.length + big.val!.length).toBe(1_115_394);
    expect(big.val!.length).toBe(111_539);
  });

  it('honours options', () => {
    const { train, val } = splitTrainVal(ids(100), { valFraction: 0.25, minLengthForSplit: 50 });
    expect(train.length).toBe(75);
    expect(val!.length).toBe(25);
    expect(() => splitTrainVal(ids(100), { valFraction: 1 })).toThrow(CorpusError);
  });
});
