import { describe, it, expect } from 'vitest';
import { Vocab, VocabError } from './vocab.ts';

describe('Vocab', () => {
  it('is the sorted set of code points of the text', () => {
    const v = Vocab.fromText('banana');
    expect(v.chars).toEqual(['a', 'b', 'n']);
    expect(v.size).toBe(3);
    expect(v.indexOf('n')).toBe(2);
    expect(v.indexOf('z')).toBe(-1);
    expect(v.has('a')).toBe(true);
    expect(v.has('z')).toBe(false);
  });

  it('splits by code point, keeps astral characters whole and sorts by code point', () => {
    const text = 'é😀a Zé😀\u{10348}b';
    const v = Vocab.fromText(text);
    // Code point order: ' ' (0x20) < 'Z' (0x5a) < 'a' < 'b' < 'é' (0xe9) < 𐍈 (0x10348) < 😀 (0x1f600).
    expect(v.chars).toEqual([' ', 'Z', 'a', 'b', 'é', '\u{10348}', '😀']);
    for (const ch of v.chars) expect([...ch].length).toBe(1);
    const ids = v.encode(text);
    expect(ids.length).toBe([...text].length);
    expect(Array.from(ids)).toEqual([4, 6, 2, 0, 1, 4, 6, 5, 3]);
    expect(v.decode(ids)).toBe(text);
  });

  it('sorts by code point, not by locale', () => {
    const v = Vocab.fromText('bBaAéz');
    expect(v.chars).toEqual(['A', 'B', 'a', 'b', 'z', 'é']);
    // UTF-16 unit order would put 😀 (surrogate 0xd83d) before U+FFFD; code point order puts it after.
    expect(Vocab.fromText('😀\ufffd').chars).toEqual(['\ufffd', '😀']);
    expect(() => new Vocab(['😀', '\ufffd'])).toThrow(/not sorted/);
  });

  it('round trips accented text with combining marks as separate code points', () => {
    const text = 'Cafe\u0301 naïve Ærøskøbing 😀😀';
    const v = Vocab.fromText(text);
    expect(v.decode(v.encode(text))).toBe(text);
    expect(v.has('\u0301')).toBe(true);
  });

  it('names the first unknown character and its position', () => {
    const v = Vocab.fromText('abc');
    expect(() => v.encode('abcZ')).toThrow(VocabError);
    expect(() => v.encode('abcZ')).toThrow('character "Z" at position 3 is not in the vocabulary (3 characters); use text made of the corpus\'s characters');
    // Position counts code points, not UTF-16 units.
    expect(() => Vocab.fromText('😀a').encode('😀😀b')).toThrow('character "b" at position 2');
    expect(() => v.encode('a\n')).toThrow('character "\\n" at position 1');
  });

  it('rejects invalid vocabularies', () => {
    expect(() => new Vocab(['a', 'a'])).toThrow(/duplicate/);
    expect(() => new Vocab(['b', 'a'])).toThrow(/not sorted/);
    expect(() => new Vocab(['ab'])).toThrow(/single Unicode character/);
    expect(() => new Vocab([''])).toThrow(VocabError);
    expect(() => new Vocab(['a', '\ud83d'])).not.toThrow(); // a lone surrogate is still one code point
    expect(new Vocab(['a', '😀']).size).toBe(2);
  });

  it('rejects out-of-range ids when decoding', () => {
    const v = Vocab.fromText('ab');
    expect(() => v.decode([0, 2])).toThrow(/token id 2 at position 1/);
  });

  it('has a VocabError with its name', () => {
    const e = new VocabError('x');
    expect(e.name).toBe('VocabError');
    expect(e).toBeInstanceOf(Error);
  });
});
