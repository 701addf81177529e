import { test, expect, type Locator } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { loadCheckpoint, saveCheckpoint } from '../src/model/checkpoint.ts';
import { chartPoints, collectErrors, fillSettings, generate, snap, stepOf, trainFresh, waitReady, watchErrors } from './helpers.ts';

/** The steps of the loss history the chart draws, in order. */
async function historySteps(demo: Locator): Promise<number[]> {
  return demo.locator('char-lm-training').evaluate((el) => {
    const h = (el as unknown as { run: { history: { steps: Float64Array; length: number } } }).run.history;
    return Array.from(h.steps.subarray(0, h.length));
  });
}

/** The run's losses by step and its samples, as the chart and the sample log show them. */
async function runLog(demo: Locator): Promise<{ loss: number[]; samples: { step: number; text: string }[] }> {
  return demo.locator('char-lm-training').evaluate((el) => {
    const run = (el as unknown as { run: { history: { loss: Float64Array; length: number }; samples: { step: number; text: string }[] } }).run;
    return { loss: Array.from(run.history.loss.subarray(0, run.history.length)), samples: run.samples.map((x) => ({ ...x })) };
  });
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('a checkpoint with NaN weights is refused by name; the model, chart and samples stay', async ({ page }) => {
  await page.goto('/?engine=gpu');
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  await trainFresh(demo, { embed: 8, hidden: 16, steps: 20 });
  const before = await generate(demo);
  const [download] = await Promise.all([page.waitForEvent('download'), demo.getByTestId('save').click()]);
  const c = loadCheckpoint(new Uint8Array(readFileSync(await download.path())));
  const hh = c.table.layers[0].weightHh;
  c.params.fill(NaN, hh.offset, hh.offset + 3);
  c.params[c.table.headBias.offset] = Infinity;
  const points = await chartPoints(demo);

  await demo
    .locator('input[name="model-file"]')
    .setInputFiles({ name: 'diverged.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(saveCheckpoint(c)) });
  await expect(demo.getByRole('alert')).toContainText(
    'Could not load "diverged.safetensors": its numbers are not finite: lstm.weight_hh_l0 has 3 NaN values (of 1,024); head.bias has 1 infinite value (of 38). The file cannot be used',
  );
  await snap(page, 'numerics-nan-file');
  expect(await stepOf(demo)).toBe(20);
  expect(await chartPoints(demo)).toBe(points);
  await expect(demo.getByTestId('model-source')).toHaveCount(0);
  await expect(demo.getByTestId('samples').locator('pre')).toHaveText(before);
  expect(await generate(demo)).toEqual(before); // the same model: the same seeded samples
});

test('a learning rate of 10 stops training where the loss diverges, marks the chart and goes back to the last good step; a lower one trains on', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await page.goto('/?engine=gpu');
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  await trainFresh(demo, { embed: 8, hidden: 16, steps: 30 });
  const messages = await collectErrors(page);

  await demo.locator('input[name="lr"]').fill('10');
  await expect(demo.getByTestId('settings-on-train')).toHaveText('Takes effect on Train: Learning rate 10 (now 0.005).');
  await demo.getByTestId('train').click(); // "Train more": 30 more steps at lr 10
  const notice = demo.getByTestId('run-notice');
  await expect(notice).toContainText('Training stopped at step 32: the loss diverged to ');
  await expect(notice).toContainText(
    "The model is back at step 30, its last good state (step 32's loss is measured on the weights after step 31, so the last good state is step 30's or older). " +
      'Lower the learning rate (now 10; the notebook uses 0.005) or the clip norm (now 5; the notebook uses 5), then Train again.',
  );
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'paused');
  expect(await stepOf(demo)).toBe(30);
  await expect(demo.getByTestId('train')).toHaveText('Resume');
  const marker = demo.locator('char-lm-loss-chart').getByText('stopped: diverged (step 32)');
  await expect(marker).toBeVisible();
  expect(await historySteps(demo)).toEqual(range(1, 30)); // steps 31-32 are gone: they are trained again
  expect(await chartPoints(demo)).toBe(30);
  expect((await messages()).some((m) => m.startsWith('Training stopped at step 32: the loss diverged'))).toBe(true);
  await snap(page, 'numerics-diverged');
  await page.setViewportSize({ width: 390, height: 900 });
  await snap(page, 'numerics-diverged-390');
  await page.setViewportSize({ width: 1200, height: 900 });

  // The advice works: a lower learning rate, Train, and it goes on from step 30 to the target.
  await demo.locator('input[name="lr"]').fill('0.005');
  await demo.getByTestId('train').click();
  await expect(notice).toHaveCount(0);
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  expect(await stepOf(demo)).toBe(60);
  expect(await historySteps(demo)).toEqual(range(1, 60));
  await expect(marker).toBeVisible(); // the marker stays where training stopped
  const last = Number(await demo.getByTestId('loss').textContent());
  expect(last).toBeLessThan(4);
  expect(errors).toEqual([]);
});

test('a GPU device destroyed mid-training: the page says so, offers the kept state, and training goes on from it on a new device', async ({ page }) => {
  // Capture the page's devices (no test hooks in the page itself).
  await page.addInitScript(() => {
    const w = window as unknown as { capturedDevices: GPUDevice[] };
    w.capturedDevices = [];
    const request = GPUAdapter.prototype.requestDevice;
    GPUAdapter.prototype.requestDevice = async function (this: GPUAdapter, ...args: Parameters<GPUAdapter['requestDevice']>) {
      const d = await request.apply(this, args);
      w.capturedDevices.push(d);
      return d;
    };
  });
  await page.goto('/?engine=gpu');
  const demo = page.locator('char-lm-demo');
  const adapter = await waitReady(page, demo);
  expect(adapter).toContain('WebGPU adapter');
  await fillSettings(demo, { embed: 8, hidden: 16, steps: 100_000 });
  await demo.getByText('More settings').click();
  await demo.locator('input[name="sample-every"]').fill('20');
  await demo.getByTestId('reset').click();
  await expect(demo.getByTestId('step')).toHaveText('0');
  await demo.getByTestId('train').click();
  await expect.poll(() => stepOf(demo), { timeout: 120_000 }).toBeGreaterThanOrEqual(45);
  const messages = await collectErrors(page);

  const before = await runLog(demo);
  expect(before.samples.map((x) => x.step).slice(0, 2)).toEqual([20, 40]);
  await page.evaluate(() => (window as unknown as { capturedDevices: GPUDevice[] }).capturedDevices[0].destroy());
  const notice = demo.getByTestId('run-notice');
  await expect(notice).toContainText(/The GPU device was lost \(it was destroyed: .*\)\. Your model is safe at step \d+: training continues on a new device\./);
  const kept = Number((await notice.textContent())!.match(/safe at step (\d+)/)![1]);
  expect(kept).toBeGreaterThanOrEqual(8); // kept after steps 1, 2, 4, 8, then every N steps
  expect(kept).toBeLessThanOrEqual(before.loss.length);
  expect(await page.evaluate(() => (window as unknown as { capturedDevices: GPUDevice[] }).capturedDevices.length)).toBe(2);
  await expect(demo.getByRole('alert').filter({ hasText: 'mapAsync' })).toHaveCount(0);
  expect((await messages()).some((m) => m.startsWith('The GPU device was lost'))).toBe(true);
  await snap(page, 'device-lost');

  // The kept state downloads at once.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    demo.getByRole('button', { name: `Download the training state at step ${kept}` }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`char-lm-step-${kept}.safetensors`);
  expect(loadCheckpoint(new Uint8Array(readFileSync(await download.path()))).step).toBe(kept);

  // Training resumed from the kept step on the new device: the history runs on with no gap and no duplicate.
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'training');
  await expect.poll(() => stepOf(demo), { timeout: 120_000 }).toBeGreaterThanOrEqual(kept + 20);
  await demo.getByTestId('pause').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'paused');
  const step = await stepOf(demo);
  expect(await historySteps(demo)).toEqual(range(1, step));
  expect(await chartPoints(demo)).toBe(step);
  // What the run showed up to the kept step is as it was: the losses, and the samples in the log.
  const moved = await runLog(demo);
  expect(moved.loss.slice(0, kept)).toEqual(before.loss.slice(0, kept));
  const survived = before.samples.filter((x) => x.step <= kept);
  expect(moved.samples.slice(0, survived.length)).toEqual(survived);
  for (const x of survived) await expect(demo.getByTestId('sample-log')).toContainText(x.text);

  // Lost while paused: the paused step itself was kept, so nothing is trained again.
  await page.evaluate(() => (window as unknown as { capturedDevices: GPUDevice[] }).capturedDevices[1].destroy());
  await expect(notice).toContainText(`Your model is safe at step ${step}: it is ready on a new device.`);
  expect(await stepOf(demo)).toBe(step);
  expect(await historySteps(demo)).toEqual(range(1, step));
  expect((await runLog(demo)).loss).toEqual(moved.loss);
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'paused');

  // An uncaptured GPU error leaves the device in doubt: it is given up like a lost one, and training goes on.
  await demo.getByTestId('train').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'training');
  await page.evaluate(() => {
    const devices = (window as unknown as { capturedDevices: GPUDevice[] }).capturedDevices;
    devices[devices.length - 1].createBuffer({ size: 4, usage: 0 }); // invalid: no usage
  });
  await expect(notice).toContainText(
    /The GPU device was lost \(after a GPU error: .+\)\. Your model is safe at step \d+: training continues on a new device\./,
  );
  expect(await page.evaluate(() => (window as unknown as { capturedDevices: GPUDevice[] }).capturedDevices.length)).toBe(4);
  await expect.poll(() => stepOf(demo), { timeout: 120_000 }).toBeGreaterThanOrEqual(step + 10);
  await demo.getByTestId('pause').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'paused');
  const after = await stepOf(demo);
  expect(await historySteps(demo)).toEqual(range(1, after));

  // Everything works on the new device: Generate, Save, Reset.
  const texts = await generate(demo);
  expect(texts.every((t) => t.length > 9)).toBe(true);
  const [saved] = await Promise.all([page.waitForEvent('download'), demo.getByTestId('save').click()]);
  expect(saved.suggestedFilename()).toBe(`char-lm-step-${after}.safetensors`);
  await demo.getByTestId('reset').click();
  await expect(demo.getByTestId('step')).toHaveText('0');
  await expect(notice).toHaveCount(0);
  await expect(demo.getByTestId('adapter')).toContainText('WebGPU adapter');

  // And a new text: a fresh model on it, on the new device, that trains.
  const text = 'a new text after the device was lost, read on a new device. '.repeat(8);
  await demo.getByText('Paste your own text').click();
  await demo.locator('textarea[name="paste"]').fill(text);
  await demo.getByRole('button', { name: 'Use this text' }).click();
  await expect(demo.getByTestId('corpus')).toContainText(`Corpus: pasted text — ${text.length} characters`);
  await expect(demo.getByTestId('engine')).toHaveAttribute('data-engine', 'gpu'); // still the GPU engine
  await demo.getByTestId('train').click();
  await expect.poll(() => stepOf(demo), { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
  await demo.getByTestId('pause').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'paused');
  expect(await historySteps(demo)).toEqual(range(1, await stepOf(demo)));
  await expect(demo.getByRole('alert')).toHaveCount(0);
});

