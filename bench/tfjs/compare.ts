/**
 * The comparator of `npm run bench -- --compare`: the same CharLSTM (the project's
 * parameter table and initialisation), the same batches (the project's batcher, same
 * seed and data as the bench's cases) and the same step — forward over T timesteps,
 * mean cross-entropy, backward, global-norm clipping, Adam — written in TensorFlow.js
 * and run on its WebGPU and WASM backends in the bench's page. Built into one module
 * (dist/compare.js) by src/cli/bench-tfjs.ts; never part of the shipped bundle.
 *
 * Legend: V vocab, E embed, H hidden, L layers, B streams, T BPTT length, N = T·B.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { buildParamTable, initParams, type ParamEntry } from '../../src/model/params.ts';
import { NOTEBOOK_TRAIN } from '../../src/model/config.ts';
import { Rng } from '../../src/model/rng.ts';
import { trainingBatcher } from '../../src/engine/contract.ts';

/** What the comparator needs of a bench case (a GpuBenchCase fits). */
export interface TfjsCase {
  name: string;
  vocab: number;
  embed: number;
  hidden: number;
  layers: number;
  batch: number;
  seqLen: number;
  schedule: 'streams' | 'windows';
  warmup: number;
  steps: number;
  software: boolean;
}

export interface TfjsResult {
  backend: string;
  name: string;
  /** Median ms per step over the timed steps, or null with `error`. */
  msPerStep: number | null;
  minMs: number | null;
  maxMs: number | null;
  firstStepMs: number | null;
  steps: number;
  error?: string;
}

export interface TfjsReport {
  version: string;
  results: TfjsResult[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The step of one case on the current backend; returns a function that takes a step and resolves when its loss is read back. */
function buildStep(c: TfjsCase): { step: () => Promise<number>; dispose: () => void } {
  const table = buildParamTable({ vocabSize: c.vocab, embedSize: c.embed, hiddenSize: c.hidden, layers: c.layers });
  const params = initParams(table, new Rng(2));
  const rng = new Rng(1);
  const data = Int32Array.from({ length: Math.max(10_000, c.batch * c.seqLen * 4 + 1) }, () => rng.int(c.vocab));
  const config = { ...NOTEBOOK_TRAIN, batch: c.batch, seqLen: c.seqLen, schedule: c.schedule };
  const batcher = trainingBatcher(data, config);
  const { embed: E, hidden: H, layers: L, batch: B, seqLen: T, vocab: V } = c;
  const v = (e: ParamEntry) => tf.variable(tf.tensor(params.subarray(e.offset, e.offset + e.size), e.shape), true, e.name);
  const embed = v(table.embed);
  const layers = table.layers.map((l) => ({ wIh: v(l.weightIh), wHh: v(l.weightHh), bIh: v(l.biasIh), bHh: v(l.biasHh) }));
  const wOut = v(table.headWeight);
  const bOut = v(table.headBias);
  const vars = [embed, ...layers.flatMap((l) => [l.wIh, l.wHh, l.bIh, l.bHh]), wOut, bOut];
  const optimizer = tf.train.adam(config.lr, config.beta1, config.beta2, config.eps);
  // The carried state (L of (B, H) each), kept between steps for the streams schedule.
  let carried: { h: tf.Tensor2D; c: tf.Tensor2D }[] = Array.from({ length: L }, () => ({ h: tf.zeros([B, H]), c: tf.zeros([B, H]) }));

  const gatherGrad = tf.getKernel('UnsortedSegmentSum', tf.getBackend()) !== undefined;
  const step = async (): Promise<number> => {
    const batch = batcher.next();
    if (batch.resetState) {
      for (const s of carried) tf.dispose([s.h, s.c]);
      carried = Array.from({ length: L }, () => ({ h: tf.zeros([B, H]), c: tf.zeros([B, H]) }));
    }
    const tokens = tf.tensor1d(batch.inputs, 'int32'); // (N) time-major
    const targets = tf.oneHot(tf.tensor1d(batch.targets, 'int32'), V); // (N, V)
    const next: { h: tf.Tensor2D; c: tf.Tensor2D }[] = [];
    const { value, grads } = tf.variableGrads(() => {
      // The embedding: a gather where the backend has its gradient (UnsortedSegmentSum), else one-hot · embed.
      let x: tf.Tensor2D = (gatherGrad ? tf.gather(embed, tokens) : tf.matMul(tf.oneHot(tokens, V).toFloat(), embed)) as tf.Tensor2D; // (N, I)
      layers.forEach((p, l) => {
        const zx = tf.add(tf.add(tf.matMul(x, p.wIh, false, true), p.bIh), p.bHh).reshape([T, B, 4 * H]) as tf.Tensor3D;
        let h = carried[l].h;
        let cell = carried[l].c;
        const hs: tf.Tensor2D[] = [];
        for (let t = 0; t < T; t++) {
          const z = tf.add(tf.squeeze(tf.slice(zx, [t, 0, 0], [1, B, 4 * H]), [0]), tf.matMul(h, p.wHh, false, true)) as tf.Tensor2D;
          const [zi, zf, zg, zo] = tf.split(z, 4, 1);
          cell = tf.add(tf.mul(tf.sigmoid(zf), cell), tf.mul(tf.sigmoid(zi), tf.tanh(zg))) as tf.Tensor2D;
          h = tf.mul(tf.sigmoid(zo), tf.tanh(cell)) as tf.Tensor2D;
          hs.push(h);
        }
        next.push({ h: tf.keep(h), c: tf.keep(cell) });
        x = tf.concat(hs, 0) as tf.Tensor2D; // (N, H), time-major
      });
      const logits = tf.add(tf.matMul(x, wOut, false, true), bOut);
      return tf.losses.softmaxCrossEntropy(targets, logits) as tf.Scalar; // mean over N
    }, vars);
    // Global-norm clipping, then Adam.
    const clipped = tf.tidy(() => {
      const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
      const scale = tf.minimum(tf.scalar(1), tf.div(tf.scalar(config.clip), tf.add(norm, tf.scalar(1e-6))));
      return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.keep(tf.mul(g, scale))]));
    });
    optimizer.applyGradients(clipped);
    for (const s of carried) tf.dispose([s.h, s.c]);
    carried = next; // detached: truncated BPTT
    const loss = (await value.data())[0];
    tf.dispose([tokens, targets, value, ...Object.values(grads), ...Object.values(clipped)]);
    return loss;
  };
  return {
    step,
    dispose: () => {
      for (const s of carried) tf.dispose([s.h, s.c]);
      tf.dispose(vars);
      optimizer.dispose();
    },
  };
}

