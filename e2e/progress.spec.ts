// Honest progress, the engine chosen for this machine, settings that fit it, and earlier runs
// on the chart: one page (the project's, with `persist`) through several states, tiny models.
import { test, expect, type Browser, type Locator, type Page } from '@playwright/test';
import { fillSettings, snap, stepOf, waitReady, watchErrors } from './helpers.ts';

test.describe.configure({ mode: 'serial' });

let page: Page;
let demo: Locator;
let errors: string[];
let software = false;

async function figure(testId: string): Promise<string> {
  return ((await demo.getByTestId(testId).textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

test.beforeAll(async ({ browser }: { browser: Browser }) => {
  page = await (await browser.newContext()).newPage();
  errors = watchErrors(page);
  await page.goto('/');
  demo = page.locator('char-lm-demo');
  const adapter = await waitReady(page, demo);
  software = /swiftshader|llvmpipe|lavapipe|software/i.test(adapter);
});

test.afterAll(async () => {
  await page.context().close();
});

/** The engines named in an automatic choice's words, the chosen first, with their predicted ms/step. */
function predictions(why: string): { engine: string; ms: number }[] {
  const unit: Record<string, number> = { ms: 1, s: 1000, min: 60_000 };
  const m = /predicted (CPU|WebGPU \([a-z ]+\)) ~([\d.]+) (ms|s|min)\/step, (CPU|WebGPU \([a-z ]+\)) ~([\d.]+) (ms|s|min)\/step here/.exec(why);
  expect(m, `the predictions of both engines in "${why}"`).not.toBeNull();
  return [
    { engine: m![1], ms: Number(m![2]) * unit[m![3]] },
    { engine: m![4], ms: Number(m![5]) * unit[m![6]] },
  ];
}

/** chars/s of training alone, as the progress line shows it. */
async function charsPerSecond(): Promise<number> {
  return Number(/^([\d,]+) chars\/s/.exec(await figure('throughput'))![1].replace(/,/g, ''));
}

test('the engine line says which engine trains and why, and the page picks the faster one here', async () => {
  const line = demo.getByTestId('engine');
  await expect(line).toBeVisible();
  await expect(demo.getByLabel('Engine')).toHaveValue('auto');
  // The GPU's pace is measured in the background (on SwiftShader it compiles a pipeline): "measuring WebGPU…" until then.
  await expect(demo.getByTestId('engine-why')).toHaveText(/predicted .* ~[\d.]+ (ms|s|min)\/step, .* ~[\d.]+ (ms|s|min)\/step here$/, { timeout: 90_000 });
  const why = await figure('engine-why');
  const [chosen, other] = predictions(why);
  // The engine predicted faster by the page's calibration trains, and the line says both predictions.
  expect(chosen.ms).toBeLessThanOrEqual(other.ms);
  if (software) {
    // SwiftShader: the notebook model trains several times faster on the CPU engine.
    await expect(demo.getByTestId('engine-name')).toHaveText('CPU (float64, in a Worker)');
    expect(why).toMatch(/^automatic: predicted CPU ~[\d.]+ ms\/step, WebGPU \(software adapter\) ~[\d.]+ (ms|s)\/step here$/);
    await expect(demo.getByLabel('Engine').locator('option:checked')).toHaveText('Automatic (CPU here)');
  } else {
    await expect(demo.getByTestId('engine-name')).toHaveText('WebGPU');
    expect(chosen.engine).toBe('WebGPU (hardware GPU)');
  }
  await expect(demo.getByTestId('progress')).toContainText('Press Train');
  await expect(demo.getByTestId('progress-steps')).toHaveText('0 / 1,000 steps');
  // Before a step has run on this page: how long the run takes at the predicted pace.
  const kind = software ? 'CPU' : 'WebGPU';
  const estimate = await figure('estimate');
  const m = new RegExp(
    `About (\\d+) (s|min) for these 1,000 steps on the ${kind} engine \\(~([\\d.]+) (ms|s)/step, predicted by a short calibration on this machine\\)\\.`,
  ).exec(estimate);
  expect(m, estimate).not.toBeNull();
  expect(m![4]).toBe('ms');
  // 1,000 steps at ~X ms a step take ~X s (the step time shown is rounded to two digits, minutes to whole ones).
  const seconds = Number(m![1]) * (m![2] === 'min' ? 60 : 1);
  expect(seconds).toBeGreaterThanOrEqual(Number(m![3]) * 0.9 - 30);
  expect(seconds).toBeLessThanOrEqual(Number(m![3]) * 1.1 + 30);
  await snap(page, 'progress-ready');
  await page.setViewportSize({ width: 390, height: 844 });
  await snap(page, 'progress-ready-390');
  await page.setViewportSize({ width: 1200, height: 900 });
});

test('the novel preset: the engine predicted faster for it, said before Reset', async () => {
  await demo.getByRole('button', { name: 'Novel preset' }).click();
  // Its model size is measured once the form rests; the line then gives the novel step's predictions (seconds, not ms).
  const why = demo.getByTestId('engine-why');
  await expect(why).toContainText(/predicted .* ~[\d.]+ (s|min)\/step, .* ~[\d.]+ (s|min)\/step here/, { timeout: 30_000 });
  const [chosen, other] = predictions((await why.textContent()) ?? '');
  expect(chosen.ms).toBeLessThanOrEqual(other.ms);
  const next = chosen.engine === 'CPU' ? 'cpu' : 'gpu';
  const running = await demo.evaluate((el) => (el as unknown as { ctl: { run: { engine: { kind: string } } } }).ctl.run.engine.kind);
  if (next !== running) {
    // Another engine than the notebook model's: the line and the form say Reset will move to it.
    await expect(why).toContainText(`${next === 'gpu' ? 'WebGPU' : 'CPU (float64, in a Worker)'} on Reset (automatic: predicted`);
    await expect(demo.locator('char-lm-settings')).toContainText(`engine ${next} (now ${running})`);
  }
  console.log(`novel preset here: ${chosen.engine} ~${chosen.ms} ms/step, ${other.engine} ~${other.ms} ms/step`);
  await snap(page, 'progress-novel-preset');
  // Back to the notebook's settings (not applied: no novel-sized model is built here).
  await demo.getByRole('button', { name: 'Notebook preset' }).click();
  await expect(demo.locator('char-lm-settings')).not.toContainText('engine gpu (now');
});

test('the engine chosen for the notebook settings trains them no slower than the other one here', async () => {
  // Six seconds of notebook steps on each engine, chars/s of training alone over the last four (so a
  // GPU's first step, which compiles its pipelines, is out of the figure). The chosen engine may be
  // slower by a third at most: the margin for a shared machine's load (on SwiftShader the CPU engine
  // is several times faster here; the wrong choice would be several times slower).
  const engineNow = () => demo.evaluate((el) => (el as unknown as { ctl: { run: { engine: { kind: string } } } }).ctl.run.engine.kind);
  const paceHere = async (): Promise<number> => {
    await demo.getByTestId('reset').click();
    await expect(demo.getByTestId('step')).toHaveText('0');
    await demo.getByTestId('train').click();
    await expect.poll(async () => /elapsed (\d+:\d\d|[6-9]\.\d s)/.test(await figure('elapsed')), { timeout: 120_000 }).toBe(true);
    const rate = await charsPerSecond();
    await demo.getByTestId('pause').click();
    await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'paused');
    return rate;
  };
  await fillSettings(demo, { steps: 100_000 });
  const chosen = await engineNow();
  const chosenRate = await paceHere();
  const other = chosen === 'cpu' ? 'gpu' : 'cpu';
  await demo.getByLabel('Engine').selectOption(other);
  await expect(demo).toHaveAttribute('engine', other);
  const otherRate = await paceHere();
  expect(await engineNow()).toBe(other);
  console.log(`notebook settings here: ${chosen} (chosen) ${chosenRate} chars/s, ${other} ${otherRate} chars/s`);
  expect(chosenRate).toBeGreaterThan(otherRate / 1.5);
  await demo.getByLabel('Engine').selectOption('auto');
  await expect(demo).toHaveAttribute('engine', 'auto');
});

test('while training: steps / total, chars/s of training alone, elapsed, time left, characters seen and epochs', async () => {
  await fillSettings(demo, { embed: 8, hidden: 16, steps: 100_000 });
  await demo.getByTestId('reset').click();
  await expect(demo.getByTestId('step')).toHaveText('0');
  await demo.getByTestId('train').click();
  await expect(demo.getByTestId('time-left')).toHaveText(/^about \d+ (s|min|h)( \d+ min)? left$/);
  await expect(demo.getByTestId('elapsed')).toHaveText(/^elapsed (\d+\.\d s|\d+:\d\d)$/);
  await snap(page, 'progress-training');
  await demo.getByTestId('pause').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'paused');

  const step = await stepOf(demo);
  expect(step).toBeGreaterThan(0);
  await expect(demo.getByTestId('progress-steps')).toHaveText(`${step.toLocaleString('en')} / 100,000 steps`);
  const chars = Number(/^([\d,]+) chars\/s/.exec(await figure('throughput'))![1].replace(/,/g, ''));
  expect(chars).toBeGreaterThan(50);
  expect(chars).toBeLessThan(1e8);
  // B 1 × T 40 characters a step; the notebook passage has 1,153 characters, all of them training text.
  await expect(demo.getByTestId('tokens')).toHaveText(`${(step * 40).toLocaleString('en')} characters seen`);
  const epochs = Number(/^([\d.]+) epochs/.exec(await figure('epochs'))![1]);
  expect(epochs).toBeCloseTo((step * 40) / 1153, 1);
  // The bar says the same as the figures.
  const bar = demo.getByRole('progressbar', { name: 'Training progress: steps done' });
  expect(Number(await bar.getAttribute('max'))).toBe(100_000);
  expect(await bar.evaluate((el) => (el as HTMLProgressElement).value)).toBe(step);
  // The chart's x axis counts whole steps.
  // (uPlot draws them on its canvas; it keeps the texts of the last draw on the axis.)
  const ticks = await demo
    .locator('char-lm-loss-chart')
    .evaluate((el) => (el as unknown as { plot: { axes: { _values: string[] }[] } }).plot.axes[0]._values.map(String));
  expect(ticks.length).toBeGreaterThan(1);
  for (const t of ticks.filter(Boolean)) expect(t).toMatch(/^[\d,]+$/);
});

test("an earlier run's loss curve can be shown beside the current one", async () => {
  // A new model: the paused run above is now an earlier run on the same text.
  await fillSettings(demo, { embed: 8, hidden: 16, steps: 30 });
  await demo.locator('input[name="lr"]').fill('0.03');
  await demo.getByTestId('reset').click();
  await expect(demo.getByTestId('step')).toHaveText('0');
  await demo.getByTestId('train').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'done');
  const compare = demo.getByTestId('compare-runs');
  await expect(compare).toContainText('Show earlier runs on this text on the chart');
  const box = compare.getByRole('checkbox').first();
  await expect(compare.locator('label').first()).toContainText('E 8, H 16, L 1');
  const chart = demo.locator('char-lm-loss-chart');
  const count = () => chart.evaluate((el) => (el as unknown as { comparedCount: number }).comparedCount);
  expect(await count()).toBe(0);
  await box.check();
  await expect.poll(count).toBe(1);
  await expect(chart.locator('.u-legend')).toContainText('earlier run (E 8, H 16, L 1');
  // The current run's points are all still drawn.
  await expect.poll(() => chart.evaluate((el) => (el as unknown as { pointCount: number }).pointCount)).toBe(30);
  await snap(page, 'progress-compare');
  await box.uncheck();
  await expect.poll(count).toBe(0);
  await expect(chart.locator('.u-legend')).not.toContainText('earlier run');
});

