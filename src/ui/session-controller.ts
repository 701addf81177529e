/**
 * The Lit controller between <char-lm-demo> and a TrainingSession: it borrows the
 * shared GPU device, builds and replaces sessions, forwards their changes to the host
 * (one update per change) and frees everything when the host leaves the page.
 * Components never touch GPU buffers; they go through this.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { TrainingSession, type Corpus, type EngineKind, type LoadedModel, type SessionSettings } from '../train/session.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { StepResult } from '../train/engine.ts';
import { gpuRegistry } from './gpu-registry.ts';

export class SessionController implements ReactiveController {
  session: TrainingSession | null = null;
  gpu: GpuContext | null = null;
  gpuError: string | null = null;
  private borrowed = false;

  constructor(
    private host: ReactiveControllerHost,
    private hooks: { onStep: (r: StepResult) => void; onError: (e: Error) => void },
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    // Leaving the page stops training and frees the GPU buffers.
    void this.session?.destroy();
    this.session = null;
    if (this.borrowed) gpuRegistry.release();
    this.borrowed = false;
  }

  /** Asks for the shared device once; on failure remembers why (the CPU engine remains). */
  async connectGpu(): Promise<GpuContext | null> {
    if (this.gpu || this.gpuError) return this.gpu;
    try {
      this.gpu = await gpuRegistry.acquire();
      this.borrowed = true;
      this.gpu.device.lost.then((info) => {
        this.gpu = null;
        this.borrowed = false;
        if (info.reason !== 'destroyed') this.hooks.onError(new Error(`the GPU device was lost (${info.message}); reload the page to train again`));
      });
    } catch (e) {
      this.gpuError = (e as Error).message;
    }
    this.host.requestUpdate();
    return this.gpu;
  }

  /**
   * Replaces the session with one for this corpus and these settings. Validation
   * happens first: on bad input it throws and the current session stays as it was.
   */
  async replace(corpus: Corpus, settings: SessionSettings, engine: EngineKind, loaded: LoadedModel | null = null): Promise<TrainingSession> {
    TrainingSession.prepare(corpus, settings, loaded?.vocab); // throws, changing nothing
    const next = new TrainingSession(engine, engine === 'gpu' ? this.gpu : null, corpus, settings, loaded);
    const old = this.session;
    this.session = next;
    await old?.destroy();
    next.onChange = () => this.host.requestUpdate();
    next.onStep = (r) => this.hooks.onStep(r);
    next.onError = (e) => this.hooks.onError(e);
    this.host.requestUpdate();
    return next;
  }
}
