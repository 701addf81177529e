/**
 * Which engine a model trains on, and why, in words for the page. `engine="auto"` (the
 * default) picks the one predicted to be faster here for the chosen settings: a short
 * calibration (src/engine/calibration.ts) measures each engine's pace on this machine once
 * (the GPU's once a page, the CPU's once per model size), and the step's exact FLOP and
 * synchronisation counts turn it into ms/step on each. The reason line states both
 * predictions, the chosen engine's first ("predicted WebGPU (software adapter) ~13 s/step, CPU
 * ~22 s/step here").
 * - a hardware GPU adapter: WebGPU, unless the prediction says otherwise;
 * - no WebGPU: the CPU engine (the only one);
 * - a software adapter (SwiftShader, llvmpipe: a CPU posing as a GPU): whichever is
 *   predicted faster. On this project's 2-core machine that is the CPU engine for the notebook
 *   settings (SwiftShader's dispatches and barriers cost more than the CPU engine's loops) and
 *   WebGPU for the novel preset (SwiftShader's wide kernels use both cores); BENCHMARKS.md
 *   has the predictions beside measured steps.
 * While a pace is being measured the adapter's kind decides, provisionally (the page builds its
 * first model at once and moves it, still untouched, if the measured choice differs). The choice
 * is made again whenever a model is built (Reset, a preset, a text) unless an engine was chosen by hand: `engine="gpu"` or `"cpu"` (or the page's Engine control) forces it.
 */
import { cpuCalibrationShape, measureCpuPace, measureGpuPace, predictStepMs, type EnginePace } from '../engine/calibration.ts';
import type { StepShape } from '../engine/bench.ts';
import type { EngineKind } from '../engine/contract.ts';
import { cpuEngine } from '../engine/cpu.ts';
import { workerCpuEngine } from '../engine/cpu-worker-client.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { RunSettings } from '../run/settings.ts';

/** An engine's short name in the page's sentences ("on the WebGPU engine", "CPU here"). */
export const ENGINE_NAMES: Record<EngineKind, string> = { gpu: 'WebGPU', cpu: 'CPU' };

/** What the `engine` attribute accepts. */
export type EngineAsked = 'auto' | 'gpu' | 'cpu';

/** The vocabulary the choice assumes (the text's is not read yet when a model is first chosen; the head is a small part of a step). */
const CHOICE_VOCAB = 100;

/** What the browser offers: a WebGPU adapter (its summary, and whether it is a software one), or why there is none. */
export interface GpuOffer {
  adapter: string | null;
  software: boolean;
  error: string | null;
}

/** Predicted ms per step on each engine: null where it could not be measured (or is not wanted), undefined while it is being measured. */
export type StepPredictions = Record<EngineKind, number | null | undefined>;

export interface EngineChoice {
  kind: EngineKind;
  /** Why, in a sentence a person reads next to the choice. */
  why: string;
  /** Made while a prediction it needs is being measured (by the adapter's kind meanwhile): it may change when it is known. */
  provisional?: boolean;
}

/** A predicted step time, rounded as an estimate: "~30 ms/step", "~1.5 s/step", "~13 s/step", "~3 min/step". */
export function perStep(ms: number): string {
  if (ms < 995) return `~${Number(ms.toPrecision(ms < 9.5 ? 1 : 2))} ms/step`;
  if (ms < 10_000) return `~${(ms / 1000).toFixed(1)} s/step`;
  if (ms < 120_000) return `~${Math.round(ms / 1000)} s/step`;
  return `~${Math.round(ms / 60_000)} min/step`;
}

/** "WebGPU (software adapter) ~13 s/step, CPU ~22 s/step": the engines' predictions, the chosen one first. */
function predictionWords(first: EngineKind, p: StepPredictions, software: boolean): string {
  const name = (k: EngineKind) => (k === 'gpu' ? adapterName(software) : 'CPU');
  const order: EngineKind[] = first === 'gpu' ? ['gpu', 'cpu'] : ['cpu', 'gpu'];
  return order
    .filter((k) => typeof p[k] === 'number')
    .map((k) => `${name(k)} ${perStep(p[k]!)}`)
    .join(', ');
}

const adapterName = (software: boolean) => `WebGPU (${software ? 'software adapter' : 'hardware GPU'})`;

/**
 * The engine for a model, asked `asked`, given the browser's GPU and the predicted step
 * times of the chosen settings on each engine; throws when "gpu" is asked without WebGPU.
 */
