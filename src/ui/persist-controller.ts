/**
 * The Lit controller behind <char-lm-demo persist>: it opens the page's RunStore, keeps
 * the current run in it with an AutoSaver (a new id for each fresh model, the same id
 * for a continued one), saves at once when training pauses or stops, when the page is
 * hidden and on pagehide, and asks before unloading only while trained steps are not
 * yet stored. Storage problems are kept for the panel they concern and reported to the
 * host; they never stop training.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { AutoSaver } from '../run/autosave.ts';
import type { TrainingRun } from '../run/run.ts';
import { RunStore, StorageError, newRunId, type SavedRun, type SavedRunInfo } from '../run/store.ts';

export interface PersistHooks {
  /** A storage problem (also shown in its panel): the host reports it (char-lm-error). */
  onError: (e: StorageError) => void;
}

export class PersistController implements ReactiveController {
  /** Set by the host when it starts with `persist`. */
  enabled = false;
  /** Saved runs other than the one being kept now, the most recently saved first. */
  runs: SavedRunInfo[] = [];
  /** Why saved runs cannot be opened, listed, read or deleted ('' when they can). */
  storeError = '';
  /** Why the current run could not be saved ('' once a save succeeds). */
  saveError = '';
  private store: RunStore | null = null;
  private opening: Promise<void> | null = null;
  private saver: AutoSaver | null = null;
  private kept: TrainingRun | null = null;
  /** The step the kept run had when it came to this page: steps beyond it are progress to keep. */
  private baseline = 0;
  private offStatus: () => void = () => undefined;
  /** The saved run the next kept run continues (its id and step). */
  private continuing: { id: string; step: number } | null = null;
  private lastReported = '';

  constructor(
    private host: ReactiveControllerHost,
    private hooks: PersistHooks,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    document.addEventListener('visibilitychange', this.onVisibility);
    window.addEventListener('pagehide', this.onPageHide);
    window.addEventListener('beforeunload', this.onBeforeUnload);
  }

  hostDisconnected(): void {
    document.removeEventListener('visibilitychange', this.onVisibility);
    window.removeEventListener('pagehide', this.onPageHide);
    window.removeEventListener('beforeunload', this.onBeforeUnload);
    const saver = this.saver;
    const store = this.store;
    this.release();
    this.kept = null;
    this.store = null;
    this.opening = null;
    void (saver?.detach() ?? Promise.resolve()).finally(() => store?.close());
  }

  /** Opens the store and lists its runs (once per connection); a failure is kept in storeError and reported. */
  open(): Promise<void> {
    this.enabled = true;
    this.opening ??= (async () => {
      try {
        this.store = await RunStore.open();
        this.storeError = '';
        if (this.kept) this.attach(this.kept);
        await this.refresh();
      } catch (e) {
        this.storeFailed(e);
      }
      this.host.requestUpdate();
    })();
    return this.opening;
  }

  /** The step last stored for the current run, or -1. */
  get savedStep(): number {
    return this.saver?.savedStep ?? -1;
  }

  /** The id the current run is stored under (null before the store is open). */
  get currentId(): string | null {
    return this.saver?.id ?? null;
  }

  /** Time spent saving the current run so far (for reports and tests). */
  get cost(): { saveMs: number; saves: number } | null {
    return this.saver?.cost ?? null;
  }

  /** Trained steps not yet in the store (what closing the tab would lose). */
  get unsaved(): boolean {
    return !!this.saver && !!this.kept && this.saver.unsaved && this.kept.step > this.baseline;
  }

  /** The next run given to keep() continues this saved run (same id, already stored up to its step). */
  continueNext(info: SavedRunInfo | null): void {
    this.continuing = info && { id: info.id, step: info.step };
  }

  /** Keeps a new current run (called when the host's run is replaced). */
  keep(run: TrainingRun): void {
    if (!this.enabled) return;
    this.release();
    this.kept = run;
    if (this.store) {
      this.attach(run);
      void this.refresh();
    }
  }