test('the Engine control overrides the choice: a trained model moves on Reset, and the form says so', async () => {
  // Building the other engine's trainer is left out (on SwiftShader the GPU compiles its pipelines for
  // ~15 s): the pages opened with ?engine=gpu train on the engine asked for in the other specs.
  const other = software ? 'gpu' : 'cpu';
  const name = other === 'gpu' ? 'WebGPU' : 'CPU (float64, in a Worker)';
  const running = await demo.evaluate((el) => (el as unknown as { ctl: { run: { engine: { kind: string } } } }).ctl.run.engine.kind);
  await demo.getByLabel('Engine').selectOption(other);
  await expect(demo).toHaveAttribute('engine', other);
  await expect(demo.getByTestId('engine-why')).toContainText(`${name} on Reset (chosen by hand`);
  await expect(demo.locator('char-lm-settings')).toContainText(`engine ${other} (now ${running})`);
  await snap(page, 'progress-engine-override');
  await demo.getByLabel('Engine').selectOption('auto');
  await expect(demo.getByTestId('engine-why')).toContainText('automatic:');
  await expect(demo.locator('char-lm-settings')).not.toContainText(`engine ${other} (now`);
});

test('a slow step shows it is running within a second, and a long run offers settings that fit', async () => {
  // About 4 GFLOP a step on the CPU engine (float64): seconds each even on a fast, idle machine, so the
  // indicator (shown from 0.7 s into a step) must appear.
  await demo.getByLabel('Engine').selectOption('cpu');
  await fillSettings(demo, { embed: 32, hidden: 256, batch: 32, seqLen: 64, steps: 1000 });
  await demo.getByTestId('reset').click();
  await expect(demo.getByTestId('engine-name')).toHaveText('CPU (float64, in a Worker)');
  await expect(demo.getByTestId('step')).toHaveText('0');
  await demo.getByTestId('train').click();
  const running = demo.getByTestId('step-running');
  await expect(running).toContainText(/step 1 running… \d+(\.\d)? s/, { timeout: 1500 });
  await expect(running.getByRole('progressbar')).toBeVisible();
  // One notion of the step: the count is of steps done (none yet), the chart says which one is running.
  await expect(demo.getByTestId('chart-empty')).toHaveText('Step 1 running… its loss will be drawn here when it is done.');
  await expect(demo.getByTestId('step')).toHaveText('0');
  await expect(demo.getByTestId('progress-steps')).toHaveText('0 / 1,000 steps');
  await snap(page, 'progress-step-running');
  // After the first step the pace is known: 1,000 steps of seconds each do not fit in 10 minutes.
  const fit = demo.getByTestId('fit');
  await expect(fit).toContainText(/At this pace the [\d,]+ steps left take about \d+ (min|h)/, { timeout: 60_000 });
  await page.setViewportSize({ width: 390, height: 844 });
  await snap(page, 'progress-fit-390');
  await page.setViewportSize({ width: 1200, height: 900 });
  await expect(fit.getByTestId('fit-notebook')).toHaveText('Use the notebook settings (a fresh, smaller model)');
  const stop = fit.getByTestId('fit-stop');
  const stopAt = /Stop at step ([\d,]+)/.exec((await stop.textContent()) ?? '')![1].replace(/,/g, '');
  await stop.click();
  await expect(demo.getByTestId('status')).toContainText(`/ ${stopAt}`);
  await expect(demo.getByTestId('progress-steps')).toContainText(`/ ${Number(stopAt).toLocaleString('en')} steps`);
  await demo.getByTestId('pause').click();
  await expect(demo.getByTestId('status')).toHaveText(/pausing…|paused/);
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'paused');

  // A fresh model with the same settings: before its first step, the page says how long it takes at the pace measured.
  await demo.getByTestId('reset').click();
  await expect(demo.getByTestId('step')).toHaveText('0');
  await expect(demo.getByTestId('progress')).toContainText(
    /At the pace measured on this page \([\d.]+ GFLOP\/s on the CPU engine\), these 1,000 steps take roughly \d+ (min|h)/,
  );
  await expect(demo.getByTestId('fit').getByTestId('fit-stop')).toBeVisible();
  await snap(page, 'progress-estimate');
  expect(errors).toEqual([]);
});

