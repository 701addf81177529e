import { test, expect, type Page } from '@playwright/test';
import type { StepResult } from '../src/engine/contract.ts';
import type { CharLmErrorDetail, CharLmReadyDetail, CharLmSampleDetail } from '../src/ui/events.ts';
import { snap, stepOf, waitReady, watchErrors } from './helpers.ts';

// e2e/attributes.html: one <char-lm-demo> (E 8, H 16, 10 steps) whose attributes the test
// changes after it connected, as a page's script would, checking what the page then shows.

interface EventLog {
  ready: CharLmReadyDetail[];
  step: StepResult[];
  sample: CharLmSampleDetail[];
  error: CharLmErrorDetail[];
}
const events = (page: Page) => page.evaluate(() => (window as unknown as { charLmEvents: EventLog }).charLmEvents);

/** Sets (or, with null, removes) an attribute of the element, as a page's script would. */
const setAttr = (page: Page, name: string, value: string | null) =>
  page.evaluate(
    ([n, v]) => {
      const el = document.querySelector('char-lm-demo')!;
      if (v === null) el.removeAttribute(n);
      else el.setAttribute(n, v);
    },
    [name, value] as const,
  );

/** "total 1,234" in the parameter line. */
const totalOf = (text: string | null) => Number(/total ([\d,]+)/.exec(text ?? '')![1].replace(/,/g, ''));

/** The page's errors, less the one the missing corpus is meant to cause (Chromium logs every 404). */
const unexpected = (errors: string[]) => errors.filter((e) => !e.includes('/corpora/missing.txt'));

const TINY_TEXT = 'the quick brown fox jumps over the lazy dog. '.repeat(8);

test('attributes changed after connect apply at once, on Reset, or are refused by name', async ({ page }) => {
  const errors = watchErrors(page);
  await page.route('**/corpora/tiny.txt', (r) => r.fulfill({ status: 200, contentType: 'text/plain', body: TINY_TEXT }));
  await page.route('**/corpora/missing.txt', (r) => r.fulfill({ status: 404, body: 'not here' }));
  await page.goto('/e2e/attributes.html');
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  const params = demo.getByTestId('params');
  const corpus = demo.getByTestId('corpus');
  const error = demo.getByTestId('error');
  const hidden = demo.locator('input[name="hidden"]');
  const pending = demo.getByTestId('settings-pending');

  // char-lm-ready: its detail has the documented shape and matches the header.
  let log = await events(page);
  expect(log.ready).toHaveLength(1);
  const ready = log.ready[0];
  expect(['gpu', 'cpu']).toContain(ready.engine);
  expect(typeof ready.adapter === 'string' || ready.adapter === null).toBe(true);
  expect(Object.keys(ready.parameters).sort()).toEqual(['embedding', 'lstm', 'output', 'total']);
  expect(totalOf(await params.textContent())).toBe(ready.parameters.total);
  await expect(hidden).toHaveValue('16');
  const at16 = ready.parameters.total;

  // hidden-size on an untrained model: rebuilt at once, the form and the parameter line follow.
  await setAttr(page, 'hidden-size', '24');
  await expect.poll(async () => totalOf(await params.textContent())).toBeGreaterThan(at16);
  await expect(hidden).toHaveValue('24');
  await expect(pending).toHaveCount(0);
  expect(await stepOf(demo)).toBe(0);
  const at24 = totalOf(await params.textContent());
  // A property set from a script is the same as the attribute (and is reflected to it).
  await demo.evaluate((el) => ((el as unknown as { layers: number }).layers = 2));
  await expect(demo).toHaveAttribute('layers', '2');
  await expect(demo.locator('input[name="layers"]')).toHaveValue('2');
  await expect.poll(async () => totalOf(await params.textContent())).toBeGreaterThan(at24);
  await setAttr(page, 'layers', '1');
  await expect.poll(async () => totalOf(await params.textContent())).toBe(at24);

  // A bad value: an error naming the attribute and what it takes; nothing changes.
  await setAttr(page, 'hidden-size', 'abc');
  await expect(error).toHaveText('hidden-size must be an integer from 1 to 2048, got "abc"');
  await expect(error).not.toContainText('NaN');
  expect(totalOf(await params.textContent())).toBe(at24);
  await expect(hidden).toHaveValue('24');
  await expect.poll(async () => (await events(page)).error.at(-1)).toEqual({ message: 'hidden-size must be an integer from 1 to 2048, got "abc"' });
  // Every bad attribute is named, as long as it stays bad.
  await setAttr(page, 'engine', 'tpu');
  await expect(error).toContainText('engine must be one of auto, gpu, cpu, got "tpu"');
  await expect(error).toContainText('hidden-size must be an integer');
  await setAttr(page, 'settings', 'huge');
  await expect(error).toContainText('settings must be one of notebook, novel, got "huge"');
  await setAttr(page, 'temperatures', '0.5,hot');
  await expect(error).toContainText('temperatures must be a comma-separated list of numbers from 0 to 100');
  await expect(demo.locator('input[name="temperatures"]')).toHaveValue('0.5,1.0,1.5');
  // Good values again: the error goes, the model is the same one.
  await page.evaluate(() => {
    const el = document.querySelector('char-lm-demo')!;
    el.setAttribute('hidden-size', '24');
    el.setAttribute('engine', 'auto');
    el.setAttribute('settings', 'notebook');
    el.setAttribute('temperatures', '0.7');
    el.setAttribute('prime', 'the');
  });
  await expect(error).toHaveCount(0);
  expect(totalOf(await params.textContent())).toBe(at24);
  await expect(demo.locator('input[name="temperatures"]')).toHaveValue('0.7');
  await expect(demo.locator('input[name="prime"]')).toHaveValue('the');

  // corpus-url: a failure is reported with the address and keeps the text; a new address is tried.
  await expect(corpus).toContainText('Corpus: The notebook passage — 1,153 characters, vocabulary 38');
  await setAttr(page, 'corpus-url', '/corpora/missing.txt');
  await expect(error).toContainText('could not fetch the corpus from /corpora/missing.txt: HTTP 404');
  await expect(corpus).toContainText('The notebook passage');
  await setAttr(page, 'corpus-url', '/corpora/tiny.txt');
  await expect(corpus).toContainText(`Corpus: /corpora/tiny.txt — ${TINY_TEXT.length} characters, vocabulary 28`);
  await expect(error).toHaveCount(0);
  await expect(hidden).toHaveValue('24'); // the settings stay
  await expect(demo.locator('input[name="sentence"]')).toHaveValue('the quick brown fox jumps over the lazy'); // from the new text
  // Without corpus-url the preset applies again; a new preset loads at once.
  await setAttr(page, 'corpus-url', null);
  await expect(corpus).toContainText('Corpus: The notebook passage — 1,153 characters');
  await setAttr(page, 'preset', 'tinyshakespeare');
  await expect(corpus).toContainText('Corpus: Tiny Shakespeare —', { timeout: 120_000 });
  await expect(demo.locator('select[name="preset"] option:checked')).toHaveText('Tiny Shakespeare');
  await setAttr(page, 'preset', 'notebook');
  await expect(corpus).toContainText('Corpus: The notebook passage — 1,153 characters');

  // autotrain set after connect starts training; the step events have the documented shape.
  await setAttr(page, 'autotrain', '');
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  expect(await stepOf(demo)).toBe(10);
  log = await events(page);
  const steps = log.step.slice(-10);
  expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  for (const s of steps) {
    expect(Object.keys(s).sort()).toEqual(['gradNorm', 'loss', 'step']);
    expect(Number.isFinite(s.loss) && Number.isFinite(s.gradNorm)).toBe(true);
  }

  // A trained model is kept: hidden-size goes to the form and waits for Reset, which applies it.
  await setAttr(page, 'hidden-size', '32');
  await expect(hidden).toHaveValue('32');
  await expect(pending).toHaveText('Takes effect on Reset: Hidden H 32 (now 24).');
  expect(totalOf(await params.textContent())).toBe(at24);
  expect(await stepOf(demo)).toBe(10);
  await snap(page, 'attributes-pending');
  await demo.getByTestId('reset').click();
  await expect.poll(async () => totalOf(await params.textContent())).toBeGreaterThan(at24);
  await expect(pending).toHaveCount(0);
  await expect(demo.getByTestId('step')).toHaveText('0');

  // Generate: char-lm-sample carries the temperatures and prime from the attributes.
  await demo.getByTestId('generate').click();
  await expect.poll(async () => (await events(page)).sample.length, { timeout: 60_000 }).toBe(1);
  const [sample] = (await events(page)).sample;
  expect(sample.temperatures).toEqual([0.7]);
  expect(sample.texts).toHaveLength(1);
  expect(sample.texts[0].startsWith('the')).toBe(true);

  // engine="cpu" on the untrained model: rebuilt on the CPU reference engine at once.
  if (ready.engine === 'gpu') {
    await setAttr(page, 'engine', 'cpu');
    await expect(demo.getByTestId('adapter')).toContainText('(using the CPU reference engine)');
  }
  await expect(error).toHaveCount(0);
  expect(unexpected(errors)).toEqual([]);
});

