import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartPoints, snap, stepOf, trainFresh, waitReady, watchErrors } from './helpers.ts';

test('Save downloads a checkpoint; Load brings the model back (same samples) and the CLI reads the file', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  await trainFresh(demo, { embed: 8, hidden: 16, steps: 20 });

  const samples = demo.getByTestId('samples');
  const generate = async () => {
    await demo.locator('input[name="sample-seed"]').fill('7');
    await demo.locator('input[name="length"]').fill('40');
    await demo.getByTestId('generate').click();
    await expect(samples.locator('[data-temperature]')).toHaveCount(3);
    await expect(demo.getByTestId('generate')).toBeEnabled();
    return samples.locator('pre').allTextContents();
  };
  const before = await generate();

  const [download] = await Promise.all([page.waitForEvent('download'), demo.getByTestId('save').click()]);
  expect(download.suggestedFilename()).toBe('char-lm-step-20.safetensors');
  const file = join(tmpdir(), `char-lm-e2e-${process.pid}.safetensors`);
  await download.saveAs(file);

  // A fresh model, then the saved one again.
  await demo.getByTestId('reset').click();
  await expect(demo.getByTestId('step')).toHaveText('0');
  await expect.poll(() => chartPoints(demo)).toBe(0);
  await demo.locator('input[name="hidden"]').fill('24'); // typed, not applied: the loaded model's own settings replace it
  await demo.locator('input[name="model-file"]').setInputFiles(file);
  await expect(demo.getByTestId('model-source')).toContainText('step 20');
  expect(await stepOf(demo)).toBe(20);
  // The loaded run as it was: its loss history on the chart, its target (not 20 + Steps), its settings in the form.
  await expect.poll(() => chartPoints(demo)).toBe(20);
  await expect(demo.getByTestId('status')).toContainText('step 20 / 20');
  await expect(demo.locator('input[name="hidden"]')).toHaveValue('16');
  await expect(demo.getByTestId('settings-pending')).toHaveCount(0);
  expect(await generate()).toEqual(before);
  await snap(page, 'loaded-model');

  // The command line reads what the page wrote (PyTorch names, char-lm/1 metadata).
  const cli = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      './src/cli/register-wgsl.mjs',
      'src/cli/main.ts',
      'eval',
      '--engine',
      'cpu',
      '--model',
      file,
      '--text',
      'data/notebook-passage.txt',
    ],
    { encoding: 'utf8' },
  );
  expect(cli.status, cli.stderr).toBe(0);
  expect(cli.stdout).toMatch(/loss: \d+\.\d{4} nats\/char, \d+\.\d{4} bits\/char/);

  // A file that is not a checkpoint: a clear error, and the loaded model stays.
  const bad = join(tmpdir(), `char-lm-e2e-${process.pid}.txt`);
  writeFileSync(bad, 'this is not a safetensors file');
  await demo.locator('input[name="model-file"]').setInputFiles(bad);
  await expect(demo.locator('char-lm-training').getByTestId('error')).toContainText('Could not load'); // next to Load model
  expect(await stepOf(demo)).toBe(20);
  expect(errors).toEqual([]);
});
