import { describe, expect, it } from 'vitest';
import {
  CLI_TEXT_LIMIT,
  HEAD_BYTES,
  TextReadCancelled,
  TextRefusal,
  checkTextSize,
  decodeTextBytes,
  pageTextLimit,
  readTextStream,
  utf8ErrorOffset,
  type Announced,
  type ReadProgress,
  type TextLimit,
} from './read-text.ts';

const enc = new TextEncoder();
const LIMIT: TextLimit = { bytes: 10_000, where: 'this page', why: 'a test limit', instead: 'use an excerpt' };

/** A stream that hands out `chunks` one per read (as a file or a response body would). */
function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> & { cancelled: boolean } {
  let i = 0;
  const s = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]);
      else c.close();
    },
    cancel() {
      (s as unknown as { cancelled: boolean }).cancelled = true;
    },
  }) as ReadableStream<Uint8Array> & { cancelled: boolean };
  s.cancelled = false;
  return s;
}

/** Splits bytes into chunks of `size`. */
function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
}

const file = (name: string, bytes: Uint8Array, size: number | null = bytes.length): Announced & { body: ReadableStream<Uint8Array> } => ({
  name,
  origin: 'file',
  size,
  body: streamOf([bytes]),
});

async function refusal(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => null,
    (x: Error) => x,
  );
  expect(e, 'expected a refusal').toBeInstanceOf(TextRefusal);
  return e!.message;
}

const bytes = (...xs: (number | string)[]) => Uint8Array.from(xs.flatMap((x) => (typeof x === 'string' ? Array.from(enc.encode(x)) : [x])));
const padded = (start: Uint8Array) => {
  const b = new Uint8Array(600).fill(0x41);
  b.set(start);
  return b;
};