test('an element whose corpus-url failed loads when the address changes', async ({ page }) => {
  const errors = watchErrors(page);
  await page.route('**/corpora/tiny.txt', (r) => r.fulfill({ status: 200, contentType: 'text/plain', body: TINY_TEXT }));
  await page.route('**/corpora/missing.txt', (r) => r.fulfill({ status: 404, body: 'not here' }));
  await page.goto('/e2e/attributes.html');
  await waitReady(page, page.locator('char-lm-demo#demo'));
  await page.evaluate(() => {
    const el = document.createElement('char-lm-demo');
    el.id = 'late';
    el.setAttribute('corpus-url', '/corpora/missing.txt');
    el.setAttribute('hidden-size', '8');
    el.setAttribute('embed-size', '4');
    const log: CharLmReadyDetail[] = [];
    (window as unknown as { lateReady: CharLmReadyDetail[] }).lateReady = log;
    el.addEventListener('char-lm-ready', (e) => log.push(e.detail));
    document.body.append(el);
  });
  const late = page.locator('char-lm-demo#late');
  await expect(late).toHaveAttribute('data-state', 'error');
  await expect(late.getByTestId('error')).toContainText('could not fetch the corpus from /corpora/missing.txt: HTTP 404');
  await late.evaluate((el) => el.setAttribute('corpus-url', '/corpora/tiny.txt'));
  await expect(late).toHaveAttribute('data-state', 'ready');
  await expect(late.getByTestId('corpus')).toContainText('Corpus: /corpora/tiny.txt');
  await expect(late.getByTestId('error')).toHaveCount(0);
  await expect(late.locator('input[name="hidden"]')).toHaveValue('8');
  expect(await page.evaluate(() => (window as unknown as { lateReady: CharLmReadyDetail[] }).lateReady.length)).toBe(1);
  expect(unexpected(errors)).toEqual([]);
});
