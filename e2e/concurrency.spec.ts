import { test, expect, type Page } from '@playwright/test';
import type { StepResult } from '../src/engine/contract.ts';
import type { CharLmDemo } from '../src/ui/char-lm-demo.ts';
import type { CharLmErrorDetail } from '../src/ui/events.ts';
import { chartPoints, generate, snap, stepOf, waitReady, watchErrors } from './helpers.ts';

// e2e/attributes.html: one tiny <char-lm-demo> (E 8, H 16) on the GPU engine where the
// page has WebGPU. Its public methods, the panels' actions and property changes are
// called at random, many at once and none awaited, as a hurried page script would.

interface EventLog {
  step: StepResult[];
  error: CharLmErrorDetail[];
}
const events = (page: Page) => page.evaluate(() => (window as unknown as { charLmEvents: EventLog }).charLmEvents);

/** Where a run of steps breaks: each step follows the one before it, or a fresh model starts again at 1. */
function gaps(steps: number[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < steps.length; i++) {
    if (steps[i] !== steps[i - 1] + 1 && steps[i] !== 1) out.push(`step ${steps[i]} after ${steps[i - 1]}`);
  }
  if (steps.length && steps[0] !== 1) out.push(`first step ${steps[0]}`);
  return out;
}

test('200 calls in any order, none awaited: no WebGPU error, no step lost or repeated, and the element still trains and generates', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/e2e/attributes.html?engine=gpu');
  const demo = page.locator('char-lm-demo');
  const adapter = await waitReady(page, demo);
  expect(adapter, 'this test is about the GPU engine: the page must find a WebGPU adapter').toContain('WebGPU adapter');
  await demo.evaluate((el) => el.setAttribute('steps', '100000'));
  await expect(demo.locator('input[name="steps"]')).toHaveValue('100000');

  const calls = await demo.evaluate(async (host) => {
    const el = host as CharLmDemo;
    // A model-only checkpoint of this model, to load among the calls (read through the run the element holds).
    const bytes = await (el as unknown as { ctl: { run: { exportModel(): Promise<Uint8Array> } } }).ctl.run.exportModel();
    const checkpoint = new Blob([bytes as Uint8Array<ArrayBuffer>]);
    // A seeded generator: the same 200 calls on every run.
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const root = el.shadowRoot!;
    const sampler = root.querySelector('char-lm-sampler') as unknown as { generate(): Promise<void> };
    const inspector = root.querySelector('char-lm-inspector') as unknown as { analyse(): Promise<void>; showHeatmap(): Promise<void> };
    const actions: [string, () => unknown][] = [
      ['train', () => el.train()],
      ['train', () => el.train()],
      ['train', () => el.train()],
      ['pause', () => el.pause()],
      ['pause', () => el.pause()],
      ['reset', () => el.reset()],
      ['save', () => el.save()],
      ['downloadModel', () => el.downloadModel()],
      ['load', () => el.load(checkpoint as File)],
      ['resetDefaults', () => el.resetDefaults()],
      ['generate', () => sampler.generate()],
      ['analyse', () => inspector.analyse()],
      ['heatmap', () => inspector.showHeatmap()],
      ['steps', () => (el.steps = 50_000 + rand(1000))],
      ['hiddenSize', () => (el.hiddenSize = [12, 16][rand(2)])],
      ['temperatures', () => (el.temperatures = ['0.5,1.0', '0.8', '1.0,1.5,2.0'][rand(3)])],
      ['prime', () => (el.prime = ['It is', 'the', 'Mr Bennet'][rand(3)])],
    ];
    const names: string[] = [];
    const pending: unknown[] = [];
    for (let i = 0; i < 200; i++) {
      const [name, call] = actions[rand(actions.length)];
      names.push(name);
      pending.push(call());
      // Now and then a moment for the steps in flight (some calls land mid-step, some between).
      if (i % 25 === 24) await new Promise((r) => setTimeout(r, 30));
    }
    await Promise.allSettled(pending.filter((p) => p instanceof Promise));
    await el.pause();
    el.temperatures = '0.5,1.0,1.5';
    return names;
  });
  expect(calls).toHaveLength(200);
  expect(new Set(calls).size).toBe(14); // every kind of call was made

  // Idle: nothing runs, nothing queued.
  const status = demo.getByTestId('status');
  await expect(status).not.toHaveAttribute('data-status', /training|pausing/);
  await expect(demo.getByTestId('train')).toBeEnabled();

  const log = await events(page);
  expect(errors, 'console errors and WebGPU validation errors').toEqual([]);
  expect(log.error.map((e) => e.message)).toEqual([]);
  const steps = log.step.map((s) => s.step);
  expect(steps.length, 'the hammering trained some steps').toBeGreaterThan(10);
  expect(gaps(steps)).toEqual([]);
  // The chart holds exactly the current model's steps: those since the last fresh start
  // (none, when the last call built a fresh model).
  const shown = await stepOf(demo);
  if (shown > 0) expect(steps.slice(steps.lastIndexOf(1))).toHaveLength(shown);
  expect(await chartPoints(demo)).toBe(shown);

  // The element still trains and generates, through its buttons.
  const before = await stepOf(demo);
  await demo.getByTestId('train').click();
  await expect.poll(() => stepOf(demo), { timeout: 60_000 }).toBeGreaterThan(before + 5);
  await demo.getByTestId('pause').click();
  await expect(status).toHaveAttribute('data-status', 'paused');
  const texts = await generate(demo);
  expect(texts.length).toBeGreaterThan(0);
  for (const t of texts) expect(t.length).toBeGreaterThan(10);
  const after = (await events(page)).step.map((s) => s.step);
  expect(gaps(after)).toEqual([]);
  expect(await chartPoints(demo)).toBe(await stepOf(demo));
  expect(errors).toEqual([]);
  await snap(page, 'concurrency-after');
});
