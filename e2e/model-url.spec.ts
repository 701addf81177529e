// <char-lm-demo model-url>: a trained model ready to sample with no training, a bad URL
// that leaves the element usable, controls="generate", and "Try a trained model".
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { decodeSafetensors } from '../src/model/checkpoint.ts';
import { generate, snap, stepOf, waitReady, watchErrors } from './helpers.ts';

/** The step of the model shipped in data/ (a placeholder now, the trained one later). */
const SHIPPED_STEP = decodeSafetensors(new Uint8Array(readFileSync('data/pride-and-prejudice.safetensors'))).metadata.step;

test('model-url: the shipped model samples with no training; a bad URL is reported and the element still trains', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/e2e/model-url.html');

  // The shipped model, generation only: no text, settings or training panels.
  const shipped = page.locator('#shipped');
  await waitReady(page, shipped);
  await expect(shipped.getByTestId('model-line')).toContainText(`pride-and-prejudice-`);
  await expect(shipped.getByTestId('model-line')).toContainText(`.safetensors (step ${SHIPPED_STEP}; model only`);
  await expect(shipped.getByTestId('corpus')).toContainText('Pride and Prejudice');
  for (const panel of ['char-lm-text-source', 'char-lm-settings', 'char-lm-training']) await expect(shipped.locator(panel)).toHaveCount(0);
  await expect(shipped.locator('char-lm-inspector')).toBeVisible();
  const texts = await generate(shipped);
  expect(texts.every((t) => t.startsWith('Mr Bennet') && t.length > 'Mr Bennet'.length + 20)).toBe(true);
  await shipped.scrollIntoViewIfNeeded();
  await snap(shipped, 'generation-only-1280');
  await page.setViewportSize({ width: 390, height: 900 });
  await snap(shipped, 'generation-only-390');
  await page.setViewportSize({ width: 1280, height: 900 });

  // A URL with no model behind it: a message naming it, and a fresh model that trains.
  const bad = page.locator('#bad');
  await waitReady(page, bad);
  await expect(bad.getByTestId('error')).toContainText('model-url: could not fetch the model at no-such-model.safetensors');
  await expect(bad.getByTestId('error')).toContainText('a fresh model on The notebook passage is ready instead');
  expect(await stepOf(bad)).toBe(0);
  await bad.getByTestId('train').click();
  await expect(bad.getByTestId('status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  expect(await stepOf(bad)).toBe(5);

  // Changing model-url after connect loads that model onto the element's text (a network error first).
  await bad.evaluate((el) => el.setAttribute('model-url', 'http://127.0.0.1:9/unreachable.safetensors'));
  await expect(bad.getByTestId('error')).toContainText('could not fetch the model at http://127.0.0.1:9/unreachable.safetensors');
  expect(await stepOf(bad)).toBe(5);
  const url = await page.evaluate(() => (window as unknown as { shippedModelUrl: string }).shippedModelUrl);
  await bad.evaluate((el, u) => el.setAttribute('model-url', u), url);
  await expect(bad.getByTestId('model-source')).toContainText(`step ${SHIPPED_STEP}`);
  await expect(bad.getByTestId('error')).toHaveCount(0);
  expect(await stepOf(bad)).toBe(0); // a model-only file trains on from step 0 with a fresh optimizer
  expect(errors.filter((e) => !/no-such-model|unreachable|Failed to load resource/.test(e))).toEqual([]);
});

test('Try a trained model: the novel with the shipped model, ready to sample', async ({ page }) => {
  const errors = watchErrors(page);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/');
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  await demo.getByTestId('try-model').click();
  await expect(demo.getByTestId('model-source')).toContainText(`pride-and-prejudice.safetensors (step ${SHIPPED_STEP}; model only`, { timeout: 120_000 });
  await expect(demo.getByTestId('corpus')).toContainText('Pride and Prejudice');
  expect(await stepOf(demo)).toBe(0); // a model-only file trains on from step 0 with a fresh optimizer
  // Something to try at once: the sampler comes into view with a sample written by the model; the chart and the status say what was loaded.
  const samples = demo.getByTestId('samples').locator('pre');
  await expect(samples).toHaveCount(3);
  await expect(demo.getByTestId('generate')).toBeEnabled();
  for (const text of await samples.allTextContents()) expect(text.length).toBeGreaterThan(100);
  await expect(demo.locator('char-lm-sampler')).toBeInViewport();
  await expect(demo.getByTestId('chart-empty')).toHaveText(/^A trained model is loaded: generate from it below, or press Train to train it on\.$/);
  await expect(demo.getByTestId('status')).toContainText(`trained ${Number(SHIPPED_STEP).toLocaleString('en')} steps · 0 / 1,000 more`);
  await snap(page, 'loaded-model-sampled-1280');
  await generate(demo);
  await snap(page, 'loaded-model-1280');
  await page.setViewportSize({ width: 390, height: 900 });
  await snap(page, 'loaded-model-390');
  expect(errors).toEqual([]);
});
