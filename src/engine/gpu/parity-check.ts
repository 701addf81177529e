/**
 * The whole-step parity check that runs before any speed figure on a new adapter
 * (`bench --parity`, run first by tools/gpu-bench.sh): small training steps on this
 * device against the float64 CPU reference, at the tolerance the tests use (atol 1e-6 +
 * rtol 1e-4·|ref|, src/engine/gpu/trainer.gpu.test.ts). On a real GPU the engine picks
 * other kernels than on SwiftShader (split-K weight gradients, other workgroup shapes),
 * and those have only ever been tested where the tests ran: a fast step that computes the
 * wrong thing must not produce figures.
 *
 * Legend: V vocab, E embed, H hidden, L layers, B streams, T BPTT length, P parameters.
 */
import type { GpuContext } from '../../gpu/device.ts';
import { compareArrays } from '../../gpu/testing.ts';
import { NOTEBOOK_TRAIN, type ModelConfig, type TrainConfig } from '../../model/config.ts';
import { buildParamTable, initParams } from '../../model/params.ts';
import { Rng } from '../../model/rng.ts';
import { modelBackwardReference, modelForwardReference, trainStepReference, type AdamState } from '../../reference/model.ts';
import { trainingBatcher, type StepResult } from '../contract.ts';
import type { GpuModelOptions } from './model.ts';
import { GpuTrainer } from './trainer.ts';

/** The tests' tolerance for whole steps: |got − ref| ≤ atol + rtol·|ref|. */
const PARITY_TOLERANCE = { atol: 1e-6, rtol: 1e-4 } as const;

export interface ParityCase {
  name: string;
  model: ModelConfig;
  train: TrainConfig;
  /** `gradients`: one step's gradients, tensor by tensor; `adam`: losses, parameters and carried state after `steps` Adam steps. */
  kind: 'gradients' | 'adam';
  steps: number;
  options: GpuModelOptions;
}

/** One comparison: what, the largest |got − ref| / (atol + rtol·|ref|) (≤ 1 passes), and the mismatch report when it fails. */
interface ParityComparison {
  what: string;
  worst: number;
  failure: string | null;
}

export interface ParityOutcome {
  name: string;
  /** The recurrence this device ran (persistent or per-timestep, and its shape). */
  recurrence: string;
  comparisons: ParityComparison[];
  ok: boolean;
}

const SMALL: ModelConfig = { vocabSize: 7, embedSize: 5, hiddenSize: 6, layers: 2 };

/**
 * The cases of the check: what the adapter chooses by itself (its GEMM variant and split,
 * its persistent kernels) and the per-timestep fallback, on the tests' sizes (odd, so
 * that no size is a multiple of a workgroup); B 8 · T 40 gives the weight-gradient GEMMs
 * 320 positions, enough for split K where the adapter uses it.
 */
export const PARITY_CASES: readonly ParityCase[] = [
  {
    name: 'gradients of one step, the adapter’s kernels (L 2 H 6 B 3 T 4)',
    model: SMALL,
    train: { ...NOTEBOOK_TRAIN, batch: 3, seqLen: 4, schedule: 'windows', seed: 1 },
    kind: 'gradients',
    steps: 1,
    options: {},
  },
  {
    name: 'gradients of one step, the adapter’s kernels (L 2 H 6 B 8 T 40)',
    model: SMALL,
    train: { ...NOTEBOOK_TRAIN, batch: 8, seqLen: 40, schedule: 'windows', seed: 1 },
    kind: 'gradients',
    steps: 1,
    options: {},
  },
  {
    name: 'gradients of one step, per-timestep recurrence (L 2 H 20 B 3 T 5)',
    model: { ...SMALL, hiddenSize: 20 },
    train: { ...NOTEBOOK_TRAIN, batch: 3, seqLen: 5, schedule: 'windows', seed: 1 },
    kind: 'gradients',
    steps: 1,
    options: { recurrence: 'per-timestep' },
  },
  ...(['streams', 'windows'] as const).map((schedule): ParityCase => ({
    name: `5 Adam steps, ${schedule}, the adapter’s kernels (L 2 H 6 B 3 T 4)`,
    model: SMALL,
    train: { ...NOTEBOOK_TRAIN, batch: 3, seqLen: 4, lr: 0.01, clip: 1, schedule, seed: 7, lrDecay: 0.99 },
    kind: 'adam',
    steps: 5,
    options: {},
  })),
  {
    name: '5 Adam steps, streams, per-timestep recurrence (L 2 H 6 B 3 T 4)',
    model: SMALL,
    train: { ...NOTEBOOK_TRAIN, batch: 3, seqLen: 4, lr: 0.01, clip: 1, schedule: 'streams', seed: 7, lrDecay: 0.99 },
    kind: 'adam',
    steps: 5,
    options: { recurrence: 'per-timestep' },
  },
];

/** |got − ref| / (atol + rtol·|ref|) at its largest (non-finite reference values skipped, as compareArrays does). */
export function worstRatio(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(want[i])) continue;
    const r = Math.abs(got[i] - want[i]) / (atol + rtol * Math.abs(want[i]));
    if (!(r <= worst)) worst = r; // NaN sticks
  }
  return worst;
}