  /** Before a run is replaced: its last steps are stored, then it is let go. */
  async letGo(run: TrainingRun): Promise<void> {
    if (run !== this.kept) return;
    // Paused first: a checkpoint asked of a loop that is about to reach its target might never come.
    this.offStatus();
    await run.pause();
    await this.saveNow();
    this.release();
    this.kept = null;
  }

  private attach(run: TrainingRun): void {
    const c = this.continuing;
    this.continuing = null;
    this.baseline = run.step;
    this.saveError = '';
    const saver = new AutoSaver(
      run,
      this.store!,
      c?.id ?? newRunId(),
      { corpusName: run.prepared.corpus.name, engine: run.engine.kind },
      (e) => this.saveFailed(e),
      c ? c.step : -1,
    );
    saver.onSaved = () => {
      this.saveError = '';
      this.lastReported = '';
      this.host.requestUpdate();
    };
    this.saver = saver;
    // Paused or stopped: nothing more comes for a while, so what was trained is stored now.
    this.offStatus = run.on('status', ({ status }) => {
      if (status === 'paused' || status === 'done') void this.saveNow();
    });
  }

  private release(): void {
    this.offStatus();
    this.offStatus = () => undefined;
    void this.saver?.detach();
    this.saver = null;
  }

  /** Stores the current run now when it has unsaved steps (errors go to saveError). */
  async saveNow(): Promise<void> {
    if (this.unsaved) await this.saver!.saveNow();
  }

  /** A saved run, whole (null when it is gone); a failure is shown in the saved-runs panel and thrown. */
  async load(id: string): Promise<SavedRun | null> {
    await this.opening; // a call made while the store is still opening waits for it
    try {
      return await this.needStore().load(id);
    } catch (e) {
      throw this.storeFailed(e);
    }
  }

  async delete(id: string): Promise<void> {
    await this.opening;
    try {
      await this.needStore().delete(id);
      this.runs = this.runs.filter((r) => r.id !== id);
      this.host.requestUpdate();
    } catch (e) {
      this.storeFailed(e);
    }
  }

  private needStore(): RunStore {
    // Opened (open() awaited by the callers) and failed, or never asked for: retrying would not help.
    if (!this.store) throw new StorageError(this.storeError || 'saved runs are kept only by an element with the persist attribute');
    return this.store;
  }

  /** Lists the saved runs again (the current one left out). */
  async refresh(): Promise<void> {
    if (!this.store) return;
    try {
      const current = this.saver?.id;
      this.runs = (await this.store.list()).filter((r) => r.id !== current);
      this.storeError = '';
    } catch (e) {
      this.storeFailed(e);
    }
    this.host.requestUpdate();
  }

  private storeFailed(e: unknown): StorageError {
    const err = e instanceof StorageError ? e : new StorageError(`saved runs are unavailable: ${(e as Error).message}`);
    this.storeError = err.message;
    this.report(err);
    this.host.requestUpdate();
    return err;
  }

  private saveFailed(e: StorageError): void {
    this.saveError = e.message;
    this.report(e);
    this.host.requestUpdate();
  }

  /** Reports each problem once while it lasts (a full storage fails every save). */
  private report(e: StorageError): void {
    if (e.message === this.lastReported) return;
    this.lastReported = e.message;
    this.hooks.onError(e);
  }

  private onVisibility = (): void => {
    if (document.visibilityState === 'hidden') void this.saveNow();
  };

  private onPageHide = (): void => {
    void this.saveNow();
  };

  private onBeforeUnload = (e: BeforeUnloadEvent): void => {
    if (!this.unsaved) return;
    void this.saveNow();
    // Asks the browser to confirm leaving: trained steps are not stored yet.
    e.preventDefault();
    e.returnValue = 'Training progress is not saved yet.'; // Chromium before 119 asks only when this is set
  };
}
