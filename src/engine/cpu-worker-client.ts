/**
 * The CPU reference engine behind the Engine contract, computed in a dedicated Worker
 * (cpu-worker.ts) so that the page stays responsive while it trains. Every call is one
 * request and one reply (cpu-worker-protocol.ts); an error in the worker is thrown here
 * as an Error with the same message (and name). The results are those of cpuEngine()
 * in this thread, bit for bit: the same float64 code runs on the same inputs.
 *
 * Typed arrays cross by transfer. What the caller keeps (parameters, the training
 * text, ids to evaluate) is copied first, exactly its view: posting a subarray would
 * otherwise clone its whole underlying buffer (a 20 MB text's for a 20,001-character
 * window).
 *
 * The worker script is inlined (Vite's `?worker&inline`), so the library build stays
 * one ES module that an embedder hosts alone.
 */
import type { ParamTable } from '../model/params.ts';
import type { TrainConfig } from '../model/config.ts';
import type { TrainingSnapshot } from '../model/training-state.ts';
import type { Engine, HiddenStates, LstmState, Model, SampleRequest, StepResult, Trainer, TrainerStart } from './contract.ts';
import { buffersOf, type CpuWorkerOp, type CpuWorkerOps, type CpuWorkerReply, type CpuWorkerRequest } from './cpu-worker-protocol.ts';
import CpuWorker from './cpu-worker.ts?worker&inline';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (rows: Int32Array[]) => void;
}

/** One Worker and the calls in flight to it. */
class CpuWorkerConnection {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Why no more calls can be made (closed, or the worker died), or null. */
  private ended: string | null = null;

  /**
   * Sends one request; `transfer` lists arrays this side gives up (copies made for the
   * purpose). Resolves with the worker's value or rejects with its error.
   */
  call<K extends CpuWorkerOp>(
    op: K,
    args: CpuWorkerOps[K]['args'],
    transfer: ArrayBufferView[] = [],
    onProgress?: (rows: Int32Array[]) => void,
  ): Promise<CpuWorkerOps[K]['value']> {
    if (this.ended) return Promise.reject(new Error(this.ended));
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress });
      worker.postMessage({ op, id, ...args } as CpuWorkerRequest, buffersOf(transfer));
    });
  }

  private start(): Worker {
    const w = new CpuWorker({ name: 'char-lm CPU engine' });
    w.onmessage = (e: MessageEvent<CpuWorkerReply>) => this.receive(e.data);
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.end(`the CPU engine's worker failed: ${e.message || 'it could not be started (a Content-Security-Policy that forbids blob: workers?)'}`);
    };
    w.onmessageerror = () => this.end('the CPU engine could not read a message from its worker');
    return w;
  }

  private receive(msg: CpuWorkerReply): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') {
      p.onProgress?.(msg.rows);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.type === 'result') p.resolve(msg.value);
    else {
      const err = new Error(msg.message);
      err.name = msg.name;
      p.reject(err);
    }
  }

  /** Terminates the worker and fails every call in flight and every later one with `why`. */
  end(why: string): void {
    if (this.ended) return;
    this.ended = why;
    this.worker?.terminate();
    this.worker = null;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new Error(why));
  }
}

/** A copy of exactly the view (slice), to be transferred. */
function copyOf<T extends Int32Array | Float32Array>(a: T): T {
  return a.slice() as T;
}

/** Elements copied per task when a big array is copied (16 MB: a few ms). */
const COPY_SLICE = 1 << 22;

/**
 * copyOf for a training text of any size: a big one (tens of MB) is copied a slice per
 * task, so that the page never stops for the whole copy.
 */
async function copyInSlices(a: Int32Array): Promise<Int32Array> {
  if (a.length <= COPY_SLICE) return copyOf(a);
  const out = new Int32Array(a.length);
  for (let o = 0; o < a.length; o += COPY_SLICE) {
    out.set(a.subarray(o, o + COPY_SLICE), o);
    await new Promise((r) => setTimeout(r, 0));
  }
  return out;
}

