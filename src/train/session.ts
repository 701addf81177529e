/**
 * A training session: one corpus, one model, one engine, and everything the page
 * shows about them. It owns the step loop (which yields to rendering between short
 * bursts of steps), the loss history, the periodic samples and the validation loss.
 * No DOM here: the Lit controller (src/ui/session-controller.ts) wraps it.
 */
import { parameterCounts, validateModelConfig, validateTrainConfig, type ModelConfig, type TrainConfig } from '../model/config.ts';
import { buildParamTable, initParams, type ParamTable } from '../model/params.ts';
import { Rng } from '../model/rng.ts';
import { Vocab } from '../text/vocab.ts';
import { checkCorpus, splitTrainVal } from '../text/corpus.ts';
import type { GpuContext } from '../gpu/device.ts';
import { GpuTrainer } from './trainer.ts';
import { CpuTrainer } from './cpu-engine.ts';
import type { SampleRow, StepResult, TrainEngine, TrainerInit } from './engine.ts';
import { loadCheckpoint, saveCheckpoint } from '../model/checkpoint.ts';
import { VocabError } from '../text/vocab.ts';
import { fingerprint, parseTrainingState, resumeInit, toTrainingState } from './training-state.ts';

export type EngineKind = 'gpu' | 'cpu';
export type SessionStatus = 'idle' | 'training' | 'paused' | 'done';

export interface SessionSettings {
  model: Omit<ModelConfig, 'vocabSize'>;
  train: TrainConfig;
  /** Steps to train before stopping by itself. */
  steps: number;
  /** A sample is logged every this many steps (0 = never). */
  sampleEvery: number;
  /** Validation loss every this many steps, when there is a validation split. */
  valEvery: number;
}

export interface Corpus {
  name: string;
  text: string;
}

/** A model read from a checkpoint: its vocabulary and where its trainer starts. */
export interface LoadedModel {
  vocab: Vocab;
  init: TrainerInit;
}

export interface LoggedSample {
  step: number;
  text: string;
}

export interface CharLoss {
  char: string;
  /** Mean loss (nats) of predicting this character. */
  loss: number;
  count: number;
}

/** Loss history in growable typed arrays (the chart streams from these without copying). */
export class LossHistory {
  steps = new Float64Array(1024);
  loss = new Float64Array(1024);
  avg = new Float64Array(1024);
  val = new Float64Array(1024).fill(NaN);
  length = 0;

  push(step: number, loss: number): void {
    if (this.length === this.steps.length) this.grow();
    const i = this.length++;
    this.steps[i] = step;
    this.loss[i] = loss;
    const from = Math.max(0, i - 9);
    let s = 0;
    for (let k = from; k <= i; k++) s += this.loss[k];
    this.avg[i] = s / (i - from + 1);
    this.val[i] = NaN;
  }

  /** Marks the validation loss at the latest step. */
  pushVal(v: number): void {
    if (this.length > 0) this.val[this.length - 1] = v;
  }

  private grow(): void {
    const n = this.steps.length * 2;
    const g = (a: Float64Array, fill = 0) => {
      const b = new Float64Array(n).fill(fill);
      b.set(a);
      return b;
    };
    this.steps = g(this.steps);
    this.loss = g(this.loss);
    this.avg = g(this.avg);
    this.val = g(this.val, NaN);
  }

  clear(): void {
    this.length = 0;
  }

  get last(): { step: number; loss: number; avg: number } | null {
    if (this.length === 0) return null;
    const i = this.length - 1;
    return { step: this.steps[i], loss: this.loss[i], avg: this.avg[i] };
  }
}

/** Yields to the browser so that it can render and handle input. */
const yieldToRenderer = () => new Promise<void>((r) => setTimeout(r, 0));

export class TrainingSession {
  readonly history = new LossHistory();
  readonly samples: LoggedSample[] = [];
  status: SessionStatus = 'idle';
  vocab: Vocab;
  table: ParamTable;
  trainer: TrainEngine | null = null;
  train: Int32Array;
  val: Int32Array | null;
  lastVal: number | null = null;
  /** chars/s and ms/step over the last burst of steps. */
  throughput = { charsPerSecond: 0, msPerStep: 0 };
  /** Called whenever something shown has changed. */
  onChange: (() => void) | null = null;
  onStep: ((r: StepResult) => void) | null = null;
  onError: ((e: Error) => void) | null = null;
  private loop: Promise<void> | null = null;
  private busy: Promise<unknown> = Promise.resolve();
  private destroyed = false;

  constructor(
    readonly engine: EngineKind,
    readonly gpu: GpuContext | null,
    public corpus: Corpus,
    public settings: SessionSettings,
    private loaded: LoadedModel | null = null,
  ) {
    if (engine === 'gpu' && !gpu) throw new Error('the GPU engine needs a WebGPU device');
    const prepared = TrainingSession.prepare(corpus, settings, loaded?.vocab);
    this.vocab = prepared.vocab;
    this.table = prepared.table;
    this.train = prepared.train;
    this.val = prepared.val;
  }

