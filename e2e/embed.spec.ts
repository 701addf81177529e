import { test, expect, type Page } from '@playwright/test';
import { snap, stepOf, waitReady, watchErrors } from './helpers.ts';

// e2e/embed.html: two <char-lm-demo> elements configured only by attributes, with
// listeners (added before the element is defined) that record every event per element.

interface EventLog {
  ready: { engine: string; adapter: string | null; parameters: { total: number } }[];
  step: number[];
  sample: { temperatures: number[]; texts: string[] }[];
  error: string[];
}
type Logs = Record<'slotted' | 'preset', EventLog>;

const events = (page: Page) => page.evaluate(() => (window as unknown as { charLmEvents: Logs }).charLmEvents);
const borrowers = (page: Page) => page.evaluate(() => (window as unknown as { charLmRegistry: { borrowers: number } }).charLmRegistry.borrowers);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('two embedded elements train independently on one shared GPU device', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/e2e/embed.html?engine=gpu');
  const slotted = page.locator('char-lm-demo#slotted');
  const preset = page.locator('char-lm-demo#preset');
  await waitReady(page, slotted);
  await waitReady(page, preset);

  // Each is configured by its own attributes.
  await expect(slotted.getByTestId('corpus')).toContainText('Corpus: text in the page');
  await expect(preset.getByTestId('corpus')).toContainText('The notebook passage — 1,153 characters');
  await expect(slotted.locator('input[name="hidden"]')).toHaveValue('16');
  await expect(slotted.locator('input[name="embed"]')).toHaveValue('8');
  await expect(preset.locator('input[name="hidden"]')).toHaveValue('24');
  await expect(preset.locator('input[name="temperatures"]')).toHaveValue('0.7,1.2');
  await expect(preset.locator('input[name="prime"]')).toHaveValue('It is');

  // autotrain: both run to their own step counts.
  await expect(slotted.getByTestId('status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  await expect(preset.getByTestId('status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  await expect(slotted.getByTestId('status')).toContainText('step 20 / 20');
  await expect(preset.getByTestId('status')).toContainText('step 15 / 15');
  await expect(slotted.getByTestId('sample-log')).toContainText('step 10:');
  await expect(slotted.getByTestId('sample-log')).toContainText('step 20:');
  await expect(preset.getByTestId('sample-log')).toContainText('None yet.'); // sample-every 100 (the default)

  let log = await events(page);
  expect(log.slotted.ready).toHaveLength(1);
  expect(log.preset.ready).toHaveLength(1);
  expect(log.slotted.ready[0].engine).toBe('gpu');
  expect(log.preset.ready[0].engine).toBe('gpu');
  expect(log.slotted.ready[0].adapter).toBe(log.preset.ready[0].adapter);
  expect(log.slotted.ready[0].parameters.total).toBeLessThan(log.preset.ready[0].parameters.total);
  expect(log.slotted.step).toEqual(range(1, 20));
  expect(log.preset.step).toEqual(range(1, 15));

  // One device, borrowed twice.
  expect(await borrowers(page)).toBe(2);
  const sameDevice = await page.evaluate(() => {
    type WithCtl = Element & { ctl: { gpu: { device: GPUDevice } | null } };
    const [a, b] = [...document.querySelectorAll('char-lm-demo')] as unknown as WithCtl[];
    return !!a.ctl.gpu && a.ctl.gpu.device === b.ctl.gpu?.device;
  });
  expect(sameDevice).toBe(true);
  await snap(page, 'embed-both-trained');

  // The first text has no "M": the default prime "Mr Bennet" falls back to the start of
  // that text, and Generate works there too.
  await expect(slotted.locator('input[name="prime"]')).toHaveValue('It is');
  await slotted.getByTestId('generate').click();
  await expect.poll(async () => (await events(page)).slotted.sample.length, { timeout: 60_000 }).toBe(1);
  await expect(slotted.getByTestId('error')).toHaveCount(0);
  expect((await events(page)).slotted.sample[0].texts.map((t) => t.slice(0, 5))).toEqual(['It is', 'It is', 'It is']);

  // Train the first one further and take it off the page mid-run: its steps stop.
  // Taken off from inside its 23rd step event, so mid-run however fast this machine trains (the
  // listener is in place before Train is pressed).
  const removed = page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const el = document.querySelector('char-lm-demo#slotted')!;
        const steps = (window as unknown as { charLmEvents: Logs }).charLmEvents.slotted.step;
        const check = () => {
          if (steps.length < 23) return;
          el.removeEventListener('char-lm-step', check);
          el.remove();
          resolve(steps.length);
        };
        el.addEventListener('char-lm-step', check);
        check();
      }),
  );
  await slotted.getByTestId('train').click();
  const atRemoval = await removed;
  expect(atRemoval).toBeGreaterThanOrEqual(23);
  expect(atRemoval).toBeLessThan(40);
  await expect.poll(() => borrowers(page)).toBe(1);
  await page.waitForTimeout(2_000);
  log = await events(page);
  expect(log.slotted.step).toHaveLength(atRemoval);
  expect(log.slotted.step).toEqual(range(1, atRemoval));
  await expect(slotted).toHaveCount(0);

  // The other one still trains on the shared device: 15 more steps.
  await preset.getByTestId('train').click();
  await expect(preset.getByTestId('status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  expect(await stepOf(preset)).toBe(30);
  log = await events(page);
  expect(log.preset.step).toEqual(range(1, 30));
  expect(log.slotted.step).toHaveLength(atRemoval);

  // Generate fires char-lm-sample with the element's own temperatures and prime.
  await preset.getByTestId('generate').click();
  await expect.poll(async () => (await events(page)).preset.sample.length, { timeout: 60_000 }).toBe(1);
  const [sample] = (await events(page)).preset.sample;
  expect(sample.temperatures).toEqual([0.7, 1.2]);
  expect(sample.texts).toHaveLength(2);
  for (const t of sample.texts) {
    expect(t.startsWith('It is')).toBe(true);
    expect([...t]).toHaveLength('It is'.length + 120);
  }
  await expect(preset.getByTestId('samples').locator('pre')).toHaveText(sample.texts);
  await snap(page, 'embed-one-left');

  log = await events(page);
  expect(log.slotted.error).toEqual([]);
  expect(log.preset.error).toEqual([]);
  expect(errors).toEqual([]);
});
