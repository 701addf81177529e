/**
 * Throughput of a training engine, for `npm run bench` (figures, never assertions).
 */
import { dispatchBudget, type Trainer } from './contract.ts';
import type { Schedule } from '../model/config.ts';

/** A benchmarked model and batch shape. */
export interface BenchConfig {
  name: string;
  embed: number;
  hidden: number;
  layers: number;
  batch: number;
  seqLen: number;
  schedule: Schedule;
}

export interface BenchFigures {
  msPerStep: number;
  charsPerSecond: number;
  /** GPU dispatches per step (null on the CPU). */
  dispatchesPerStep: number | null;
  /** The dispatch budget of the recurrence that ran, see dispatchBudget (null on the CPU). */
  budget: number | null;
  /** Which recurrent kernels ran, for people (null on the CPU). */
  recurrence: string | null;
  sampleCharsPerSecond: number;
  steps: number;
}

/** What a GPU trainer tells about its step (the CPU trainer has neither field). */
interface GpuStepInfo {
  dispatchesPerStep: number;
  recurrence: { persistent: boolean; summary: string };
}

function gpuStepInfo(t: Trainer): GpuStepInfo | null {
  return 'dispatchesPerStep' in t && 'recurrence' in t ? (t as unknown as GpuStepInfo) : null;
}

/** Warm-up steps, then `steps` timed steps (all read back), then one timed generation. */
export async function benchTrainer(trainer: Trainer, o: { warmup: number; steps: number; sampleLength: number; rows: number }): Promise<BenchFigures> {
  const { batch: B, seqLen: T } = trainer.config;
  const L = trainer.table.config.layers;
  for (let i = 0; i < o.warmup; i++) await trainer.trainStep();
  await trainer.flush();
  const t0 = performance.now();
  for (let i = 0; i < o.steps; i++) await trainer.trainStep();
  await trainer.flush();
  const ms = (performance.now() - t0) / o.steps;
  const rows = Array.from({ length: o.rows }, (_, i) => ({ temperature: 0.5 + 0.5 * i, topK: 0, topP: 1 }));
  const s0 = performance.now();
  await trainer.model.sample({ prime: Int32Array.from([0]), length: o.sampleLength, rows, seed: 1 });
  const sampleS = (performance.now() - s0) / 1000;
  const gpu = gpuStepInfo(trainer);
  return {
    msPerStep: ms,
    charsPerSecond: (B * T * 1000) / ms,
    dispatchesPerStep: gpu?.dispatchesPerStep ?? null,
    budget: gpu ? dispatchBudget(T, L, gpu.recurrence.persistent) : null,
    recurrence: gpu?.recurrence.summary ?? null,
    sampleCharsPerSecond: (o.sampleLength * o.rows) / sampleS,
    steps: o.steps,
  };
}
