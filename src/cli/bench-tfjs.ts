/**
 * The TensorFlow.js comparator of `npm run bench -- --compare` (bench/tfjs/, its own
 * package.json, dev only): installs it when missing, builds it into one module the
 * bench's page imports, and prints its figures beside the WebGPU engine's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { formatNumber } from '../engine/bench.ts';
import type { GpuBenchReport } from '../engine/gpu/bench-gpu.ts';

/** What bench/tfjs/compare.ts returns (kept in step with its TfjsReport by hand: that folder is outside this project's TypeScript). */
export interface TfjsReport {
  version: string;
  results: {
    backend: string;
    name: string;
    msPerStep: number | null;
    minMs: number | null;
    maxMs: number | null;
    firstStepMs: number | null;
    steps: number;
    error?: string;
  }[];
}

/** Where the page finds the comparator and the WASM backend's binaries (paths on the bench's dev server). */
export const TFJS_MODULE = '/bench/tfjs/dist/compare.js';
export const TFJS_WASM = '/bench/tfjs/node_modules/@tensorflow/tfjs-backend-wasm/dist/';

/** Installs bench/tfjs's pinned packages when missing (saying so) and builds dist/compare.js when older than its source. */
export async function ensureTfjs(root: string, say: (s: string) => void): Promise<void> {
  const dir = `${root}bench/tfjs/`;
  if (!existsSync(`${dir}node_modules/@tensorflow/tfjs/package.json`)) {
    say('--compare: installing the TensorFlow.js comparator (bench/tfjs: @tensorflow/tfjs, -backend-webgpu, -backend-wasm 4.22.0; dev only) with npm install…');
    const ci = existsSync(`${dir}package-lock.json`) ? 'ci' : 'install';
    const r = spawnSync('npm', [ci, '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`npm ${ci} in bench/tfjs failed (exit ${r.status}): the comparator needs the npm registry once`);
  }
  const out = `${dir}dist/compare.js`;
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(`${dir}compare.ts`).mtimeMs) {
    say('--compare: building bench/tfjs/dist/compare.js…');
    const { build } = await import('vite');
    await build({
      root: dir,
      configFile: false,
      logLevel: 'error',
      build: { outDir: `${dir}dist`, emptyOutDir: true, lib: { entry: `${dir}compare.ts`, formats: ['es'], fileName: () => 'compare.js' }, minify: false },
    });
  }
}

/** Lines comparing each configuration's median chars/s with TF.js's backends on the same adapter. */
export function formatComparison(report: GpuBenchReport, tfjs: TfjsReport): string[] {
  const out = [`TensorFlow.js ${tfjs.version}, the same model, batches and step (clip + Adam), in the same page on the same adapter:`];
  for (const r of report.results) {
    const chars = Number(r.shape.match(/B(\d+)/)![1]) * Number(r.shape.match(/T(\d+)/)![1]);
    const ours = r.charsPerSecond.median;
    const parts = tfjs.results
      .filter((t) => t.name === r.name)
      .map((t) => {
        if (t.msPerStep === null) return `TF.js ${t.backend}: failed (${t.error})`;
        const theirs = (chars * 1000) / t.msPerStep;
        return `TF.js ${t.backend} ${formatNumber(theirs)} chars/s (${formatNumber(t.msPerStep)} ms/step over ${t.steps}, first ${formatNumber(t.firstStepMs!)} ms) → char-lm ×${(ours / theirs).toFixed(2)}`;
      });
    out.push(`  ${r.name.padEnd(8)} char-lm ${formatNumber(ours)} chars/s | ${parts.join(' | ')}`);
  }
  return out;
}
