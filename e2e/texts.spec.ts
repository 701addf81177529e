/**
 * How a text gets in (src/text/read-text.ts through src/ui/corpus-source.ts): non-text,
 * invalid UTF-8, a web page and a text over the size limit are refused with the reason,
 * a slow URL shows its progress and can be cancelled, and an element whose corpus-url
 * failed takes another text. Each refusal leaves the trained model, its chart, its
 * samples and the text exactly as they were.
 *
 * Slow and large bodies come from a small HTTP server started here (page.route fulfils
 * a response at once, whole); it allows cross-origin requests as a static host would.
 */
import { test, expect, type Locator, type Page } from '@playwright/test';
import { closeSync, ftruncateSync, openSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chartPoints, snap, trainFresh, waitReady, watchErrors } from './helpers.ts';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
const TEXT = 'the quick brown fox jumps over the lazy dog. '.repeat(20);
/** 1,101 distinct characters (CJK ideographs), each twice: more than the model's vocabulary takes (1,024). */
const WIDE = (() => {
  const chars = Array.from({ length: 1101 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');
  return chars + chars;
})();
const tooWide = (name: string) => `${name} has 1,101 distinct characters; the model handles at most 1,024: use a text with a smaller alphabet`;

let server: Server;
let origin = '';
/** Resolves the stalled body of /slow.txt (the test ends it). */
let releaseSlow: () => void = () => undefined;

test.beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    const chunk = Buffer.alloc(1 << 20, 'a'); // 1 MB of text
    if (req.url === '/announced-40mb.txt') {
      // Announces 40 MB: refused on the header, before the body is read.
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(40e6) });
      res.write(chunk);
      setTimeout(() => res.destroy(), 5000);
    } else if (req.url === '/endless.txt') {
      // Announces nothing and never ends: refused by counting bytes past the limit.
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const more = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', more);
      };
      res.on('close', () => res.destroy());
      more();
    } else if (req.url === '/slow.txt') {
      // 3 MB of an announced 20 MB, then the network stalls.
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(20e6) });
      for (let i = 0; i < 3; i++) res.write(chunk);
      releaseSlow = () => res.destroy();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  releaseSlow();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** What a person sees of the model and its text, and the run object behind them. */
async function seen(demo: Locator) {
  return {
    params: await demo.getByTestId('params').textContent(),
    corpus: await demo.getByTestId('corpus').textContent(),
    step: await demo.getByTestId('step').textContent(),
    chart: await chartPoints(demo),
    samples: await demo.getByTestId('sample-log').textContent(),
    preset: await demo.locator('select[name="preset"] option:checked').textContent(),
  };
}

type Host = { ctl: { run: object } };
const keepRun = (demo: Locator) => demo.evaluate((el) => ((window as unknown as { runBefore: object }).runBefore = (el as unknown as Host).ctl.run));
const sameRun = (demo: Locator) => demo.evaluate((el) => (el as unknown as Host).ctl.run === (window as unknown as { runBefore: object }).runBefore);

/** The CPU engine page with a tiny model trained 10 steps (a sample logged at step 10). */
async function trained(page: Page): Promise<{ demo: Locator; before: Awaited<ReturnType<typeof seen>> }> {
  await page.goto('/e2e/cpu-engine.html');
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  await trainFresh(demo, { embed: 8, hidden: 16, steps: 10 });
  await expect(demo.getByTestId('sample-log')).toContainText('step 10');
  await keepRun(demo);
  const before = await seen(demo);
  expect(before.chart).toBeGreaterThan(0);
  return { demo, before };
}

async function expectUnchanged(demo: Locator, before: Awaited<ReturnType<typeof seen>>): Promise<void> {
  expect(await seen(demo)).toEqual(before);
  expect(await sameRun(demo), 'the model is the same run object').toBe(true);
  await expect(demo.getByTestId('text-reading')).toHaveCount(0);
  await expect(demo.locator('select[name="preset"]')).toBeEnabled();
}

