/**
 * `npm run bench:browser`: the WebGPU engine's throughput in headless Chromium (the
 * browser the page runs in), printed as figures. Where there is no GPU Chromium
 * uses SwiftShader, a software adapter: its figures say nothing about real GPUs,
 * and the output says which adapter it was. `--compare` runs each case with the
 * per-timestep recurrent kernels forced first, then as chosen (on a shared machine
 * the load changes from minute to minute: compare figures from one run).
 */
import { createServer } from 'vite';
import { chromium } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumArgs, chromiumPath } from '../../e2e/browser.ts';
import type { BrowserBenchCase } from '../engine/gpu/bench-browser.ts';
import type { BenchFigures } from '../engine/bench.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const quick = process.argv.includes('--quick');
/** --compare: each case also with the per-timestep recurrent kernels forced, just before it (the same load on the machine). */
const compare = process.argv.includes('--compare');
const configured: BrowserBenchCase[] = [
  {
    name: 'notebook',
    vocab: 38,
    embed: 32,
    hidden: 128,
    layers: 1,
    batch: 1,
    seqLen: 40,
    schedule: 'windows',
    warmup: 2,
    steps: quick ? 5 : 20,
    software: true,
  },
  { name: 'small', vocab: 75, embed: 32, hidden: 128, layers: 1, batch: 32, seqLen: 64, schedule: 'streams', warmup: 1, steps: quick ? 1 : 3, software: true },
  {
    name: 'medium',
    vocab: 75,
    embed: 64,
    hidden: 256,
    layers: 2,
    batch: 32,
    seqLen: 64,
    schedule: 'streams',
    warmup: 2,
    steps: quick ? 2 : 10,
    software: false,
  },
];
const cases = compare ? configured.flatMap((c) => [{ ...c, recurrence: 'per-timestep' as const }, c]) : configured;

async function main(): Promise<number> {
  const server = await createServer({ root, logLevel: 'error', server: { host: '127.0.0.1', port: 0 } });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs() });
  try {
    const page = await browser.newPage();
    await page.goto(`${url}e2e/browser-bench.html`);
    const r = await page.evaluate(async (cs) => {
      const m = await import('/src/engine/gpu/bench-browser.ts' as string);
      return m.runBrowserBench(cs);
    }, cases);
    console.log(`engine: WebGPU in headless Chromium on ${r.adapter}`);
    const skipped: string[] = r.skipped;
    const ran = cases.filter((c) => !skipped.includes(c.name));
    (r.results as (BenchFigures & { name: string })[]).forEach((x, i) => {
      const c = ran[i];
      console.log(
        `${c.name.padEnd(8)} E${c.embed} H${c.hidden} L${c.layers} B${c.batch} T${c.seqLen} V${c.vocab}: ${x.msPerStep.toFixed(2)} ms/step, ` +
          `${Math.round(x.charsPerSecond).toLocaleString('en')} chars/s, ${x.dispatchesPerStep} dispatches/step (budget ${x.budget}), ` +
          `sampling ${Math.round(x.sampleCharsPerSecond).toLocaleString('en')} chars/s`,
      );
      console.log(`${''.padEnd(8)} recurrence: ${x.recurrence}`);
    });
    for (const name of new Set(skipped)) console.log(`${name.padEnd(8)} skipped on a software adapter (about a minute a step there); run on a GPU`);
    const text = readFileSync(join(root, 'data/notebook-passage.txt'), 'utf8');
    const s = await page.evaluate(
      async ([t, n]) => {
        const m = await import('/src/run/bench-snapshots.ts' as string);
        return m.benchSnapshots(t, n);
      },
      [text, quick ? 40 : 200] as const,
    );
    console.log(
      `snapshots: the notebook run, ${s.steps} steps: ${s.snapshots} kept off the GPU (one every ${s.every} steps at the end), ` +
        `${s.msPerSnapshot.toFixed(1)} ms each = ${(100 * s.share).toFixed(2)}% of training time; ` +
        `${(s.withMs / s.steps).toFixed(1)} ms/step with them, ${(s.withoutMs / s.steps).toFixed(1)} without`,
    );
    return 0;
  } finally {
    await browser.close();
    await server.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`error: ${e.message.split('\n')[0]}`);
    process.exit(1);
  },
);
