/**
 * Start-up calibration: the kernel variants whose worth depends on the device are timed
 * on it, at the training step's own shapes, and the fastest is kept — never chosen by
 * the adapter's name. Two choices are made so:
 *  - the streams per workgroup of the persistent recurrent kernels (1, 2, 4, 8, up to
 *    what fits): one stream a workgroup gives the most workgroups (B: 32 at B 32, enough
 *    for a laptop GPU's compute units), more share every W_hh value a thread loads among
 *    more streams (what a software adapter's few cores prefer);
 *  - whether weight_grad splits K: a GPU with many compute units keeps them busy only
 *    with the slices, a software adapter's few cores are busy with any grid and pay for
 *    the partial sums and the reduce.
 * Candidates run on zeroed scratch buffers (the arithmetic does not depend on the values),
 * after their pipelines are compiled, repeated within one submission until a run takes
 * CALIBRATION_TARGET_MS, the median of CALIBRATION_RUNS such runs (a slow run, or one
 * that cannot win, is timed once: see timeDispatches). The choice is cached
 * per device and shape: a Reset or another trainer of the same shape on the same device
 * does not time again, and computes exactly as the first (the streams per workgroup never
 * change the arithmetic; splitting K changes the order of a sum, so a choice, once made,
 * stays for the device's life).
 *
 * Legend: V vocab, E embed, H hidden, L layers, B streams, T timesteps, N = T·B, I = E for layer 0, else H.
 */
import {
  Kernels,
  timeSubmission,
  destroyDispatches,
  lstmSeqLayout,
  lstmSeqShape,
  seqStreamCandidates,
  type Dispatch,
  type SeqLimits,
} from '../../gpu/kernels.ts';
import { storageBuffer } from '../../gpu/buffers.ts';
import type { StreamsPerWorkgroup } from './recurrence.ts';

/** Timesteps of a calibration run of the recurrent kernels: their time grows linearly with T. */
const CALIBRATION_STEPS = 8;
/** Repeats within one submission until a run takes this long, so submission overhead does not decide. */
const CALIBRATION_TARGET_MS = 4;
/** Timed runs per candidate (their median counts). */
const CALIBRATION_RUNS = 3;
/** A run this long is timed once (see timeDispatches). */
const SLOW_RUN_MS = 50;
/**
 * A split of K is kept only when it is this much faster than one pass: it costs a second
 * dispatch and a partials buffer, and a near tie must not flip from one start to the next.
 */
const SPLIT_K_MARGIN = 1.1;

/** Choices made (or being made) per device, keyed by kernel and shape. */
const chosenByDevice = new WeakMap<GPUDevice, Map<string, Promise<number>>>();

/**
 * The choice cached for `key` on this device, or `time()`'s, which is cached: trainers
 * created at the same time share one calibration and so compute alike. A calibration
 * that fails is forgotten (the next trainer times again).
 */
