/**
 * `bench`: throughput figures for the chosen engine (never asserts). On the GPU engine
 * (Dawn on a hardware adapter) it runs the same speed record as the browser bench
 * (src/engine/gpu/bench-gpu.ts) and prints it beside BENCHMARKS.md's previous figures;
 * `--profile` adds per-kernel times, `--record` writes the figures. `--parity` runs only the
 * whole-step check against the float64 reference, `--notebook-run` only the notebook run
 * (tools/gpu-bench.sh runs both before the figures). On the CPU engine, for
 * each configuration: warm-up steps, then timed steps → ms/step, chars/s (B·T per step)
 * and sampling chars/s; configurations estimated to take more than ~20 s are shrunk
 * (fewer streams) or skipped, and the output says so.
 */
import { cpus, loadavg } from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ModelConfig, TrainConfig } from '../model/config.ts';
import { BENCH_CONFIGS, benchTrainer, type BenchConfig, type BenchFigures } from '../engine/bench.ts';
import { gpuBenchCases, runGpuBench } from '../engine/gpu/bench-gpu.ts';
import type { GpuContext } from '../gpu/device.ts';
import { formatReport, readRecords, writeRecord } from './bench-record.ts';
import { formatParity, runParityCheck } from '../engine/gpu/parity-check.ts';
import { formatNotebookRun, notebookRun, NOTEBOOK_TARGET } from '../run/notebook-run.ts';
import { NOTEBOOK_TRAIN } from '../model/config.ts';
import { buildParamTable, initParams } from '../model/params.ts';
import { Rng } from '../model/rng.ts';
import { Vocab } from '../text/vocab.ts';
import { USAGE, parseBenchArgs } from './args.ts';
import { openEngine, type OpenedEngine } from './engines.ts';
import { DEFAULT_CORPUS, readText } from './files.ts';
import { line, type Io } from './io.ts';
import { formatCount } from './progress.ts';
import { dispatchReport } from '../engine/contract.ts';

/** Seconds the CPU engine may spend on one configuration. */
const CPU_BUDGET_S = 20;
const PRIDE = fileURLToPath(new URL('../../data/pride-and-prejudice.txt', import.meta.url));
const RECORD = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));

/** Multiply-adds per character of a training step's forward pass (backward ≈ 2× more). */
export function macsPerChar(c: { vocabSize: number; embed: number; hidden: number; layers: number }): number {
  let m = c.vocabSize * c.hidden;
  for (let l = 0; l < c.layers; l++) m += 4 * c.hidden * ((l === 0 ? c.embed : c.hidden) + c.hidden);
  return m;
}

/**
 * Fits a configuration into a time budget given seconds per multiply-add (with a
 * safety factor): halves the streams until one warm-up and two timed steps fit.
 * Null when even one stream does not fit. `steps` is capped to what the budget allows.
 */
export function fitToBudget(
  c: BenchConfig,
  vocabSize: number,
  secondsPerMac: number,
  budgetS: number,
  steps: number,
): { config: BenchConfig; steps: number; estimate: number } | null {
  const x = { ...c };
  const perStep = () => 1.5 * stepMacs(x, vocabSize) * secondsPerMac;
  while (perStep() * 3 > budgetS && x.batch > 1) x.batch = Math.ceil(x.batch / 2);
  const est = perStep();
  if (!(est * 3 <= budgetS)) return null;
  return { config: x, steps: Math.max(2, Math.min(steps, Math.floor(budgetS / est) - 1)), estimate: est };
}

/** Multiply-adds of one training step (forward, and backward at about twice that). */
function stepMacs(c: BenchConfig, vocabSize: number): number {
  return 3 * macsPerChar({ vocabSize, ...c }) * c.batch * c.seqLen;
}

function describe(c: BenchConfig, V: number): string {
  return `E${c.embed} H${c.hidden} L${c.layers} B${c.batch} T${c.seqLen} V${V}`;
}

async function measure(
  engine: OpenedEngine,
  c: BenchConfig,
  vocab: Vocab,
  data: Int32Array,
  warmup: number,
  steps: number,
  sampleLength: number,
): Promise<BenchFigures> {
  const model: ModelConfig = { vocabSize: vocab.size, embedSize: c.embed, hiddenSize: c.hidden, layers: c.layers };
  const train: TrainConfig = { ...NOTEBOOK_TRAIN, batch: c.batch, seqLen: c.seqLen, schedule: c.schedule };
  const table = buildParamTable(model);
  const trainer = await engine.engine.trainer(table, train, data, { params: initParams(table, new Rng(1)) });
  try {
    return await benchTrainer(trainer, { warmup, steps, sampleLength, rows: 1 });
  } finally {
    trainer.destroy();
  }
}

function figuresLine(name: string, what: string, f: BenchFigures, steps: number): string {
  const d =
    f.dispatchesPerStep !== null && f.budget !== null ? `, ${dispatchReport(f.dispatchesPerStep, f.budget)} dispatches (recurrence ${f.recurrence})` : '';
  return (
    `${name.padEnd(8)} ${what}: ${f.msPerStep.toFixed(2)} ms/step, ${formatCount(f.charsPerSecond)} chars/s${d}, ` +
    `sampling ${formatCount(f.sampleCharsPerSecond)} chars/s (${steps} timed steps)`
  );
}

