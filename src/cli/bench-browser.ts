/**
 * `npm run bench:browser`: the WebGPU engine's throughput in headless Chromium (the
 * browser the page runs in), printed as figures. Where there is no GPU Chromium
 * uses SwiftShader, a software adapter: its figures say nothing about real GPUs,
 * and the output says which adapter it was.
 */
import { createServer } from 'vite';
import { chromium } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumArgs, chromiumPath } from '../../e2e/browser.ts';
import type { BrowserBenchCase } from '../engine/gpu/bench-browser.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const quick = process.argv.includes('--quick');
const cases: BrowserBenchCase[] = [
  { name: 'notebook', vocab: 38, embed: 32, hidden: 128, layers: 1, batch: 1, seqLen: 40, schedule: 'windows', steps: quick ? 5 : 20 },
  { name: 'medium', vocab: 75, embed: 64, hidden: 256, layers: 2, batch: 32, seqLen: 64, schedule: 'streams', steps: quick ? 2 : 10 },
];

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
    for (const x of r.results as (BrowserBenchCase & {
      msPerStep: number;
      charsPerSecond: number;
      dispatchesPerStep: number;
      budget: number;
      sampleCharsPerSecond: number;
    })[]) {
      const c = cases.find((k) => k.name === x.name)!;
      console.log(
        `${c.name.padEnd(8)} E${c.embed} H${c.hidden} L${c.layers} B${c.batch} T${c.seqLen} V${c.vocab}: ${x.msPerStep.toFixed(2)} ms/step, ` +
          `${Math.round(x.charsPerSecond).toLocaleString('en')} chars/s, ${x.dispatchesPerStep} dispatches/step (budget ${x.budget}), ` +
          `sampling ${Math.round(x.sampleCharsPerSecond).toLocaleString('en')} chars/s`,
      );
    }
    for (const name of r.skipped) console.log(`${name.padEnd(8)} skipped on a software adapter (about a minute a step there); run on a GPU`);
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