const loadUrl = async (demo: Locator, url: string) => {
  await demo.locator('input[name="url"]').fill(url);
  await demo.getByRole('button', { name: 'Load URL' }).click();
};

test('a PNG, an invalid UTF-8 file, a file over the size limit and a vocabulary over 1,024 characters (file, element content, paste) are refused by name; the trained model stays', async ({
  page,
}, testInfo) => {
  const errors = watchErrors(page);
  const { demo, before } = await trained(page);
  const error = demo.getByRole('alert');
  const file = demo.locator('input[name="file"]');

  await file.setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: PNG });
  await expect(error).toHaveText('photo.png is a PNG image, not a text; give a plain-text (.txt) file, saved as UTF-8');
  await expectUnchanged(demo, before);
  await snap(page, 'texts-png-refused');

  await file.setInputFiles({
    name: 'latin1.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x61, 0x75, 0x20, 0x6c, 0x61, 0x69, 0x74]),
  });
  await expect(error).toHaveText(
    'latin1.txt is not UTF-8 text: the bytes at offset 3 (0xE9 0x20 0x61 0x75) are not valid UTF-8 (a file saved as Latin-1 or Windows-1252?); open it in a text editor and save it as UTF-8',
  );
  await expectUnchanged(demo, before);

  // 104.9 MB by its size (a sparse file: nothing to read); refused before it is read. The limit is
  // 30 MB where Chromium reports 8 GB of memory or more (src/text/read-text.ts, pageTextLimit).
  const path = testInfo.outputPath('war-and-peace.txt');
  const fd = openSync(path, 'w');
  ftruncateSync(fd, 104_857_600);
  closeSync(fd);
  await file.setInputFiles(path);
  await expect(error).toContainText('war-and-peace.txt is 104.9 MB; this page takes texts up to 30 MB; use an excerpt');
  await expect(error).toContainText('use an excerpt, or the command line');
  // In short, next to the text's controls; why the limit is what it is opens under "Why?".
  await expect(demo.locator('char-lm-text-source').getByRole('alert')).toBeVisible();
  const why = error.getByText(/bytes of the tab's memory per byte of it/);
  await expect(why).toBeHidden();
  await error.getByText('Why?').click();
  await expect(why).toBeVisible();
  // The limit leaves room for the model in use (its tab memory on this engine), and says how much.
  await expect(why).toContainText(/less the [\d.]+ [kM]B the model takes \(E \d+, H \d+, L \d+, B \d+ × T \d+ on the CPU engine: its float64 working memory/);
  await expectUnchanged(demo, before);
  await snap(page, 'texts-too-large');
  await page.setViewportSize({ width: 390, height: 900 });
  await demo.getByRole('alert').scrollIntoViewIfNeeded();
  await snap(page, 'texts-too-large-390');
  await page.setViewportSize({ width: 1200, height: 900 });

  // A vocabulary over the model's limit, from every way a text gets in: refused with its count, the model stays.
  await file.setInputFiles({ name: 'wide.txt', mimeType: 'text/plain', buffer: Buffer.from(WIDE) });
  await expect(error).toHaveText(tooWide('wide.txt'));
  await expectUnchanged(demo, before);
  await demo.evaluate((el, text) => (el.textContent = text), WIDE); // the element's own content (its slot)
  await expect(error).toHaveText(tooWide('Text in the page'));
  await expectUnchanged(demo, before);
  await demo.evaluate((el) => (el.textContent = ''));
  await demo.getByText('Paste your own text').click();
  await demo.locator('textarea[name="paste"]').fill(WIDE);
  await demo.getByRole('button', { name: 'Use this text' }).click();
  await expect(error).toHaveText(tooWide('Pasted text'));
  await expectUnchanged(demo, before);
  expect(errors).toEqual([]);
});

