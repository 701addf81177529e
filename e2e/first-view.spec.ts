/**
 * The page as a new visitor meets it: one line on what it is, Train and "Try a trained
 * model" in view, the settings grouped with what each term means on hover and on keyboard
 * focus, an empty chart that already has its axes and says to press Train; a refused text
 * explained next to the text panel; and once training runs, the chart and the newest
 * sample in view at 1280 × 800, "pausing…" the moment Pause is pressed. One page for all
 * of it, a tiny model, 20 steps.
 */
import { test, expect, type Locator, type Page } from '@playwright/test';
import { collectErrors, expectNoOverflow, openDemo, snap } from './helpers.ts';

test.describe.configure({ mode: 'serial' });

let page: Page;
let demo: Locator;
let errors: string[];
/** The messages of char-lm-error so far. */
let reportedErrors: () => Promise<string[]>;

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  ({ demo, errors } = await openDemo(page, '/'));
  reportedErrors = await collectErrors(page);
});

test.afterAll(async () => {
  expect(errors).toEqual([]);
  await page.close();
});

test('the first view says what this is, shows Train and a trained model to try, and an empty chart with its axes that says to press Train', async () => {
  await expect(demo.getByTestId('tagline')).toContainText('Train a small language model');
  await expect(demo.getByTestId('tagline')).toBeInViewport();
  const train = demo.getByTestId('train');
  await expect(train).toHaveText('Train');
  await expect(train).toBeEnabled();
  await expect(train).toBeInViewport();
  await expect(demo.getByRole('button', { name: 'Try a trained model' })).toBeInViewport();
  const empty = demo.getByTestId('chart-empty');
  await expect(empty).toContainText('press Train');
  await expect(empty).toBeInViewport();
  // The axes are there before the first point (uPlot paints them on its canvas and turns off the box of an axis it does not draw).
  const chart = demo.locator('char-lm-loss-chart');
  await expect(chart.locator('.u-axis')).toHaveCount(3);
  await expect(chart.locator('.u-axis.u-off')).toHaveCount(0);
  expect((await chart.locator('canvas').boundingBox())!.height).toBeGreaterThan(150);
  // The settings: grouped, the rarer ones collapsed.
  await expect(demo.getByRole('group', { name: 'Model' })).toBeVisible();
  await expect(demo.getByRole('group', { name: 'Training' })).toBeVisible();
  await expect(demo.locator('input[name="clip"]')).toBeHidden();
  await snap(page, 'first-view-1280');
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoOverflow(page, demo.locator('section, header, .row'));
  await snap(page, 'first-view-390');
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('each setting says what it means on keyboard focus and on hover, and is described to screen readers', async () => {
  const help = demo.getByTestId('settings-help');
  await expect(help).toHaveCount(0);
  const seqLen = demo.locator('input[name="seq-len"]');
  await seqLen.focus();
  await expect(help).toContainText('BPTT length T:');
  await expect(help).toContainText('truncated backpropagation through time');
  await expect(seqLen).toHaveAccessibleDescription(/truncated backpropagation through time/);
  await snap(demo.locator('char-lm-settings'), 'first-view-help-focus');
  await page.keyboard.press('Tab'); // to Learning rate
  const lr = demo.locator('input[name="lr"]');
  await expect(lr).toBeFocused();
  await expect(help).toContainText('Learning rate:');
  await lr.blur();
  await page.mouse.move(0, 0);
  await expect(help).toHaveCount(0);

  await demo.getByText('More settings').click();
  const clip = demo.locator('input[name="clip"]');
  await expect(clip).toBeVisible();
  await clip.hover();
  await expect(help).toContainText('Clip norm:');
  await expect(help).toContainText('global norm');
  await demo.locator('select[name="schedule"]').hover();
  await expect(help).toContainText('Schedule: How a step picks its text');
  await snap(demo.locator('char-lm-settings'), 'first-view-help-hover');
  await page.mouse.move(0, 0);
  await expect(help).toHaveCount(0);
});

test('a refused text is explained next to the text panel, not at the top, and still reported by char-lm-error', async () => {
  const textPanel = demo.locator('char-lm-text-source');
  await textPanel.getByText('Paste your own text').click();
  await textPanel.locator('textarea[name="paste"]').fill('aaaa');
  const use = textPanel.getByRole('button', { name: 'Use this text' });
  await use.click();
  const error = textPanel.getByRole('alert');
  await expect(error).toContainText('distinct character');
  await expect(demo.locator('[data-testid="error"][data-place="top"]')).toHaveCount(0);
  // Next to the button that caused it: its top within a few lines of the button's bottom.
  const [b, e] = [(await use.boundingBox())!, (await error.boundingBox())!];
  expect(Math.abs(e.y - (b.y + b.height))).toBeLessThan(60);
  const reported = await reportedErrors();
  expect(reported.at(-1)).toContain('distinct character');
  await expect(demo.getByTestId('corpus')).toContainText('The notebook passage');
  await snap(page, 'first-view-text-error');
  // It stays while its cause stays (editing the settings does not take it away) and goes when a text loads
  // (a fresh tiny model on it, from the form).
  await demo.locator('input[name="embed"]').fill('8');
  await demo.locator('input[name="hidden"]').fill('16');
  await demo.locator('input[name="steps"]').fill('20');
  await demo.locator('input[name="sample-every"]').fill('10');
  await expect(error).toBeVisible();
  // A Reset the text cannot take: its message under the settings that caused it, until they are edited.
  const seqLen = demo.locator('input[name="seq-len"]');
  await seqLen.fill('2000');
  await demo.getByTestId('reset').click();
  const settingsError = demo.locator('char-lm-settings').getByRole('alert');
  await expect(settingsError).toContainText(
    'Reset changed nothing: The notebook passage: the corpus has 1153 characters but a sequence length of 2000 needs at least 2001; use a longer text or a shorter sequence length',
  );
  await expect(error).toBeVisible(); // the text panel's own message stays
  await snap(page, 'first-view-settings-error');
  await seqLen.fill('40');
  await expect(settingsError).toHaveCount(0);
  await textPanel.locator('select[name="preset"]').selectOption('notebook');
  await expect(error).toHaveCount(0);
  await expect(demo.getByTestId('settings-pending')).toHaveCount(0);
  await textPanel.getByText('Paste your own text').click(); // closed again
});

test('once training runs, Pause says "pausing…" at once; the chart and the newest sample are in view at 1280 × 800', async () => {
  await expect(demo.getByTestId('params')).toContainText('total');
  const status = demo.getByTestId('status');
  await demo.getByTestId('train').click();
  await expect(status).toHaveAttribute('data-status', 'training');
  // The click and the text it shows, in one task: nothing has waited for the step in flight.
  const shown = await demo.evaluate(async (host) => {
    const panel = host.shadowRoot!.querySelector('char-lm-training')!;
    panel.shadowRoot!.querySelector<HTMLButtonElement>('[data-testid="pause"]')!.click();
    await panel.updateComplete;
    return panel.shadowRoot!.querySelector('[data-testid="status"]')!.textContent!.replace(/\s+/g, ' ').trim();
  });
  expect(shown).toMatch(/^pausing… · step \d+ \/ 20/);
  await expect(status).toHaveAttribute('data-status', 'paused');
  await demo.getByTestId('train').click();
  await expect(status).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  const log = demo.getByTestId('sample-log');
  await expect(log.locator('div')).toHaveCount(2);
  const newest = log.locator('div').first(); // newest first, right under the chart
  await expect(newest).toContainText('step 20:');
  await expect(demo.getByTestId('sample-log-prime')).toContainText('prime “It is”');
  await page.evaluate(() => window.scrollTo(0, 0)); // as the page opens, not where the clicks scrolled it
  await expect(demo.locator('char-lm-loss-chart canvas')).toBeInViewport({ ratio: 0.95 });
  await expect(newest).toBeInViewport({ ratio: 1 });
  await expect(demo.getByTestId('chart-empty')).toHaveCount(0);
  await snap(page, 'first-view-trained-1280');
  await page.screenshot({ path: 'e2e/screenshots/first-view-trained-1280x800.png' }); // what the window shows (the README's picture)
});

test('at 390 px wide nothing spills out once trained either', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoOverflow(page, demo.locator('section, header, .row'));
  await snap(page, 'first-view-trained-390');
});
