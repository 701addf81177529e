/**
 * A corpus read once: every code point encoded, its vocabulary and fingerprint. This
 * is the work that costs on a big text (tens of MB), so it is done once per text and,
 * on the page, in a Worker (src/run/encode-worker.ts); nothing re-splits the text later.
 */
import { fingerprint } from '../model/training-state.ts';
import { VocabError } from './vocab.ts';

export interface EncodedText {
  /** (n) token ids, one per code point. */
  ids: Int32Array;
  /** The vocabulary in index order (ascending code point). */
  chars: string[];
  /** FNV-1a over the code points (identifies the text in checkpoints). */
  fingerprint: string;
}

/**
 * Encodes a text with a given vocabulary (a loaded model's), or with the sorted set of
 * its own code points. A character outside a given vocabulary is a VocabError naming
 * it, its code point and its position.
 */
export function encodeText(text: string, vocab?: readonly string[]): EncodedText {
  const ids = new Int32Array(countCodePoints(text));
  let chars: string[];
  if (vocab) {
    const index = new Map(vocab.map((c, i) => [c, i]));
    let i = 0;
    for (const ch of text) {
      const id = index.get(ch);
      if (id === undefined) {
        const cp = (ch.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0');
        throw new VocabError(`character ${JSON.stringify(ch)} (U+${cp}) at position ${i} is not in the model's vocabulary of ${vocab.length} characters`);
      }
      ids[i++] = id;
    }
    chars = vocab.slice();
  } else {
    // Ids in order of first appearance, then renumbered in code-point order.
    const seen = new Map<string, number>();
    let i = 0;
    for (const ch of text) {
      let id = seen.get(ch);
      if (id === undefined) seen.set(ch, (id = seen.size));
      ids[i++] = id;
    }
    chars = [...seen.keys()].sort((a, b) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number));
    const order = new Map(chars.map((c, k) => [c, k]));
    const remap = Int32Array.from(seen.keys(), (c) => order.get(c)!);
    for (let k = 0; k < ids.length; k++) ids[k] = remap[ids[k]];
  }
  return { ids, chars, fingerprint: fingerprint(text) };
}

/** Code points in a string (surrogate pairs count once). */
function countCodePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 === text.length) n++;
    else {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      n++;
    }
  }
  return n;
}