test('validation is drawn as a line through its points', async () => {
  // A text with a held-out split (the whole novel), a tiny model, a validation every 5 steps.
  // The tiny settings first: a new text is opened with the form's settings (not the large model above).
  await fillSettings(demo, { embed: 8, hidden: 16, batch: 1, seqLen: 40, steps: 20 });
  const more = demo.locator('details', { hasText: 'More settings' });
  if (!(await more.evaluate((d) => (d as HTMLDetailsElement).open))) await more.locator('summary').click();
  await demo.locator('input[name="val-every"]').fill('5');
  await demo.locator('select[name="preset"]').selectOption('pride-and-prejudice');
  await expect(demo.getByTestId('corpus')).toContainText('Pride and Prejudice');
  await expect(demo.getByTestId('step')).toHaveText('0');
  await demo.getByTestId('train').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'done');
  await expect(demo.getByTestId('status')).toContainText('validation');
  // Orange pixels: four dots alone would paint a few dozen; the line between them paints hundreds.
  const orange = await demo.locator('char-lm-loss-chart canvas').evaluate(async (el) => {
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 180 && d[i + 1] > 40 && d[i + 1] < 130 && d[i + 2] < 60) n++;
    return n;
  });
  expect(orange).toBeGreaterThan(300);
  await snap(page, 'progress-validation-line');
});

