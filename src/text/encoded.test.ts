import { describe, expect, it } from 'vitest';
import { fingerprint } from '../model/training-state.ts';
import { encodeText } from './encoded.ts';
import { Vocab, VocabError } from './vocab.ts';

describe('encodeText', () => {
  it('gives the ids and vocabulary of Vocab.fromText + encode, by code point', () => {
    for (const text of ['It is a truth universally acknowledged', 'b😀a😀\u{1F600}c\ud800x', 'zzzyx']) {
      const v = Vocab.fromText(text);
      const e = encodeText(text);
      expect(e.chars).toEqual(v.chars);
      expect(Array.from(e.ids)).toEqual(Array.from(v.encode(text)));
      expect(e.fingerprint).toBe(fingerprint(text));
    }
  });

  it('encodes with a given vocabulary and names the first character outside it', () => {
    expect(Array.from(encodeText('cab', ['a', 'b', 'c']).ids)).toEqual([2, 0, 1]);
    expect(() => encodeText('abZ', ['a', 'b'])).toThrow(VocabError);
    expect(() => encodeText('ab😀', ['a', 'b'])).toThrow(`character "😀" (U+1F600) at position 2 is not in the model's vocabulary of 2 characters`);
  });
});
