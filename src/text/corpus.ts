/** Corpus checks and the train/validation split. */

export class CorpusError extends Error {
  override name = 'CorpusError';
}

/**
 * Checks that `text` can train a model with truncated-BPTT length `seqLen`:
 * non-empty, at least 2 distinct characters, at least seqLen+1 characters (code points).
 */
export function checkCorpus(text: string, seqLen: number): void {
  const cps = [...text];
  checkCorpusShape(cps.length, new Set(cps).size, cps[0] ?? '', seqLen);
}

/** The same checks on a text already encoded: its length and vocabulary size in code points. */
export function checkCorpusShape(characters: number, distinct: number, first: string, seqLen: number): void {
  if (characters === 0) {
    throw new CorpusError('the corpus is empty; paste, load or pick a text to train on');
  }
  if (distinct < 2) {
    throw new CorpusError(
      `the corpus has only ${distinct} distinct character (${JSON.stringify(first)}); a language model needs text with at least 2 different characters`,
    );
  }
  if (characters < seqLen + 1) {
    throw new CorpusError(
      `the corpus has ${characters.toLocaleString('en')} characters but a sequence length of ${seqLen.toLocaleString('en')} needs at least ${(seqLen + 1).toLocaleString('en')}; use a longer text or a shorter sequence length`,
    );
  }
}

export interface SplitOptions {
  /** Fraction of the corpus (its end) kept for validation. Default 0.1. */
  valFraction?: number;
  /** Corpora of at most this many characters get no validation split. Default 10000. */
  minLengthForSplit?: number;
}

/**
 * Splits token ids into train and validation parts: corpora longer than
 * `minLengthForSplit` keep their last `valFraction` for validation; shorter ones
 * train on everything (val null). The parts are views of `ids`, not copies (a
 * 20 MB text's copies would block the page for ~50 ms); nothing writes to them.
 */
export function splitTrainVal(ids: Int32Array, opts: SplitOptions = {}): { train: Int32Array; val: Int32Array | null } {
  const valFraction = opts.valFraction ?? 0.1;
  const minLength = opts.minLengthForSplit ?? 10000;
  if (!(valFraction >= 0 && valFraction < 1)) {
    throw new CorpusError(`validation fraction must be in [0, 1), got ${valFraction}`);
  }
  const n = ids.length;
  const valLen = Math.floor(n * valFraction);
  if (n <= minLength || valLen < 1) return { train: ids, val: null };
  return { train: ids.subarray(0, n - valLen), val: ids.subarray(n - valLen) };
}
