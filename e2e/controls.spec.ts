import { test, expect } from '@playwright/test';
import { canvasPixels, chartPoints, fillSettings, snap, stepOf, trainFresh, waitReady, watchErrors } from './helpers.ts';

// A tiny model (E 8, H 16): these tests are about the controls, not the model.
const TINY = { embed: 8, hidden: 16 };

test('pause stops the steps, Resume continues them, Reset starts over with an empty chart', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  const status = demo.getByTestId('status');
  const train = demo.getByTestId('train');
  const pause = demo.getByTestId('pause');
  const chartCanvas = demo.locator('char-lm-loss-chart canvas');

  await fillSettings(demo, { ...TINY, steps: 400 });
  await demo.getByTestId('reset').click();
  await expect(status).toHaveAttribute('data-status', 'idle');
  await expect(train).toHaveText('Train');
  await expect(pause).toBeDisabled();
  await train.click();
  await expect(status).toHaveAttribute('data-status', 'training');
  await expect(train).toBeDisabled();
  await expect.poll(() => stepOf(demo), { timeout: 60_000 }).toBeGreaterThan(5);

  await pause.click();
  await expect(status).toHaveAttribute('data-status', 'paused');
  await expect(train).toHaveText('Resume');
  await expect(train).toBeEnabled();
  await expect(pause).toBeDisabled();
  const pausedAt = await stepOf(demo);
  expect(pausedAt).toBeLessThan(400);
  await expect.poll(() => chartPoints(demo)).toBe(pausedAt);
  await page.waitForTimeout(2_000);
  expect(await stepOf(demo)).toBe(pausedAt);
  expect(await chartPoints(demo)).toBe(pausedAt);
  await expect(status).toHaveAttribute('data-status', 'paused');
  await expect(status).toContainText(`paused · step ${pausedAt} / 400 · loss`);
  await snap(page, 'controls-paused');

  await train.click(); // Resume
  await expect(status).toHaveAttribute('data-status', 'training');
  await expect.poll(() => stepOf(demo), { timeout: 60_000 }).toBeGreaterThan(pausedAt + 3);
  await expect.poll(() => chartPoints(demo)).toBeGreaterThan(pausedAt);
  const drawn = await canvasPixels(chartCanvas);
  expect(drawn.blue).toBeGreaterThan(100); // the loss lines

  // Reset in the middle of training: a fresh model, nothing charted, nothing running.
  await demo.getByTestId('reset').click();
  await expect(status).toHaveAttribute('data-status', 'idle');
  await expect(demo.getByTestId('step')).toHaveText('0');
  await expect(status).toHaveText(/^\s*idle · step 0 \/ 400\s*$/);
  await expect(train).toHaveText('Train');
  await expect.poll(() => chartPoints(demo)).toBe(0);
  await expect.poll(async () => (await canvasPixels(chartCanvas)).blue).toBe(0);
  await page.waitForTimeout(1_000); // the old loop has really stopped
  expect(await stepOf(demo)).toBe(0);
  expect(await chartPoints(demo)).toBe(0);
  await snap(page, 'controls-reset');

  // Reset while a sample is being generated during training: the old model finishes
  // its work and is freed, nothing restarts it, and nothing fails.
  await train.click();
  await expect.poll(() => stepOf(demo), { timeout: 60_000 }).toBeGreaterThan(3);
  await demo.getByTestId('generate').click();
  await demo.getByTestId('reset').click();
  await expect(status).toHaveAttribute('data-status', 'idle');
  await expect(demo.getByTestId('generate')).toBeEnabled();
  await page.waitForTimeout(1_500);
  await expect(demo.getByTestId('samples').locator('pre')).toHaveCount(0); // nothing stale from the old model
  expect(await stepOf(demo)).toBe(0);
  expect(await chartPoints(demo)).toBe(0);
  await expect(status).toHaveAttribute('data-status', 'idle');
  await expect(demo.getByTestId('error')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('bad settings or a bad text give an error and keep the trained model, its chart and its text', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  await trainFresh(demo, { ...TINY, steps: 12 });
  const status = demo.getByTestId('status');
  const corpusLine = demo.getByTestId('corpus');
  const params = demo.getByTestId('params');
  const chartCanvas = demo.locator('char-lm-loss-chart canvas');
  await expect.poll(() => chartPoints(demo)).toBe(12);
  const before = {
    corpus: (await corpusLine.textContent())!.trim(),
    params: (await params.textContent())!.trim(),
    status: (await status.textContent())!.trim(),
    chart: await canvasPixels(chartCanvas),
  };
  expect(before.corpus).toContain('The notebook passage — 1,153 characters, vocabulary 38');
  expect(before.chart.blue).toBeGreaterThan(50);

  // Letters in Hidden H (a number field: the browser keeps none of them), then Reset.
  const hidden = demo.locator('input[name="hidden"]');
  await hidden.fill('');
  await hidden.pressSequentially('abc');
  await demo.getByTestId('reset').click();
  const error = demo.getByTestId('error');
  // The message the CLI gives for --hidden, naming the field by its label, next to the form's fields.
  const formError = demo.getByTestId('settings-errors');
  await expect(formError).toContainText('Hidden H must be an integer from 1 to 2048, got ""');
  await expect(hidden).toBeFocused();
  await expect(error).toHaveCount(0);
  await expect(demo.getByTestId('step')).toHaveText('12');
  await expect(status).toHaveAttribute('data-status', 'done');
  expect((await status.textContent())!.trim()).toBe(before.status);
  expect((await params.textContent())!.trim()).toBe(before.params);
  expect(await chartPoints(demo)).toBe(12);
  expect((await canvasPixels(chartCanvas)).hash).toBe(before.chart.hash);
  await snap(page, 'controls-bad-hidden');

  // A one-character text: refused, the corpus stays.
  await hidden.fill(String(TINY.hidden));
  await demo.getByText('Paste your own text').click();
  await demo.locator('textarea[name="paste"]').fill('aaaa');
  await demo.getByRole('button', { name: 'Use this text' }).click();
  await expect(error).toContainText('distinct character');
  await expect(error).toContainText('at least 2 different characters');
  expect((await corpusLine.textContent())!.trim()).toBe(before.corpus);
  expect((await params.textContent())!.trim()).toBe(before.params);
  await expect(demo.getByTestId('step')).toHaveText('12');
  expect(await chartPoints(demo)).toBe(12);
  await snap(page, 'controls-bad-text');

  // Next to the paste box that caused it, and it stays while that text is there: the kept model
  // still trains (Train more continues from step 12) and the text panel still says why its text was refused.
  await expect(demo.locator('char-lm-text-source').getByTestId('error')).toBeVisible();
  await demo.getByTestId('train').click();
  await expect(status).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(error).toContainText('distinct character');
  await expect(demo.getByTestId('step')).toHaveText('24');
  await expect.poll(() => chartPoints(demo)).toBe(24);

  // A good text replaces the model: nothing of the old one stays on screen (chart,
  // heatmap, even after switching the gate), and the Preset menu says what is in use.
  await demo.getByTestId('heatmap-button').click();
  await expect(demo.getByTestId('heatmap').locator('canvas')).toBeVisible();
  const preset = demo.locator('select[name="preset"]');
  await expect(preset.locator('option:checked')).toHaveText('The notebook passage');
  await demo.locator('textarea[name="paste"]').fill('the rain in spain stays mainly in the plain. '.repeat(4));
  await demo.getByRole('button', { name: 'Use this text' }).click();
  await expect(corpusLine).toContainText('Corpus: pasted text — 180 characters, vocabulary 14');
  await expect(error).toHaveCount(0);
  await expect(demo.getByTestId('step')).toHaveText('0');
  await expect(status).toHaveAttribute('data-status', 'idle');
  await expect.poll(() => chartPoints(demo)).toBe(0);
  await expect(demo.getByTestId('heatmap').locator('canvas')).toHaveCount(0);
  await demo.locator('select[name="gate"]').selectOption('f');
  await expect(demo.getByTestId('heatmap').locator('canvas')).toHaveCount(0);
  await expect(preset.locator('option:checked')).toHaveText('pasted text');
  await snap(page, 'controls-pasted-text');
  // ... so that choosing the notebook passage again brings it back.
  await preset.selectOption('notebook');
  await expect(corpusLine).toContainText('The notebook passage — 1,153 characters, vocabulary 38');
  await expect(preset.locator('option:checked')).toHaveText('The notebook passage');
  expect(errors).toEqual([]);
});
