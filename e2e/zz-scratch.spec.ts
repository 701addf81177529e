import { test, expect } from '@playwright/test';
import { openDemo } from './helpers.ts';
test('scratch', async ({ browser }) => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const { demo } = await openDemo(page, '/');
  await page.screenshot({ path: '/tmp/s6/ready-1280.png' });
  await demo.getByTestId('train').click();
  await expect(demo.getByTestId('sample-log').locator('div')).toHaveCount(1, { timeout: 60000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: '/tmp/s6/training-1280.png' });
  await demo.getByTestId('pause').click();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: '/tmp/s6/paused-390.png' });
});
