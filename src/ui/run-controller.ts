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
import { NumericsError } from '../run/numerics.ts';
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
  /**
   * The GPU device was lost (not given back): `reason` in words. The host then calls
   * recoverDevice() (in turn with its other actions).
   */
  onDeviceLost?: (reason: string) => void;
}

/** Where a run went after its device was lost. */
export interface DeviceRecovery {
  /** The engine it trains on now: a new GPU device, or the CPU engine when none could be had. */
  kind: EngineKind;
  /** The step it is back at (its newest snapshot), or null when no run was on the lost device. */
  step: number | null;
  /** Whether it went on training. */
  training: boolean;
  /** Why no new device could be had (kind 'cpu'). */
  why: string | null;
}

/** Resolves true if the device is lost within `ms` (a failed read on a lost device comes before or just after the loss is announced). */
function lostWithin(device: GPUDevice, ms: number): Promise<boolean> {
  return Promise.race([device.lost.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

export class RunController implements ReactiveController {
  run: TrainingRun | null = null;
  gpu: GpuContext | null = null;
  gpuError: string | null = null;
  private engines = new Map<EngineKind, Engine>();
  /** The device each GPU engine runs on. */
  private devices = new WeakMap<Engine, GPUDevice>();

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
      // An uncaptured error (out of memory, an internal error) leaves the device's buffers in doubt:
      // it is given up like a lost device, and the run goes on from its kept state on a new one.
      let failure: string | null = null;
      gpu.device.addEventListener('uncapturederror', (ev) => {
        if (this.gpu !== gpu || failure !== null) return;
        failure = (ev as GPUUncapturedErrorEvent).error.message.split('\n')[0].trim().replace(/\.$/, '') || 'an unknown error';
        gpu.device.destroy();
      });
      gpu.device.lost.then((info) => {
        // Given back already (the element left), or destroyed by the registry when the last borrower gave it back: no accident.
        if (this.gpu !== gpu || gpuRegistry.destroyedHere(gpu.device)) return;
        this.gpu = null;
        this.engines.get('gpu')?.close();
        this.engines.delete('gpu');
        gpuRegistry.release(); // our borrow of the lost device; the registry has forgotten it
        this.host.requestUpdate();
        const message = info.message?.trim().replace(/\.$/, '') || 'no reason given';
        this.hooks.onDeviceLost?.(failure !== null ? `after a GPU error: ${failure}` : info.reason === 'destroyed' ? `it was destroyed: ${message}` : message);
      });
    } catch (e) {
      this.gpuError = (e as Error).message;
    }
    this.host.requestUpdate();
    return this.gpu;
  }

  /**
   * After onDeviceLost: asks for a new device (the registry has forgotten the lost one)
   * and moves the run that trained on the lost one onto it from its newest snapshot, or
   * onto the CPU engine when no device can be had. Training goes on if it was training.
   */
  async recoverDevice(): Promise<DeviceRecovery> {
    this.gpuError = null;
    await this.connectGpu();
    let kind: EngineKind = this.gpu ? 'gpu' : 'cpu';
    let why: string | null = this.gpu ? null : this.gpuError;
    const run = this.run;
    let step: number | null = null;
    // A run whose engine is no longer one of ours was on the lost device.
    if (run && ![...this.engines.values()].includes(run.engine)) {
      try {
        step = await run.moveTo(this.engine(kind));
      } catch (e) {
        if (kind === 'cpu') throw e;
        // The new device could not take the run (it failed too): the CPU engine can.
        kind = 'cpu';
        why = (e as Error).message;
        step = await run.moveTo(this.engine(kind));
      }
    }
    this.host.requestUpdate();
    return { kind, step, training: run?.training ?? false, why };
  }

  /** The engine of a kind, built once per element. */
  private engine(kind: EngineKind): Engine {
    let e = this.engines.get(kind);
    if (!e) {
      if (kind === 'gpu') {
        if (!this.gpu) throw new Error(`the GPU engine needs WebGPU, which is unavailable: ${this.gpuError ?? 'no device'}`);
        e = gpuEngine(this.gpu, `WebGPU on ${this.gpu.adapter.summary}`, false);
        this.devices.set(e, this.gpu.device);
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
      const device = e instanceof NumericsError ? undefined : this.devices.get(next.engine);
      // A read that failed because the device was lost: onDeviceLost tells the user, and recovery follows.
      void (device ? lostWithin(device, 1500) : Promise.resolve(false)).then((lost) => {
        if (lost || this.run !== next) return;
        this.hooks.onError(e);
        this.host.requestUpdate();
      });
    });
    this.host.requestUpdate();
    return next;
  }
}