describe('readTextStream', () => {
  it('reads UTF-8 text across chunks, any chunk size, and drops a BOM', async () => {
    const text = 'It is a truth — universally acknowledged 😀 ü\n'.repeat(300);
    const all = enc.encode(text);
    for (const size of [1, 2, 3, 7, 4096, all.length]) {
      const got = await readTextStream(
        { name: 'a.txt', origin: 'file', size: all.length, body: streamOf(chunked(all, size)) },
        { limit: { ...LIMIT, bytes: 1e6 } },
      );
      expect(got).toBe(text);
    }
    const bom = bytes(0xef, 0xbb, 0xbf, 'Hello there');
    expect(await readTextStream(file('bom.txt', bom), { limit: LIMIT })).toBe('Hello there');
  });

  it.each([
    ['PNG', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13), 'a PNG image, not a text'],
    ['JPEG', bytes(0xff, 0xd8, 0xff, 0xe0), 'a JPEG image'],
    ['GIF', bytes('GIF89a', 1, 0), 'a GIF image'],
    ['WebP', bytes('RIFF', 0x10, 0, 0, 0, 'WEBPVP8 '), 'a WebP image'],
    ['PDF', bytes('%PDF-1.7\n'), 'a PDF document'],
    ['ZIP', padded(bytes(0x50, 0x4b, 3, 4, 'hello.txt')), 'a ZIP archive, not a text; unpack it'],
    ['EPUB', padded(bytes(0x50, 0x4b, 3, 4, 'mimetypeapplication/epub+zip')), 'an EPUB e-book'],
    ['DOCX', padded(bytes(0x50, 0x4b, 3, 4, '[Content_Types].xml')), 'a Word or Office document'],
    ['gzip', bytes(0x1f, 0x8b, 8, 0), 'gzip-compressed, not a text; decompress it first'],
    ['UTF-16', bytes(0xff, 0xfe, 0x48, 0, 0x69, 0), 'UTF-16 text, not UTF-8; save it as UTF-8'],
  ])('refuses %s by its signature, naming what it is', async (_, b, words) => {
    const msg = await refusal(readTextStream(file('x.bin', b), { limit: LIMIT }));
    expect(msg).toContain(`x.bin is ${words}`);
  });

  it('refuses NUL bytes at the start, saying where', async () => {
    const msg = await refusal(readTextStream(file('data.txt', bytes('abc', 0, 'def')), { limit: LIMIT }));
    expect(msg).toBe('data.txt is not a text: it has a NUL byte at offset 3 (a binary file?); give a plain-text (.txt) file, saved as UTF-8');
  });

  it('sniffs the first HEAD_BYTES even when they arrive one byte at a time', async () => {
    const png = new Uint8Array(3 * HEAD_BYTES);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const s = streamOf(chunked(png, 1));
    expect(await refusal(readTextStream({ name: 'p', origin: 'file', size: null, body: s }, { limit: LIMIT }))).toContain('a PNG image');
    expect(s.cancelled).toBe(true);
    expect(HEAD_BYTES).toBeGreaterThanOrEqual(512);
  });

  it('refuses invalid UTF-8 at its byte offset, also when the bad sequence is split across chunks', async () => {
    const latin1 = bytes('caf', 0xe9, ' au lait');
    expect(await refusal(readTextStream(file('latin1.txt', latin1), { limit: LIMIT }))).toBe(
      'latin1.txt is not UTF-8 text: the bytes at offset 3 (0xE9 0x20 0x61 0x75) are not valid UTF-8 (a file saved as Latin-1 or Windows-1252?); open it in a text editor and save it as UTF-8',
    );
    // A 3-byte sequence (E2 80 94, "—") cut short by an ASCII byte, at offset 5000, in every chunking.
    const b = new Uint8Array(6000).fill(0x61);
    b.set([0xe2, 0x80, 0x94], 100); // a good one first
    b.set([0xe2, 0x80, 0x41], 5000);
    for (const size of [1, 2, 4999, 5001, 5002, 4096]) {
      const msg = await refusal(readTextStream({ name: 'cut.txt', origin: 'file', size: b.length, body: streamOf(chunked(b, size)) }, { limit: LIMIT }));
      expect(msg, `chunks of ${size}`).toContain('at offset 5,000 (0xE2 0x80 0x41');
    }
    // Incomplete at the very end.
    const end = bytes('a'.repeat(5000), 0xf0, 0x9f, 0x98);
    for (const size of [1, 5001, 5002, 8000]) {
      const msg = await refusal(readTextStream({ name: 'end.txt', origin: 'file', size: end.length, body: streamOf(chunked(end, size)) }, { limit: LIMIT }));
      expect(msg, `chunks of ${size}`).toContain('at offset 5,000 (0xF0 0x9F 0x98)');
    }
    // A stray continuation byte right after a chunk boundary.
    const stray = bytes('a'.repeat(4096), 0x80, 'b');
    expect(await refusal(readTextStream({ name: 's', origin: 'file', size: null, body: streamOf(chunked(stray, 4096)) }, { limit: LIMIT }))).toContain(
      'at offset 4,096 (0x80',
    );
  });

  it('refuses an empty source', async () => {
    expect(await refusal(readTextStream(file('empty.txt', new Uint8Array(0)), { limit: LIMIT }))).toBe(
      'empty.txt is empty (0 bytes); choose a text with something in it',
    );
    expect(await refusal(readTextStream(file('empty.txt', new Uint8Array(0), null), { limit: LIMIT }))).toContain('is empty');
  });

  it('refuses a source over the limit by its announced size, before reading a byte', async () => {
    const s = streamOf([enc.encode('never read')]);
    const pulls: ReadProgress[] = [];
    const msg = await refusal(
      readTextStream({ name: 'war-and-peace.txt', origin: 'url', size: 104_857_600, body: s }, { limit: pageTextLimit(8), onProgress: (p) => pulls.push(p) }),
    );
    expect(msg).toBe(
      "war-and-peace.txt is 104.9 MB; this page takes texts up to 30 MB (reading and encoding a text takes up to 35 bytes of the tab's memory per byte of it, " +
        'and the page keeps that within 1 GB: an eighth of the memory, counted up to 8 GB (this device reports 8 GB)); use an excerpt, or the command line (npm run train -- --corpus FILE)',
    );
    expect(pulls).toEqual([]);
    expect(s.cancelled).toBe(true);
  });

  it('refuses a source over the limit by counting bytes when no size was announced (and stops reading)', async () => {
    let served = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        served++;
        c.enqueue(new Uint8Array(1000).fill(0x61));
      },
    });
    const progress: ReadProgress[] = [];
    const msg = await refusal(readTextStream({ name: 'endless', origin: 'url', size: null, body }, { limit: LIMIT, onProgress: (p) => progress.push(p) }));
    expect(msg).toBe('endless is over 10 kB; this page takes texts up to 10 kB (a test limit); use an excerpt');
    expect(served).toBeLessThanOrEqual(13);
    expect(progress.at(-1)).toEqual({ received: 10_000, total: null });
  });

  it('reports progress with the announced total', async () => {
    const all = enc.encode('abcdefghij'.repeat(100));
    const progress: ReadProgress[] = [];
    await readTextStream(
      { name: 'p.txt', origin: 'file', size: all.length, body: streamOf(chunked(all, 300)) },
      { limit: LIMIT, onProgress: (p) => progress.push(p) },
    );
    expect(progress.map((p) => p.received)).toEqual([0, 300, 600, 900, 1000]);
    expect(progress.every((p) => p.total === 1000)).toBe(true);
  });

  it('stops when cancelled through the AbortSignal, also while a read is pending, and cancels the stream', async () => {
    const ac = new AbortController();
    let cancelled = false;
    let reads = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        reads++;
        if (reads === 1) c.enqueue(new Uint8Array(5000).fill(0x61));
        else return new Promise(() => undefined); // the network stalls
      },
      cancel() {
        cancelled = true;
      },
    });
    const done = readTextStream({ name: 'slow.txt', origin: 'url', size: 9000, body }, { limit: LIMIT, signal: ac.signal });
    await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    await expect(done).rejects.toBeInstanceOf(TextReadCancelled);
    expect(cancelled).toBe(true);
    // Aborted before it starts: nothing is read.
    const s = streamOf([enc.encode('text')]);
    await expect(readTextStream({ name: 'x', origin: 'file', size: 4, body: s }, { limit: LIMIT, signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      TextReadCancelled,
    );
  });

  it('refuses a web page where a plain text was expected: by content type or by its start (URLs only)', async () => {
    const page = bytes('\n  <!DOCTYPE html><html><body>Pride</body></html>');
    const url = (type: string | null, b = bytes('plain text here')) => ({
      name: 'https://example.org/book',
      origin: 'url' as const,
      size: b.length,
      contentType: type,
      body: streamOf([b]),
    });
    expect(await refusal(readTextStream(url('text/html; charset=utf-8'), { limit: LIMIT }))).toBe(
      'https://example.org/book is a web page (the server sends it as text/html), not a plain text; use the link to the raw or plain-text file instead (on GitHub the "Raw" button, on Project Gutenberg "Plain Text UTF-8")',
    );
    expect(await refusal(readTextStream(url('text/plain', page), { limit: LIMIT }))).toContain('is a web page (it starts with <html>)');
    expect(await refusal(readTextStream(url(null, bytes('<html lang="en">')), { limit: LIMIT }))).toContain('is a web page');
    // A file of HTML is the user's choice.
    expect(await readTextStream(file('page.html', page), { limit: LIMIT })).toContain('<!DOCTYPE html>');
  });

  it('refuses a URL whose content type is not text, and takes text-like ones', async () => {
    const url = (type: string) => ({ name: 'https://x/y', origin: 'url' as const, size: 5, contentType: type, body: streamOf([enc.encode('hello')]) });
    for (const t of [
      'image/png',
      'application/pdf',
      'application/zip',
      'video/mp4',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    ]) {
      expect(await refusal(readTextStream(url(t), { limit: LIMIT }))).toBe(
        `https://x/y is served as ${t}, not as text; give the address of a plain-text file (text/plain, UTF-8)`,
      );
    }
    for (const t of ['text/plain; charset=utf-8', 'text/markdown', 'application/json', 'application/octet-stream']) {
      expect(await readTextStream(url(t), { limit: LIMIT })).toBe('hello');
    }
  });
});

