/**
 * A small Worker that encodes one text (encodeText) off the page's main thread and
 * transfers the ids back; encode-async.ts starts one per text and ends it after.
 */
import { encodeText, type EncodedText } from '../text/encoded.ts';
import { VocabError } from '../text/vocab.ts';

export interface EncodeRequest {
  text: string;
  vocab?: readonly string[];
  replacement?: string;
}

export type EncodeReply = { type: 'result'; encoded: EncodedText } | { type: 'error'; name: string; message: string; characters: string[] };

interface WorkerScope {
  postMessage(message: EncodeReply, transfer: Transferable[]): void;
  onmessage: ((e: MessageEvent<EncodeRequest>) => void) | null;
}
const scope = self as unknown as WorkerScope;

scope.onmessage = (e) => {
  try {
    const encoded = encodeText(e.data.text, e.data.vocab, e.data.replacement);
    scope.postMessage({ type: 'result', encoded }, [encoded.ids.buffer]);
  } catch (err) {
    const x = err instanceof Error ? err : new Error(String(err));
    scope.postMessage({ type: 'error', name: x.name, message: x.message, characters: err instanceof VocabError ? err.characters : [] }, []);
  }
};