async function runCase(backend: string, c: TfjsCase, steps: number): Promise<TfjsResult> {
  const base = { backend, name: c.name, steps };
  let built: ReturnType<typeof buildStep> | null = null;
  try {
    const t0 = performance.now();
    built = buildStep(c);
    await built.step();
    const firstStepMs = performance.now() - t0;
    for (let i = 1; i < c.warmup; i++) await built.step();
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const s0 = performance.now();
      await built.step();
      times.push(performance.now() - s0);
    }
    return { ...base, msPerStep: median(times), minMs: Math.min(...times), maxMs: Math.max(...times), firstStepMs };
  } catch (e) {
    return { ...base, msPerStep: null, minMs: null, maxMs: null, firstStepMs: null, error: (e as Error).message.split('\n')[0] };
  } finally {
    built?.dispose();
  }
}

/**
 * Each case on TF.js's WebGPU backend, then on its WASM backend. `stepsCap` limits the
 * timed steps (TF.js runs dozens of kernels per timestep; on a software adapter a step of
 * `small` takes long).
 */
export async function runTfjsCompare(cases: TfjsCase[], wasmPath: string, stepsCap = 100): Promise<TfjsReport> {
  setWasmPaths(wasmPath);
  const results: TfjsResult[] = [];
  for (const backend of ['webgpu', 'wasm']) {
    let ready = false;
    let why = '';
    try {
      ready = await tf.setBackend(backend);
      await tf.ready();
    } catch (e) {
      why = (e as Error).message.split('\n')[0];
    }
    for (const c of cases) {
      if (!ready) {
        results.push({
          backend,
          name: c.name,
          msPerStep: null,
          minMs: null,
          maxMs: null,
          firstStepMs: null,
          steps: 0,
          error: `backend did not start${why ? `: ${why}` : ''}`,
        });
        continue;
      }
      console.log(`bench: TF.js ${backend} ${c.name}`);
      results.push(await runCase(backend, c, Math.min(stepsCap, c.steps)));
    }
  }
  return { version: tf.version.tfjs, results };
}
