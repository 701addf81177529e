import { test, expect, type Locator, type Page } from '@playwright/test';
import { NUMBER_SETTINGS } from '../src/run/settings.ts';
import type { CharLmErrorDetail } from '../src/ui/events.ts';
import { FORM_NUMBERS } from '../src/ui/settings-form.ts';
import { canvasPixels, chartPoints, generate, openDemo, snap, stepOf } from './helpers.ts';

// Validate, then act: a refused input names the problem next to the control it came
// from, and the model, its chart, the samples and the text stay exactly as they were.
// e2e/attributes.html: one tiny <char-lm-demo> (E 8, H 16, 10 steps).

const errorLog = (page: Page) =>
  page.evaluate(() => (window as unknown as { charLmEvents: { error: CharLmErrorDetail[] } }).charLmEvents.error.map((e) => e.message));

/** What a person sees of the model and its text: kept whole by every refusal. */
async function seen(demo: Locator) {
  return {
    step: await stepOf(demo),
    params: (await demo.getByTestId('params').textContent())!.trim(),
    corpus: (await demo.getByTestId('corpus').textContent())!.trim(),
    status: (await demo.getByTestId('status').textContent())!.trim(),
    chartPoints: await chartPoints(demo),
    chart: (await canvasPixels(demo.locator('char-lm-loss-chart canvas'))).hash,
    samples: await demo.getByTestId('samples').locator('pre').allTextContents(),
  };
}

/** The page's tiny model trained through its 10 steps, then three samples generated (their texts returned). */
async function trainedAndSampled(page: Page): Promise<{ demo: Locator; errors: string[]; texts: string[] }> {
  const { demo, errors } = await openDemo(page, '/e2e/attributes.html');
  await demo.getByTestId('train').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  return { demo, errors, texts: await generate(demo) };
}

test('a refused Generate keeps the samples on screen and says why next to the sampler', async ({ page }) => {
  const { demo, errors, texts } = await trainedAndSampled(page);
  expect(texts).toHaveLength(3);
  const before = await seen(demo);
  const message = demo.getByTestId('sample-error');
  const prime = demo.locator('input[name="prime"]');

  // A prime with a character outside the model's text (the notebook passage has no "§").
  await prime.fill('It is §');
  await demo.getByTestId('generate').click();
  await expect(message).toContainText('"§" (U+00A7)');
  await expect(message).toContainText('the prime');
  await expect(message).toBeVisible();
  expect(await seen(demo)).toEqual(before);
  await expect(demo.getByTestId('error')).toHaveCount(0); // next to the sampler, not at the top
  await expect.poll(() => errorLog(page)).toContainEqual(expect.stringContaining('"§"'));
  await snap(page, 'validate-generate-prime');

  // Each field of the sampler, checked before anything is cleared.
  await prime.fill('It is');
  for (const [field, value, text] of [
    ['temperatures', '0.5,hot', 'Temperatures must be a comma-separated list of numbers from 0 to 100'],
    ['length', '0', 'Length must be an integer from 1 to 100000, got "0"'],
    ['top-p', '1.5', 'Top-p must be a number > 0 and ≤ 1, got "1.5"'],
  ] as const) {
    const input = demo.locator(`input[name="${field}"]`);
    const good = await input.inputValue();
    await input.fill(value);
    await demo.getByTestId('generate').click();
    await expect(message).toContainText(text);
    expect(await seen(demo)).toEqual(before);
    await input.fill(good);
  }
  await prime.fill('');
  await demo.getByTestId('generate').click();
  await expect(message).toHaveText('the prime is empty: type at least one character');
  expect(await seen(demo)).toEqual(before);

  // Good fields: the message goes and new samples replace the old.
  await prime.fill('the');
  await demo.getByTestId('generate').click();
  await expect(message).toHaveCount(0);
  await expect(demo.getByTestId('generate')).toBeEnabled();
  await expect(demo.getByTestId('samples').locator('pre').first()).toContainText(/^the/);
  await page.setViewportSize({ width: 390, height: 900 });
  await prime.fill('§');
  await demo.getByTestId('generate').click();
  await expect(message).toBeVisible();
  await message.scrollIntoViewIfNeeded();
  await snap(page, 'validate-generate-390');
  await page.setViewportSize({ width: 1200, height: 900 });

  // The heatmap: a sentence it cannot show is refused next to its button, and the heatmap drawn stays.
  const heatmap = demo.getByTestId('heatmap').locator('canvas');
  await demo.getByTestId('heatmap-button').click();
  await expect(heatmap).toBeVisible();
  const drawn = (await canvasPixels(heatmap)).hash;
  const sentence = demo.locator('input[name="sentence"]');
  const heatmapError = demo.getByTestId('heatmap-error');
  await sentence.fill('It is §');
  await demo.getByTestId('heatmap-button').click();
  await expect(heatmapError).toContainText('the sentence: character "§" (U+00A7)');
  expect((await canvasPixels(heatmap)).hash).toBe(drawn);
  await sentence.fill('the '.repeat(60));
  await demo.getByTestId('heatmap-button').click();
  await expect(heatmapError).toHaveText('the sentence has 240 characters; the heatmap shows at most 200: shorten it');
  expect((await canvasPixels(heatmap)).hash).toBe(drawn);
  // Reported (char-lm-error) once as it was typed, and again for the refused click.
  const tooLong = (log: string[]) => log.filter((m) => m.startsWith('the sentence has 240 characters')).length;
  await expect.poll(async () => tooLong(await errorLog(page))).toBe(2);
  await expect(demo.getByTestId('error')).toHaveCount(0);
  await heatmapError.scrollIntoViewIfNeeded();
  await snap(page, 'validate-heatmap-sentence');
  expect(errors).toEqual([]);
});