test('a first model built while the engines are measured moves, untouched, to the engine chosen once they are', async ({ browser }) => {
  // The novel preset from the start: the first model is built at once on the adapter's kind's engine
  // ("measuring…"), and rebuilt on the other one if the calibration predicts it faster. No step runs.
  const p = await (await browser.newContext()).newPage();
  const pageErrors = watchErrors(p);
  await p.route('**/e2e/attributes.html', async (route) => {
    const body = (await (await route.fetch()).text()).replace('embed-size="8" hidden-size="16" steps="10"', 'settings="novel" preset="pride-and-prejudice"');
    await route.fulfill({ body, contentType: 'text/html' });
  });
  await p.goto('/e2e/attributes.html');
  const el = p.locator('char-lm-demo');
  await waitReady(p, el);
  const why = el.getByTestId('engine-why');
  await expect(why).toHaveText(/^automatic: predicted .* ~[\d.]+ (s|min)\/step, .* ~[\d.]+ (s|min)\/step here$/, { timeout: 120_000 });
  const [chosen] = predictions((await why.textContent()) ?? '');
  const kind = chosen.engine === 'CPU' ? 'cpu' : 'gpu';
  await expect(el.getByTestId('engine')).toHaveAttribute('data-engine', kind, { timeout: 120_000 });
  await expect(el.getByTestId('step')).toHaveText('0');
  console.log(`novel preset from the start: ${await el.getByTestId('engine').getAttribute('data-engine')}, ${(await why.textContent())?.trim()}`);
  expect(pageErrors).toEqual([]);
  await p.context().close();
});
