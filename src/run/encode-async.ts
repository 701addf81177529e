/**
 * Encodes a corpus without blocking the caller's thread for long: the page calls this
 * for every new text (a 20 MB text takes seconds to split and encode). A text of any
 * size goes to a Worker of its own (encode-worker.ts, inlined in the bundle), which
 * transfers the ids back; a short one, or any text where there is no Worker (Node) or
 * the Worker cannot start, is encoded here.
 */
import { encodeText, type EncodedText } from '../text/encoded.ts';
import { VocabError } from '../text/vocab.ts';
import type { EncodeReply, EncodeRequest } from './encode-worker.ts';
import EncodeWorker from './encode-worker.ts?worker&inline';

/** Texts shorter than this (UTF-16 units) encode in well under a millisecond: a Worker would only add its start-up. */
export const BACKGROUND_MIN_LENGTH = 50_000;

/** encodeText, off the main thread where a Worker is available. */
export async function encodeInBackground(text: string, vocab?: readonly string[], replacement?: string): Promise<EncodedText> {
  if (typeof Worker === 'undefined' || text.length < BACKGROUND_MIN_LENGTH) return encodeText(text, vocab, replacement);
  const worker = new EncodeWorker({ name: 'char-lm text encoder' });
  try {
    return await new Promise<EncodedText>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<EncodeReply>) => {
        const r = e.data;
        if (r.type === 'result') resolve(r.encoded);
        else
          reject(
            r.name === 'VocabError'
              ? Object.assign(new VocabError(r.message), { characters: r.characters })
              : Object.assign(new Error(r.message), { name: r.name }),
          );
      };
      // A Worker that cannot start (a Content-Security-Policy without blob: workers) must not
      // stop the page from taking a text: encode it here, slowly, instead.
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        try {
          resolve(encodeText(text, vocab, replacement));
        } catch (err) {
          reject(err as Error);
        }
      };
      worker.postMessage({ text, vocab: vocab?.slice(), replacement } satisfies EncodeRequest);
    });
  } finally {
    worker.terminate();
  }
}