/** A model held by the worker. */
class WorkerModel implements Model {
  constructor(
    private readonly conn: CpuWorkerConnection,
    readonly table: ParamTable,
    private readonly handle: number,
    /** False for a trainer's model, which its trainer frees. */
    private readonly owned: boolean,
  ) {}

  readParams(): Promise<Float32Array> {
    return this.conn.call('readParams', { handle: this.handle });
  }

  evaluate(ids: Int32Array, streams?: number): Promise<Float32Array> {
    const copy = copyOf(ids);
    return this.conn.call('evaluate', { handle: this.handle, ids: copy, streams }, [copy]);
  }

  hiddenStates(ids: Int32Array, from?: LstmState): Promise<HiddenStates> {
    const copy = copyOf(ids);
    // Copies of `from` (the caller keeps it; its rows may be views of a larger read), transferred.
    const start = from && { h: from.h.map((x) => x.slice()), c: from.c.map((x) => x.slice()) };
    return this.conn.call('hiddenStates', { handle: this.handle, ids: copy, from: start }, [copy, ...(start ? [...start.h, ...start.c] : [])]);
  }

  sample(req: SampleRequest, onProgress?: (rows: Int32Array[]) => void): Promise<Int32Array[]> {
    const prime = copyOf(req.prime);
    return this.conn.call('sample', { handle: this.handle, req: { ...req, prime } }, [prime], onProgress);
  }

  destroy(): void {
    if (this.owned) this.conn.call('destroy', { handle: this.handle }).catch(() => undefined);
  }
}

/** A trainer held by the worker; `step` follows the worker's after every call that moves it. */
class WorkerTrainer implements Trainer {
  readonly model: WorkerModel;

  constructor(
    private readonly conn: CpuWorkerConnection,
    readonly table: ParamTable,
    readonly config: TrainConfig,
    private readonly handle: number,
    modelHandle: number,
    public step: number,
  ) {
    this.model = new WorkerModel(conn, table, modelHandle, false);
  }

  async trainStep(): Promise<StepResult[]> {
    const { results, step } = await this.conn.call('trainStep', { handle: this.handle });
    this.step = step;
    return results;
  }

  flush(): Promise<StepResult[]> {
    return this.conn.call('flush', { handle: this.handle });
  }

  snapshot(): Promise<TrainingSnapshot> {
    return this.conn.call('snapshot', { handle: this.handle });
  }

  destroy(): void {
    this.conn.call('destroy', { handle: this.handle }).catch(() => undefined);
  }
}

/** The CPU engine, computing in a Worker; also says how many objects the worker holds (for tests). */
export interface WorkerCpuEngine extends Engine {
  live(): Promise<{ models: number; trainers: number }>;
}

/** The CPU reference engine in a dedicated Worker (started on the first call; close() terminates it). */
export function workerCpuEngine(): WorkerCpuEngine {
  const conn = new CpuWorkerConnection();
  return {
    kind: 'cpu',
    description: 'CPU reference (float64, in a Worker)',
    async model(table, params) {
      const copy = copyOf(params);
      const { model } = await conn.call('model', { table, params: copy }, [copy]);
      return new WorkerModel(conn, table, model, true);
    },
    async trainer(table, config, data, start) {
      const copies: ArrayBufferView[] = [];
      const take = <T extends Int32Array | Float32Array>(a: T): T => {
        const c = copyOf(a);
        copies.push(c);
        return c;
      };
      const sent: TrainerStart = {
        ...start,
        params: take(start.params),
        optimizer: start.optimizer && { m: take(start.optimizer.m), v: take(start.optimizer.v) },
        carried: start.carried && { h: take(start.carried.h), c: take(start.carried.c) },
      };
      const text = await copyInSlices(data);
      copies.push(text);
      const r = await conn.call('trainer', { table, config, data: text, start: sent }, copies);
      return new WorkerTrainer(conn, table, config, r.trainer, r.model, r.step);
    },
    live: () => conn.call('live', {}),
    close: () => conn.end('the CPU engine was closed'),
  };
}
