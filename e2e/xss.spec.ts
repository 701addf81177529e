import { test, expect } from '@playwright/test';
import { countInShadow, fillSettings, snap, waitReady, watchErrors } from './helpers.ts';

// A corpus made of markup. No capital letters, so the default primes ("Mr Bennet" for
// samples, "It is" for the training log) fall back to the start of this text: "<scri".
const SCRIPT = '<script>window.__pwned=1</script>';
const IMG = '<img src=x onerror="window.__pwned=2">';
const CORPUS = Array.from({ length: 6 }, (_, i) => `${SCRIPT} the cat sat on the mat ${i} ${IMG} a dog ran.\n`).join('');
const SENTENCE = '<img src=x onerror="window.__pwned=2"> <script>';

test('markup in the text is shown as text everywhere and never runs', async ({ page }) => {
  const errors = watchErrors(page);
  const strayRequests: string[] = [];
  page.on('request', (r) => {
    if (/\/x($|\?)/.test(new URL(r.url()).pathname)) strayRequests.push(r.url());
  });
  await page.goto('/');
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  const pwned = () => page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned);
  const error = demo.getByTestId('error');

  // A text of one character, itself markup: the error shows it as text.
  await demo.getByText('Paste your own text').click();
  const paste = demo.locator('textarea[name="paste"]');
  const use = demo.getByRole('button', { name: 'Use this text' });
  await paste.fill('<<<<<<');
  await use.click();
  await expect(error).toContainText('the corpus has only 1 distinct character ("<")');

  // The markup corpus, with a tiny model (the form is read when a text is used).
  await fillSettings(demo, { embed: 8, hidden: 16, steps: 100 });
  await paste.fill(CORPUS);
  await use.click();
  await expect(error).toHaveCount(0);
  const length = [...CORPUS].length;
  await expect(demo.getByTestId('corpus')).toContainText(`Corpus: pasted text — ${length.toLocaleString('en')} characters`);
  await expect(paste).toHaveValue(CORPUS);
  await demo.getByTestId('train').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(demo.getByTestId('step')).toHaveText('100');
  // The training log's sample starts from "<scri" and is shown as text.
  const logEntry = demo.getByTestId('sample-log').locator('div');
  await expect(logEntry).toHaveCount(1);
  await expect(logEntry).toContainText('step 100: <scri');

  // Samples start from the fallback prime and show their angle brackets as text.
  await expect(demo.locator('input[name="prime"]')).toHaveValue('<scri');
  await demo.getByTestId('generate').click();
  const pres = demo.getByTestId('samples').locator('pre');
  await expect(pres).toHaveCount(3);
  await expect.poll(() => pres.evaluateAll((els) => els.map((e) => [...(e.textContent ?? '')].length))).toEqual([125, 125, 125]);
  for (const t of await pres.allTextContents()) expect(t.startsWith('<scri')).toBe(true);
  await expect(pres.first()).toHaveText(/^<scri/);

  // Per-character loss: the surprise area holds the corpus, markup included, as text.
  await demo.getByTestId('analyse').click();
  const surprise = demo.getByTestId('surprise').locator('.text');
  await expect(surprise).toBeVisible();
  expect(await surprise.textContent()).toBe(CORPUS);
  await expect(surprise).toContainText(SCRIPT);
  await expect(surprise).toContainText(IMG);
  await expect(surprise.locator('span')).toHaveCount(length);
  await surprise.locator('span').nth(1).hover();
  await expect(demo.getByTestId('surprise').getByTestId('readout')).toHaveText(/^"s": \d+\.\d{3} nats \(\d+\.\d{3} bits\), p = \d+\.\d%$/);
  await expect(demo.getByTestId('hardest-list')).toHaveText(/^(\S+ \d+\.\d\d · ){14}\S+ \d+\.\d\d$/u);

  // Heatmap of a sentence of markup: its axis shows the characters as text.
  await demo.locator('input[name="sentence"]').fill(SENTENCE);
  await demo.getByTestId('heatmap-button').click();
  const heatmap = demo.getByTestId('heatmap');
  await expect(heatmap.locator('.axis')).toHaveText(SENTENCE);
  await heatmap.locator('canvas').hover({ position: { x: 4, y: 4 } });
  await expect(heatmap.locator('.tip')).toHaveText(/^character "<" \(#0\), unit 0: h = −?\d+\.\d{4} \(scale −1\.00 … 1\.00\)$/);

  // The next-character box and the cell explorer show markup as text too.
  await demo.locator('textarea[name="next-text"]').fill(SENTENCE);
  await expect(demo.getByTestId('next-bars').locator('li')).toHaveCount(10);
  expect(
    await demo
      .getByTestId('next-typed')
      .locator('.text')
      .evaluate((e) => e.textContent),
  ).toBe(SENTENCE);
  await demo.getByTestId('rank-units').click();
  await expect(demo.getByTestId('cell-text').locator('.text span')).toHaveCount(length);
  expect(
    await demo
      .getByTestId('cell-text')
      .locator('.text')
      .evaluate((e) => e.textContent),
  ).toBe(CORPUS);
  await expect(error).toHaveCount(0);
  await snap(page, 'xss');

  // Nothing was turned into elements, nothing ran, nothing asked for src=x.
  expect(await countInShadow(demo, 'img, script, iframe, object, embed')).toBe(0);
  expect(await countInShadow(demo, '[onerror], [onload]')).toBe(0);
  expect(await page.evaluate(() => document.querySelectorAll('img').length)).toBe(0);
  expect(await page.evaluate(() => [...document.scripts].every((s) => s.src !== '' && s.type === 'module'))).toBe(true);
  expect(await pwned()).toBeUndefined();
  expect(strayRequests).toEqual([]);
  expect(errors).toEqual([]);
});