test('by URL: a PNG, a web page, and texts over the limit (announced, or counted as they arrive) are refused; the trained model stays', async ({ page }) => {
  const errors = watchErrors(page);
  await page.route('**/texts/photo.png', (r) => r.fulfill({ status: 200, contentType: 'image/png', body: PNG }));
  await page.route('**/texts/book', (r) =>
    r.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: '<!doctype html><html><body>Pride</body></html>' }),
  );
  await page.route('**/texts/page.txt', (r) =>
    r.fulfill({ status: 200, contentType: 'text/plain', body: '\n<!DOCTYPE html>\n<html><body>not raw</body></html>' }),
  );
  const { demo, before } = await trained(page);
  const error = demo.getByRole('alert');

  await loadUrl(demo, '/texts/photo.png');
  await expect(error).toHaveText('/texts/photo.png is served as image/png, not as text; give the address of a plain-text file (text/plain, UTF-8)');
  await expectUnchanged(demo, before);

  await loadUrl(demo, '/texts/book');
  await expect(error).toContainText(
    '/texts/book is a web page (the server sends it as text/html), not a plain text; use the link to the raw or plain-text file',
  );
  await expectUnchanged(demo, before);
  await loadUrl(demo, '/texts/page.txt');
  await expect(error).toContainText('/texts/page.txt is a web page (it starts with <html>)');
  await expectUnchanged(demo, before);

  await loadUrl(demo, `${origin}/announced-40mb.txt`);
  await expect(error).toContainText(`${origin}/announced-40mb.txt is 40.0 MB; this page takes texts up to 30 MB; use an excerpt`);
  await expectUnchanged(demo, before);

  await loadUrl(demo, `${origin}/endless.txt`);
  await expect(error).toContainText(`${origin}/endless.txt is over 30 MB; this page takes texts up to 30 MB; use an excerpt`, { timeout: 60_000 });
  await expectUnchanged(demo, before);

  await loadUrl(demo, '   ');
  await expect(error).toContainText('Type the address of a plain-text file');
  await expectUnchanged(demo, before);
  expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
});

test('a slow URL or file shows its progress and Cancel stops it: no message, the model, chart, samples and text stay', async ({ page }, testInfo) => {
  const errors = watchErrors(page);
  const { demo, before } = await trained(page);
  await loadUrl(demo, `${origin}/slow.txt`);
  const reading = demo.getByRole('status').filter({ hasText: 'Reading' });
  await expect(reading).toContainText(`Reading ${origin}/slow.txt… 3.1 MB / 20.0 MB`);
  await expect(demo.locator('select[name="preset"]')).toBeDisabled(); // one text at a time
  await snap(page, 'texts-reading');
  await page.setViewportSize({ width: 390, height: 900 });
  await reading.scrollIntoViewIfNeeded();
  await snap(page, 'texts-reading-390');
  await reading.getByRole('button', { name: 'Cancel' }).click();
  await expect(reading).toHaveCount(0);
  await expect(demo.getByRole('alert')).toHaveCount(0);
  await expectUnchanged(demo, before);

  // A file on a drive that stalls after 3 MB of its 8 MB (its stream is held back here): the same progress and Cancel.
  const path = testInfo.outputPath('slow.txt');
  writeFileSync(path, Buffer.alloc(8e6, 'a'));
  await page.evaluate(() => {
    const real = File.prototype.stream;
    File.prototype.stream = function (this: File) {
      if (this.name !== 'slow.txt') return real.call(this);
      const head = this.slice(0, 3e6);
      let sent = false;
      return new ReadableStream<Uint8Array>({
        async pull(c) {
          if (sent) return new Promise<void>(() => undefined); // stalls until cancelled
          sent = true;
          c.enqueue(new Uint8Array(await head.arrayBuffer()));
        },
      }) as ReturnType<File['stream']>;
    };
  });
  await demo.locator('input[name="file"]').setInputFiles(path);
  await expect(reading).toContainText('Reading slow.txt… 3.0 MB / 8.0 MB');
  await expect(reading.locator('progress')).toHaveAttribute('max', String(8e6));
  await expect(demo.locator('input[name="file"]')).toBeDisabled();
  await reading.getByRole('button', { name: 'Cancel' }).click();
  await expect(reading).toHaveCount(0);
  await expect(demo.getByRole('alert')).toHaveCount(0);
  await expectUnchanged(demo, before);
  // The page takes another text at once.
  await demo.locator('select[name="preset"]').selectOption('notebook');
  await expect(demo.getByTestId('corpus')).toContainText('The notebook passage');
  expect(errors).toEqual([]);
});

