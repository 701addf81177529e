// An element whose model failed to load (a model-url that 404s, a file that is not a
// checkpoint) takes another one — by attribute, property or the Load button — without a
// reload, and every failure leaves the model, its chart, the samples and the text as they were.
import { test, expect, type Locator } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors } from '../src/model/checkpoint.ts';
import { canvasPixels, chartPoints, generate, snap, stepOf, waitReady, watchErrors } from './helpers.ts';

const SHIPPED = 'data/pride-and-prejudice.safetensors';
const SHIPPED_STEP = decodeSafetensors(new Uint8Array(readFileSync(SHIPPED))).metadata.step;

async function seen(demo: Locator) {
  return {
    step: await stepOf(demo),
    params: (await demo.getByTestId('params').textContent())!.trim(),
    corpus: (await demo.getByTestId('corpus').textContent())!.trim(),
    chartPoints: await chartPoints(demo),
    chart: (await canvasPixels(demo.locator('char-lm-loss-chart canvas'))).hash,
    samples: await demo.getByTestId('samples').locator('pre').allTextContents(),
  };
}

test('after a model-url that 404s and a file that is not a checkpoint, another model loads by property, Load button or attribute', async ({ page }) => {
  const errors = watchErrors(page);
  await page.route('**/garbage.safetensors', (r) =>
    r.fulfill({ status: 200, contentType: 'application/octet-stream', body: Buffer.from('not a model at all, just text') }),
  );
  await page.goto('/e2e/model-url.html');
  const demo = page.locator('#bad'); // model-url="no-such-model.safetensors": a 404
  await waitReady(page, demo);
  const error = demo.getByTestId('error');
  await expect(error).toContainText('model-url: could not fetch the model at no-such-model.safetensors');
  await demo.getByTestId('train').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await generate(demo);
  const before = await seen(demo);
  expect(before.step).toBe(5);

  // A property pointing at bytes that are not a checkpoint: named, and the trained model stays.
  await demo.evaluate((el) => ((el as unknown as { modelUrl: string }).modelUrl = '/garbage.safetensors'));
  await expect(error).toContainText('model-url: ');
  await expect(error).toContainText('garbage.safetensors');
  await expect(error).toContainText('the model trained here (step 5) stays');
  expect(await seen(demo)).toEqual(before);

  // A text file given to the Load button: refused the same way.
  const notModel = join(tmpdir(), `char-lm-recovery-${process.pid}.safetensors`);
  writeFileSync(notModel, 'this is not a safetensors file');
  await demo.locator('input[name="model-file"]').setInputFiles(notModel);
  await expect(demo.locator('char-lm-training').getByTestId('error')).toContainText('Could not load'); // under Load model
  await expect(demo.locator('[data-testid="error"][data-place="top"]')).toContainText('garbage.safetensors'); // model-url still points at it
  expect(await seen(demo)).toEqual(before);
  await snap(page, 'recovery-refused');

  // A real checkpoint through the same button: loaded, the message gone, ready to sample.
  await demo.locator('input[name="model-file"]').setInputFiles(SHIPPED);
  await expect(demo.getByTestId('model-source')).toContainText(`pride-and-prejudice.safetensors (step ${SHIPPED_STEP}`);
  await expect(error).toHaveCount(0); // both: Load's own, and model-url's (its "the model trained here stays" is over)
  const texts = await generate(demo);
  expect(texts.every((t) => t.length > 20)).toBe(true);

  // Another 404 by attribute: the loaded model stays; then a good address by attribute loads.
  await demo.evaluate((el) => el.setAttribute('model-url', 'still-missing.safetensors'));
  await expect(error).toContainText('could not fetch the model at still-missing.safetensors');
  await expect(error).toContainText('the model loaded before (pride-and-prejudice.safetensors');
  await expect(demo.getByTestId('model-source')).toContainText(`step ${SHIPPED_STEP}`);
  const url = await page.evaluate(() => (window as unknown as { shippedModelUrl: string }).shippedModelUrl);
  await demo.evaluate((el, u) => el.setAttribute('model-url', u), url);
  await expect(error).toHaveCount(0);
  await expect(demo.getByTestId('model-source')).toContainText(`step ${SHIPPED_STEP}`);
  await generate(demo);
  expect(errors.filter((e) => !/no-such-model|still-missing|Failed to load resource/.test(e))).toEqual([]);
});
