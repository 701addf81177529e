import { test, expect, type Page } from '@playwright/test';
import { expectNoOverflow, snap, trainFresh, waitReady, watchErrors } from './helpers.ts';

// The page at a laptop's size and a phone's width, ready and after some training with
// every panel filled: screenshots for a person to look at, and no row spilling out.

async function fillEveryPanel(page: Page): Promise<void> {
  const demo = page.locator('char-lm-demo');
  await trainFresh(demo, { embed: 8, hidden: 16, steps: 40 });
  await demo.getByTestId('generate').click();
  await expect(demo.getByTestId('samples').locator('pre')).toHaveCount(3);
  await expect(demo.getByTestId('generate')).toBeEnabled({ timeout: 60_000 });
  await demo.getByTestId('analyse').click();
  await expect(demo.getByTestId('surprise')).toBeVisible();
  await demo.getByTestId('heatmap-button').click();
  await expect(demo.getByTestId('heatmap').locator('canvas')).toBeVisible();
}

for (const size of [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
]) {
  test(`the page fits a ${size.width} px wide window, ready and trained`, async ({ page }) => {
    const errors = watchErrors(page);
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.goto('/');
    const demo = page.locator('char-lm-demo');
    await waitReady(page, demo);
    await expectNoOverflow(page, demo.locator('section, header'));
    await snap(page, `layout-${size.name}-ready`);
    // "About this run" opened: its lines wrap within the window too.
    const about = demo.getByTestId('about').locator('summary');
    await about.click();
    await expect(demo.getByTestId('corpus')).toBeVisible();
    await expectNoOverflow(page, demo.locator('header, header details, header details > div'));
    await snap(demo.locator('header'), `layout-${size.name}-about`);
    await about.click();
    await fillEveryPanel(page);
    await expectNoOverflow(page, demo.locator('section, header, .row, pre, .surprise, .log'));
    await snap(page, `layout-${size.name}-trained`);
    for (const panel of ['char-lm-training', 'char-lm-sampler', 'char-lm-inspector']) await snap(demo.locator(panel), `layout-${size.name}-${panel}`);
    await expect(demo.getByTestId('error')).toHaveCount(0);
    expect(errors).toEqual([]);
  });
}