function compare(what: string, got: ArrayLike<number>, want: ArrayLike<number>, atol: number = PARITY_TOLERANCE.atol): ParityComparison {
  const failure = compareArrays(what, got, want, atol, PARITY_TOLERANCE.rtol);
  return { what, worst: got.length === want.length ? worstRatio(got, want, atol, PARITY_TOLERANCE.rtol) : Infinity, failure };
}

/** Runs one case on the device and the float64 reference. */
export async function runParityCase(gpu: GpuContext, c: ParityCase): Promise<ParityOutcome> {
  const table = buildParamTable(c.model);
  const params = initParams(table, new Rng(3));
  const rng = new Rng(11);
  const data = Int32Array.from({ length: Math.max(80, 2 * c.train.batch * c.train.seqLen + 1) }, () => rng.int(c.model.vocabSize));
  const trainer = await GpuTrainer.create(gpu, table, c.train, data, { params }, c.options);
  const comparisons: ParityComparison[] = [];
  try {
    const batcher = trainingBatcher(data, c.train);
    if (c.kind === 'gradients') {
      await trainer.trainStep();
      await trainer.flush();
      const got = await trainer.readGradients();
      const b = batcher.next();
      const { cache } = modelForwardReference(table, params, b.inputs, b.targets, c.train.seqLen, c.train.batch);
      const want = modelBackwardReference(table, params, cache);
      for (const e of table.entries)
        comparisons.push(compare(`gradient ${e.name}`, got.subarray(e.offset, e.offset + e.size), want.subarray(e.offset, e.offset + e.size)));
    } else {
      // The reference walks the same batches, carrying (or resetting) the state the same way.
      const { batch: B, seqLen: T } = c.train;
      const ref = Float64Array.from(params);
      const adam: AdamState = { m: new Float64Array(table.totalSize), v: new Float64Array(table.totalSize), step: 0 };
      const zero = (): Float64Array[] => Array.from({ length: c.model.layers }, () => new Float64Array(B * c.model.hiddenSize));
      let h = zero();
      let cs = zero();
      const refLosses: number[] = [];
      const results: StepResult[] = [];
      for (let s = 0; s < c.steps; s++) {
        results.push(...(await trainer.trainStep()));
        const b = batcher.next();
        if (b.resetState) {
          h = zero();
          cs = zero();
        }
        const { lr, clip, beta1, beta2, eps, lrDecay } = c.train;
        const r = trainStepReference(table, ref, adam, b.inputs, b.targets, T, B, { lr, clip, beta1, beta2, eps, lrDecay }, h, cs);
        h = r.hT;
        cs = r.cT;
        refLosses.push(r.loss);
      }
      results.push(...(await trainer.flush()));
      comparisons.push(
        compare(
          `losses of steps ${results.map((r) => r.step).join(', ')}`,
          results.map((r) => r.loss),
          refLosses,
        ),
      );
      comparisons.push(compare(`parameters after ${c.steps} steps`, await trainer.model.readParams(), ref));
      const carried = await trainer.readCarried();
      comparisons.push(
        compare(
          'carried h',
          carried.h,
          h.flatMap((x) => Array.from(x)),
          1e-5,
        ),
      );
    }
    return { name: c.name, recurrence: trainer.recurrence.summary, comparisons, ok: comparisons.every((x) => x.failure === null) };
  } finally {
    trainer.destroy();
  }
}

/** Every case of PARITY_CASES, in order (all of them run, so that a failure shows everything that disagrees). */
export async function runParityCheck(gpu: GpuContext, log: (s: string) => void = () => {}): Promise<ParityOutcome[]> {
  const out: ParityOutcome[] = [];
  for (const c of PARITY_CASES) {
    log(`parity: ${c.name}`);
    out.push(await runParityCase(gpu, c));
  }
  return out;
}

/** What `bench --parity` prints: one line per case, and each failing comparison's report. */
export function formatParity(outcomes: ParityOutcome[]): string[] {
  const lines: string[] = [];
  const { atol, rtol } = PARITY_TOLERANCE;
  for (const o of outcomes) {
    const worst = Math.max(...o.comparisons.map((c) => c.worst));
    lines.push(
      `  ${o.ok ? 'ok  ' : 'FAIL'} ${o.name}: worst ${Number.isFinite(worst) ? worst.toFixed(3) : String(worst)} of the tolerance; recurrence ${o.recurrence}`,
    );
    for (const c of o.comparisons) if (c.failure) lines.push(`       ${c.failure}`);
  }
  const bad = outcomes.filter((o) => !o.ok).length;
  lines.push(
    bad === 0
      ? `parity: all ${outcomes.length} cases agree with the float64 CPU reference (atol ${atol} + rtol ${rtol}·|ref|; the tests' tolerance)`
      : `parity: ${bad} of ${outcomes.length} cases DISAGREE with the float64 CPU reference beyond atol ${atol} + rtol ${rtol}·|ref|: this adapter computes wrong steps, so its speed figures mean nothing`,
  );
  return lines;
}
