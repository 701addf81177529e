/**
 * Which engine a model trains on, and why, in words for the page. `engine="auto"` (the
 * default) picks the one that is faster here:
 * - a hardware GPU adapter: the WebGPU engine;
 * - no WebGPU: the CPU engine (the only one);
 * - a software adapter (SwiftShader, llvmpipe: a CPU posing as a GPU): the CPU engine for
 *   models of up to SOFTWARE_ADAPTER_CPU_PARAMETERS parameters, the WebGPU engine above.
 *   Measured on a 2-core machine: the notebook settings (E 32, H 128, B 1 × T 40) train at
 *   about 370 chars/s on SwiftShader's WebGPU and 1,600–1,900 chars/s on the CPU engine
 *   (float64 in a Worker); the `small` bench (B 32 × T 64) at 1,325 against about 1,700.
 *   Both then do the same float arithmetic on the same cores, and SwiftShader's dispatches and
 *   barriers cost more than the CPU engine's loops; a large model with large batches is the
 *   one case where SwiftShader's wide kernels may catch up, so it stays on WebGPU. The novel
 *   preset (0.9 million parameters, B 32 × T 64) falls under the line: the two engines have not
 *   been compared at that size (its 5,000 steps take hours on either here); for the shipped
 *   model's sampling and inspection the CPU engine spares SwiftShader's seconds of compiling.
 * `engine="gpu"` or `"cpu"` (or the page's Engine control) overrides the choice.
 */
import type { EngineKind } from '../engine/contract.ts';
import { parameterCounts } from '../model/config.ts';
import type { RunSettings } from '../run/settings.ts';

/** An engine's short name in the page's sentences ("on the WebGPU engine", "CPU here"). */
export const ENGINE_NAMES: Record<EngineKind, string> = { gpu: 'WebGPU', cpu: 'CPU' };

/** What the `engine` attribute accepts. */
export type EngineAsked = 'auto' | 'gpu' | 'cpu';

/** On a software adapter, models up to this many parameters (the vocabulary counted as 100) train on the CPU engine. */
const SOFTWARE_ADAPTER_CPU_PARAMETERS = 1_000_000;

/** What the browser offers: a WebGPU adapter (its summary, and whether it is a software one), or why there is none. */
export interface GpuOffer {
  adapter: string | null;
  software: boolean;
  error: string | null;
}

export interface EngineChoice {
  kind: EngineKind;
  /** Why, in a sentence a person reads next to the choice. */
  why: string;
}

/** Parameters of a model with these settings (a vocabulary of 100 standing for the text's: the choice must not wait for it). */
function roughParameters(s: RunSettings): number {
  return parameterCounts({ vocabSize: 100, ...s.model }).total;
}

/** The engine for a model with `settings`, asked `asked`, given the browser's GPU; throws when "gpu" is asked without WebGPU. */
export function chooseEngine(asked: EngineAsked, gpu: GpuOffer, settings: RunSettings): EngineChoice {
  if (asked === 'cpu') return { kind: 'cpu', why: 'chosen by hand' };
  if (asked === 'gpu') {
    if (gpu.adapter === null) {
      throw new Error(`engine="gpu" asks for the GPU engine, but WebGPU is unavailable: ${gpu.error ?? 'no adapter'}; use engine="auto" or "cpu"`);
    }
    return { kind: 'gpu', why: gpu.software ? 'chosen by hand (on a software adapter the CPU engine is usually faster)' : 'chosen by hand' };
  }
  if (gpu.adapter === null) return { kind: 'cpu', why: 'automatic: WebGPU is unavailable in this browser' };
  if (!gpu.software) return { kind: 'gpu', why: 'automatic: the WebGPU adapter is a hardware GPU' };
  const n = roughParameters(settings);
  if (n <= SOFTWARE_ADAPTER_CPU_PARAMETERS) {
    return {
      kind: 'cpu',
      why: 'automatic: this WebGPU adapter is a software renderer (no GPU); a model this small usually trains faster on the CPU engine',
    };
  }
  return {
    kind: 'gpu',
    why: `automatic: the WebGPU adapter is a software renderer (no GPU), but a model of ${(n / 1e6).toFixed(1)} million parameters runs no faster on the CPU engine; expect it to be slow either way`,
  };
}