describe('decodeTextBytes (the command line)', () => {
  it('makes the same checks with the same words on bytes in memory', () => {
    const a = { name: '--corpus "x.png"', origin: 'file' as const, size: null };
    expect(() => decodeTextBytes(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), a, CLI_TEXT_LIMIT)).toThrow(
      '--corpus "x.png" is a PNG image, not a text; give a plain-text (.txt) file, saved as UTF-8',
    );
    expect(() => decodeTextBytes(bytes('caf', 0xe9), a, CLI_TEXT_LIMIT)).toThrow(/at offset 3 \(0xE9\) are not valid UTF-8/);
    expect(decodeTextBytes(bytes(0xef, 0xbb, 0xbf, 'ok'), a, CLI_TEXT_LIMIT)).toBe('ok');
  });
});

describe('limits', () => {
  it('a text in memory is measured in UTF-8 bytes', () => {
    expect(() => checkTextSize('pasted text', 'a'.repeat(10_000), LIMIT)).not.toThrow();
    expect(() => checkTextSize('pasted text', 'é'.repeat(5_001), LIMIT)).toThrow('pasted text is 10 kB; this page takes texts up to 10 kB');
    expect(() => checkTextSize('pasted text', '😀'.repeat(2_500), LIMIT)).not.toThrow();
    expect(() => checkTextSize('pasted text', '😀'.repeat(2_501), LIMIT)).toThrow(TextRefusal);
  });

  it('the page keeps a text within an eighth of the device memory (counted up to 8 GB) at 35 bytes a byte; the command line takes 256 MB', () => {
    expect(pageTextLimit(8).bytes).toBe(30e6);
    expect(pageTextLimit(16).bytes).toBe(30e6);
    expect(pageTextLimit(16).why).toContain('within 1 GB: an eighth of the memory, counted up to 8 GB (this device reports 16 GB)');
    expect(pageTextLimit(4).bytes).toBe(15e6);
    expect(pageTextLimit(0.5).bytes).toBe(4e6);
    expect(pageTextLimit(undefined).bytes).toBe(15e6);
    expect(pageTextLimit(undefined).why).toContain('within 512 MB: an eighth of the memory, counted up to 8 GB (4 GB assumed: the browser does not say)');
    expect(CLI_TEXT_LIMIT.bytes).toBe(256e6);
  });

  it('the model in use takes its share of the same memory first: a large one leaves room for less text', () => {
    const model = { bytes: 600 * 2 ** 20, what: 'H 2048 on the CPU engine: float64 working memory and 3 copies of the training state' };
    expect(pageTextLimit(8, model).bytes).toBe(12e6); // (1 GiB − 600 MiB) / 35
    expect(pageTextLimit(8, model).why).toContain(
      'within 1 GB: an eighth of the memory, counted up to 8 GB (this device reports 8 GB), less the 629.1 MB the model takes (H 2048 on the CPU engine',
    );
    expect(pageTextLimit(8, { bytes: 2 ** 30, what: 'all of it' }).bytes).toBe(4e6); // never under 4 MB
    expect(pageTextLimit(8, { bytes: 6 * 2 ** 20, what: 'the notebook settings' }).bytes).toBe(30e6);
  });

  it('utf8ErrorOffset follows the WHATWG decoder', () => {
    const ok = ['a', 'é', '—', '😀', '\u{10FFFF}'].map((s) => enc.encode(s));
    for (const b of ok) expect(utf8ErrorOffset(b)).toBe(-1);
    expect(utf8ErrorOffset(bytes(0xc0, 0x80))).toBe(0); // overlong
    expect(utf8ErrorOffset(bytes('x', 0xed, 0xa0, 0x80))).toBe(1); // a surrogate
    expect(utf8ErrorOffset(bytes(0xf4, 0x90, 0x80, 0x80))).toBe(0); // over U+10FFFF
    expect(utf8ErrorOffset(bytes('ab', 0xe2, 0x80), 0, false)).toBe(-1);
    expect(utf8ErrorOffset(bytes('ab', 0xe2, 0x80), 0, true)).toBe(2);
  });
});