  /**
   * Checks a corpus and settings together and builds what a session needs from them;
   * throws a clear error (and changes nothing) when they do not fit.
   */
  static prepare(corpus: Corpus, settings: SessionSettings, loadedVocab?: Vocab) {
    checkCorpus(corpus.text, settings.train.seqLen);
    const vocab = loadedVocab ?? Vocab.fromText(corpus.text);
    const model: ModelConfig = { vocabSize: vocab.size, ...settings.model };
    validateModelConfig(model);
    validateTrainConfig(settings.train);
    let ids: Int32Array;
    try {
      ids = vocab.encode(corpus.text);
    } catch (e) {
      if (!(e instanceof VocabError) || !loadedVocab) throw e;
      throw new Error(`the loaded model cannot read this text: ${e.message.replace(/; use text.*$/, '')}; choose a text made of its characters, or train a new model on this one`);
    }
    const { train, val } = splitTrainVal(ids);
    const { seqLen: T, batch: B, schedule } = settings.train;
    if (schedule === 'streams' && train.length - 1 < B * T) {
      throw new Error(
        `the training text (${train.length} characters) is too short for ${B} streams of ${T}: it needs at least ${B * T + 1}; use fewer streams or a shorter sequence length`,
      );
    }
    return { vocab, table: buildParamTable(model), train, val };
  }

  get counts() {
    return parameterCounts(this.table.config);
  }

  get step(): number {
    return this.trainer?.step ?? this.loaded?.init.step ?? 0;
  }

  private async ensureTrainer(): Promise<TrainEngine> {
    if (this.trainer) return this.trainer;
    const init = this.loaded?.init ?? { params: initParams(this.table, new Rng(this.settings.train.seed)) };
    const t =
      this.engine === 'gpu'
        ? await GpuTrainer.create(this.gpu!, this.table, this.settings.train, this.train, init)
        : new CpuTrainer(this.table, this.settings.train, this.train, init);
    t.onStep = (r) => {
      this.history.push(r.step, r.loss);
      this.onStep?.(r);
    };
    this.trainer = t;
    return t;
  }

  /** Starts or resumes training. */
  start(): void {
    if (this.status === 'training' || this.destroyed) return;
    if (this.status === 'done') this.settings = { ...this.settings, steps: this.step + this.settings.steps };
    this.status = 'training';
    this.onChange?.();
    this.loop = this.run().catch((e: Error) => {
      this.status = 'paused';
      this.onError?.(e);
      this.onChange?.();
    });
  }

  /** Pauses after the step in flight; resolves when the loop has stopped. */
  async pause(): Promise<void> {
    if (this.status !== 'training') return;
    this.status = 'paused';
    await this.loop;
    await this.trainer?.flush();
    this.onChange?.();
  }

  private async run(): Promise<void> {
    const trainer = await this.ensureTrainer();
    const { batch: B, seqLen: T } = this.settings.train;
    while (this.status === 'training') {
      if (trainer.step >= this.settings.steps) {
        await trainer.flush();
        this.status = 'done';
        break;
      }
      const t0 = performance.now();
      const s0 = trainer.step;
      // A burst of steps (the GPU runs them while we enqueue), then let the page render.
      do {
        await trainer.trainStep();
        const s = trainer.step;
        if (this.settings.sampleEvery > 0 && s % this.settings.sampleEvery === 0) await this.logSample();
        if (this.val && this.settings.valEvery > 0 && s % this.settings.valEvery === 0) await this.validate();
      } while (performance.now() - t0 < 16 && trainer.step < this.settings.steps && this.status === 'training');
      const dt = performance.now() - t0;
      const n = trainer.step - s0;
      if (n > 0) this.throughput = { charsPerSecond: (n * B * T * 1000) / dt, msPerStep: dt / n };
      this.onChange?.();
      await yieldToRenderer();
    }
    this.onChange?.();
  }

  /** The notebook's periodic sample: prime "It is" (or the corpus start), temperature 0.8. */
  private async logSample(): Promise<void> {
    const prime = this.primeFor('It is');
    const [row] = await this.trainer!.model.sample({ prime: this.vocab.encode(prime), length: 80, rows: [{ temperature: 0.8, topK: 0, topP: 1 }], seed: this.step });
    this.samples.push({ step: this.step, text: prime + this.vocab.decode(row) });
  }

  private async validate(): Promise<void> {
    const val = this.val!;
    const ids = val.subarray(0, Math.min(val.length, 32 * 256 + 1));
    const losses = await this.trainer!.model.evaluate(ids, 32);
    let s = 0;
    for (const l of losses) s += l;
    this.lastVal = s / losses.length;
    this.history.pushVal(this.lastVal);
  }

  /** A prime made of vocabulary characters: the wanted one, else the corpus start. */
  primeFor(wanted: string): string {
    return [...wanted].every((c) => this.vocab.has(c)) ? wanted : [...this.corpus.text].slice(0, 5).join('');
  }