test('a lost GPU device with no new one to be had: the run goes on with the same state on the CPU engine, and the page says so', async ({ page }) => {
  // The first device is the page's; asking for another one fails, as on a machine whose GPU is gone.
  await page.addInitScript(() => {
    const w = window as unknown as { capturedDevices: GPUDevice[] };
    w.capturedDevices = [];
    const request = GPUAdapter.prototype.requestDevice;
    GPUAdapter.prototype.requestDevice = async function (this: GPUAdapter, ...args: Parameters<GPUAdapter['requestDevice']>) {
      if (w.capturedDevices.length > 0) throw new Error('the GPU process is gone');
      const d = await request.apply(this, args);
      w.capturedDevices.push(d);
      return d;
    };
  });
  await page.goto('/?engine=gpu');
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  await fillSettings(demo, { embed: 8, hidden: 16, steps: 100_000 });
  await demo.getByTestId('reset').click();
  await expect(demo.getByTestId('step')).toHaveText('0');
  await demo.getByTestId('train').click();
  await expect.poll(() => stepOf(demo), { timeout: 120_000 }).toBeGreaterThanOrEqual(25);

  await page.evaluate(() => (window as unknown as { capturedDevices: GPUDevice[] }).capturedDevices[0].destroy());
  const notice = demo.getByTestId('run-notice');
  await expect(notice).toContainText(
    /The GPU device was lost \(it was destroyed: .*\)\. Your model is safe at step \d+: training continues on the CPU reference engine \(slow\), because no new GPU device could be had: .*the GPU process is gone/,
  );
  const kept = Number((await notice.textContent())!.match(/safe at step (\d+)/)![1]);
  await expect(demo.getByTestId('no-webgpu')).toContainText('CPU reference engine');
  await expect.poll(() => stepOf(demo), { timeout: 120_000 }).toBeGreaterThanOrEqual(kept + 10);
  await demo.getByTestId('pause').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'paused');
  const step = await stepOf(demo);
  expect(await historySteps(demo)).toEqual(range(1, step));
  const texts = await generate(demo);
  expect(texts.every((t) => t.length > 9)).toBe(true);
  await snap(page, 'device-lost-cpu');
});
