/**
 * How a text gets in: the checks and the reading that the page (a file, a URL) and the
 * command line (--corpus, --text) share, so both refuse the same files with the same words.
 *
 * - A size limit (pageTextLimit, CLI_TEXT_LIMIT), checked against the size announced
 *   (File.size, Content-Length, stat) before anything is read, and again while bytes are
 *   counted (a server that announces nothing, or a compressed body).
 * - Non-text refused by what it is: the signatures of common binary formats, NUL bytes,
 *   UTF-16, a web page where a plain text was expected, a content type that is not text.
 * - UTF-8 decoded strictly (TextDecoder fatal), chunk by chunk; an invalid sequence is
 *   reported with its byte offset, even when it is split across chunks. A BOM is dropped.
 * - A read can be cancelled (AbortSignal) and reports bytes as they arrive.
 *
 * Every check throws before the caller has replaced anything: a TextRefusal says what
 * the source is and what to do; a TextReadCancelled means the user stopped it.
 */

export class TextRefusal extends Error {
  override name = 'TextRefusal';
  /**
   * @param detail - the part of the message that explains the rule (in parentheses in it):
   *   a page may show the message without it and offer it behind a disclosure.
   */
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** The read was cancelled (AbortSignal); nothing is to be reported. */
export class TextReadCancelled extends Error {
  override name = 'TextReadCancelled';
}

/** The largest text a front end takes, and why. */
export interface TextLimit {
  bytes: number;
  /** Who takes it: "this page", "the command line". */
  where: string;
  why: string;
  /** What to do with a larger text. */
  instead: string;
}

/**
 * Bytes of a tab's memory per byte of text at the peak of reading and encoding it,
 * measured (renderer RSS, headless Chromium, a 20 MB text through the file input):
 * 9–10 for a first text on either engine, 35 for a text replacing another of the same
 * size on the CPU engine, whose old run, ids and Worker copy live until the new model is
 * ready. What is held: the decoded string (1–2 bytes a character in V8) and its copy sent
 * to the encoding Worker, the Int32 ids (4) and their copy sent to the CPU engine's
 * Worker, the previous text's. Nothing proportional to the text goes to the GPU (a step
 * uploads its B·T ids), so the device's buffer limits do not bound it; memory does.
 */
const TAB_BYTES_PER_TEXT_BYTE = 35;

/** Memory assumed when the browser does not say (navigator.deviceMemory is Chromium's, rounded). */
const ASSUMED_DEVICE_GIB = 4;

/** The tab memory the model in use takes beside the text (see src/engine/memory.ts), and what it is. */
export interface ModelMemory {
  bytes: number;
  /** "the notebook settings on the CPU engine: float64 working memory and 3 copies of the training state". */
  what: string;
}

/**
 * The page's limit: reading a text may take at most an eighth of the device's memory,
 * counted up to 8 GB (so at most 1 GB), less what the model in use takes of the tab's
 * memory, at TAB_BYTES_PER_TEXT_BYTE: 30 MB from 8 GB up with a small model, 15 MB on 4 GB
 * (and where the browser does not say), never under 4 MB. Before the limit a 50 MB text
 * froze the tab for about 17 s and 100 MB crashed it; 20 MB loads with no task over 200 ms
 * (e2e/longtask.spec.ts).
 */
export function pageTextLimit(deviceMemoryGiB?: number, model?: ModelMemory): TextLimit {
  const known = deviceMemoryGiB !== undefined && Number.isFinite(deviceMemoryGiB) && deviceMemoryGiB > 0;
  const gib = known ? deviceMemoryGiB : ASSUMED_DEVICE_GIB;
  const budgetGiB = Math.min(gib, 8) / 8;
  const free = budgetGiB * 2 ** 30 - (model?.bytes ?? 0);
  const mb = Math.max(4, Math.floor(free / TAB_BYTES_PER_TEXT_BYTE / 1e6));
  const budget = budgetGiB >= 1 ? '1 GB' : `${Math.round(budgetGiB * 1024)} MB`;
  const device = known ? `this device reports ${gib} GB` : `${gib} GB assumed: the browser does not say`;
  const less = model ? `, less the ${formatBytes(model.bytes)} the model takes (${model.what})` : '';
  return {
    bytes: mb * 1e6,
    where: 'this page',
    why:
      `reading and encoding a text takes up to ${TAB_BYTES_PER_TEXT_BYTE} bytes of the tab's memory per byte of it, ` +
      `and the page keeps that within ${budget}: an eighth of the memory, counted up to 8 GB (${device})${less}`,
    instead: 'use an excerpt, or the command line (npm run train -- --corpus FILE)',
  };
}

/**
 * The command line's limit: reading and encoding a text takes about 6 bytes of memory
 * per byte of it (measured: 6.1 for a 50 MB text: the file's bytes, the string, the Int32
 * ids), so 256 MB of text is about 1.5 GB, within Node's default heap; V8 strings hold at
 * most 2^29 − 24 UTF-16 units (536 million) in any case.
 */
export const CLI_TEXT_LIMIT: TextLimit = {
  bytes: 256e6,
  where: 'the command line',
  why: 'the run holds the text with 4-byte ids for each character, about 6 bytes of memory per byte of text',
  instead: 'use an excerpt',
};

/** "1.2 MB", "340 kB": sizes as messages and progress lines show them. */
export function formatBytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${Math.round(n / 1e3)} kB`;
  return `${n} B`;
}

/** A limit as people say it: "32 MB". */
function formatLimit(n: number): string {
  return n % 1e6 === 0 ? `${n / 1e6} MB` : formatBytes(n);
}

function tooLarge(name: string, size: string, limit: TextLimit): TextRefusal {
  return new TextRefusal(`${name} is ${size}; ${limit.where} takes texts up to ${formatLimit(limit.bytes)} (${limit.why}); ${limit.instead}`, limit.why);
}

/** A text already in memory (pasted, or inside the element): its size in UTF-8 against the limit. */
export function checkTextSize(name: string, text: string, limit: TextLimit): void {
  if (text.length * 3 <= limit.bytes) return; // at most 3 UTF-8 bytes per UTF-16 unit
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair: one 4-byte sequence
      i++;
    } else bytes += 3;
  }
  if (bytes > limit.bytes) throw tooLarge(name, formatBytes(bytes), limit);
}

/** Where a text comes from: a URL is expected to be a plain-text file, so a web page is refused too. */
type TextOrigin = 'file' | 'url';

/** What a source says of itself before its bytes are read. */
export interface Announced {
  /** What messages call it: a file name, a URL, `--corpus "path"`. */
  name: string;
  origin: TextOrigin;
  /** Bytes announced (File.size, Content-Length, stat), or null. */
  size: number | null;
  /** A URL's Content-Type (a file's type comes from its extension and is not trusted). */
  contentType?: string | null;
}

const GIVE_TEXT = 'give a plain-text (.txt) file, saved as UTF-8';

/** Content types that are clearly not a text (a URL's): major types, then exact ones. */
const BINARY_MAJOR_TYPES = new Set(['image', 'audio', 'video', 'font', 'model']);
const BINARY_TYPES = new Set([
  'application/pdf',
  'application/zip',
  'application/gzip',
  'application/x-gzip',
  'application/x-tar',
  'application/x-7z-compressed',
  'application/x-rar-compressed',
  'application/vnd.rar',
  'application/x-bzip2',
  'application/epub+zip',
  'application/msword',
  'application/wasm',
]);

function webPage(name: string, why: string): TextRefusal {
  return new TextRefusal(
    `${name} is a web page (${why}), not a plain text; use the link to the raw or plain-text file instead (on GitHub the "Raw" button, on Project Gutenberg "Plain Text UTF-8")`,
  );
}

/** The checks that need no bytes: the announced size and, for a URL, the content type. */
export function checkAnnounced(a: Announced, limit: TextLimit): void {
  if (a.size !== null && a.size > limit.bytes) throw tooLarge(a.name, formatBytes(a.size), limit);
  if (a.size === 0) throw empty(a.name);
  const type = (a.contentType ?? '').split(';')[0].trim().toLowerCase();
  if (a.origin !== 'url' || !type) return;
  if (type === 'text/html' || type === 'application/xhtml+xml') throw webPage(a.name, `the server sends it as ${type}`);
  const major = type.split('/')[0];
  if (
    BINARY_MAJOR_TYPES.has(major) ||
    BINARY_TYPES.has(type) ||
    type.startsWith('application/vnd.openxmlformats') ||
    type.startsWith('application/vnd.oasis')
  ) {
    throw new TextRefusal(`${a.name} is served as ${type}, not as text; give the address of a plain-text file (text/plain, UTF-8)`);
  }
}

function empty(name: string): TextRefusal {
  return new TextRefusal(`${name} is empty (0 bytes); choose a text with something in it`);
}

/** Bytes a text's start is sniffed over (its first chunk, at least this much of it). */
export const HEAD_BYTES = 4096;

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0) => b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);
const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const contains = (b: Uint8Array, s: string) => new TextDecoder('latin1').decode(b).includes(s);

/** What a file is, from its first bytes, when it is a known binary format (null otherwise). */
function binaryKind(head: Uint8Array): string | null {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'a PNG image';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'a JPEG image';
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return 'a GIF image';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'a WebP image';
  if (startsWith(head, ascii('%PDF-'))) return 'a PDF document; copy its text into a .txt file, or find the plain-text edition of the book';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) {
    // EPUB stores "mimetype" first, uncompressed; Office files name their parts.
    if (contains(head, 'application/epub+zip')) return 'an EPUB e-book (a ZIP archive); export it as plain text, or find the plain-text edition of the book';
    if (contains(head, 'word/') || contains(head, '[Content_Types].xml'))
      return 'a Word or Office document (a ZIP archive); save it as "Plain Text (.txt)" with UTF-8';
    return 'a ZIP archive; unpack it and choose the text inside';
  }
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip-compressed; decompress it first (gunzip)';
  if (startsWith(head, [0xff, 0xfe]) || startsWith(head, [0xfe, 0xff]))
    return 'UTF-16 text, not UTF-8; save it as UTF-8 (most editors offer the encoding in "Save as")';
  return null;
}

/** Refuses a start of bytes that is not a plain text; `head` is the first HEAD_BYTES (or all, when shorter). */
function checkHead(head: Uint8Array, a: Pick<Announced, 'name' | 'origin'>): void {
  if (head.length === 0) throw empty(a.name);
  const kind = binaryKind(head);
  if (kind) {
    const [what, todo] = kind.split('; ');
    throw new TextRefusal(`${a.name} is ${what}${what.includes(', not ') ? '' : ', not a text'}; ${todo ?? GIVE_TEXT}`);
  }
  const nul = head.indexOf(0);
  if (nul >= 0) throw new TextRefusal(`${a.name} is not a text: it has a NUL byte at offset ${nul.toLocaleString('en')} (a binary file?); ${GIVE_TEXT}`);
  if (a.origin === 'url') {
    let i = startsWith(head, [0xef, 0xbb, 0xbf]) ? 3 : 0;
    while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
    const start = new TextDecoder('latin1').decode(head.subarray(i, i + 15)).toLowerCase();
    if (start.startsWith('<!doctype html') || start.startsWith('<html')) throw webPage(a.name, 'it starts with <html>');
  }
}

/**
 * The offset of the first byte of `bytes` (from `start`) that begins an invalid UTF-8
 * sequence, or -1. An incomplete sequence at the end counts only when `final`.
 */
export function utf8ErrorOffset(bytes: Uint8Array, start = 0, final = true): number {
  const n = bytes.length;
  let i = start;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f; // no surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f; // up to U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return final ? i : -1;
      const c = bytes[i + k];
      if (c < lo || c > hi) return i;
      lo = 0x80;
      hi = 0xbf;
    }
    i += need + 1;
  }
  return -1;
}

function notUtf8(name: string, offset: number, bytes: Uint8Array): TextRefusal {
  const shown = Array.from(bytes.subarray(0, 4), (b) => `0x${b.toString(16).toUpperCase().padStart(2, '0')}`).join(' ');
  return new TextRefusal(
    `${name} is not UTF-8 text: the bytes at offset ${offset.toLocaleString('en')} (${shown}) are not valid UTF-8 ` +
      `(a file saved as Latin-1 or Windows-1252?); open it in a text editor and save it as UTF-8`,
  );
}

/**
 * A strict UTF-8 decoder fed chunk by chunk that knows how many bytes it has taken, so
 * that an invalid sequence (split across chunks or not) is reported at its offset.
 */
class Utf8Reader {
  private decoder = new TextDecoder('utf-8', { fatal: true });
  private parts: string[] = [];
  /** Bytes fed so far. */
  private fed = 0;
  /** The last (up to 3) bytes fed: an incomplete sequence the next chunk completes starts there. */
  private tail = new Uint8Array(0);

  constructor(private name: string) {}

  push(bytes: Uint8Array): void {
    try {
      this.parts.push(this.decoder.decode(bytes, { stream: true }));
    } catch {
      throw this.refusal(bytes, false);
    }
    this.fed += bytes.length;
    this.tail = concat([this.tail, bytes.subarray(Math.max(0, bytes.length - 3))]).slice(-3);
  }

  finish(): string {
    try {
      this.parts.push(this.decoder.decode());
    } catch {
      throw this.refusal(new Uint8Array(0), true);
    }
    return this.parts.join('');
  }

  /** Finds the offending bytes: from the first byte of the tail that starts a sequence (those before it completed earlier ones). */
  private refusal(bytes: Uint8Array, final: boolean): TextRefusal {
    const joined = concat([this.tail, bytes]);
    let start = 0;
    while (start < this.tail.length && (joined[start] & 0xc0) === 0x80) start++;
    const at = Math.max(start, utf8ErrorOffset(joined, start, final));
    return notUtf8(this.name, this.fed - this.tail.length + at, joined.subarray(at));
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The longest the reader works before it lets the page's event loop run (ms). */
const SLICE_MS = 12;

/** Bytes read so far and the total announced (null when unknown). */
export interface ReadProgress {
  received: number;
  total: number | null;
}

export interface ReadOptions {
  limit: TextLimit;
  signal?: AbortSignal;
  onProgress?: (p: ReadProgress) => void;
}

/**
 * Reads a text from a stream of bytes with every check above: the announced size and
 * type first, the first HEAD_BYTES sniffed before any is decoded, bytes counted against
 * the limit as they arrive (the read stops past it), strict UTF-8. Cancelling through
 * `signal` stops the read (TextReadCancelled) and cancels the stream.
 */
export async function readTextStream(source: Announced & { body: ReadableStream<Uint8Array> }, opts: ReadOptions): Promise<string> {
  const { limit, signal, onProgress } = opts;
  const reader = source.body.getReader();
  let finished = false;
  const stop = () => {
    if (!finished) reader.cancel().catch(() => undefined);
  };
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new TextReadCancelled(`reading ${source.name} was cancelled`));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    if (signal?.aborted) onAbort();
    checkAnnounced(source, limit);
    const total = source.size;
    const text = new Utf8Reader(source.name);
    let head: Uint8Array[] | null = [];
    let headLength = 0;
    let received = 0;
    onProgress?.({ received, total });
    let slice = Date.now();
    for (;;) {
      // Reads of bytes already buffered resolve as microtasks: without a pause now and then,
      // a whole file would be decoded in one task and the page could neither paint nor respond.
      if (Date.now() - slice > SLICE_MS) {
        await new Promise((r) => setTimeout(r, 0));
        slice = Date.now();
      }
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await Promise.race([reader.read(), aborted]);
      } catch (e) {
        if (signal?.aborted) throw new TextReadCancelled(`reading ${source.name} was cancelled`);
        throw e;
      }
      if (r.done) break;
      const chunk = r.value;
      received += chunk.length;
      if (received > limit.bytes) throw tooLarge(source.name, `over ${formatLimit(limit.bytes)}`, limit);
      onProgress?.({ received, total });
      if (head) {
        head.push(chunk);
        headLength += chunk.length;
        if (headLength < HEAD_BYTES) continue;
        const first = concat(head);
        head = null;
        checkHead(first, source);
        text.push(first);
      } else text.push(chunk);
    }
    finished = true;
    if (head) {
      const first = concat(head);
      checkHead(first, source);
      text.push(first);
    }
    return text.finish();
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stop();
  }
}

/** The same checks on bytes already in memory (the command line reads a file whole, after its size was checked). */
export function decodeTextBytes(bytes: Uint8Array, a: Announced, limit: TextLimit): string {
  checkAnnounced({ ...a, size: bytes.length }, limit);
  checkHead(bytes.subarray(0, HEAD_BYTES), a);
  const text = new Utf8Reader(a.name);
  text.push(bytes);
  return text.finish();
}
