import { describe, expect, it } from 'vitest';
import { TextRefusal, checkTextSize, pageTextLimit } from '../text/read-text.ts';
import { sentenceCase, shownError } from './error-box.ts';

describe('shownError', () => {
  it('keeps a text refusal over the size limit whole, with the rule in its parentheses as the detail', () => {
    let refusal: unknown;
    try {
      checkTextSize('big.txt', 'x'.repeat(5e6), pageTextLimit(1));
    } catch (e) {
      refusal = e;
    }
    expect(refusal).toBeInstanceOf(TextRefusal);
    const shown = shownError(refusal as Error);
    expect(shown.message).toBe((refusal as Error).message);
    expect(shown.detail).toMatch(/^reading and encoding a text takes up to \d+ bytes/);
    expect(shown.message.replace(` (${shown.detail})`, '')).toBe(
      'big.txt is 5.0 MB; this page takes texts up to 4 MB; use an excerpt, or the command line (npm run train -- --corpus FILE)',
    );
  });

  it('shows any other failure as it is', () => {
    expect(shownError(new Error('could not load "x"'))).toEqual({ message: 'could not load "x"' });
    expect(shownError(new TextRefusal('photo.png is a PNG image'))).toEqual({ message: 'photo.png is a PNG image' });
    expect(shownError('steps must be an integer')).toEqual({ message: 'steps must be an integer' });
  });

  it('shows messages in sentence case, leaving a name that opens one as it is written', () => {
    expect(sentenceCase('could not load "x"')).toBe('Could not load "x"');
    expect(sentenceCase('pasted text: the corpus has only 1 distinct character')).toBe('Pasted text: the corpus has only 1 distinct character');
    expect(sentenceCase('Reset changed nothing: x')).toBe('Reset changed nothing: x');
    for (const kept of [
      'photo.png is a PNG image',
      'http://x/a.txt is 40.0 MB',
      'model-url: could not fetch',
      'continueRun() takes the id',
      'engine="gpu" asks',
      '"x" is not',
    ])
      expect(sentenceCase(kept)).toBe(kept);
  });
});
