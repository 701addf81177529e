/**
 * The CPU reference engine in a dedicated Worker, so that a training step (tens of ms
 * for the notebook model, seconds for a big one) never blocks the page. It hosts
 * cpuEngine() and the models and trainers it builds, by handle, and answers the
 * requests of cpu-worker-client.ts (cpu-worker-protocol.ts): the same float64 code
 * as in-thread, so the same bits. Results are transferred, not copied: the worker
 * keeps no reference to what it sends.
 */
import { cpuEngine, type CpuModel, type CpuTrainer } from './cpu.ts';
import { buffersOf, type CpuWorkerOp, type CpuWorkerOps, type CpuWorkerReply, type CpuWorkerRequest } from './cpu-worker-protocol.ts';

/** What this file needs of the worker's global scope (the project's lib is DOM, not WebWorker). */
interface WorkerScope {
  postMessage(message: CpuWorkerReply, transfer: Transferable[]): void;
  onmessage: ((e: MessageEvent<CpuWorkerRequest>) => void) | null;
}
const scope = self as unknown as WorkerScope;

const engine = cpuEngine();
const models = new Map<number, CpuModel>();
/** A trainer and the handle of its model. */
const trainers = new Map<number, { trainer: CpuTrainer; model: number }>();
let nextHandle = 1;

function model(handle: number): CpuModel {
  const m = models.get(handle);
  if (!m) throw new Error(`the CPU worker has no model ${handle}: it was destroyed`);
  return m;
}

function trainer(handle: number): CpuTrainer {
  const t = trainers.get(handle);
  if (!t) throw new Error(`the CPU worker has no trainer ${handle}: it was destroyed`);
  return t.trainer;
}

type Handlers = {
  [K in CpuWorkerOp]: (req: Extract<CpuWorkerRequest, { op: K }>) => Promise<{ value: CpuWorkerOps[K]['value']; transfer?: ArrayBufferView[] }>;
};

const handlers: Handlers = {
  model: async ({ table, params }) => {
    const m = (await engine.model(table, params)) as CpuModel;
    const handle = nextHandle++;
    models.set(handle, m);
    return { value: { model: handle } };
  },
  trainer: async ({ table, config, data, start }) => {
    const t = (await engine.trainer(table, config, data, start)) as CpuTrainer;
    const handle = nextHandle++;
    const modelHandle = nextHandle++;
    models.set(modelHandle, t.model);
    trainers.set(handle, { trainer: t, model: modelHandle });
    return { value: { trainer: handle, model: modelHandle, step: t.step } };
  },
  readParams: async ({ handle }) => {
    const p = await model(handle).readParams();
    return { value: p, transfer: [p] };
  },
  evaluate: async ({ handle, ids, streams }) => {
    const losses = await model(handle).evaluate(ids, streams);
    return { value: losses, transfer: [losses] };
  },
  hiddenStates: async ({ handle, ids, from }) => {
    const s = await model(handle).hiddenStates(ids, from);
    return { value: s, transfer: [...s.h, ...s.c, ...s.gates] };
  },
  sample: async ({ id, handle, req }) => {
    const rows = await model(handle).sample(req, (partial) => {
      // Views of rows still being written: send copies.
      const copies = partial.map((r) => r.slice());
      scope.postMessage({ type: 'progress', id, rows: copies }, buffersOf(copies));
    });
    return { value: rows, transfer: rows };
  },
  trainStep: async ({ handle }) => {
    const t = trainer(handle);
    const results = await t.trainStep();
    return { value: { results, step: t.step } };
  },
  flush: async ({ handle }) => ({ value: await trainer(handle).flush() }),
  snapshot: async ({ handle }) => {
    const s = await trainer(handle).snapshot();
    return { value: s, transfer: [s.params, s.optimizer.m, s.optimizer.v, s.carried.h, s.carried.c] };
  },
  destroy: async ({ handle }) => {
    const t = trainers.get(handle);
    if (t) {
      t.trainer.destroy();
      trainers.delete(handle);
      models.delete(t.model);
    } else {
      models.get(handle)?.destroy();
      models.delete(handle);
    }
    return { value: null };
  },
  live: async () => ({ value: { models: models.size, trainers: trainers.size } }),
};

async function handle(req: CpuWorkerRequest): Promise<void> {
  try {
    const run = handlers[req.op] as (r: CpuWorkerRequest) => Promise<{ value: CpuWorkerOps[CpuWorkerOp]['value']; transfer?: ArrayBufferView[] }>;
    const { value, transfer } = await run(req);
    scope.postMessage({ type: 'result', id: req.id, value }, buffersOf(transfer ?? []));
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    scope.postMessage({ type: 'error', id: req.id, name: err.name, message: err.message }, []);
  }
}

// Requests are handled in arrival order: every handler computes synchronously between
// its awaits (which are resolved promises), so no two interleave.
scope.onmessage = (e) => void handle(e.data);
