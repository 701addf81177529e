// Models as files: training state and model-only downloads, the CLI reading and writing
// them, drag and drop, and a model loaded onto a text with characters it lacks.
import { test, expect, type Locator, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors } from '../src/model/checkpoint.ts';
import { generate, snap, stepOf, trainFresh, waitReady, watchErrors } from './helpers.ts';

const tmp = (name: string) => join(tmpdir(), `char-lm-e2e-${process.pid}-${name}`);

/** The command line, as `npm run` runs it, on the CPU engine. */
function cli(args: string[]): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', './src/cli/register-wgsl.mjs', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

async function download(page: Page, button: Locator, name: string): Promise<string> {
  const [d] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const file = tmp(name);
  await d.saveAs(file);
  return file;
}

/** The file's tensors as raw bytes by name, and its step. */
function tensorsOf(file: string): { tensors: Map<string, Uint8Array>; step: string } {
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(file)));
  const out = new Map<string, Uint8Array>();
  for (const [name, t] of tensors) out.set(name, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return { tensors: out, step: metadata.step };
}

test('page → training state → CLI --resume → page → training state: identical tensors', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  await trainFresh(demo, { embed: 8, hidden: 16, steps: 10 });
  const fromPage = await download(page, demo.getByTestId('save'), 'page.safetensors');

  const fromCli = tmp('cli.safetensors');
  const out = cli(['train', '--engine', 'cpu', '--resume', fromPage, '--corpus', 'data/notebook-passage.txt', '--steps', '5', '--out', fromCli]);
  expect(out).toContain('resuming');

  await demo.locator('input[name="model-file"]').setInputFiles(fromCli);
  await expect(demo.getByTestId('model-source')).toContainText('step 15');
  await expect(demo.getByTestId('model-source')).not.toContainText('fresh optimizer');
  const again = await download(page, demo.getByTestId('save'), 'again.safetensors');

  const a = tensorsOf(fromCli);
  const b = tensorsOf(again);
  expect(b.step).toBe('15');
  expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
  expect([...a.tensors.keys()].some((n) => n.startsWith('optimizer.m.'))).toBe(true);
  for (const [name, bytes] of a.tensors) expect(Buffer.compare(Buffer.from(bytes), Buffer.from(b.tensors.get(name)!)), name).toBe(0);
  expect(errors).toEqual([]);
});

test('Download model: the CLI eval gives the loss the page shows; Load and drag and drop take it with a fresh optimizer', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  await trainFresh(demo, { embed: 8, hidden: 16, steps: 10 });
  const file = await download(page, demo.getByTestId('download-model'), 'model.safetensors');
  const { tensors } = tensorsOf(file);
  expect([...tensors.keys()].sort()).toEqual([
    'embed.weight',
    'head.bias',
    'head.weight',
    'lstm.bias_hh_l0',
    'lstm.bias_ih_l0',
    'lstm.weight_hh_l0',
    'lstm.weight_ih_l0',
  ]);

  await demo.getByTestId('analyse').click();
  const pageLoss = Number(await demo.getByTestId('mean-loss').textContent());
  const cliLoss = Number(/loss: (\d+\.\d+) nats/.exec(cli(['eval', '--engine', 'cpu', '--model', file, '--text', 'data/notebook-passage.txt']))![1]);
  expect(Math.abs(pageLoss - cliLoss), `page ${pageLoss}, CLI ${cliLoss}`).toBeLessThan(5e-4);

  const before = await generate(demo);
  await demo.getByTestId('reset').click();
  await expect(demo.getByTestId('step')).toHaveText('0');
  await demo.locator('input[name="model-file"]').setInputFiles(file);
  await expect(demo.getByTestId('model-source')).toContainText('step 10; model only: training onward starts from step 0 with a fresh optimizer');
  expect(await generate(demo)).toEqual(before);

  // Drag and drop: the highlight while a file is over the element, then the model loads.
  await demo.getByTestId('reset').click();
  await expect(demo.getByTestId('step')).toHaveText('0');
  const bytes = [...readFileSync(file)];
  await demo.evaluate((el, data) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(data)], 'dropped.safetensors'));
    el.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, bytes);
  await expect(demo).toHaveAttribute('data-drop-target', '');
  await demo.evaluate((el, data) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(data)], 'dropped.safetensors'));
    el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, bytes);
  await expect(demo).not.toHaveAttribute('data-drop-target');
  await expect(demo.getByTestId('model-source')).toContainText('dropped.safetensors (step 10');
  expect(await stepOf(demo)).toBe(0); // model only: a fresh optimizer from step 0

  // A dropped .txt becomes the text.
  await demo.evaluate((el) => {
    const dt = new DataTransfer();
    dt.items.add(new File(['the quick brown fox jumps over the lazy dog. '.repeat(10)], 'fox.txt', { type: 'text/plain' }));
    el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await expect(demo.getByTestId('corpus')).toContainText('Corpus: fox.txt');
  expect(errors).toEqual([]);
});

test('a model lacking characters of the text is refused with the list, then loads with a replacement', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  await demo.getByText('Paste your own text').click();
  await demo.locator('textarea[name="paste"]').fill('the quick brown fox jumps over the lazy dog '.repeat(10));
  await demo.getByRole('button', { name: 'Use this text' }).click();
  await expect(demo.getByTestId('corpus')).toContainText('pasted text');
  await trainFresh(demo, { embed: 4, hidden: 8, steps: 3 });
  const file = await download(page, demo.getByTestId('download-model'), 'lowercase.safetensors');

  await demo.locator('select[name="preset"]').selectOption('notebook');
  await expect(demo.getByTestId('corpus')).toContainText('The notebook passage');
  await demo.locator('input[name="model-file"]').setInputFiles(file);
  await expect(demo.getByTestId('error')).toContainText(/is not in the vocabulary of \S*lowercase\.safetensors/);
  const refusal = demo.getByTestId('vocab-refusal');
  await expect(refusal).toBeVisible();
  const listed = await demo.getByTestId('vocab-characters').locator('li').allTextContents();
  expect(listed).toContain('“B” (U+0042)');
  expect(listed).toContain('“.” (U+002E)');
  expect(await stepOf(demo)).toBe(0); // nothing loaded
  await expect(demo.locator('select[name="replacement"]')).toHaveValue(' ');
  await snap(page, 'vocab-refusal');

  await demo.getByTestId('continue-replacement').click();
  await expect(demo.getByTestId('model-source')).toContainText('lowercase.safetensors (step 3, " " for characters it lacks');
  await expect(refusal).toBeHidden();
  await expect(demo.getByTestId('error')).toHaveCount(0);
  expect((await generate(demo)).every((t) => t.length > 0)).toBe(true);
  expect(errors).toEqual([]);
});
