/**
 * The Lit controller between <char-lm-demo> and a TrainingRun (src/run/): it borrows
 * the shared GPU device, opens and replaces runs, hands their steps and errors to the
 * host and frees everything when the host leaves the page. The host updates when the
 * run is replaced or fails; the panels it passes the run to follow the run's own
 * events (RunWatch). Components never touch GPU buffers; they go through this.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { GpuContext } from '../gpu/device.ts';
import type { Engine, EngineKind, StepResult } from '../engine/contract.ts';
import { cpuEngine } from '../engine/cpu.ts';
import { workerCpuEngine } from '../engine/cpu-worker-client.ts';
import { gpuEngine } from '../engine/gpu/engine.ts';
import { TrainingRun, outsideVocabulary, prepareRun, type RunInput, type RunLog } from '../run/run.ts';
import { encodeInBackground } from '../run/encode-async.ts';
import type { EncodedText } from '../text/encoded.ts';
import { VocabError } from '../text/vocab.ts';
import { gpuRegistry } from './gpu-registry.ts';

export interface RunHooks {
  onStep: (r: StepResult) => void;
  onError: (e: Error) => void;
  /** A run is about to be replaced (its successor is built): the last chance to read it, e.g. to store it. */
  beforeReplace?: (old: TrainingRun) => Promise<void>;
  /** A new run is the current one. */
  onReplace?: (run: TrainingRun) => void;
}

export class RunController implements ReactiveController {
  run: TrainingRun | null = null;
  gpu: GpuContext | null = null;
  gpuError: string | null = null;
  private engines = new Map<EngineKind, Engine>();

  constructor(
    private host: ReactiveControllerHost,
    private hooks: RunHooks,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    // Leaving the page stops training, frees the GPU buffers, then gives the device back.
    const run = this.run;
    const engines = [...this.engines.values()];
    const borrowed = this.gpu !== null;
    this.run = null;
    this.engines.clear();
    this.gpu = null;
    void (run?.destroy() ?? Promise.resolve()).finally(() => {
      for (const e of engines) e.close();
      if (borrowed) gpuRegistry.release();
    });
  }

  /** Asks for the shared device once; on failure remembers why (the CPU engine remains). */
  async connectGpu(): Promise<GpuContext | null> {
    if (this.gpu || this.gpuError) return this.gpu;
    try {
      const gpu = await gpuRegistry.acquire();
      this.gpu = gpu;
      gpu.device.lost.then((info) => {
        if (this.gpu !== gpu) return;
        this.gpu = null;
        this.engines.delete('gpu');
        if (info.reason !== 'destroyed') this.hooks.onError(new Error(`the GPU device was lost (${info.message}); reload the page to train again`));
      });
    } catch (e) {
      this.gpuError = (e as Error).message;
    }
    this.host.requestUpdate();
    return this.gpu;
  }

  /** The engine of a kind, built once per element. */
  private engine(kind: EngineKind): Engine {
    let e = this.engines.get(kind);
    if (!e) {
      if (kind === 'gpu') {
        if (!this.gpu) throw new Error(`the GPU engine needs WebGPU, which is unavailable: ${this.gpuError ?? 'no device'}`);
        e = gpuEngine(this.gpu, `WebGPU on ${this.gpu.adapter.summary}`, false);
      } else {
        // In a Worker, so that a step never blocks the page.
        e = typeof Worker === 'function' ? workerCpuEngine() : cpuEngine();
      }
      this.engines.set(kind, e);
    }
    return e;
  }

  /**
   * The input's text encoded without blocking the page (a 20 MB text takes a second):
   * as given; the current run's when it is the same text with its own vocabulary
   * (Reset); else in a Worker. A character outside a loaded checkpoint's vocabulary is
   * an error naming the text and the checkpoint.
   */
  private async encoding(input: RunInput): Promise<EncodedText> {
    if (input.encoded) return input.encoded;
    const p = this.run?.prepared;
    if (!input.checkpoint && p && p.corpus === input.corpus && p.startKind === 'fresh') {
      return { ids: p.ids, chars: p.vocab.chars, fingerprint: p.identity.fingerprint };
    }
    try {
      return await encodeInBackground(input.corpus.text, input.checkpoint?.contents.vocab);
    } catch (e) {
      if (e instanceof VocabError && input.checkpoint) throw outsideVocabulary(e, input.corpus.name, input.checkpoint.name);
      throw e;
    }
  }

  /**
   * Replaces the run with one for this input on an engine (`log`: what a saved run had
   * shown). Validation happens first: on bad input it throws and the current run stays
   * as it was.
   */
  async replace(input: RunInput, kind: EngineKind, log?: RunLog): Promise<TrainingRun> {
    const prepared = prepareRun({ ...input, encoded: await this.encoding(input) }); // throws, changing nothing
    const next = await TrainingRun.open(prepared, this.engine(kind), log);
    const old = this.run;
    if (old) await this.hooks.beforeReplace?.(old).catch((e: Error) => this.hooks.onError(e));
    this.run = next;
    this.hooks.onReplace?.(next);
    await old?.destroy();
    // A replaced or removed run still reports the steps it had in flight: only the current run's reach the host.
    next.on('step', (r) => {
      if (this.run === next) this.hooks.onStep(r);
    });
    next.on('error', (e) => {
      if (this.run !== next) return;
      this.hooks.onError(e);
      this.host.requestUpdate();
    });
    this.host.requestUpdate();
    return next;
  }
}
