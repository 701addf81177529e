import { test, expect } from '@playwright/test';
import { chartPoints, expectNoOverflow, snap, trainFresh, waitReady, watchErrors } from './helpers.ts';

test('without WebGPU the page says how to enable it and trains on the CPU reference engine', async ({ page }) => {
  const errors = watchErrors(page);
  await page.addInitScript(() => {
    // A browser without WebGPU: navigator.gpu is undefined before any page script runs.
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
    const w = window as unknown as { readyDetail: unknown; stepLosses: number[] };
    w.stepLosses = [];
    document.addEventListener('char-lm-ready', (e) => (w.readyDetail = (e as CustomEvent).detail));
    document.addEventListener('char-lm-step', (e) => w.stepLosses.push((e as CustomEvent<{ loss: number }>).detail.loss));
  });
  await page.goto('/');
  expect(await page.evaluate(() => navigator.gpu)).toBeUndefined();
  const demo = page.locator('char-lm-demo');
  const line = await waitReady(page, demo);

  const warning = demo.getByTestId('no-webgpu');
  await expect(warning).toBeVisible();
  expect(line).toContain('WebGPU is not available');
  await expect(warning).toContainText('--enable-unsafe-webgpu');
  await expect(warning).toContainText('chrome://flags/#enable-unsafe-webgpu');
  await expect(warning).toContainText('Chrome 113 or newer');
  await expect(warning).toContainText('CPU reference engine');
  await expect(warning).toContainText('slow');
  await expect(demo.getByTestId('adapter')).toHaveCount(0);
  const ready = await page.evaluate(() => (window as unknown as { readyDetail: { engine: string; adapter: string | null } }).readyDetail);
  expect(ready).toMatchObject({ engine: 'cpu', adapter: null });
  await snap(page, 'no-webgpu-ready');

  // A small model trains on the CPU: the loss shows up and falls.
  await trainFresh(demo, { embed: 8, hidden: 16, steps: 20 }, 150_000);
  await expect(demo.getByTestId('loss')).toHaveText(/^\d+\.\d{3}$/);
  await expect(demo.getByTestId('throughput')).toContainText('chars/s');
  await expect.poll(() => chartPoints(demo)).toBe(20);
  const losses = await page.evaluate(() => (window as unknown as { stepLosses: number[] }).stepLosses);
  expect(losses).toHaveLength(20);
  expect(losses.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 5)));
  expect(Number(await demo.getByTestId('loss').textContent())).toBeCloseTo(losses[19], 3);

  // And it samples.
  await demo.getByTestId('generate').click();
  const pres = demo.getByTestId('samples').locator('pre');
  await expect(pres).toHaveCount(3);
  await expect.poll(() => pres.evaluateAll((els) => els.map((e) => [...(e.textContent ?? '')].length))).toEqual([129, 129, 129]);
  // Long runs without spaces (common at temperature 1.5) wrap inside their column.
  await expectNoOverflow(page, pres);
  await snap(page, 'no-webgpu-trained');
  await expect(demo.getByTestId('error')).toHaveCount(0);
  expect(errors).toEqual([]);
});