test('an element whose corpus-url failed takes another text: its controls work, and setting the same address again retries', async ({ page }) => {
  const errors = watchErrors(page);
  let served = false;
  await page.route('**/texts/later.txt', (r) =>
    served ? r.fulfill({ status: 200, contentType: 'text/plain', body: TEXT }) : r.fulfill({ status: 404, body: 'not yet' }),
  );
  await page.goto('/e2e/attributes.html');
  await waitReady(page, page.locator('char-lm-demo#demo'));
  const add = (id: string) =>
    page.evaluate((id) => {
      const el = document.createElement('char-lm-demo');
      el.id = id;
      el.setAttribute('corpus-url', '/texts/later.txt');
      el.setAttribute('engine', 'cpu');
      el.setAttribute('hidden-size', '8');
      el.setAttribute('embed-size', '4');
      document.body.append(el);
    }, id);

  // Fails, then the very same address is set again once the server has the file.
  await add('late');
  const late = page.locator('char-lm-demo#late');
  await expect(late).toHaveAttribute('data-state', 'error');
  await expect(late.getByRole('alert')).toContainText('could not fetch the corpus from /texts/later.txt: HTTP 404');
  await expect(late.locator('select[name="preset"]')).toBeEnabled();
  await expect(late.getByRole('button', { name: 'Load URL' })).toBeEnabled();
  await late.scrollIntoViewIfNeeded();
  await snap(late, 'texts-corpus-url-failed');
  served = true;
  await late.evaluate((el) => el.setAttribute('corpus-url', '/texts/later.txt'));
  await expect(late).toHaveAttribute('data-state', 'ready');
  await expect(late.getByTestId('corpus')).toContainText(`Corpus: /texts/later.txt — ${TEXT.length.toLocaleString('en')} characters`);
  await expect(late.getByRole('alert')).toHaveCount(0);

  // Fails, then a preset is picked from the menu (which shows no text in use).
  served = false;
  await add('preset');
  const preset = page.locator('char-lm-demo#preset');
  await expect(preset).toHaveAttribute('data-state', 'error');
  await expect(preset.locator('select[name="preset"] option:checked')).toHaveText('Choose a text…');
  await preset.locator('select[name="preset"]').selectOption('notebook');
  await expect(preset).toHaveAttribute('data-state', 'ready');
  await expect(preset.getByTestId('corpus')).toContainText('Corpus: The notebook passage');

  // Fails, then pasted text is used; the property set again to the same (failed) address retries it.
  await add('paste');
  const pasted = page.locator('char-lm-demo#paste');
  await expect(pasted).toHaveAttribute('data-state', 'error');
  await pasted.getByText('Paste your own text').click();
  await pasted.locator('textarea[name="paste"]').fill(TEXT.toUpperCase());
  await pasted.getByRole('button', { name: 'Use this text' }).click();
  await expect(pasted).toHaveAttribute('data-state', 'ready');
  await expect(pasted.getByTestId('corpus')).toContainText('Corpus: pasted text');
  await expect(pasted.getByRole('alert')).toHaveCount(0);
  served = true;
  await pasted.evaluate((el) => ((el as unknown as { corpusUrl: string }).corpusUrl = '/texts/later.txt'));
  await expect(pasted.getByTestId('corpus')).toContainText('Corpus: /texts/later.txt');
  expect(errors.filter((e) => !/Failed to load resource|404/.test(e))).toEqual([]);
});