export function chooseEngine(asked: EngineAsked, gpu: GpuOffer, predicted: StepPredictions): EngineChoice {
  const software = gpu.software;
  if (asked === 'cpu' || asked === 'gpu') {
    if (asked === 'gpu' && gpu.adapter === null) {
      throw new Error(`engine="gpu" asks for the GPU engine, but WebGPU is unavailable: ${gpu.error ?? 'no adapter'}; use engine="auto" or "cpu"`);
    }
    const both = typeof predicted.cpu === 'number' && typeof predicted.gpu === 'number';
    return { kind: asked, why: both ? `chosen by hand; predicted ${predictionWords(asked, predicted, software)} here` : 'chosen by hand' };
  }
  if (gpu.adapter === null) {
    const cpu = typeof predicted.cpu === 'number' ? ` (${perStep(predicted.cpu)} here)` : '';
    return { kind: 'cpu', why: `automatic: WebGPU is unavailable in this browser${cpu}` };
  }
  const { cpu: c, gpu: g } = predicted;
  if ((c === undefined || g === undefined) && c !== null && g !== null) {
    // Still measuring: the adapter's kind decides meanwhile (a software adapter: the CPU engine, built at once and never slow to start).
    const kind: EngineKind = software ? 'cpu' : 'gpu';
    const known = predictionWords(kind, predicted, software);
    const measuring = [c === undefined ? 'CPU' : null, g === undefined ? adapterName(software) : null].filter(Boolean).join(' and ');
    return { kind, why: `automatic: ${known ? `predicted ${known} here; ` : ''}measuring ${measuring}…`, provisional: true };
  }
  if (typeof c !== 'number' || typeof g !== 'number') {
    // A calibration failed: the adapter's kind decides.
    const kind: EngineKind = software ? 'cpu' : 'gpu';
    const what = software ? 'a software renderer (no GPU)' : 'a hardware GPU';
    return { kind, why: `automatic: the WebGPU adapter is ${what} (the engines' speed could not be measured here)` };
  }
  const kind: EngineKind = g <= c ? 'gpu' : 'cpu';
  return { kind, why: `automatic: predicted ${predictionWords(kind, predicted, software)} here` };
}

/** The step shape of a model with `settings` on a text of `vocab` characters. */
export function stepShape(s: RunSettings, vocab = CHOICE_VOCAB): StepShape {
  const { model: m, train: t } = s;
  return { vocab, embed: m.embedSize, hidden: m.hiddenSize, layers: m.layers, batch: t.batch, seqLen: t.seqLen };
}

/** A measured pace, or null where the measurement failed (it is not tried again). */
type Measured = { pace: EnginePace | null };

/**
 * The paces measured on this page, kept for its life and shared by every element on it:
 * the GPU's once (one adapter per page), the CPU's once per model size (its rate depends on
 * the size of the weights). Measurements run one at a time, so that they do not slow each other.
 * A `measured` event follows each one (what shows a prediction renders again).
 */
class PagePaces extends EventTarget {
  private gpu: { promise: Promise<Measured>; done: Measured | null } | null = null;
  private cpu = new Map<string, { promise: Promise<Measured>; done: Measured | null }>();
  private queue: Promise<unknown> = Promise.resolve();

  private static cpuKey(s: StepShape): string {
    const c = cpuCalibrationShape({ ...s, vocab: CHOICE_VOCAB });
    return `E${c.embed} H${c.hidden} L${c.layers} T${c.seqLen}`;
  }

  private inTurn(measure: () => Promise<EnginePace>): { promise: Promise<Measured>; done: Measured | null } {
    const entry: { promise: Promise<Measured>; done: Measured | null } = { promise: Promise.resolve({ pace: null }), done: null };
    entry.promise = this.queue
      .then(measure)
      .then(
        (pace) => ({ pace }),
        () => ({ pace: null }),
      )
      .then((m) => {
        entry.done = m;
        this.dispatchEvent(new Event('measured'));
        return m;
      });
    this.queue = entry.promise;
    return entry;
  }

  /** Measures the engines' paces for a model of shape `s` (each at most once a page); resolves when they are known. */
  async measure(kinds: readonly EngineKind[], s: StepShape, gpu: GpuContext | null): Promise<void> {
    const waits: Promise<Measured>[] = [];
    if (kinds.includes('cpu')) {
      const key = PagePaces.cpuKey(s);
      let e = this.cpu.get(key);
      if (!e) {
        e = this.inTurn(async () => {
          // A Worker of its own: a run training on the element's CPU engine neither waits for it nor delays it by a queued message.
          const engine = typeof Worker === 'function' ? workerCpuEngine() : cpuEngine();
          try {
            return await measureCpuPace(engine, { ...s, vocab: CHOICE_VOCAB });
          } finally {
            engine.close();
          }
        });
        this.cpu.set(key, e);
      }
      waits.push(e.promise);
    }
    if (kinds.includes('gpu') && gpu) {
      this.gpu ??= this.inTurn(() => measureGpuPace(gpu));
      waits.push(this.gpu.promise);
    }
    await Promise.all(waits);
  }

  /** The pace measured for an engine and model shape; undefined before it is measured, null if the measurement failed. */
  pace(kind: EngineKind, s: StepShape): EnginePace | null | undefined {
    const e = kind === 'gpu' ? this.gpu : this.cpu.get(PagePaces.cpuKey(s));
    return e?.done ? e.done.pace : undefined;
  }

  /** Predicted ms per step of shape `s` on an engine; undefined before it is measured, null if the measurement failed. */
  predict(kind: EngineKind, s: StepShape): number | null | undefined {
    const p = this.pace(kind, s);
    return p ? predictStepMs(p, s) : p;
  }
}

/** The page's measured paces (see PagePaces). */
export const pagePaces = new PagePaces();
