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

  it('lists every new character, or maps them all to a declared replacement', () => {
    try {
      encodeText('aZbZé—', ['a', 'b', ' ']);
      expect.unreachable();
    } catch (e) {
      expect((e as VocabError).message).toBe(
        `character "Z" (U+005A) at position 1 is not in the model's vocabulary of 3 characters, nor are "é" (U+00E9), "—" (U+2014)`,
      );
      expect((e as VocabError).characters).toEqual(['Z', 'é', '—']);
    }
    const e = encodeText('aZbZé—', ['a', 'b', ' '], ' ');
    expect(Array.from(e.ids)).toEqual([0, 2, 1, 2, 2, 2]);
    expect(e.fingerprint).toBe(fingerprint('aZbZé—'));
    expect(() => encodeText('aZ', ['a', 'b'], 'Q')).toThrow(`the replacement "Q" is not in the model's vocabulary`);
  });
});
