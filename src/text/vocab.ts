/**
 * The vocabulary: the sorted set of Unicode code points of a corpus.
 * Text is always split with `[...text]` (by code point, never by UTF-16 unit),
 * and characters are ordered by code point; index order = sorted order.
 */

export class VocabError extends Error {
  override name = 'VocabError';
  /** The characters outside the vocabulary, when that is what went wrong. */
  characters: string[] = [];
}

function codePointOf(ch: string): number {
  return ch.codePointAt(0) as number;
}

function describe(ch: string): string {
  return JSON.stringify(ch);
}

export class Vocab {
  /** Characters in index order (ascending code point). */
  readonly chars: string[];
  private readonly index: Map<string, number>;

  constructor(chars: string[]) {
    if (!Array.isArray(chars)) throw new VocabError('vocabulary must be an array of characters');
    const index = new Map<string, number>();
    let prev = -1;
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i];
      if (typeof ch !== 'string' || [...ch].length !== 1) {
        throw new VocabError(`vocabulary entry ${i} (${JSON.stringify(ch)}) is not a single Unicode character; each entry must be exactly one code point`);
      }
      const cp = codePointOf(ch);
      if (index.has(ch)) {
        throw new VocabError(`vocabulary entry ${i} (${describe(ch)}) is a duplicate; each character must appear once`);
      }
      if (cp < prev) {
        throw new VocabError(
          `vocabulary is not sorted by code point: entry ${i} (${describe(ch)}, U+${cp.toString(16).toUpperCase().padStart(4, '0')}) comes after a larger one`,
        );
      }
      prev = cp;
      index.set(ch, i);
    }
    this.chars = chars.slice();
    this.index = index;
  }

  /** The sorted set of code points of `text`. */
  static fromText(text: string): Vocab {
    const set = new Set<string>([...text]);
    const chars = [...set].sort((a, b) => codePointOf(a) - codePointOf(b));
    return new Vocab(chars);
  }

  get size(): number {
    return this.chars.length;
  }

  has(ch: string): boolean {
    return this.index.has(ch);
  }

  /** Index of `ch`, or -1 if it is not in the vocabulary. */
  indexOf(ch: string): number {
    return this.index.get(ch) ?? -1;
  }

  /** Token ids of `text`, one per code point. Throws VocabError on the first unknown character. */
  encode(text: string): Int32Array {
    const cps = [...text];
    const ids = new Int32Array(cps.length);
    for (let i = 0; i < cps.length; i++) {
      const id = this.index.get(cps[i]);
      if (id === undefined) {
        throw new VocabError(
          `character ${describe(cps[i])} at position ${i} is not in the vocabulary (${this.size} characters); use text made of the corpus's characters`,
        );
      }
      ids[i] = id;
    }
    return ids;
  }

  decode(ids: ArrayLike<number>): string {
    let out = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const ch = this.chars[id];
      if (!Number.isInteger(id) || ch === undefined) {
        throw new VocabError(`token id ${id} at position ${i} is out of range for a vocabulary of ${this.size} characters`);
      }
      out += ch;
    }
    return out;
  }
}
