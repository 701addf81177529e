/**
 * The page as a new visitor meets it: one line on what it is, Train and "Try a trained
 * model" in view, the diagnostics folded into "About this run", the settings grouped with
 * what each term means on hover and on keyboard focus, an empty chart that already has its
 * axes and says to press Train; while the default settings train, the chart and the newest
 * sample in view at 1280 × 800; a refused text explained next to the text panel, settings the
 * text cannot take said at once and a failed Reset next to Reset; the Novel preset loading
 * its novel; "pausing…" the moment Pause is pressed. One page for all of it, a tiny model.
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
  // The diagnostics are folded into "About this run" (one line); the engine stays in view as one line.
  const about = demo.getByTestId('about');
  await expect(about.locator('summary')).toContainText(/About this run: [\d,]+ parameters ·\s+The notebook passage, 1,153 characters/);
  await expect(demo.getByTestId('params')).toBeHidden();
  await expect(demo.getByTestId('engine')).toBeInViewport();
  expect((await demo.getByTestId('engine').boundingBox())!.height).toBeLessThan(40);
  await snap(page, 'first-view-1280');
  await page.screenshot({ path: 'e2e/screenshots/first-view-1280x800.png' }); // the window as it opens
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoOverflow(page, demo.locator('section, header, .row'));
  await expect(train).toBeInViewport({ ratio: 1 }); // a phone sees Train in its first screen
  await snap(page, 'first-view-390');
  await page.setViewportSize({ width: 1280, height: 800 });
  await about.locator('summary').click();
  await expect(demo.getByTestId('params')).toBeVisible();
  await expect(demo.getByTestId('engine-why')).toBeVisible();
  await snap(demo.locator('header'), 'first-view-about-open');
  await about.locator('summary').click();
  await expect(demo.getByTestId('params')).toBeHidden();
});

test('while the default settings train, the chart and the newest sample are in view at 1280 × 800, with the line saying the run is kept', async () => {
  const status = demo.getByTestId('status');
  await demo.getByTestId('train').click();
  const newest = demo.getByTestId('sample-log').locator('div').first();
  await expect(newest).toContainText('step 100:', { timeout: 120_000 });
  await expect(status).toHaveAttribute('data-status', 'training'); // 1,000 steps: still going
  await expect(demo.getByTestId('save-status')).toContainText('Kept in this browser at step');
  await page.evaluate(() => window.scrollTo(0, 0));
  await expect(demo.locator('char-lm-loss-chart canvas')).toBeInViewport({ ratio: 1 });
  await expect(newest).toBeInViewport({ ratio: 1 });
  await expect(demo.getByTestId('save-status')).toBeInViewport({ ratio: 1 });
  await page.screenshot({ path: 'e2e/screenshots/first-view-training-1280x800.png' });
  await demo.getByTestId('pause').click();
  await expect(status).toHaveAttribute('data-status', 'paused');
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
  await demo.locator('input[name="steps"]').fill('200');
  await demo.locator('input[name="sample-every"]').fill('100');
  await expect(error).toBeVisible();
  // Settings the text cannot take: said under the presets at once; a Reset with them fails next to Reset (focused) until they are edited.
  const seqLen = demo.locator('input[name="seq-len"]');
  await seqLen.fill('2000');
  await expect(demo.getByTestId('settings-text-fit')).toContainText(
    'These settings (windows of 2,000 characters) need a text of at least 2,001 characters; The notebook passage has 1,153 to train on: Reset would refuse them.',
  );
  await expect(demo.getByTestId('form-note')).toContainText('The form differs from this model (');
  await expect(demo.getByTestId('form-note')).toContainText('Embedding E 8 (now 32), Hidden H 16 (now 128), BPTT length T 2000 (now 40) and 1 more)');
  const reset = demo.getByTestId('reset');
  await reset.click();
  const resetError = demo.locator('char-lm-training [data-place="settings"]');
  await expect(resetError).toContainText(
    'Reset changed nothing: The notebook passage: the corpus has 1,153 characters but a sequence length of 2,000 needs at least 2,001; use a longer text or a shorter sequence length',
  );
  await expect(resetError).toBeFocused();
  const [r, m] = [(await reset.boundingBox())!, (await resetError.boundingBox())!];
  expect(m.y - (r.y + r.height)).toBeLessThan(120); // next to Reset (the status line between them)
  await expect(error).toBeVisible(); // the text panel's own message stays
  await snap(page, 'first-view-settings-error');
  await seqLen.fill('40');
  await expect(resetError).toHaveCount(0);
  await expect(demo.getByTestId('settings-text-fit')).toHaveCount(0);
  await textPanel.locator('select[name="preset"]').selectOption('notebook');
  await expect(error).toHaveCount(0);
  await expect(demo.getByTestId('settings-pending')).toHaveCount(0);
  await textPanel.getByText('Paste your own text').click(); // closed again
});

test('the Novel preset on a text too short for it says so at once, by the presets and by Train, and loads its novel with it', async () => {
  await demo.getByRole('button', { name: 'Novel preset' }).click();
  const fit = demo.getByTestId('settings-text-fit');
  await expect(fit).toContainText(
    'The novel settings (32 streams × 64 characters) need a text of at least 2,049 characters; The notebook passage has 1,153 to train on: Reset would refuse them.',
  );
  await expect(demo.getByTestId('form-note')).toContainText('Hidden H 256 (now 16)');
  await expect(demo.getByTestId('form-note')).toContainText('Train goes on with this one');
  await snap(page, 'first-view-novel-preset');
  // Reset anyway: refused next to Reset, with the focus on the message and its numbers grouped.
  await demo.getByTestId('reset').click();
  const resetError = demo.locator('char-lm-training [data-place="settings"]');
  await expect(resetError).toContainText('corpus of 1,153 characters is too short for 32 streams of 64 characters; it needs at least 2,049 characters');
  await expect(resetError).toBeFocused();
  await expect(resetError).toBeInViewport();
  await fit.getByRole('button', { name: 'Use Pride and Prejudice with these settings' }).click();
  await expect(demo.getByTestId('corpus')).toContainText('Pride and Prejudice', { timeout: 60_000 });
  await expect(demo.locator('input[name="hidden"]')).toHaveValue('256');
  await expect(demo.getByTestId('params')).toContainText(/LSTM 856,064/); // E 64, H 256, L 2: the model the form shows
  await expect(fit).toHaveCount(0);
  await expect(demo.getByTestId('form-note')).toHaveCount(0);
  await expect(resetError).toHaveCount(0); // its cause is gone: a model with these settings is built
  await snap(page, 'first-view-novel-loaded');
  // Back to the tiny model on the notebook passage for what follows.
  await demo.getByRole('button', { name: 'Notebook preset' }).click();
  await demo.locator('input[name="embed"]').fill('8');
  await demo.locator('input[name="hidden"]').fill('16');
  await demo.locator('input[name="steps"]').fill('200');
  await demo.locator('input[name="sample-every"]').fill('100');
  await demo.locator('select[name="preset"]').selectOption('notebook');
  await expect(demo.getByTestId('corpus')).toContainText('The notebook passage');
  await expect(demo.getByTestId('form-note')).toHaveCount(0);
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
  expect(shown).toMatch(/^pausing… · step \d+ \/ 200/);
  await expect(status).toHaveAttribute('data-status', 'paused');
  await demo.getByTestId('train').click();
  await expect(status).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  const log = demo.getByTestId('sample-log');
  await expect(log.locator('div')).toHaveCount(2);
  const newest = log.locator('div').first(); // newest first, right under the chart
  await expect(newest).toContainText('step 200:');
  await expect(demo.getByTestId('sample-log-prime')).toContainText('prime “It is”');
  await page.evaluate(() => window.scrollTo(0, 0)); // as the page opens, not where the clicks scrolled it
  await expect(demo.locator('char-lm-loss-chart canvas')).toBeInViewport({ ratio: 0.95 });
  await expect(newest).toBeInViewport({ ratio: 1 });
  await expect(demo.getByTestId('chart-empty')).toHaveCount(0);
  await snap(page, 'first-view-trained-1280');
  await page.screenshot({ path: 'e2e/screenshots/first-view-trained-1280x800.png' });
});

test('at 390 px wide nothing spills out once trained either', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoOverflow(page, demo.locator('section, header, .row'));
  await snap(page, 'first-view-trained-390');
});