test('Reset and Train with a bad field change nothing: the message next to the field and next to Train, the field focused', async ({ page }) => {
  const { demo, errors } = await trainedAndSampled(page);
  const before = await seen(demo);
  expect(before.step).toBe(10);
  const steps = demo.locator('input[name="steps"]');
  const formError = demo.getByTestId('settings-errors');
  const trainError = demo.locator('[data-testid="error"][data-place="training"]');
  const train = demo.getByTestId('train');

  // Train reads the form too (the learning rate, decay and clip take effect on it): a bad value
  // refuses it, rather than training on at the old values.
  const lr = demo.locator('input[name="lr"]');
  await lr.fill('-1');
  await expect(formError).toContainText('Learning rate must be a number > 0 and ≤ 10, got "-1"');
  await expect(train).toBeEnabled();
  await train.click();
  const lrMessage = 'Train changed nothing: Learning rate must be a number > 0 and ≤ 10, got "-1"';
  await expect(trainError).toHaveText(lrMessage);
  await expect(lr).toBeFocused();
  await expect.poll(() => errorLog(page)).toContainEqual(lrMessage);
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'done');
  expect(await seen(demo)).toEqual(before);
  await trainError.scrollIntoViewIfNeeded();
  await snap(page, 'validate-train-lr');
  // A page's script gets the same answer.
  await demo.evaluate((host) => (host as unknown as { train(): Promise<void> }).train());
  await expect.poll(async () => (await errorLog(page)).filter((m) => m === lrMessage).length).toBe(2);
  expect(await seen(demo)).toEqual(before);
  // Fixing the field takes the message next to Train away.
  await lr.fill('0.005');
  await expect(trainError).toHaveCount(0);
  await expect(formError).toHaveCount(0);

  // Every numeric field of the form: a bad value refuses Train, naming that field, and focuses it.
  await demo.getByTestId('more-settings').locator('summary').click();
  for (const f of FORM_NUMBERS) {
    const { flag, label } = NUMBER_SETTINGS[f];
    const input = demo.locator(`input[name="${flag}"]`);
    const good = await input.inputValue();
    await input.fill('-1');
    await demo.locator('input[name="prime"]').focus(); // elsewhere: the refusal brings the focus back to the field
    await train.click();
    await expect(trainError).toContainText(`Train changed nothing: ${label} must be`);
    await expect(trainError).toContainText('got "-1"');
    await expect(input).toBeFocused();
    expect(await stepOf(demo), `${flag} -1 then Train`).toBe(10);
    await input.fill(good);
    await expect(trainError).toHaveCount(0);
  }
  expect(await seen(demo)).toEqual(before);

  // A new text reads the form as well (its fresh model takes these settings): refused before it is read.
  await lr.fill('-1');
  await demo.getByText('Paste your own text').click();
  await demo.locator('textarea[name="paste"]').fill('a new text to train on, long enough for a window or two. '.repeat(4));
  await demo.getByRole('button', { name: 'Use this text' }).click();
  await expect(demo.getByRole('alert').filter({ hasText: 'the text was not loaded' })).toHaveText(
    'The text was not loaded: Learning rate must be a number > 0 and ≤ 10, got "-1"',
  );
  await expect(lr).toBeFocused();
  expect(await seen(demo)).toEqual(before);
  // And a model load (its run takes the form's Steps and sampling): refused before the file is read, under Load model.
  await demo.evaluate(async (host) => {
    const el = host as unknown as { load(f: Blob): Promise<void>; ctl: { run: { exportModel(): Promise<Uint8Array> } } };
    await el.load(new Blob([(await el.ctl.run.exportModel()) as Uint8Array<ArrayBuffer>]));
  });
  await expect(trainError).toHaveText('The model was not loaded: Learning rate must be a number > 0 and ≤ 10, got "-1"');
  await expect(demo.getByTestId('model-source')).toHaveCount(0);
  expect(await seen(demo)).toEqual(before);
  await lr.fill('0.005');
  await expect(trainError).toHaveCount(0);

  for (const value of ['-5', '0', '1.5']) {
    await steps.fill(value);
    // Marked as typed, before any Reset.
    await expect(steps).toHaveAttribute('aria-invalid', 'true');
    await expect(formError).toContainText(`Steps must be an integer from 1 to 100000000, got "${value}"`);
    await demo.locator('input[name="hidden"]').focus();
    await demo.getByTestId('reset').click();
    await expect(steps).toBeFocused(); // Reset points at the field
    await expect.poll(() => errorLog(page)).toContainEqual(`Reset changed nothing: Steps must be an integer from 1 to 100000000, got "${value}"`);
    expect(await seen(demo)).toEqual(before);
    await expect(demo.getByTestId('error')).toHaveCount(0);
    // Train more: refused as well (it would have trained 10 more steps with the run's old Steps).
    await demo.locator('input[name="hidden"]').focus();
    await train.click();
    await expect(trainError).toHaveText(`Train changed nothing: Steps must be an integer from 1 to 100000000, got "${value}"`);
    await expect(steps).toBeFocused();
    expect(await seen(demo)).toEqual(before);
  }
  await snap(page, 'validate-reset-steps');
  await page.setViewportSize({ width: 390, height: 900 });
  await formError.scrollIntoViewIfNeeded();
  await snap(page, 'validate-reset-steps-390');
  await trainError.scrollIntoViewIfNeeded();
  await snap(demo.locator('char-lm-training').locator('section').first(), 'validate-train-steps-390');

  // The kept model still trains on; a good value then resets as asked.
  await steps.fill('20');
  await expect(formError).toHaveCount(0);
  await expect(steps).toHaveAttribute('aria-invalid', 'false');
  await demo.getByTestId('reset').click();
  await expect(demo.getByTestId('step')).toHaveText('0');
  await demo.getByTestId('train').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(demo.getByTestId('step')).toHaveText('20');

  // The same rule for attributes and method arguments from a page's script: named as given, nothing changes.
  const trained = await seen(demo);
  const error = demo.getByTestId('error');
  await demo.evaluate((el) => el.setAttribute('steps', '1.5'));
  await expect(error).toHaveText('steps must be an integer from 1 to 100000000, got "1.5"');
  await demo.evaluate((el) => el.setAttribute('settings', 'huge'));
  await expect(error).toContainText('settings must be one of notebook, novel, got "huge"');
  await expect(steps).toHaveValue('20');
  expect(await seen(demo)).toEqual(trained);
  await demo.evaluate((el) => {
    el.setAttribute('steps', '20');
    el.removeAttribute('settings'); // back to the default, no error
  });
  await expect(error).toHaveCount(0);
  const refused = await demo.evaluate((host) => {
    const el = host as unknown as { load(f: unknown): Promise<void>; continueRun(id: unknown): Promise<void> };
    // Shown under Load model, in the training panel, as soon as load() has settled.
    const training = () => document.querySelector('char-lm-demo')!.shadowRoot!.querySelector('char-lm-training')!;
    return el.load('model.safetensors').then(async () => {
      await training().updateComplete;
      return training().shadowRoot!.querySelector('[data-testid="error"]')?.textContent?.trim();
    });
  });
  expect(refused).toBe('load() takes a File or Blob holding a .safetensors checkpoint, got "model.safetensors"');
  await demo.evaluate((host) => (host as unknown as { continueRun(id: unknown): Promise<void> }).continueRun(42));
  await expect(demo.locator('[data-testid="error"][data-place="top"]')).toHaveText('continueRun() takes the id of a saved run (a non-empty string), got 42');
  // An element without `persist` has no saved runs: said at once (retrying would never help).
  await demo.evaluate((host) => (host as unknown as { continueRun(id: unknown): Promise<void> }).continueRun('run-1'));
  await expect(demo.locator('[data-testid="error"][data-place="top"]')).toHaveText(
    'continueRun() needs the persist attribute (runs are kept in this browser only by an element with persist, read when it connects: add persist to the element before it is added to the page)',
  );
  expect(await seen(demo)).toEqual(trained);
  expect(errors).toEqual([]);
});
