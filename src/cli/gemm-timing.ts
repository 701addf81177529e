/**
 * `npm run bench:gemm`: per-GEMM timings of a training step's products in headless
 * Chromium, each variant side by side (see src/gpu/gemm-timing.ts), for the `small`
 * bench shape (E32 H128 V75, T·B = 2048) or `--shape notebook|medium`; `--only TEXT` times the products whose name has TEXT. Figures only;
 * the adapter is printed (SwiftShader's say nothing about real GPUs).
 */
import { createServer } from 'vite';
import { chromium } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { chromiumArgs, chromiumPath } from '../../e2e/browser.ts';
import type { GemmTiming, GemmTimingShape } from '../gpu/gemm-timing.ts';

const SHAPES: Record<string, GemmTimingShape> = {
  notebook: { name: 'notebook', vocab: 38, embed: 32, hidden: 128, positions: 40 },
  small: { name: 'small', vocab: 75, embed: 32, hidden: 128, positions: 2048 },
  medium: { name: 'medium', vocab: 75, embed: 64, hidden: 256, positions: 2048 },
};

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

async function main(): Promise<number> {
  const shape = SHAPES[arg('--shape') ?? 'small'];
  if (!shape) throw new Error(`--shape must be one of ${Object.keys(SHAPES).join(', ')}`);
  const opts = { reps: Number(arg('--reps') ?? 3), trials: Number(arg('--trials') ?? 3), only: arg('--only') };
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const server = await createServer({ root, logLevel: 'error', server: { host: '127.0.0.1', port: 0 } });
  await server.listen();
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs() });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.resolvedUrls?.local[0]}e2e/browser-bench.html`);
    const r = await page.evaluate(
      async ([s, o]) => {
        const m = await import('/src/gpu/gemm-timing.ts' as string);
        return m.runGemmTiming(s, o);
      },
      [shape, opts] as const,
    );
    console.log(`GEMMs of ${shape.name} (V${shape.vocab} E${shape.embed} H${shape.hidden}, ${shape.positions} positions) on ${r.adapter}; ${r.limits}`);
    console.log(`best of ${opts.trials} rounds of ${opts.reps} runs each`);
    let product = '';
    for (const t of r.timings as GemmTiming[]) {
      if (t.product !== product) console.log((product = t.product));
      console.log(
        `  ${t.variant.padEnd(36)} ${t.ms.toFixed(2).padStart(9)} ms  ${t.gflops.toFixed(2).padStart(8)} GFLOP/s  (${t.dispatches} dispatch${t.dispatches > 1 ? 'es' : ''})`,
      );
    }
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
