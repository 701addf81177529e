import { test, expect, type Locator, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import type { StepResult } from '../src/engine/contract.ts';
import { loadCheckpoint, saveCheckpoint } from '../src/model/checkpoint.ts';
import { buildParamTable, initParams } from '../src/model/params.ts';
import { Rng } from '../src/model/rng.ts';
import type { CharLmDemo } from '../src/ui/char-lm-demo.ts';
import type { CharLmErrorDetail } from '../src/ui/events.ts';
import { chartPoints, generate, snap, stepOf, waitReady, watchErrors } from './helpers.ts';

// e2e/attributes.html: one tiny <char-lm-demo> (E 8, H 16), here with `persist` (so that
// continueRun() has saved runs to continue), on the GPU engine (where the page has WebGPU)
// and on the CPU engine. Its public methods, the panels' actions and property changes,
// those that change the text included, are called at random, many at once and none
// awaited, as a hurried page script would.

interface EventLog {
  step: StepResult[];
  error: CharLmErrorDetail[];
}
const events = (page: Page) => page.evaluate(() => (window as unknown as { charLmEvents: EventLog }).charLmEvents);

/**
 * Where a run of steps breaks: each step follows the one before it, or a fresh model starts
 * again at 1, or a continued run goes on after the step it was saved at (`resumed`).
 */
function gaps(steps: number[], resumed: ReadonlySet<number> = new Set()): string[] {
  const out: string[] = [];
  for (let i = 1; i < steps.length; i++) {
    if (steps[i] !== steps[i - 1] + 1 && steps[i] !== 1 && !resumed.has(steps[i] - 1)) out.push(`step ${steps[i]} after ${steps[i - 1]}`);
  }
  if (steps.length && steps[0] !== 1) out.push(`first step ${steps[0]}`);
  return out;
}

/** The steps of the loss history the chart draws, in order. */
async function historySteps(demo: Locator): Promise<number[]> {
  return demo.locator('char-lm-training').evaluate((el) => {
    const h = (el as unknown as { run: { history: { steps: Float64Array; length: number } } }).run.history;
    return Array.from(h.steps.subarray(0, h.length));
  });
}

/**
 * "Try a trained model" answered with a tiny model (E 8, H 16) in the shipped model's
 * vocabulary: the hammer is about the order of calls, and the real one (H 256, 2 layers)
 * would take SwiftShader seconds a step.
 */
function tinyShippedModel(): Buffer {
  const shipped = loadCheckpoint(new Uint8Array(readFileSync('data/pride-and-prejudice.safetensors')));
  const config = { vocabSize: shipped.vocab.length, embedSize: 8, hiddenSize: 16, layers: 1 };
  const table = buildParamTable(config);
  return Buffer.from(saveCheckpoint({ config, vocab: shipped.vocab, table, params: initParams(table, new Rng(7)), step: 0 }));
}

const TEXT = 'It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife. '.repeat(6);

/**
 * 200 seeded calls, none awaited, on the element of /e2e/attributes.html with `persist`, on
 * the engine asked for; then the checks: no WebGPU or console error, no char-lm-error, no
 * step lost or repeated, and the element still trains and generates through its buttons.
 */
async function hammer(page: Page, engine: 'gpu' | 'cpu'): Promise<void> {
  const errors = watchErrors(page);
  await page.addInitScript(() =>
    new MutationObserver((_, observer) => {
      const el = document.querySelector('char-lm-demo');
      if (!el) return;
      el.setAttribute('persist', '');
      observer.disconnect();
    }).observe(document, { childList: true, subtree: true }),
  );
  await page.route('**/pride-and-prejudice-*.safetensors', (r) =>
    r.fulfill({ status: 200, contentType: 'application/octet-stream', body: tinyShippedModel() }),
  );
  await page.route('**/texts/hammer.txt', (r) => r.fulfill({ status: 200, contentType: 'text/plain', body: TEXT }));
  await page.goto(`/e2e/attributes.html?engine=${engine}`);
  const demo = page.locator('char-lm-demo');
  const adapter = await waitReady(page, demo);
  if (engine === 'gpu') expect(adapter, 'this test is about the GPU engine: the page must find a WebGPU adapter').toContain('WebGPU adapter');
  await expect(demo.getByTestId('engine')).toHaveAttribute('data-engine', engine);
  await demo.evaluate((el) => el.setAttribute('steps', '100000'));
  await expect(demo.locator('input[name="steps"]')).toHaveValue('100000');
  // A run saved in this browser, for continueRun(): trained a few steps, then let go by Reset (which stores it).
  const status = demo.getByTestId('status');
  await demo.getByTestId('train').click();
  await expect.poll(() => stepOf(demo), { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
  await demo.getByTestId('pause').click();
  await expect(status).toHaveAttribute('data-status', 'paused');
  await demo.getByTestId('reset').click();
  await expect(demo.getByTestId('step')).toHaveText('0');
  await expect(demo.getByTestId('continue-run')).toHaveCount(1);

  const { names, resumed } = await demo.evaluate(
    async (host, { engines, model }) => {
      const el = host as CharLmDemo;
      const inside = el as unknown as { keeper: { runs: { id: string }[] }; ctl: { run: { step: number } } };
      // A model-only checkpoint to load among the calls, in a vocabulary that covers every text the calls choose.
      const checkpoint = new Blob([new Uint8Array(model)]);
      // A seeded generator: the same 200 calls on every run.
      let seed = 12345;
      const rand = (n: number) => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return (seed >>> 8) % n;
      };
      const resumed: number[] = [];
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
        ['tryShippedModel', () => el.tryShippedModel()],
        [
          'continueRun',
          () => {
            // A run saved in this browser so far (each fresh model gets one), when there is one yet.
            const runs = inside.keeper.runs;
            if (!runs.length) return el.train();
            // The step it goes on from: the run's as continued (it may have trained on since it was listed, and been
            // stored again under the same id). Read as the call settles, before any step of the calls after it can end.
            return el.continueRun(runs[rand(runs.length)].id).then(() => void resumed.push(inside.ctl.run.step));
          },
        ],
        ['generate', () => sampler.generate()],
        ['analyse', () => inspector.analyse()],
        ['heatmap', () => inspector.showHeatmap()],
        ['steps', () => (el.steps = 50_000 + rand(1000))],
        ['hiddenSize', () => (el.hiddenSize = [12, 16][rand(2)])],
        ['temperatures', () => (el.temperatures = ['0.5,1.0', '0.8', '1.0,1.5,2.0'][rand(3)])],
        ['prime', () => (el.prime = ['It is', 'the', 'Mr Bennet'][rand(3)])],
        ['preset', () => (el.preset = ['notebook', 'pride-and-prejudice'][rand(2)])],
        ['corpusUrl', () => (el.corpusUrl = ['', '/texts/hammer.txt'][rand(2)])],
        ['engine', () => (el.engine = engines[rand(engines.length)])],
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
      return { names, resumed };
    },
    { engines: engine === 'gpu' ? ['gpu', 'auto', 'cpu'] : ['cpu', 'auto'], model: [...tinyShippedModel()] },
  );
  expect(names).toHaveLength(200);
  expect(new Set(names).size).toBe(19); // every kind of call was made
  expect(resumed.length, 'continueRun() was called with saved runs').toBeGreaterThan(0);

  // Idle: nothing runs, nothing queued.
  await expect(status).not.toHaveAttribute('data-status', /training|pausing/);
  await expect(demo.getByTestId('train')).toBeEnabled();

  const log = await events(page);
  expect(errors, 'console errors and WebGPU validation errors').toEqual([]);
  expect(log.error.map((e) => e.message)).toEqual([]);
  const steps = log.step.map((s) => s.step);
  expect(steps.length, 'the hammering trained some steps').toBeGreaterThan(10);
  expect(gaps(steps, new Set(resumed))).toEqual([]);
  // The chart holds exactly the current model's steps, each once, in order.
  const shown = await stepOf(demo);
  expect(await historySteps(demo)).toEqual(Array.from({ length: shown }, (_, i) => i + 1));
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
  expect(gaps(after, new Set(resumed))).toEqual([]);
  expect(await chartPoints(demo)).toBe(await stepOf(demo));
  expect(errors).toEqual([]);
}

test('200 calls in any order, none awaited, on the GPU engine: no WebGPU error, no step lost or repeated, and the element still trains and generates', async ({
  page,
}) => {
  await hammer(page, 'gpu');
  await snap(page, 'concurrency-after');
});

test('the same 200 calls on the CPU engine', async ({ page }) => {
  await hammer(page, 'cpu');
});
