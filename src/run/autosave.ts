/**
 * Keeps a training run in the RunStore as it trains, so that a reload, a crash or a
 * closed tab loses at most a few steps: a checkpoint every N steps (taken inside the
 * training loop, no pause), with N chosen from what saving costs so that it stays
 * under 2% of training time, and at once when asked (pause, hidden page, unload).
 * Errors (a full or blocked storage) are reported through onError, never swallowed.
 */
import type { CheckpointTaken, TrainingRun } from './run.ts';
import { StorageError, type RunStore, type SavedRunInfo } from './store.ts';

/** Saving may cost at most this fraction of training time. */
const SAVE_BUDGET = 0.02;
/** Steps between the first checkpoints, before the cost is known. */
const FIRST_EVERY = 25;

export class AutoSaver {
  /** The last step kept in the store. */
  savedStep: number;
  /** Time spent saving (snapshot and write), ms, and the steps it covered: the measured cost. */
  readonly cost = { saveMs: 0, saves: 0 };
  /** Told after each write that reached the store (the page shows what is kept). */
  onSaved: (step: number) => void = () => undefined;
  private writing: Promise<void> = Promise.resolve();
  private off: (() => void)[] = [];
  private created = Date.now();

  constructor(
    private run: TrainingRun,
    private store: RunStore,
    readonly id: string,
    private meta: Pick<SavedRunInfo, 'corpusName' | 'engine'>,
    private onError: (e: StorageError) => void,
    /** The step already in the store (a run continued from it), else -1: nothing saved yet. */
    savedStep = -1,
  ) {
    this.savedStep = savedStep;
    run.saveEvery = FIRST_EVERY;
    this.off.push(run.on('checkpoint', (c) => this.keep(c)));
  }

  /** Steps trained since the last save (what a closed tab would lose now). */
  get unsaved(): boolean {
    return this.run.step > this.savedStep;
  }

  /**
   * Saves now: inside the training loop at the next step while training, else from the
   * paused model. Resolves when it is in the store.
   */
  async saveNow(): Promise<void> {
    if (!this.unsaved) return this.writing;
    if (this.run.status === 'training') {
      const done = new Promise<void>((resolve) => {
        const off = this.run.on('checkpoint', () => {
          off();
          resolve(this.writing);
        });
      });
      this.run.requestCheckpoint();
      return done;
    }
    const t0 = performance.now();
    let bytes: Uint8Array;
    try {
      bytes = await this.run.checkpoint();
    } catch (e) {
      // A run replaced or removed meanwhile has nothing more to store (its successor is kept); anything else is reported.
      if (!this.run.closed) this.onError(new StorageError(`could not read the run to save it: ${(e as Error).message}`));
      return;
    }
    await this.keep({ step: this.run.step, bytes, ms: performance.now() - t0 });
  }

  private keep(c: CheckpointTaken): Promise<void> {
    const run = this.run;
    const last = run.history.last;
    const info: SavedRunInfo = {
      id: this.id,
      corpusName: this.meta.corpusName,
      engine: this.meta.engine,
      fingerprint: run.prepared.identity.fingerprint,
      characters: run.prepared.identity.characters,
      settings: run.settings,
      step: c.step,
      target: run.target,
      lastLoss: last ? last.loss : null,
      created: this.created,
      updated: Date.now(),
    };
    const log = run.log();
    const write = async () => {
      const t0 = performance.now();
      try {
        await this.store.save({ info, checkpoint: c.bytes, log, text: run.prepared.corpus.text });
        this.savedStep = Math.max(this.savedStep, c.step);
        this.cost.saveMs += c.ms + (performance.now() - t0);
        this.cost.saves++;
        this.adapt();
        this.onSaved(c.step);
      } catch (e) {
        this.onError(e instanceof StorageError ? e : new StorageError(`could not save the run: ${(e as Error).message}`));
      }
    };
    // Writes are kept in order; each carries the whole state, so a slow store never mixes two.
    this.writing = this.writing.then(write);
    return this.writing;
  }

  /** Chooses the steps between saves so that saving costs under SAVE_BUDGET of training time. */
  private adapt(): void {
    const perSave = this.cost.saveMs / this.cost.saves;
    const perStep = this.run.throughput.msPerStep;
    if (!(perStep > 0)) return;
    this.run.saveEvery = Math.max(1, Math.min(100_000, Math.ceil(perSave / (SAVE_BUDGET * perStep))));
  }

  /** Stops saving (the run is replaced or the element leaves); writes in flight finish. */
  detach(): Promise<void> {
    for (const off of this.off) off();
    this.off = [];
    this.run.saveEvery = 0;
    return this.writing;
  }
}
