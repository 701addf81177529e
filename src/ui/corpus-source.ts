/**
 * Where a text comes from: a preset shipped with the project, a URL, a file the user
 * picked, pasted text or text inside the element. Turns a choice into a Corpus; the
 * element encodes it (once) and opens a run on it.
 *
 * Files and URLs are streamed through src/text/read-text.ts (the command line's checks
 * and words): their size is checked before they are read and counted while they are,
 * non-text is refused by what it is, progress is reported and the read can be cancelled.
 * Nothing here touches the model: a refusal leaves everything as it was.
 */
import { findPreset, type CorpusPreset } from '../text/presets.ts';
import { TextReadCancelled, checkTextSize, pageTextLimit, readTextStream, type ModelMemory, type ReadProgress, type TextLimit } from '../text/read-text.ts';
import type { Corpus } from '../run/run.ts';

export type TextChoice =
  | { kind: 'preset'; id: string }
  | { kind: 'url'; url: string }
  | { kind: 'file'; file: File }
  | { kind: 'paste'; text: string }
  | { kind: 'slot'; text: string };

export interface LoadOptions {
  /** Cancels the read of a file or URL (TextReadCancelled). */
  signal?: AbortSignal;
  /** Bytes of a file or URL read so far, with the name the page shows for it. */
  onProgress?: (name: string, p: ReadProgress) => void;
  /** The tab memory the model in use takes (src/engine/memory.ts, tabModelMemory): the text gets what is left of the page's share. */
  model?: ModelMemory;
}

/** The largest text this page takes, from the memory the browser reports (Chromium's navigator.deviceMemory) less the model's. */
function pageLimit(model?: ModelMemory): TextLimit {
  return pageTextLimit((navigator as Navigator & { deviceMemory?: number }).deviceMemory, model);
}

export async function loadCorpus(choice: TextChoice, opts: LoadOptions = {}): Promise<Corpus> {
  switch (choice.kind) {
    case 'preset': {
      const p = findPreset(choice.id);
      if (p.source.kind === 'inline') return { name: p.name, text: p.source.text };
      return { name: p.name, text: await fetchPreset(p, p.source.url, opts) };
    }
    case 'url':
      return fetchCorpus(choice.url, opts);
    case 'file': {
      const { file } = choice;
      const text = await readTextStream(
        { name: file.name, origin: 'file', size: file.size, body: file.stream() },
        { limit: pageLimit(opts.model), signal: opts.signal, onProgress: (p) => opts.onProgress?.(file.name, p) },
      );
      return { name: file.name, text };
    }
    case 'paste':
      checkTextSize('pasted text', choice.text, pageLimit(opts.model));
      return { name: 'pasted text', text: choice.text };
    case 'slot':
      checkTextSize('the text in the page', choice.text, pageLimit(opts.model));
      return { name: 'text in the page', text: choice.text };
  }
}

/**
 * A shipped text that is a file of its own (beside char-lm.js in the library build, under
 * assets/ on the page); a failure says which file an embedding page lacks.
 */
async function fetchPreset(p: CorpusPreset, url: string, opts: LoadOptions): Promise<string> {
  try {
    return (await fetchCorpus(url, { ...opts, onProgress: (_, progress) => opts.onProgress?.(p.name, progress) })).text;
  } catch (e) {
    if (e instanceof TextReadCancelled) throw e;
    throw new Error(
      `${p.name} could not be loaded (${(e as Error).message}); where char-lm.js is embedded in a page, copy ${p.file} from dist/lib/ into the same folder as char-lm.js`,
    );
  }
}

/** Fetches a plain-text corpus; errors say what to check. */
async function fetchCorpus(url: string, opts: LoadOptions): Promise<Corpus> {
  const where = url.trim();
  if (!where) throw new Error('type the address of a plain-text file (https://…/corpus.txt) to load a text from a URL');
  let res: Response;
  try {
    res = await fetch(where, { signal: opts.signal });
  } catch (e) {
    if (opts.signal?.aborted) throw new TextReadCancelled(`reading ${where} was cancelled`);
    throw new Error(`could not fetch the corpus from ${where}: ${(e as Error).message} (check the address, and that the server allows cross-origin requests)`);
  }
  if (!res.ok) {
    void res.body?.cancel().catch(() => undefined);
    throw new Error(`could not fetch the corpus from ${where}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  }
  // Content-Length counts the bytes on the wire: a compressed body is counted as it is read instead.
  const length = res.headers.get('content-length');
  const compressed = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const size = length !== null && /^\d+$/.test(length.trim()) && !compressed ? Number(length) : null;
  const body = res.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() }); // no body (204): empty
  const text = await readTextStream(
    { name: where, origin: 'url', size, contentType: res.headers.get('content-type'), body },
    { limit: pageLimit(opts.model), signal: opts.signal, onProgress: (p) => opts.onProgress?.(where, p) },
  );
  return { name: where, text };
}