export async function benchCommand(argv: string[], io: Io): Promise<number> {
  const args = parseBenchArgs(argv);
  if (args.help) {
    line(io, USAGE.bench);
    return 0;
  }
  const engine = await openEngine(args.engine, undefined, args.profile ? ['timestamp-query'] : []);
  try {
    if (engine.note) io.note(engine.note);
    line(io, engine.line);
    if (args.parity) {
      if (!engine.gpu) {
        io.note(
          `error: --parity checks the GPU engine against the CPU reference, and this run is on the CPU engine; give --engine gpu on a machine with a GPU`,
        );
        return 1;
      }
      const outcomes = await runParityCheck(engine.gpu, (s) => io.note(`bench: ${s}`));
      for (const l of formatParity(outcomes)) line(io, l);
      return outcomes.every((o) => o.ok) ? 0 : 1;
    }
    if (args.notebookRun) {
      const f = await notebookRun(engine.engine, readText('corpus', DEFAULT_CORPUS));
      for (const l of formatNotebookRun(f)) line(io, l);
      return f.passageLoss < NOTEBOOK_TARGET ? 0 : 1;
    }
    if (engine.gpu) return await gpuBench(engine.gpu, args, argv, io);
    if (args.profile || args.record) io.note('bench: --profile and --record apply to the GPU engine; the CPU engine prints its figures only');
    const small = readText('corpus', DEFAULT_CORPUS);
    const big = existsSync(PRIDE) ? readText('corpus', PRIDE) : small;
    let secondsPerMac = NaN;
    for (const c of BENCH_CONFIGS) {
      if (io.interrupted()) break;
      const text = c.name === 'notebook' ? small : big;
      const vocab = Vocab.fromText(text);
      const data = vocab.encode(text);
      let config: BenchConfig = c;
      let steps = args.steps ?? 20;
      let note = '';
      if (c.name !== 'notebook') {
        const fit = fitToBudget(c, vocab.size, secondsPerMac, CPU_BUDGET_S, steps);
        const full = `~${(stepMacs(c, vocab.size) * secondsPerMac).toFixed(1)} s/step`;
        if (!fit) {
          const one = `~${(stepMacs({ ...c, batch: 1 }, vocab.size) * secondsPerMac).toFixed(1)} s/step with B1`;
          line(io, `${c.name.padEnd(8)} ${describe(c, vocab.size)}: skipped on the CPU engine (${full}, ${one}; it would take more than ${CPU_BUDGET_S} s)`);
          continue;
        }
        if (fit.config.batch !== c.batch) note = ` [shrunk from B${c.batch} for the CPU engine, which would take ${full}]`;
        config = fit.config;
        steps = fit.steps;
      }
      if (config.schedule === 'streams' && data.length - 1 < config.batch * config.seqLen) config = { ...config, schedule: 'windows' };
      const f = await measure(engine, config, vocab, data, 1, steps, 100);
      if (c.name === 'notebook') {
        secondsPerMac = f.msPerStep / 1000 / stepMacs(c, vocab.size);
      }
      line(io, figuresLine(c.name, describe(config, vocab.size), f, steps) + note);
    }
  } finally {
    engine.close();
  }
  return 0;
}

/** The speed record on Dawn (the browser bench's, run here): figures beside BENCHMARKS.md's, --record writes them. */
async function gpuBench(gpu: GpuContext, args: ReturnType<typeof parseBenchArgs>, argv: string[], io: Io): Promise<number> {
  const cases = gpuBenchCases(false).map((c) => (args.steps === null ? c : { ...c, steps: args.steps }));
  const report = await runGpuBench(gpu, cases, { profile: args.profile, gemm: true, sampleLength: 500, temperatures: [0.5, 1, 1.5] }, (s) =>
    io.note(`bench: ${s}`),
  );
  // The record's key: the adapter and how it was reached (Node's version goes in "Where", so that it does not split the record).
  const adapter = `${report.adapter} — WebGPU through Dawn (webgpu npm package)`;
  const printed = [`engine: WebGPU (Dawn) on ${report.adapter}`, ...formatReport(report, readRecords(RECORD), adapter)];
  for (const l of printed.slice(1)) line(io, l);
  if (args.record) {
    writeRecord(RECORD, report, {
      date: new Date()
        .toISOString()
        .replace(/:\d\d\.\d+Z$/, ' UTC')
        .replace('T', ' '),
      // tools/gpu-bench.sh names itself (it runs the bundled CLI, not npm).
      command: process.env.CHAR_LM_BENCH_COMMAND ?? `npm run bench:node -- ${argv.join(' ')}`.trim(),
      adapter,
      where: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, load average ${loadavg()[0].toFixed(1)} at the end of the run`,
      notes: report.software ? ['a software adapter: nothing to judge a real GPU by'] : [],
      output: printed,
    });
    line(io, 'recorded in BENCHMARKS.md');
  }
  return 0;
}
