/**
 * `npm run bench:browser` (the second half of `npm run bench`): the project's speed record.
 * The WebGPU engine runs in headless Chromium (the browser the page runs in) on the
 * configurations of BENCH_CONFIGS; figures are printed beside the previous record in
 * BENCHMARKS.md. Where there is no GPU Chromium uses SwiftShader, a software adapter:
 * only notebook and small run there, and its figures say nothing about real GPUs.
 *
 *   --profile             per-kernel GPU times (timestamp-query where the adapter has it)
 *   --compare             the same model and batches trained by TensorFlow.js (WebGPU and
 *                         WASM backends) in the same page; installs bench/tfjs when missing
 *   --compare-recurrence  each case with the per-timestep recurrent kernels forced first
 *   --record              write the new figures into BENCHMARKS.md
 *   --quick               fewer timed steps
 *   --notebook-run        instead of the figures: the notebook run (1,000 steps) on the
 *                         WebGPU engine and its loss on the passage (target < 0.3 nats/char)
 *   --snapshots           only what keeping snapshots of the training state costs (the last line)
 */
import { createServer } from 'vite';
import { chromium, type Page } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumArgs, chromiumPath } from '../../e2e/browser.ts';
import { gpuBenchCases, type GpuBenchOptions, type GpuBenchReport } from '../engine/gpu/bench-gpu.ts';
import { formatReport, readRecords, writeRecord } from './bench-record.ts';
import { NOTEBOOK_TARGET, formatNotebookRun, type NotebookRunFigures } from '../run/notebook-run.ts';
import type { SnapshotFigures } from '../run/bench-snapshots.ts';
import { TFJS_MODULE, TFJS_WASM, ensureTfjs, formatComparison, type TfjsReport } from './bench-tfjs.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RECORD = `${root}BENCHMARKS.md`;
const FLAGS = ['--quick', '--profile', '--compare', '--compare-recurrence', '--record', '--notebook-run', '--snapshots', '--help'];

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((a) => !FLAGS.includes(a));
  if (unknown.length) {
    console.error(`error: unknown flag ${unknown[0]}: use ${FLAGS.join(', ')}`);
    return 2;
  }
  if (argv.includes('--help')) {
    console.log(fileHelp());
    return 0;
  }
  if (argv.includes('--notebook-run') && argv.length > 1) {
    console.error('error: --notebook-run runs no speed figures: give it alone (npm run bench:browser -- --notebook-run)');
    return 2;
  }
  const quick = argv.includes('--quick');
  const onlySnapshots = argv.includes('--snapshots');
  if (onlySnapshots && argv.includes('--record')) {
    console.error('error: --snapshots prints one line and records nothing: leave out --record, or --snapshots for the whole record');
    return 2;
  }
  const options: GpuBenchOptions = { profile: argv.includes('--profile'), gemm: true, sampleLength: 500, temperatures: [0.5, 1, 1.5] };
  const base = gpuBenchCases(quick);
  const cases = argv.includes('--compare-recurrence') ? base.flatMap((c) => [{ ...c, name: `${c.name}/pt`, recurrence: 'per-timestep' as const }, c]) : base;
  const compare = argv.includes('--compare');
  if (compare) await ensureTfjs(root, (s) => console.log(s));

  // No watcher and no HMR: an edit to the tree while the bench runs must not reload its page.
  const server = await createServer({ root, logLevel: 'error', server: { host: '127.0.0.1', port: 0, hmr: false, watch: { ignored: ['**/*'] } } });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs() });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.text().startsWith('bench:')) console.error(m.text());
    });
    await page.goto(`${url}e2e/browser-bench.html`);
    if (argv.includes('--notebook-run')) {
      const f: NotebookRunFigures = await page.evaluate(
        async ([t, n]) => {
          const m = await import('/src/run/bench-snapshots.ts' as string);
          return m.benchNotebookRun(t, n);
        },
        [readFileSync(join(root, 'data/notebook-passage.txt'), 'utf8'), 1000] as const,
      );
      for (const l of formatNotebookRun(f)) console.log(l);
      return f.passageLoss < NOTEBOOK_TARGET ? 0 : 1;
    }
    const printed: string[] = [];
    const say = (l: string) => {
      console.log(l);
      printed.push(l);
    };
    if (onlySnapshots) {
      for (const l of await snapshotLines(page, quick)) say(l);
      return 0;
    }
    const report: GpuBenchReport = await page.evaluate(
      async ([cs, o]) => {
        const m = await import('/src/engine/gpu/bench-browser.ts' as string);
        return m.runBrowserBench(cs, o);
      },
      [cases, options] as const,
    );
    const adapter = `${report.adapter} — WebGPU in headless Chromium`;
    say(`engine: WebGPU in headless Chromium on ${report.adapter}${report.software ? ' — a software adapter: these figures say nothing about real GPUs' : ''}`);
    for (const l of formatReport(report, readRecords(RECORD), adapter)) say(l);
    if (compare) {
      const ran = base.filter((c) => !report.skipped.some((s) => s.name === c.name));
      const tfjs: TfjsReport = await page.evaluate(
        async ([cs, module, wasm, cap]) => {
          const m = await import(/* @vite-ignore */ module);
          return m.runTfjsCompare(cs, wasm, cap);
        },
        // TF.js runs dozens of dispatches a timestep: a few timed steps on a software adapter.
        [ran, TFJS_MODULE, TFJS_WASM, report.software ? 3 : 100] as const,
      );
      for (const l of formatComparison(report, tfjs)) say(l);
    }
    for (const l of await snapshotLines(page, quick)) say(l);
    if (argv.includes('--record')) {
      const command = `npm run bench -- ${argv.join(' ')}`.trim();
      writeRecord(RECORD, report, {
        date: new Date()
          .toISOString()
          .replace(/:\d\d\.\d+Z$/, ' UTC')
          .replace('T', ' '),
        command,
        adapter,
        where: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load average ${loadavg()[0].toFixed(1)} at the end of the run`,
        notes: report.software ? ['a software adapter (SwiftShader): CPU-bound, noisy under load, nothing to judge a real GPU by'] : [],
        output: printed,
      });
      console.log(`recorded in BENCHMARKS.md`);
    }
    return 0;
  } finally {
    await browser.close();
    await server.close();
  }
}

/**
 * What keeping snapshots of the training state costs: the notebook run through the page's
 * run object, with and without them, alternated (src/run/bench-snapshots.ts).
 */
async function snapshotLines(page: Page, quick: boolean): Promise<string[]> {
  const text = readFileSync(join(root, 'data/notebook-passage.txt'), 'utf8');
  const s: SnapshotFigures = await page.evaluate(
    async ([t, n, pairs]) => {
      const m = await import('/src/run/bench-snapshots.ts' as string);
      return m.benchSnapshots(t, n, pairs);
    },
    [text, quick ? 40 : 200, quick ? 1 : 2] as const,
  );
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const ms = (x: number) => x.toFixed(1);
  return [
    `snapshots: the notebook run, ${s.pairs} × ${s.steps} steps without and with them, alternated: ` +
      `${ms(s.withMsPerStep)} ms/step with them, ${ms(s.withoutMsPerStep)} without: ${s.overhead >= 0 ? '+' : ''}${pct(s.overhead)} wall time ` +
      `(pairs: ${s.perPair.map((p) => `${ms(p.without)} → ${ms(p.with)}`).join(', ')})`,
    `  ${s.snapshots} kept in the timed steps (one every ${s.every} steps at the end, and one as each run stopped): ` +
      `${ms(s.msPerSnapshot)} ms each with the wait for the steps in flight (${ms(s.readMsPerSnapshot)} ms the read) = ${pct(s.share)} of the runs' time; ` +
      `a fresh run's early ones (after steps 1, 2, 4, 8) ${ms(s.earlyMs)} ms together`,
  ];
}

function fileHelp(): string {
  return `usage: npm run bench [-- --profile] [--compare] [--compare-recurrence] [--record] [--quick]
  --profile             per-kernel GPU time (timestamp-query where the adapter has it, else one submit per dispatch, labelled)
  --compare             the same model and batches on TensorFlow.js (WebGPU and WASM) in the same page (installs bench/tfjs)
  --compare-recurrence  each configuration with the per-timestep recurrent kernels forced first (name/pt)
  --record              write the figures, adapter, date and command into BENCHMARKS.md
  --quick               fewer timed steps
  --notebook-run        only the notebook run (1,000 steps) on the WebGPU engine and its passage loss (< 0.3 nats/char); exit 1 when missed
  --snapshots           only what keeping snapshots of the training state costs (the notebook run with and without them)`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`error: ${e.message.split('\n')[0]}`);
    process.exit(1);
  },
);
