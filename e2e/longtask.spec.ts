/**
 * The page's main thread stays free while it works: every task longer than 50 ms is
 * recorded by a PerformanceObserver (longtask entries) registered before the page's
 * own scripts, and each phase below bounds the longest one. The figures are printed
 * for the report; on SwiftShader (no GPU) they are upper bounds of a real machine's.
 */
import { test, expect, type Page } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import { stepOf, waitReady, watchErrors } from './helpers.ts';

interface LongTask {
  start: number;
  duration: number;
}

declare global {
  interface Window {
    charLmLongTasks: LongTask[];
    /** Timer lateness over 5 ms: a task shorter than 50 ms that held the thread shows here. */
    charLmLateness: LongTask[];
  }
}

test.beforeEach(async ({ page }) => {
  await page.addInitScript(() => {
    window.charLmLongTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.charLmLongTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    // Longtask entries start at 50 ms; a 10 ms timer's lateness estimates the shorter ones.
    window.charLmLateness = [];
    let due = performance.now() + 10;
    setInterval(() => {
      const t = performance.now();
      if (t - due > 5) window.charLmLateness.push({ start: due, duration: t - due });
      due = t + 10;
    }, 10);
  });
});

const now = (page: Page) => page.evaluate(() => performance.now());

/** The long tasks that started in [t0, t1] (page time), longest first, and a line for the report. */
async function longTasks(page: Page, phase: string, t0: number, t1: number): Promise<{ longest: number; line: string }> {
  const tasks = (await page.evaluate(() => window.charLmLongTasks)).filter((t) => t.start >= t0 && t.start <= t1).sort((a, b) => b.duration - a.duration);
  const longest = tasks[0]?.duration ?? 0;
  const top = tasks
    .slice(0, 5)
    .map((t) => `${Math.round(t.duration)} ms at +${Math.round(t.start - t0)} ms`)
    .join(', ');
  const late = (await page.evaluate(() => window.charLmLateness)).filter((t) => t.start >= t0 && t.start <= t1);
  const maxLate = Math.max(0, ...late.map((t) => t.duration));
  const line =
    `[longtask] ${phase}: ${((t1 - t0) / 1000).toFixed(1)} s observed, ${tasks.length} tasks over 50 ms${tasks.length ? `; longest ${top}` : ''}` +
    `; a 10 ms timer ran at most ${Math.round(maxLate)} ms late`;
  console.log(line);
  return { longest, line };
}

test('(a) training the notebook model on the CPU engine leaves the main thread free (no task over 200 ms)', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/e2e/cpu-engine.html');
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  await expect(demo.getByTestId('adapter')).toContainText('CPU');
  const t0 = await now(page);
  await demo.getByTestId('train').click();
  // Steps and at least one sample (every 10 steps on this page) cross the worker boundary.
  await expect.poll(() => stepOf(demo), { timeout: 120_000 }).toBeGreaterThanOrEqual(30);
  await expect(demo.getByTestId('sample-log')).toContainText('step 10');
  const t1 = await now(page);
  await demo.getByTestId('pause').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'paused');
  const ms = await demo.evaluate((el) => (el as unknown as { ctl: { run: { throughput: { msPerStep: number } } } }).ctl.run.throughput.msPerStep);
  console.log(`[longtask] (a) CPU engine: ${ms.toFixed(1)} ms/step in the worker`);
  const { longest, line } = await longTasks(page, '(a) CPU engine training, notebook model', t0, t1);
  expect(longest, line).toBeLessThanOrEqual(200);
  expect(errors).toEqual([]);
});

for (const [engine, url] of [
  ['GPU', '/?engine=gpu'],
  ['CPU', '/e2e/cpu-engine.html'],
] as const) {
  test(`(b) loading a 20 MB text through the file input, then Reset, keeps every task under 200 ms (${engine} engine)`, async ({ page }, testInfo) => {
    test.setTimeout(300_000);
    const errors = watchErrors(page);
    const passage = readFileSync('data/notebook-passage.txt', 'utf8');
    const text = passage.repeat(Math.ceil(20e6 / passage.length));
    const characters = [...text].length;
    // A file on disk: Playwright hands its path to the browser (a Buffer would be decoded by script in the page).
    const path = testInfo.outputPath('big-corpus.txt');
    writeFileSync(path, text);

    await page.goto(url);
    const demo = page.locator('char-lm-demo');
    await waitReady(page, demo);
    const t0 = await now(page);
    await demo.locator('input[name="file"]').setInputFiles(path);
    await expect(demo.getByTestId('corpus')).toContainText(`big-corpus.txt — ${characters.toLocaleString('en')} characters`, { timeout: 240_000 });
    const t1 = await now(page);
    console.log(`[longtask] (b) ${engine}: ${characters.toLocaleString('en')} characters shown after ${((t1 - t0) / 1000).toFixed(1)} s`);
    const load = await longTasks(page, `(b) ${engine} engine, loading a 20 MB text`, t0, t1);

    // Reset builds a new run on the same text.
    type Host = { ctl: { run: object } };
    await demo.evaluate((el) => ((window as unknown as { charLmOldRun: object }).charLmOldRun = (el as unknown as Host).ctl.run));
    const t2 = await now(page);
    await demo.getByTestId('reset').click();
    await expect
      .poll(() => demo.evaluate((el) => (el as unknown as Host).ctl.run !== (window as unknown as { charLmOldRun: object }).charLmOldRun), { timeout: 240_000 })
      .toBe(true);
    const t3 = await now(page);
    const reset = await longTasks(page, `(b) ${engine} engine, Reset on the 20 MB text`, t2, t3);

    expect(load.longest, load.line).toBeLessThanOrEqual(200);
    expect(reset.longest, reset.line).toBeLessThanOrEqual(200);
    expect(errors).toEqual([]);
  });
}

test('(c) steady training on the GPU engine keeps every task under 50 ms', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/?engine=gpu');
  const demo = page.locator('char-lm-demo');
  const adapter = await waitReady(page, demo);
  expect(adapter).toContain('WebGPU adapter');
  await demo.getByTestId('train').click();
  // Past the first steps (pipelines built, buffers mapped once).
  await expect.poll(() => stepOf(demo), { timeout: 120_000 }).toBeGreaterThanOrEqual(10);
  const first = await stepOf(demo);
  const t0 = await now(page);
  await expect.poll(() => stepOf(demo), { timeout: 120_000 }).toBeGreaterThanOrEqual(first + 100);
  const t1 = await now(page);
  const last = await stepOf(demo);
  await demo.getByTestId('pause').click();
  console.log(`[longtask] (c) GPU steps ${first}..${last} in ${((t1 - t0) / 1000).toFixed(1)} s`);
  const { longest, line } = await longTasks(page, '(c) steady GPU training', t0, t1);
  expect(longest, line).toBeLessThanOrEqual(50);
  expect(errors).toEqual([]);
});