  /** Serialises work that reads the model with the training loop paused. */
  private async withModel<T>(fn: (t: TrainEngine) => Promise<T>): Promise<T> {
    const wasTraining = this.status === 'training';
    // Queued at once (pause included), so that destroy() waits for it and frees nothing in use.
    const run = this.busy.then(async () => {
      if (wasTraining) await this.pause();
      if (this.destroyed) throw new Error('the model was replaced before it could be read');
      return fn(await this.ensureTrainer());
    });
    this.busy = run.catch(() => undefined);
    try {
      return await run;
    } finally {
      if (wasTraining) this.start();
    }
  }

  /** Samples `length` characters after `prime` for each row; the prime must use vocabulary characters. */
  async sample(prime: string, length: number, rows: SampleRow[], seed: number, onProgress?: (texts: string[]) => void): Promise<string[]> {
    const ids = this.vocab.encode(prime);
    if (ids.length === 0) throw new Error('the prime is empty: type at least one character');
    return this.withModel(async (t) => {
      const out = await t.model.sample({ prime: ids, length, rows, seed }, (r) => onProgress?.(r.map((x) => this.vocab.decode(x))));
      return out.map((x) => this.vocab.decode(x));
    });
  }

  /** Per-character losses over the start of the corpus (at most `limit` characters). */
  perCharacterLoss(limit = 4000): Promise<{ text: string; losses: Float32Array; hardest: CharLoss[] }> {
    return this.withModel(async (t) => {
      const chars = [...this.corpus.text].slice(0, limit);
      const text = chars.join('');
      const losses = await t.model.evaluate(this.vocab.encode(text));
      const sums = new Map<string, { s: number; n: number }>();
      for (let i = 0; i < losses.length; i++) {
        const ch = chars[i + 1];
        const e = sums.get(ch) ?? { s: 0, n: 0 };
        e.s += losses[i];
        e.n++;
        sums.set(ch, e);
      }
      const hardest = [...sums.entries()]
        .map(([char, { s, n }]) => ({ char, loss: s / n, count: n }))
        .sort((a, b) => b.loss - a.loss)
        .slice(0, 15);
      return { text, losses, hardest };
    });
  }

  /** Hidden states and gates after each character of `text` (vocabulary characters only). */
  async hiddenStates(text: string) {
    const ids = this.vocab.encode(text);
    if (ids.length === 0) throw new Error('type a sentence to see its hidden states');
    return this.withModel((t) => t.model.hiddenStates(ids));
  }

  /**
   * A training-state checkpoint (safetensors, char-lm/1): parameters, Adam moments,
   * step, data cursor, RNG and carried state; the CLI resumes it with --resume.
   */
  checkpoint(): Promise<Uint8Array> {
    return this.withModel(async (t) => {
      const snap = await t.snapshot();
      const identity = { path: this.corpus.name, characters: [...this.corpus.text].length, fingerprint: fingerprint(this.corpus.text) };
      return saveCheckpoint({
        config: this.table.config,
        vocab: this.vocab.chars,
        table: this.table,
        params: snap.params,
        step: snap.step,
        trainConfig: this.settings.train,
        optimizer: snap.optimizer,
        trainingState: toTrainingState(snap, identity),
      });
    });
  }

  /**
   * Reads a checkpoint (from the page or the CLI) for this corpus: the model, its
   * settings and where training continues. The data cursor and carried state are kept
   * when the checkpoint was trained on this very text; otherwise training continues
   * from its weights and Adam moments with a fresh cursor. Throws on a bad file.
   */
  static fromCheckpoint(bytes: Uint8Array, corpus: Corpus, current: SessionSettings): { settings: SessionSettings; loaded: LoadedModel } {
    const c = loadCheckpoint(bytes);
    const train = c.trainConfig ?? current.train;
    const settings: SessionSettings = {
      ...current,
      model: { embedSize: c.config.embedSize, hiddenSize: c.config.hiddenSize, layers: c.config.layers },
      train,
      steps: c.step + current.steps,
    };
    let init: TrainerInit = { params: c.params, optimizer: c.optimizer, step: c.step };
    if (c.optimizer && c.trainingState !== undefined) {
      const state = parseTrainingState(c.trainingState, c.step, c.config, train, 'the checkpoint');
      if (state.corpus.fingerprint === fingerprint(corpus.text)) init = resumeInit(c.params, c.optimizer, state);
    }
    return { settings, loaded: { vocab: new Vocab(c.vocab), init } };
  }

  async destroy(): Promise<void> {
    // Nothing from this session reaches the page any more (its replacement may already be shown),
    // and nothing restarts it (withModel resumes training after a sample).
    this.destroyed = true;
    this.onStep = null;
    this.onChange = null;
    this.onError = null;
    this.status = 'idle';
    await this.loop?.catch(() => undefined);
    // Work reading the model finishes first, and the steps still being read back are read:
    // destroying a staging buffer while it is being mapped rejects mapAsync (an uncaught error).
    await this.busy;
    await this.trainer?.flush().catch(() => undefined);
    this.trainer?.destroy();
    this.trainer = null;
  }
}
