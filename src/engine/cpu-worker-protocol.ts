/**
 * The messages between the page (cpu-worker-client.ts) and the CPU engine's Worker
 * (cpu-worker.ts): one request type per Engine / Model / Trainer call, each with an id
 * that its reply (and, for sample, its progress messages) carries back.
 *
 * Models and trainers live in the worker, named by a handle (a number the worker
 * hands out); the page holds proxies. A trainer's model has a handle of its own.
 */
import type { ParamTable } from '../model/params.ts';
import type { TrainConfig } from '../model/config.ts';
import type { TrainingSnapshot } from '../model/training-state.ts';
import type { HiddenStates, LstmState, SampleRequest, StepResult, TrainerStart } from './contract.ts';

/** Every request, by operation, with the value its reply carries. */
export interface CpuWorkerOps {
  model: { args: { table: ParamTable; params: Float32Array }; value: { model: number } };
  trainer: {
    args: { table: ParamTable; config: TrainConfig; data: Int32Array; start: TrainerStart };
    value: { trainer: number; model: number; step: number };
  };
  readParams: { args: { handle: number }; value: Float32Array };
  evaluate: { args: { handle: number; ids: Int32Array; streams?: number }; value: Float32Array };
  hiddenStates: { args: { handle: number; ids: Int32Array; from?: LstmState }; value: HiddenStates };
  sample: { args: { handle: number; req: SampleRequest }; value: Int32Array[] };
  trainStep: { args: { handle: number }; value: { results: StepResult[]; step: number } };
  flush: { args: { handle: number }; value: StepResult[] };
  snapshot: { args: { handle: number }; value: TrainingSnapshot };
  /** Frees a model or trainer (a trainer's model with it). */
  destroy: { args: { handle: number }; value: null };
  /** How many models and trainers the worker holds (for tests and leak checks). */
  live: { args: Record<string, never>; value: { models: number; trainers: number } };
}

export type CpuWorkerOp = keyof CpuWorkerOps;

/** Page → worker: the discriminated union of every request. */
export type CpuWorkerRequest = { [K in CpuWorkerOp]: { op: K; id: number } & CpuWorkerOps[K]['args'] }[CpuWorkerOp];

/** Worker → page. */
export type CpuWorkerReply =
  | { type: 'result'; id: number; value: CpuWorkerOps[CpuWorkerOp]['value'] }
  /** The call threw: its name and message, to be thrown again on the page. */
  | { type: 'error'; id: number; name: string; message: string }
  /** Sample progress: the rows generated so far (copies). */
  | { type: 'progress'; id: number; rows: Int32Array[] };

/** The ArrayBuffers under typed arrays, once each, for postMessage's transfer list. */
export function buffersOf(arrays: readonly ArrayBufferView[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) if (a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  return [...out];
}