function choose(device: GPUDevice, key: string, time: () => Promise<number>): Promise<number> {
  let m = chosenByDevice.get(device);
  if (!m) chosenByDevice.set(device, (m = new Map()));
  const cache = m;
  let p = cache.get(key);
  if (!p) {
    p = time();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/**
 * Milliseconds one run of `dispatches` takes on the device (see the header). A run that
 * takes SLOW_RUN_MS or more (a software adapter) is timed once: its submission overhead
 * is negligible and calibration must not cost more than it saves there. A run over twice
 * `beat` (the best candidate so far) is not timed further: it cannot win.
 */
async function timeDispatches(device: GPUDevice, dispatches: Dispatch[], beat = Infinity): Promise<number> {
  // The pipelines were created with the dispatches: once the queue has caught up they are
  // compiled, and the first run (which also clears the fresh buffers) is timed. A fast run
  // is timed again below, so that first run is its warm-up; a slow one is not worth a second.
  await device.queue.onSubmittedWorkDone();
  const once = await timeSubmission(device, dispatches, 1, 'calibration');
  if (once >= SLOW_RUN_MS || once > 2 * beat) return once;
  const repeat = Math.max(1, Math.min(32, Math.ceil(CALIBRATION_TARGET_MS / Math.max(once, 0.01))));
  const times: number[] = [];
  for (let i = 0; i < CALIBRATION_RUNS; i++) times.push((await timeSubmission(device, dispatches, repeat, 'calibration')) / repeat);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** What a calibration timed, for people: `forward 1 stream 3.1 ms, 8 streams 5.2 ms; …`. */
export interface Calibration {
  streams: StreamsPerWorkgroup;
  /** Split K or not, per weight-gradient shape `${M}x${N}x${K}` (N = N1 + N2). */
  splitK: Map<string, boolean>;
  /** The timings behind each choice made in this call (empty where a cached choice served). */
  timings: string[];
}

/** The key of a weight-gradient shape in Calibration.splitK. */
export function weightGradKey(m: number, n: number, k: number): string {
  return `${m}x${n}x${k}`;
}

/**
 * Streams per workgroup for the persistent kernel of one direction at (H, B): the fastest
 * of seqStreamCandidates over CALIBRATION_STEPS timesteps; undefined where the kernel
 * does not run persistent or there is one candidate.
 */
async function calibrateStreams(
  k: Kernels,
  direction: 'forward' | 'backward',
  limits: SeqLimits,
  H: number,
  B: number,
  timings: string[],
): Promise<number | undefined> {
  const layout = lstmSeqLayout(direction, limits, H);
  if ('reason' in layout) return undefined;
  const candidates = seqStreamCandidates(layout.fit, B);
  if (candidates.length < 2) return candidates[0];
  const key = `lstm_seq_${direction} H${H} B${B} ${layout.parts} ${layout.stateInWorkgroup} fit ${layout.fit}`;
  return choose(k.device, key, () => timeStreams(k, direction, limits, H, B, candidates, timings));
}

async function timeStreams(
  k: Kernels,
  direction: 'forward' | 'backward',
  limits: SeqLimits,
  H: number,
  B: number,
  candidates: number[],
  timings: string[],
): Promise<number> {
  const device = k.device;
  const T = CALIBRATION_STEPS;
  const G = 4 * H;
  const scratch: GPUBuffer[] = [];
  const buf = (name: string, floats: number) => {
    const b = storageBuffer(device, `calibration ${name}`, floats);
    scratch.push(b);
    return b;
  };
  const gates = buf('gates', T * B * G); // (T, B, 4H)
  const cs = buf('cs', (T + 1) * B * H); // (T+1, B, H)
  const seq = direction === 'forward' ? { zx: buf('zx', T * B * G), whhT: buf('whhT', H * G), hs: buf('hs', (T + 1) * B * H) } : null;
  const bwd = direction === 'backward' ? { dh: buf('dh', T * B * H), whh: buf('whh', G * H), dz: buf('dz', T * B * G) } : null;
  let best = candidates[0];
  let bestMs = Infinity;
  const line: string[] = [];
  try {
    for (const c of candidates) {
      const shape = lstmSeqShape(direction, limits, H, B, c);
      if ('reason' in shape) continue;
      const common = { label: `calibration ${direction} ${c}`, t: T, b: B, h: H, shape, gatesOff: 0, csOff: 0, gates, cs };
      const d = seq
        ? k.lstmSeqForward({ ...common, zxOff: 0, hsOff: 0, zx: seq.zx, whhT: seq.whhT, hs: seq.hs })
        : k.lstmSeqBackward({ ...common, dhOff: 0, dzOff: 0, whhOff: 0, dhAbove: bwd!.dh, params: bwd!.whh, dz: bwd!.dz });
      const ms = await timeDispatches(device, [d], bestMs);
      destroyDispatches([d]);
      line.push(`${shape.sb} ${shape.sb > 1 ? 'streams' : 'stream'} ${ms.toFixed(2)} ms`);
      if (ms < bestMs) {
        bestMs = ms;
        best = shape.sb;
      }
    }
  } finally {
    for (const b of scratch) b.destroy();
  }
  timings.push(`${direction} H ${H} B ${B} (${T} timesteps): ${line.join(', ')}`);
  return best;
}

/**
 * Whether weight_grad of dW (M, N) over K positions runs faster split into slices of K
 * (by SPLIT_K_MARGIN) on this device; false without timing where the split would give
 * one slice.
 */
async function calibrateSplitK(k: Kernels, m: number, n1: number, n2: number, K: number, timings: string[]): Promise<boolean> {
  const split = k.weightGradShape(m, n1 + n2, K, true);
  if (split.slices < 2) return false;
  // Split-K needs a partials buffer the single pass does not: never chosen where it would not fit.
  const limits = k.device.limits;
  if (split.partialFloats * 4 > Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize)) return false;
  const key = `weight_grad ${weightGradKey(m, n1 + n2, K)}`;
  return (await choose(k.device, key, async () => ((await timeSplitK(k, m, n1, n2, K, timings)) ? 1 : 0))) === 1;
}

async function timeSplitK(k: Kernels, m: number, n1: number, n2: number, K: number, timings: string[]): Promise<boolean> {
  const split = k.weightGradShape(m, n1 + n2, K, true);
  const device = k.device;
  const single = k.weightGradShape(m, n1 + n2, K, false);
  const a = storageBuffer(device, 'calibration A', K * m); // (K, M)
  const b1 = storageBuffer(device, 'calibration B1', K * n1); // (K, N1)
  const b2 = storageBuffer(device, 'calibration B2', Math.max(1, K * n2)); // (K, N2)
  const grads = storageBuffer(device, 'calibration grads', m * (n1 + n2 + 2)); // dW1 | dW2 | db | db
  const partials = storageBuffer(device, 'calibration partials', split.partialFloats);
  const ms: number[] = [];
  try {
    for (const shape of [single, split]) {
      const d = k.weightGrad({
        label: 'calibration weight_grad',
        m,
        k: K,
        n1,
        n2,
        shape,
        a,
        aOff: 0,
        b1,
        b1Off: 0,
        b2: n2 > 0 ? { buffer: b2, off: 0 } : undefined,
        grads,
        w1Off: 0,
        w2Off: m * n1,
        bias: { off: m * (n1 + n2), off2: n2 > 0 ? m * (n1 + n2 + 1) : undefined },
        partials,
      });
      ms.push(await timeDispatches(device, d, ms.length ? ms[0] : Infinity));
      destroyDispatches(d);
    }
  } finally {
    for (const b of [a, b1, b2, grads, partials]) b.destroy();
  }
  const chooseSplit = ms[1] * SPLIT_K_MARGIN < ms[0];
  timings.push(`weight_grad ${m}×${n1 + n2} over K ${K}: one pass ${ms[0].toFixed(2)} ms, ${split.slices} slices ${ms[1].toFixed(2)} ms`);
  return chooseSplit;
}

/**
 * Calibrates what a trainer of this model and (T, B) runs and the caller has not forced:
 * the streams per workgroup of each persistent direction and, per weight-gradient shape
 * (the head's dW_out (V, H) and each layer's dW_ih | dW_hh (4H, I + H), over N
 * positions), whether to split K.
 */
export async function calibrateTrainer(
  k: Kernels,
  limits: SeqLimits,
  dims: { V: number; E: number; H: number; L: number; T: number; B: number },
  forced: { streams: StreamsPerWorkgroup; splitK?: boolean; recurrence: 'auto' | 'per-timestep' },
): Promise<Calibration> {
  const { V, E, H, L, T, B } = dims;
  const N = T * B;
  const timings: string[] = [];
  const streams: StreamsPerWorkgroup = { ...forced.streams };
  if (forced.recurrence === 'auto') {
    streams.forward ??= await calibrateStreams(k, 'forward', limits, H, B, timings);
    streams.backward ??= await calibrateStreams(k, 'backward', limits, H, B, timings);
  }
  const splitK = new Map<string, boolean>();
  const shapes: [number, number, number][] = [[V, H, 0], ...Array.from({ length: L }, (_, l) => [4 * H, l === 0 ? E : H, H] as [number, number, number])];
  for (const [m, n1, n2] of shapes) {
    const key = weightGradKey(m, n1 + n2, N);
    if (!splitK.has(key)) splitK.set(key, forced.splitK ?? (await calibrateSplitK(k, m, n1, n2, N, timings)));
  }
  return { streams, splitK, timings };
}
