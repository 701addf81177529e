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
 * its own code points. Characters outside a given vocabulary are refused with a
 * VocabError that lists them all (the first with its position), unless `replacement`
 * (a character of the vocabulary) is given to stand for each of them.
 */
export function encodeText(text: string, vocab?: readonly string[], replacement?: string): EncodedText {
  const ids = new Int32Array(countCodePoints(text));
  let chars: string[];
  if (vocab) {
    const index = new Map(vocab.map((c, i) => [c, i]));
    const stand = replacement === undefined ? undefined : index.get(replacement);
    if (replacement !== undefined && stand === undefined) {
      throw new VocabError(`the replacement ${JSON.stringify(replacement)} is not in the model's vocabulary; choose one of its ${vocab.length} characters`);
    }
    const unknown = new Map<string, number>(); // character → first position
    let i = 0;
    for (const ch of text) {
      let id = index.get(ch);
      if (id === undefined) {
        if (!unknown.has(ch)) unknown.set(ch, i);
        id = stand ?? 0;
      }
      ids[i++] = id;
    }
    if (unknown.size > 0 && stand === undefined) throw outsideVocabularyError(unknown, vocab.length);
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

/** Characters a vocabulary lacks, each once: the first with its position, then (up to 20) the rest. */
function outsideVocabularyError(unknown: Map<string, number>, size: number): VocabError {
  const show = (ch: string) => `${JSON.stringify(ch)} (U+${(ch.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')})`;
  const [[first, at], ...rest] = unknown;
  let msg = `character ${show(first)} at position ${at} is not in the model's vocabulary of ${size} characters`;
  if (rest.length > 0) {
    const listed = rest.slice(0, 20).map(([ch]) => show(ch));
    msg += `, nor ${rest.length === 1 ? 'is' : 'are'} ${listed.join(', ')}${rest.length > 20 ? ` and ${rest.length - 20} more` : ''}`;
  }
  const error = new VocabError(msg);
  error.characters = [...unknown.keys()];
  return error;
}

/**
 * A text in a model's vocabulary (prime, sentence, evaluation text): the first character
 * outside it is a VocabError naming `what` (a flag, a field), the character and its
 * position, then what to do.
 */
export function encodeIn(vocab: readonly string[], text: string, what: string, hint: string): Int32Array {
  try {
    return encodeText(text, vocab).ids;
  } catch (e) {
    if (e instanceof VocabError) throw Object.assign(new VocabError(`${what}: ${e.message}; ${hint}`), { characters: e.characters });
    throw e;
  }
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
