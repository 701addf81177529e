import { test, expect } from '@playwright/test';
import { snap, waitReady } from './helpers.ts';

test('the page opens on the notebook passage with a real adapter and trains', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  const demo = page.locator('char-lm-demo');
  const adapter = await waitReady(page, demo);
  expect(adapter).toContain('WebGPU adapter');
  await expect(demo.getByTestId('params')).toContainText('total');
  await expect(demo.getByTestId('corpus')).toContainText('1,153 characters, vocabulary 38');
  await snap(page, 'ready');

  // Train a bounded number of steps: the charted loss falls well below its start.
  await demo.locator('input[name="steps"]').fill('150');
  await demo.getByTestId('reset').click();
  await demo.getByTestId('train').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'done', { timeout: 150_000 });
  const chart = demo.locator('char-lm-loss-chart');
  const points = await chart.evaluate((el) => (el as unknown as { pointCount: number }).pointCount);
  expect(points).toBe(150);
  const series = await demo.evaluate((el) => {
    const s = (el as unknown as { ctl: { run: { history: { loss: Float64Array; avg: Float64Array; length: number } } } }).ctl.run.history;
    return { first: s.loss[0], last: s.avg[s.length - 1] };
  });
  expect(series.first).toBeGreaterThan(3.3);
  expect(series.last).toBeLessThan(series.first * 0.7);
  await expect(demo.getByTestId('sample-log')).toContainText('step 100');
  await snap(page, 'trained');
  expect(errors).toEqual([]);
});
