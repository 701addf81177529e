/**
 * One headless training run, used by both front ends: a corpus and settings (and
 * optionally a checkpoint) in, typed events out. It is the one place for checking a
 * run before it starts, the step loop, the learning-rate schedule (through the
 * engine), periodic samples and validation, checkpoints and resume. No DOM and no
 * files: the CLI (src/cli/train.ts) and the page's controller (src/ui/) subscribe.
 *
 * prepareRun() validates everything and builds nothing; TrainingRun.open() then
 * builds the trainer on an engine.
 */
import { MAX_VOCAB, parameterCounts, validateModelConfig, validateTrainConfig, type ModelConfig, type TrainConfig } from '../model/config.ts';
import { CheckpointError, saveCheckpoint, type CheckpointContents } from '../model/checkpoint.ts';
import { buildParamTable, initParams, type ParamTable } from '../model/params.ts';
import { Rng } from '../model/rng.ts';
import {
  copySnapshot,
  parseTrainingStateRecord,
  snapshotFromRecord,
  trainingStateRecord,
  type CorpusIdentity,
  type TrainingSnapshot,
} from '../model/training-state.ts';
import { CorpusError, checkCorpusShape, splitTrainVal } from '../text/corpus.ts';
import { encodeIn, encodeText, type EncodedText } from '../text/encoded.ts';
import { Vocab, VocabError } from '../text/vocab.ts';
import {
  stateAfter,
  trainingBatcher,
  type Engine,
  type HiddenStates,
  type SampleRow,
  type StepResult,
  type Trainer,
  type TrainerStart,
} from '../engine/contract.ts';
import { VALIDATION_STREAMS } from '../engine/memory.ts';
import { LossHistory, type StepMarker } from './history.ts';
import { headPredictions, type Predictions } from './predictions.ts';
import { NumericsError, checkStep, lastGood, numericsMessage, referenceLoss, snapshotProblem, type NumericsStop } from './numerics.ts';
import { TRAINING_SAMPLE, checkRunSettings, type Naming, type RunSettings } from './settings.ts';

export interface Corpus {
  /** What people call it in messages: a preset's name, a file name, a URL, a CLI flag and its file. */
  name: string;
  /** Where it came from, recorded in checkpoints (default: the name). */
  path?: string;
  text: string;
}

/** 'pausing': asked to pause, finishing the step in flight; 'paused' once the loop has stopped and every step is read back. */
export type RunStatus = 'idle' | 'training' | 'pausing' | 'paused' | 'done';

export interface LoggedSample {
  step: number;
  /** The prime and what followed it. */
  text: string;
}

export interface ValidationResult {
  step: number;
  /** Mean loss over `characters` held-out characters, nats/char. */
  loss: number;
  characters: number;
}

export interface CharLoss {
  char: string;
  /** Mean loss (nats) of predicting this character. */
  loss: number;
  count: number;
}

/** A checkpoint taken while training (every `saveEvery` steps), for whoever keeps it. */
export interface CheckpointTaken {
  step: number;
  /** The training-state checkpoint (safetensors). */
  bytes: Uint8Array;
  /** Time the snapshot took, ms (what saving costs the training loop). */
  ms: number;
}

/** The events of a run, by type. */
export interface RunEvents {
  step: StepResult;
  sample: LoggedSample;
  validation: ValidationResult;
  status: { status: RunStatus; step: number };
  checkpoint: CheckpointTaken;
  error: Error;
}

/** What a run has shown besides its model: the loss history, logged samples and last validation (kept with a saved run). */
export interface RunLog {
  steps: Float64Array;
  loss: Float64Array;
  /** NaN where no validation was measured. */
  val: Float64Array;
  samples: LoggedSample[];
  lastValidation: ValidationResult | null;
  /** Steps where the numerics guard stopped training (absent in runs saved before it). */
  markers?: StepMarker[];
}

/**
 * How far a run has got and how fast, as a person reads it (see TrainingRun.progress()).
 * Time is wall time while the training loop runs; "training alone" leaves out the
 * samples, validation and snapshots taken between steps.
 */
export interface RunProgress {
  /** Steps whose results are in (while training on the GPU, steps after it may already be queued). */
  step: number;
  target: number;
  /** Characters (positions) trained on so far: step × B × T. */
  tokens: number;
  /** Passes over the training split: tokens / its length. */
  epochs: number;
  /** Time spent in the training loop, all sessions of this run together, ms. */
  elapsedMs: number;
  /** Characters per second of training alone over the last few seconds (0 before the first step). */
  charsPerSecond: number;
  /** ms per step of training alone over the same span (0 before the first step). */
  msPerStep: number;
  /** Estimated time to the target at the current pace, samples and validation included, ms; null until a step has been timed. */
  remainingMs: number | null;
  /** While training: the step in flight (the one after `step`) and how long it has run, ms (a long step shows it is alive). */
  inFlight: { step: number; ms: number } | null;
}

/** The throughput is measured over about this much recent wall time. */
const THROUGHPUT_WINDOW_MS = 4000;
/** A RunLog as a checkpoint's "run_log" metadata holds it (JSON), with the run's target. */
interface RunLogRecord {
  target: number;
  steps: number[];
  loss: number[];
  /** null where no validation was measured. */
  val: (number | null)[];
  samples: LoggedSample[];
  lastValidation: ValidationResult | null;
  markers: StepMarker[];
}

/** What a run showed up to `step` (the checkpoint's), for its "run_log" metadata; losses to 6 decimals. */
function runLogRecord(log: RunLog, target: number, step: number): RunLogRecord {
  const round = (x: number) => Math.round(x * 1e6) / 1e6;
  const n = log.steps.findIndex((s) => s > step);
  const keep = n < 0 ? log.steps.length : n;
  return {
    target,
    steps: Array.from(log.steps.subarray(0, keep)),
    loss: Array.from(log.loss.subarray(0, keep), round),
    val: Array.from(log.val.subarray(0, keep), (v) => (Number.isNaN(v) ? null : round(v))),
    samples: log.samples.filter((x) => x.step <= step),
    lastValidation: log.lastValidation && log.lastValidation.step <= step ? log.lastValidation : null,
    markers: (log.markers ?? []).filter((m) => m.step <= step),
  };
}

/**
 * The loss history, samples and target a checkpoint's "run_log" metadata recorded (see
 * TrainingRun.checkpoint), for a run opened from it at `step`; null when the file has none
 * or it does not make sense (the model loads all the same, with no history).
 */
export function runLogFromRecord(record: unknown, step: number): { log: RunLog; target: number } | null {
  if (typeof record !== 'object' || record === null) return null;
  const r = record as Partial<RunLogRecord>;
  const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  const { steps, loss, val } = r;
  if (!Array.isArray(steps) || !Array.isArray(loss) || !Array.isArray(val) || loss.length !== steps.length || val.length !== steps.length) return null;
  if (!steps.every((s, i) => finite(s) && s <= step && (i === 0 || s > (steps[i - 1] as number)))) return null;
  if (!loss.every(finite) || !val.every((v) => v === null || finite(v)) || !finite(r.target)) return null;
  const samples = Array.isArray(r.samples) ? r.samples.filter((x) => finite(x?.step) && typeof x.text === 'string' && x.step <= step) : [];
  const markers = Array.isArray(r.markers) ? r.markers.filter((m) => finite(m?.step) && typeof m.label === 'string' && m.step <= step) : [];
  const v = r.lastValidation;
  const lastValidation = v && finite(v.step) && finite(v.loss) && finite(v.characters) && v.step <= step ? v : null;
  return {
    log: {
      steps: Float64Array.from(steps),
      loss: Float64Array.from(loss),
      val: Float64Array.from(val, (x) => x ?? NaN),
      samples,
      lastValidation,
      markers,
    },
    target: Math.max(r.target!, step),
  };
}

/** How a checkpoint given to a run is taken. */
type ResumeMode =
  /** The CLI's --resume: the checkpoint must hold the training state of this very text; continues bit for bit. */
  | 'exact'
  /**
   * The page's Load: whatever the checkpoint holds. Its data cursor and carried state when
   * it was trained on this text; otherwise its weights (and Adam moments, if any) with a
   * fresh cursor.
   */
  | 'continue';

export interface RunInput {
  corpus: Corpus;
  settings: RunSettings;
  /** A decoded checkpoint to start from; its model config must be settings.model. */
  checkpoint?: { contents: CheckpointContents; name: string; mode: ResumeMode };
  /** How messages name settings: by CLI flag or by page label. */
  naming: Naming;
  /** The text already encoded (with the checkpoint's vocabulary, if any), e.g. by a Worker; else encoded here. */
  encoded?: EncodedText;
  /** With a checkpoint: a character of its vocabulary that stands for each character of the text it lacks (else those are refused). */
  replacement?: string;
}

/** How a run starts: from fresh weights, from a checkpoint's exact training state, or from its weights alone. */
type StartKind = 'fresh' | 'exact' | 'weights';

/** Everything a run needs, checked: building it changes nothing and starts no GPU work. */
export interface PreparedRun {
  corpus: Corpus;
  /** Identifies the text in checkpoints, so that resume can tell it is the same one. */
  identity: CorpusIdentity;
  settings: RunSettings;
  vocab: Vocab;
  table: ParamTable;
  /** The whole text, encoded. */
  ids: Int32Array;
  train: Int32Array;
  /** Held-out text, or null for corpora of ≤ 10,000 characters. */
  val: Int32Array | null;
  start: TrainerStart;
  startKind: StartKind;
  /** How messages name settings (the guard's advice too). */
  naming: Naming;
}

/** Periodic validation covers at most this many held-out characters (as S streams); final validation covers all. */
const PERIODIC_VAL_CHARS = 32 * 256 + 1;
/** Streams validation runs side by side. */
const VAL_STREAMS = VALIDATION_STREAMS;

/**
 * Checks a corpus, settings and checkpoint together and builds what a run needs from
 * them; throws a clear error, changing nothing, when they do not fit.
 */
export function prepareRun(input: RunInput): PreparedRun {
  const { corpus, naming } = input;
  const settings = checkRunSettings(input.settings, naming);
  const ckpt = input.checkpoint;
  const inCorpus = (check: () => void) => {
    try {
      check();
    } catch (e) {
      if (e instanceof CorpusError) throw new CorpusError(`${corpus.name}: ${e.message}`);
      throw e;
    }
  };
  const encoded = input.encoded ?? encodeFor(corpus, ckpt, input.replacement, naming);
  const vocab = new Vocab(encoded.chars);
  const ids = encoded.ids;
  inCorpus(() => checkCorpusShape(ids.length, ckpt ? distinctIds(ids, vocab.size) : vocab.size, vocab.chars[ids[0]] ?? '', settings.train.seqLen));
  if (vocab.size > MAX_VOCAB) {
    throw new CorpusError(
      `${corpus.name} has ${vocab.size.toLocaleString('en')} distinct characters; the model handles at most ${MAX_VOCAB.toLocaleString('en')}: use a text with a smaller alphabet`,
    );
  }
  const model: ModelConfig = { vocabSize: vocab.size, ...settings.model };
  validateModelConfig(model);
  validateTrainConfig(settings.train);
  if (ckpt) {
    const c = ckpt.contents.config;
    if (c.embedSize !== model.embedSize || c.hiddenSize !== model.hiddenSize || c.layers !== model.layers) {
      throw new CheckpointError(
        `${ckpt.name} holds a model with E ${c.embedSize}, H ${c.hiddenSize}, L ${c.layers}, not the E ${model.embedSize}, H ${model.hiddenSize}, L ${model.layers} asked for`,
      );
    }
  }
  const { train, val } = splitTrainVal(ids);

  let start: TrainerStart;
  let startKind: StartKind = 'fresh';
  const identity: CorpusIdentity = { path: corpus.path ?? corpus.name, characters: ids.length, fingerprint: encoded.fingerprint };
  if (!ckpt) {
    start = { params: initParams(buildParamTable(model), new Rng(settings.train.seed)) };
  } else {
    const c = ckpt.contents;
    const hasState = c.optimizer !== undefined && c.trainingState !== undefined && c.trainConfig !== undefined;
    if (ckpt.mode === 'exact' && !hasState) {
      throw new CheckpointError(
        `${ckpt.name} has no training state (optimizer moments and data cursor): it is a model-only export; resume from a file written by train --out`,
      );
    }
    // Adam's moments belong with its step count (bias correction): a model-only file starts a
    // fresh optimizer at step 0, as a new run from these weights.
    start = { params: c.params, optimizer: c.optimizer, step: c.optimizer ? c.step : 0 };
    startKind = 'weights';
    if (hasState) {
      const sameLayout =
        c.trainConfig!.batch === settings.train.batch && c.trainConfig!.seqLen === settings.train.seqLen && c.trainConfig!.schedule === settings.train.schedule;
      const record = parseTrainingStateRecord(c.trainingState, c.step, model, c.trainConfig!, ckpt.name);
      const sameText = record.corpus.fingerprint === identity.fingerprint && record.corpus.characters === identity.characters;
      if (ckpt.mode === 'exact' && !sameText) {
        throw new CorpusError(
          `${corpus.name} (${identity.characters.toLocaleString('en')} characters) is not the text ${ckpt.name} was trained on ` +
            `(${record.corpus.path}, ${record.corpus.characters.toLocaleString('en')} characters); ` +
            (naming === 'flag' ? 'give --corpus FILE with that text' : 'continue it on the same text'),
        );
      }
      if (sameText && sameLayout && c.trainConfig!.seed === settings.train.seed) {
        start = snapshotFromRecord(c.params, c.optimizer!, record);
        startKind = 'exact';
      }
    }
  }
  // The batcher throws CorpusError now if the text is too short for B streams (or windows) of T.
  inCorpus(() => {
    const probe = trainingBatcher(train, settings.train);
    if (start.batcher) probe.setState(start.batcher);
  });
  return { corpus, identity, settings, vocab, table: buildParamTable(model), ids, train, val, start, startKind, naming };
}

/** How many distinct ids a text uses (a loaded model's vocabulary may have more). */
function distinctIds(ids: Int32Array, V: number): number {
  const seen = new Uint8Array(V);
  let n = 0;
  for (let i = 0; i < ids.length && n < V; i++) {
    if (!seen[ids[i]]) {
      seen[ids[i]] = 1;
      n++;
    }
  }
  return n;
}

/** Encodes the run's text (with a loaded model's vocabulary); errors name the text and the model. */
function encodeFor(corpus: Corpus, ckpt: RunInput['checkpoint'], replacement: string | undefined, naming: Naming): EncodedText {
  try {
    return encodeText(corpus.text, ckpt?.contents.vocab, ckpt ? replacement : undefined);
  } catch (e) {
    if (!(e instanceof VocabError) || !ckpt) throw e;
    throw outsideVocabulary(e, corpus.name, ckpt.name, naming);
  }
}

/**
 * encodeText's VocabError for a text read with a loaded model's vocabulary, naming both and
 * what to do: on the page, another text, a stand-in character or a new model; on the command
 * line (which has no stand-in), the flags that do the rest.
 */
export function outsideVocabulary(e: VocabError, corpusName: string, modelName: string, naming: Naming = 'label'): VocabError {
  const what = e.message.replace(/the model's vocabulary of (\d+) characters/, `the vocabulary of ${modelName} ($1 characters)`);
  const todo =
    naming === 'flag'
      ? 'give --corpus a text made of its characters, or leave out --resume to train a new model on this one'
      : `choose a text made of its characters, a character of the model to stand for ${e.characters.length > 1 ? 'them' : 'it'}, or train a new model on this one`;
  const out = new VocabError(`${corpusName}: ${what}; ${todo}`);
  out.characters = e.characters;
  return out;
}

/**
 * The prime of the samples written during training: the notebook's, else the text's
 * opening as the model reads it (a character it lacks already mapped to its stand-in).
 */
export function trainingPrime(vocab: Vocab, ids: Int32Array): string {
  const want = TRAINING_SAMPLE.prime;
  if ([...want].every((c) => vocab.has(c))) return want;
  return vocab.decode(ids.subarray(0, [...want].length));
}

type Listener<K extends keyof RunEvents> = (e: RunEvents[K]) => void;

/** Lets the event loop run (rendering, input, Ctrl-C) between bursts of steps. */
const yieldTurn = () => new Promise<void>((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));

/** Steps are taken in bursts of about this long before the run yields. */
const BURST_MS = 16;

/**
 * Keeping a snapshot of the training state off the device may cost at most this fraction of
 * training time. Its cost is its whole wall time: the wait for the steps in flight (the GPU's
 * queue drains, and the steps after it start from an empty one), then the state's read.
 */
const SNAPSHOT_BUDGET = 0.01;
/** Steps between snapshots before their cost is known; and the most steps between any two. */
const FIRST_SNAPSHOT_EVERY = 10;
const MAX_SNAPSHOT_EVERY = 500;
/**
 * The first steps of a run are where a learning rate too high shows (lr 10 diverges at step
 * 2): a fresh run keeps the states after steps 1, 2, 4 and 8 (each one doubles the step of
 * the last), then one every snapshotEvery steps.
 */
const EARLY_SNAPSHOTS_UNTIL = 8;

/** How long the reads of a device given up are waited for (a lost device's may never settle), ms. */
const LOST_READ_MS = 2000;

/** Thrown inside the training loop when the numerics guard finds a bad step (the loop's catch recovers). */
class GuardTripped extends Error {}

/** A bad step found by the guard, and the newest step whose snapshot may still be restored. */
/**
 * A read of predictions(): the text's ids, per layer h and c after each character (n, H), to
 * resume from any of them, and the distributions (n, V), with the parameters, trainer and step
 * they were computed with.
 */
interface PredictionsRead {
  trainer: Trainer;
  step: number;
  params: Float32Array;
  ids: Int32Array;
  h: Float32Array[];
  c: Float32Array[];
  probs: Float32Array;
}

type Alarm = Omit<NumericsStop, 'restoredStep' | 'keptEvery'>;

export class TrainingRun {
  readonly history = new LossHistory();
  readonly samples: LoggedSample[] = [];
  lastValidation: ValidationResult | null = null;
  status: RunStatus = 'idle';
  /** The step training stops at by itself. */
  target: number;
  /** Training alone (no samples, validation or snapshots): chars/s and ms/step over the last few seconds. */
  throughput = { charsPerSecond: 0, msPerStep: 0 };
  /** Wall time of earlier sessions of the training loop, ms. */
  private pastLoopMs = 0;
  /** The session of the training loop running now: when and at which step it began, and its time spent on other work then. */
  private session: { at: number; step: number; otherMs: number } | null = null;
  /** Time spent between steps on other work (samples, validation, snapshots, checkpoints), ms: not training. */
  private otherMs = 0;
  /** Recent points of the loop (time, step, other work so far), oldest first: the throughput's window. */
  private marks: { at: number; step: number; otherMs: number }[] = [];
  /** When the last step's result came back (or the loop started): a step in flight is timed from here. */
  private lastResultAt = 0;
  private lastResultStep = 0;
  private listeners = new Map<keyof RunEvents, Set<(e: unknown) => void>>();
  private loop: Promise<void> | null = null;
  private busy: Promise<unknown> = Promise.resolve();
  /** Reads of the model (withModel) queued or running; training waits for them. */
  private reads = 0;
  /** Training was paused for reads, or asked for during them: it starts when the last one ends. */
  private resumeAfterReads = false;
  /** Bumped when the run leaves a lost device behind: reads queued before no longer count. */
  private readEpoch = 0;
  private destroyed = false;
  readonly samplePrime: string;

  /** A checkpoint event every this many steps while training (0 = none); see CheckpointTaken. */
  saveEvery = 0;
  private checkpointWanted = false;

  /**
   * Recent copies of the whole training state off the device, oldest first (at most two):
   * the numerics guard restores one, and a lost GPU device is replaced from the newest.
   */
  private kept: TrainingSnapshot[] = [];
  /**
   * A snapshot is kept every this many steps while training (after the early ones, see
   * EARLY_SNAPSHOTS_UNTIL), chosen so that it costs under `snapshotBudget` of training time.
   */
  snapshotEvery = FIRST_SNAPSHOT_EVERY;
  snapshotBudget = SNAPSHOT_BUDGET;
  /** Off: no snapshot is kept while training or when it stops (the bench's run without them). */
  keepSnapshots = true;
  /**
   * What keeping snapshots has cost, ms, and how many: `ms` their whole wall time, what the
   * budget counts (the wait for the steps in flight, then the state's read and check);
   * `readMs` the read and check alone.
   */
  readonly snapshotCost = { ms: 0, readMs: 0, count: 0 };
  /** The cost (as snapshotCost.ms counts it) of the last few snapshots taken in the training loop, ms: what snapshotEvery is chosen from. */
  private recentCosts: number[] = [];
  /** The reference loss of the divergence check (see numerics.ts), from the first step this run measured. */
  private reference: number | null = null;
  private alarm: Alarm | null = null;
  /** Why the guard last stopped training (null once training goes on). */
  numericsStop: NumericsStop | null = null;
  /** Training stopped on an error (not a pause): a run moved to another engine takes it up again. */
  private interrupted = false;
  /**
   * Where the time per step is measured from for the snapshot budget: wall time over steps
   * since the last snapshot or the loop's start (a burst's own figure is too low right after
   * a snapshot, when the GPU's queue is empty and steps return at once).
   */
  private clock = { at: 0, step: 0 };

  private constructor(
    private prep: PreparedRun,
    private engineNow: Engine,
    private trainerNow: Trainer,
    log: RunLog | undefined,
  ) {
    this.target = trainerNow.step + prep.settings.steps;
    this.samplePrime = trainingPrime(prep.vocab, prep.ids);
    if (log) {
      for (let i = 0; i < log.steps.length; i++) {
        this.history.push(log.steps[i], log.loss[i]);
        if (!Number.isNaN(log.val[i])) this.history.pushVal(log.val[i]);
      }
      this.samples.push(...log.samples);
      this.lastValidation = log.lastValidation;
      this.history.markers = (log.markers ?? []).map((m) => ({ ...m }));
    }
  }

  /** What the run trains on and with (replaced when the learning rate or clip norm is changed after a stop). */
  get prepared(): PreparedRun {
    return this.prep;
  }

  /** The engine the run trains on (replaced when a GPU device is lost). */
  get engine(): Engine {
    return this.engineNow;
  }

  get trainer(): Trainer {
    return this.trainerNow;
  }

  /** Builds the trainer for a prepared run on an engine; `log` restores what a saved run had shown. */
  static async open(prepared: PreparedRun, engine: Engine, log?: RunLog): Promise<TrainingRun> {
    const p = prepared;
    const trainer = await engine.trainer(p.table, p.settings.train, p.train, p.start);
    const run = new TrainingRun(p, engine, trainer, log);
    // The state it starts from is the first good state kept.
    run.kept.push(await trainer.snapshot());
    return run;
  }

  /** The loss history, samples and validation so far (copies). */
  log(): RunLog {
    const n = this.history.length;
    return {
      steps: this.history.steps.slice(0, n),
      loss: this.history.loss.slice(0, n),
      val: this.history.val.slice(0, n),
      samples: this.samples.slice(),
      lastValidation: this.lastValidation,
      markers: this.history.markers.map((m) => ({ ...m })),
    };
  }

  /** Destroyed (replaced or removed): its reads fail, and nobody needs to hear why. */
  get closed(): boolean {
    return this.destroyed;
  }

  get settings(): RunSettings {
    return this.prepared.settings;
  }

  get vocab(): Vocab {
    return this.prepared.vocab;
  }

  get table(): ParamTable {
    return this.prepared.table;
  }

  get counts() {
    return parameterCounts(this.table.config);
  }

  /** Training, or paused only for reads of the model and resuming when they end. */
  get training(): boolean {
    return this.status === 'training' || this.resumeAfterReads;
  }

  get step(): number {
    return this.trainer.step;
  }

  on<K extends keyof RunEvents>(type: K, fn: Listener<K>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    const f = fn as (e: unknown) => void;
    set.add(f);
    return () => set.delete(f);
  }

  private emit<K extends keyof RunEvents>(type: K, e: RunEvents[K]): void {
    for (const fn of this.listeners.get(type) ?? []) fn(e);
  }

  private setStatus(s: RunStatus): void {
    this.status = s;
    this.emit('status', { status: s, step: this.step });
  }

  /**
   * Takes steps' results into the history, in order, through the numerics guard: the first
   * bad one raises the alarm (GuardTripped) and it and every later one are dropped.
   */
  private record(results: StepResult[]): void {
    for (const r of results) {
      if (this.alarm) return;
      this.reference ??= referenceLoss(this.vocab.size, r.loss);
      const bad = checkStep(r, this.reference);
      if (bad) {
        this.alarm = { ...bad, step: r.step, loss: r.loss, gradNorm: r.gradNorm, newestGood: r.step - 2 };
        throw new GuardTripped();
      }
      this.history.push(r.step, r.loss);
      this.lastResultAt = performance.now();
      this.lastResultStep = r.step;
      this.emit('step', r);
    }
  }

  /**
   * Starts or resumes training towards `target` (default: the current target; after
   * 'done', settings.steps more). Resolves when training stops (target reached, pause,
   * destroy or an error, which is also emitted). While the model is being read
   * (sampling, a checkpoint…) training starts when the reads are over: one trainer never
   * runs a step and a read at once.
   */
  start(target?: number): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    if (this.status === 'pausing') {
      return (this.loop ?? Promise.resolve()).then(() => {
        // A loop left behind by a replaced trainer ends without a word: it has stopped all the same.
        if (this.status === 'pausing') this.setStatus('paused');
        return this.start(target);
      });
    }
    if (target !== undefined) this.target = target;
    else if (this.status === 'done' || this.step >= this.target) this.target = this.step + this.settings.steps; // e.g. a run loaded at its target
    if (this.status === 'training') return this.loop ?? Promise.resolve();
    if (this.reads > 0) {
      this.resumeAfterReads = true;
      return this.afterReads();
    }
    this.interrupted = false;
    this.numericsStop = null;
    this.setStatus('training');
    // The loop trains this trainer: when it is replaced, the loop stops at its next turn and says nothing.
    const trainer = this.trainerNow;
    this.loop = this.run(trainer).catch(async (e: Error) => {
      if (this.destroyed || trainer !== this.trainerNow) return;
      let error = e;
      if (this.alarm) {
        error = await this.recover().catch((r: Error) => r);
      } else this.interrupted = true;
      this.setStatus('paused');
      this.emit('error', error);
    });
    return this.loop;
  }

  /** The training loop that starts once no read of the model is queued, when it stops. */
  private async afterReads(): Promise<void> {
    while (this.reads > 0) await this.busy;
    await this.loop;
  }

  /** Stops after the step in flight; resolves when the loop has stopped and every step is read back. Training asked for during a read is called off. */
  async pause(): Promise<void> {
    this.resumeAfterReads = false;
    await this.stopLoop();
  }

  private async stopLoop(): Promise<void> {
    if (this.status === 'training') this.setStatus('pausing');
    if (this.status === 'pausing') await this.loop;
  }

  private async run(trainer: Trainer): Promise<void> {
    const { sampleEvery, valEvery } = this.settings;
    const now = performance.now();
    this.clock = { at: now, step: this.step };
    const session = { at: now, step: this.step, otherMs: this.otherMs };
    this.session = session;
    this.marks = [{ at: now, step: this.step, otherMs: this.otherMs }];
    this.lastResultAt = now;
    this.lastResultStep = this.step;
    try {
      while (this.status === 'training' && this.step < this.target && trainer === this.trainerNow) {
        const t0 = performance.now();
        // A burst of steps (the GPU runs them while we enqueue), then a turn for the event loop.
        do {
          this.record(await this.trainer.trainStep());
          const s = this.step;
          if (sampleEvery > 0 && s % sampleEvery === 0) await this.logSample();
          if (this.prepared.val && valEvery > 0 && s % valEvery === 0) await this.validate(false);
          if ((this.saveEvery > 0 && s % this.saveEvery === 0) || this.checkpointWanted) await this.takeCheckpoint();
          else if (this.keepSnapshots && s - this.keptStep >= this.snapshotInterval) await this.keepSnapshot(true);
        } while (performance.now() - t0 < BURST_MS && this.step < this.target && this.status === 'training' && trainer === this.trainerNow);
        this.markThroughput();
        if (this.step < this.target) await yieldTurn();
      }
      if (trainer !== this.trainerNow) return;
      this.record(await this.trainer.flush());
      // A checkpoint asked for as the loop ended (the target reached, a pause) is still taken.
      if (this.checkpointWanted) await this.takeCheckpoint();
      // A run that stops (done, or paused by the user rather than for a read of the model) keeps
      // its newest state, so that a device lost while it is idle loses no step.
      else if (this.keepSnapshots && !this.resumeAfterReads && this.keptStep < this.step) await this.keepSnapshot(false);
    } finally {
      // A loop left behind by a replaced trainer may end after the next one started: only its own session ends here.
      if (this.session === session) {
        this.pastLoopMs += performance.now() - session.at;
        this.session = null;
      }
    }
    if (this.status === 'training') this.setStatus('done');
    else if (this.status === 'pausing') this.setStatus('paused');
  }

  /**
   * The throughput of training alone over the last few seconds: steps × B × T over the wall
   * time between two points of the loop less the time spent on other work between them
   * (samples, validation, snapshots). Yielding to the page counts as training time: the GPU
   * goes on with the steps queued meanwhile.
   */
  private markThroughput(): void {
    const now = performance.now();
    const marks = this.marks;
    marks.push({ at: now, step: this.step, otherMs: this.otherMs });
    while (marks.length > 2 && now - marks[1].at >= THROUGHPUT_WINDOW_MS) marks.shift();
    const first = marks[0];
    const steps = this.step - first.step;
    const trainMs = now - first.at - (this.otherMs - first.otherMs);
    if (steps <= 0 || trainMs <= 0) return;
    const { batch: B, seqLen: T } = this.settings.train;
    this.throughput = { charsPerSecond: (steps * B * T * 1000) / trainMs, msPerStep: trainMs / steps };
  }

  /** Time spent on work between steps that is not training (after the steps in flight were read back). */
  private async timedOther<T>(fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.otherMs += performance.now() - t0;
    }
  }

  /** How far the run has got and how fast (see RunProgress). */
  progress(): RunProgress {
    const now = performance.now();
    const session = this.session;
    // While the loop runs, the steps whose results are in (the GPU engine runs a step or two
    // ahead of what it has read back): the count, the loss shown and the step in flight agree.
    const step = session ? this.lastResultStep : this.step;
    const { batch: B, seqLen: T } = this.settings.train;
    const tokens = step * B * T;
    const elapsedMs = this.pastLoopMs + (session ? now - session.at : 0);
    const { charsPerSecond, msPerStep } = this.throughput;
    let remainingMs: number | null = null;
    const left = Math.max(0, this.target - step);
    if (left === 0) remainingMs = 0;
    else if (msPerStep > 0) {
      // Training at the recent pace, plus this session's other work per step (samples and validation recur).
      const sessionSteps = session ? step - session.step : 0;
      const otherPerStep = session && sessionSteps > 0 ? (this.otherMs - session.otherMs) / sessionSteps : 0;
      remainingMs = left * (msPerStep + otherPerStep);
    }
    // The step in flight: the one after the last result read back (later ones may be queued behind it).
    const inFlight = session && this.status === 'training' && step < this.target ? { step: step + 1, ms: now - Math.max(this.lastResultAt, session.at) } : null;
    return { step, target: this.target, tokens, epochs: tokens / this.prepared.train.length, elapsedMs, charsPerSecond, msPerStep, remainingMs, inFlight };
  }

  private async logSample(): Promise<void> {
    this.record(await this.trainer.flush());
    const prime = this.samplePrime;
    const [row] = await this.timedOther(() =>
      this.trainer.model.sample({
        prime: this.vocab.encode(prime),
        length: TRAINING_SAMPLE.length,
        rows: [{ temperature: TRAINING_SAMPLE.temperature, topK: 0, topP: 1 }],
        seed: this.step,
      }),
    );
    const sample = { step: this.step, text: prime + this.vocab.decode(row) };
    this.samples.push(sample);
    this.emit('sample', sample);
  }

  /** Asks the training loop for a checkpoint event after the step in flight (no pause). */
  requestCheckpoint(): void {
    this.checkpointWanted = true;
  }

  /** A checkpoint in the loop, without pausing: emitted for whoever keeps it. */
  private async takeCheckpoint(): Promise<void> {
    this.checkpointWanted = false;
    const t0 = performance.now();
    const snap = await this.keepSnapshot(false);
    const t1 = performance.now();
    const bytes = this.snapshotBytes(snap);
    this.otherMs += performance.now() - t1; // the snapshot itself is counted by keepSnapshot
    this.emit('checkpoint', { step: this.step, bytes, ms: performance.now() - t0 });
  }

  /** The step of the newest snapshot kept. */
  private get keptStep(): number {
    return this.kept[this.kept.length - 1].step;
  }

  /** Steps from the newest kept snapshot to the next one: snapshotEvery, or fewer at the start of a run (doubling: 1, 2, 4, 8). */
  private get snapshotInterval(): number {
    return this.intervalAfter(this.keptStep);
  }

  private intervalAfter(step: number): number {
    return step < EARLY_SNAPSHOTS_UNTIL ? Math.min(this.snapshotEvery, Math.max(1, step)) : this.snapshotEvery;
  }

  /**
   * Reads the whole training state off the device (every step's result read back and
   * checked first), checks that it is finite, and keeps it as the newest good state.
   * `adapt`: in the training loop, where snapshotEvery is chosen from what it costs.
   */
  private async keepSnapshot(adapt: boolean): Promise<TrainingSnapshot> {
    // Timed from before the steps in flight are read back: the GPU's queue drains, and the
    // steps after the snapshot start from an empty one.
    const t0 = performance.now();
    const inFlight = this.step - this.lastResultStep;
    this.record(await this.trainer.flush());
    const tRead = performance.now();
    const snap = await this.trainer.snapshot();
    const problem = snapshotProblem(snap);
    if (problem) {
      this.alarm = { reason: 'weights', what: problem, step: snap.step, loss: NaN, gradNorm: NaN, newestGood: snap.step - 1 };
      throw new GuardTripped();
    }
    if (snap.step > this.keptStep) this.kept = [this.kept[this.kept.length - 1], snap];
    const t1 = performance.now();
    // Wall time per step since the last snapshot, every one of those steps read back.
    const perStep = snap.step > this.clock.step ? (tRead - this.clock.at) / (snap.step - this.clock.step) : 0;
    // The cost is the whole wall time, the wait for the steps in flight included: measured
    // (npm run bench:browser -- --snapshots) a snapshot adds about half its whole wall time to
    // a run on SwiftShader, where the wait is most of it (the queue drains and the steps after
    // it start from an empty one), so the wait cannot be left out as training.
    const cost = t1 - t0;
    // "Training alone" (the progress line) leaves out the read and the wait beyond the steps' own share of the time per step.
    this.otherMs += t1 - tRead + Math.max(0, tRead - t0 - inFlight * perStep);
    this.snapshotCost.ms += cost;
    this.snapshotCost.readMs += t1 - tRead;
    this.snapshotCost.count++;
    if (adapt) this.recentCosts = [...this.recentCosts, cost].slice(-3);
    if (adapt && perStep > 0 && this.status === 'training') {
      // The median of the last three: the first ones wait for the pipelines to compile, and a busy machine makes any one slow.
      const perSnapshot = [...this.recentCosts].sort((a, b) => a - b)[Math.floor((this.recentCosts.length - 1) / 2)];
      this.snapshotEvery = Math.max(1, Math.min(MAX_SNAPSHOT_EVERY, Math.ceil(perSnapshot / (this.snapshotBudget * perStep))));
    }
    this.clock = { at: t1, step: snap.step };
    return snap;
  }

  /** The newest training state kept off the device (what a lost device or the guard goes back to). */
  get snapshot(): TrainingSnapshot {
    return this.kept[this.kept.length - 1];
  }

  /** The newest kept state as a training-state checkpoint: needs no device (the page offers it when the GPU is lost). */
  keptCheckpoint(snap: TrainingSnapshot = this.snapshot): { step: number; bytes: Uint8Array } {
    return { step: snap.step, bytes: this.snapshotBytes(snap) };
  }

  /**
   * After the guard's alarm: a new trainer from the newest good snapshot, the history cut
   * back to its step with a marker where training stopped, and the error that says why.
   */
  private async recover(): Promise<NumericsError> {
    const a = this.alarm!;
    const snap = lastGood(this.kept, a.newestGood) ?? this.kept[0];
    const stop: NumericsStop = { ...a, restoredStep: snap.step, keptEvery: this.intervalAfter(snap.step) };
    await this.replaceTrainer(this.engine, snap);
    this.alarm = null;
    this.numericsStop = stop;
    this.history.markers.push({
      step: stop.step,
      label: `stopped: ${a.reason === 'divergence' ? 'diverged' : a.reason === 'weights' ? 'NaN weights' : `${a.reason} not finite`}`,
    });
    return new NumericsError(numericsMessage(stop, this.settings.train, this.prepared.naming), stop);
  }

  /**
   * Puts a new trainer on `engine` in the place of the current one, from a kept snapshot:
   * the history, samples and validation after its step go (those steps will be trained
   * again), and a loop of the old trainer stops.
   */
  private async replaceTrainer(engine: Engine, snap: TrainingSnapshot, waitMs = LOST_READ_MS): Promise<void> {
    const trainer = await engine.trainer(this.table, this.settings.train, this.prepared.train, copySnapshot(snap));
    const old = this.trainerNow;
    this.trainerNow = trainer;
    this.engineNow = engine;
    this.kept = this.kept.filter((k) => k.step <= snap.step);
    this.history.truncate(snap.step);
    const later = this.samples.findIndex((x) => x.step > snap.step);
    if (later >= 0) this.samples.splice(later);
    if (this.lastValidation && this.lastValidation.step > snap.step) this.lastValidation = null;
    // Steps still being read back are read first (destroying a buffer being mapped rejects mapAsync);
    // on a lost device those reads may never settle, so they are not waited for long.
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (waitMs > 0) await Promise.race([old.flush().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    old.destroy();
  }

  /**
   * Changes the learning rate, its decay or the clip norm: the trainer is rebuilt from its
   * current state with them (weights, moments, cursor and carried state as they are), so
   * training goes on from the same step with the new values. Like a read of the model it
   * waits its turn and runs with no step in flight; training paused for it resumes after.
   */
  async retune(change: Partial<Pick<TrainConfig, 'lr' | 'lrDecay' | 'clip'>>): Promise<void> {
    const train = { ...this.settings.train, ...change };
    validateTrainConfig(train);
    await this.withModel(async (t) => {
      // On the CPU engine the float64 state is rounded to float32 here, as in a saved checkpoint.
      const snap = await t.snapshot();
      this.prep = { ...this.prep, settings: { ...this.prep.settings, train } };
      this.kept = [...this.kept.filter((k) => k.step < snap.step), snap].slice(-2);
      await this.replaceTrainer(this.engine, snap);
    });
  }

  /**
   * Moves the run to another engine from its newest kept snapshot (the GPU device it
   * trained on was lost), or from the old trainer's own newest state where its device still
   * answers (newestReadable): steps after that state are trained again, and training goes
   * on if it was training or stopped by the loss. Resolves with the step it is back at.
   */
  async moveTo(engine: Engine): Promise<number> {
    // Training paused for a read of the model (which the lost device may never answer) was training too.
    const resume = this.status === 'training' || this.status === 'pausing' || this.interrupted || this.resumeAfterReads;
    // The old device may still answer (then nothing after the kept state is lost); with no loop on it only.
    const loopAlive = this.status === 'training' || this.status === 'pausing';
    const newest = loopAlive ? null : await this.newestReadable(this.trainerNow);
    if (newest) this.kept = [this.kept[this.kept.length - 1], newest];
    const snap = this.snapshot;
    // The loop on the lost device ends by itself (its reads fail); it is not waited for.
    await this.replaceTrainer(engine, snap, loopAlive ? LOST_READ_MS : 0);
    // Nor are reads of the model queued on it (a sample, a checkpoint to keep): they may never
    // settle, and training on the new engine must not wait for them. The new trainer's reads start afresh.
    this.readEpoch++;
    this.reads = 0;
    this.resumeAfterReads = false;
    this.busy = Promise.resolve();
    this.interrupted = false;
    this.loop = null;
    this.setStatus(this.step >= this.target ? 'done' : this.step === 0 && this.history.length === 0 ? 'idle' : 'paused');
    if (resume) void this.start();
    return snap.step;
  }

  /**
   * The state of a trainer on a device given up, when the device still answers: every step
   * read back within LOST_READ_MS, each passing the guard and following the history with no
   * gap, then a finite state of the last of them (those steps join the history). Else null,
   * changing nothing: a lost device's reads fail or never settle.
   */
  private async newestReadable(old: Trainer): Promise<TrainingSnapshot | null> {
    const read = (async () => ({ results: await old.flush(), snap: await old.snapshot() }))();
    read.catch(() => undefined);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const r = await Promise.race([read, new Promise<null>((done) => (timer = setTimeout(() => done(null), LOST_READ_MS)))]).catch(() => null);
    clearTimeout(timer);
    if (!r || r.snap.step <= this.keptStep || snapshotProblem(r.snap)) return null;
    const n = this.history.length;
    let last = n > 0 ? this.history.steps[n - 1] : this.kept[0].step;
    for (const x of r.results) {
      if (x.step !== last + 1 || checkStep(x, this.reference ?? referenceLoss(this.vocab.size, x.loss))) return null;
      last = x.step;
    }
    if (last !== r.snap.step) return null;
    this.record(r.results);
    return r.snap;
  }

  /**
   * The mean loss on the held-out text: its first PERIODIC_VAL_CHARS characters
   * (periodic) or all of it (`full`), as VAL_STREAMS streams. Null without a split.
   */
  async validate(full: boolean): Promise<ValidationResult | null> {
    const val = this.prepared.val;
    if (!val) return null;
    this.record(await this.trainer.flush());
    const ids = full ? val : val.subarray(0, Math.min(val.length, PERIODIC_VAL_CHARS));
    const loss = mean(await this.timedOther(() => this.trainer.model.evaluate(ids, VAL_STREAMS)));
    const r = { step: this.step, loss, characters: ids.length };
    if (!full) {
      this.lastValidation = r;
      this.history.pushVal(loss);
    }
    this.emit('validation', r);
    return r;
  }

  /**
   * The loss on the training text itself (not one window): the whole of a small corpus
   * from zero state, or its first 20,000 characters as parallel streams.
   */
  async trainingTextLoss(): Promise<{ loss: number; characters: number }> {
    this.record(await this.trainer.flush());
    const n = Math.min(this.prepared.train.length, 20_001);
    const streams = Math.min(VAL_STREAMS, Math.max(1, Math.floor(n / 1000)));
    return { loss: mean(await this.trainer.model.evaluate(this.prepared.train.subarray(0, n), streams)), characters: n };
  }

  /**
   * Serialises work that reads the model: each waits for the ones before it, pauses the
   * training loop (after its step in flight) and runs with no step in flight; training
   * that was paused for reads, or asked for during them, resumes when the last one ends.
   */
  private withModel<T>(fn: (t: Trainer) => Promise<T>): Promise<T> {
    this.reads++;
    const epoch = this.readEpoch;
    // Queued at once, so that destroy() waits for it and frees nothing in use.
    // A read whose run was replaced or moved meanwhile (its turn may come late, after a read hung on a
    // lost device settles) touches nothing: above all it must not pause the loop on the new device.
    const stale = (): void => {
      if (this.destroyed) throw new Error('the model was replaced before it could be read');
      if (epoch !== this.readEpoch) throw new Error('the model moved to another device before it could be read; try again');
    };
    const work = this.busy.then(async () => {
      stale();
      if (this.status === 'training') this.resumeAfterReads = true;
      await this.stopLoop();
      stale();
      return fn(this.trainer);
    });
    this.busy = work.then(
      () => this.readDone(epoch),
      () => this.readDone(epoch),
    );
    return work;
  }

  private readDone(epoch: number): void {
    // A read of a trainer left behind on a lost device (moveTo) no longer counts.
    if (epoch !== this.readEpoch) return;
    if (--this.reads > 0 || !this.resumeAfterReads) return;
    this.resumeAfterReads = false;
    if (!this.destroyed) void this.start();
  }

  /** Encodes text for the model; the first character outside its vocabulary is named. */
  encode(text: string, what: string): Int32Array {
    return encodeIn(this.vocab.chars, text, what, 'use characters of its text');
  }

  /** `length` characters after `prime` for each row; the prime must use vocabulary characters. */
  async sample(prime: string, length: number, rows: SampleRow[], seed: number, onProgress?: (texts: string[]) => void): Promise<string[]> {
    const ids = this.encode(prime, 'the prime');
    if (ids.length === 0) throw new Error('the prime is empty: type at least one character');
    return this.withModel(async (t) => {
      const out = await t.model.sample({ prime: ids, length, rows, seed }, (r) => onProgress?.(r.map((x) => this.vocab.decode(x))));
      return out.map((x) => this.vocab.decode(x));
    });
  }

  /** Per-character losses over the start of the corpus (at most `limit` characters) and the hardest characters. */
  perCharacterLoss(limit = 4000, hardest = 15): Promise<{ chars: string[]; losses: Float32Array; hardest: CharLoss[] }> {
    return this.withModel(async (t) => {
      const ids = this.prepared.ids.subarray(0, Math.min(limit, this.prepared.ids.length));
      const chars = Array.from(ids, (id) => this.vocab.chars[id]);
      const losses = await t.model.evaluate(ids);
      const sums = new Map<string, { s: number; n: number }>();
      for (let i = 0; i < losses.length; i++) {
        const ch = chars[i + 1];
        const e = sums.get(ch) ?? { s: 0, n: 0 };
        e.s += losses[i];
        e.n++;
        sums.set(ch, e);
      }
      const top = [...sums.entries()]
        .map(([char, { s, n }]) => ({ char, loss: s / n, count: n }))
        .sort((a, b) => b.loss - a.loss)
        .slice(0, hardest);
      return { chars, losses, hardest: top };
    });
  }

  /** Hidden states and gates after each character of `text` (vocabulary characters only). */
  hiddenStates(text: string): Promise<HiddenStates> {
    const ids = this.encode(text, 'the sentence');
    if (ids.length === 0) return Promise.reject(new Error('type a sentence to see its hidden states'));
    return this.withModel((t) => t.model.hiddenStates(ids));
  }

  /**
   * The model's next-character distribution after each character of `text` (vocabulary
   * characters only), from zero state: the top layer's hidden states through the head on the
   * host (see predictions.ts). The parameters are read once per trained step. Typing is
   * incremental: a text that extends the last one read with the same model (trainer and step)
   * reads only its new characters, from the state the last read left after its end; a prefix of
   * it (backspace) is answered from what was kept, without reading. Anything else (trained
   * further, another model, an edit before the end) reads the whole text.
   */
  async predictions(text: string): Promise<Predictions> {
    const ids = this.encode(text, 'the text');
    if (ids.length === 0) throw new Error('type at least one character to see what the model expects next');
    return this.withModel(async (t) => {
      const { hiddenSize: H, vocabSize: V, layers: L } = this.table.config;
      const last = this.lastRead && this.lastRead.trainer === t && this.lastRead.step === t.step ? this.lastRead : null;
      const params = last?.params ?? (await t.model.readParams());
      const n = ids.length;
      // The characters of the last read that this text keeps: all of them when it extends that text, all of its own when it is a prefix.
      const kept = last ? wholePrefixLength(ids, last.ids) : 0;
      let read: PredictionsRead;
      if (last && kept === n) {
        const rows = (x: Float32Array) => x.subarray(0, n * H);
        read = { trainer: t, step: t.step, params, ids, h: last.h.map(rows), c: last.c.map(rows), probs: last.probs.subarray(0, n * V) };
      } else {
        const states = await t.model.hiddenStates(ids.subarray(kept), last && kept > 0 ? stateAfter(last, H, kept - 1) : undefined);
        const fresh = headPredictions(this.table, params, states.h[L - 1]).probs;
        const joined = (before: Float32Array | undefined, after: Float32Array, width: number) => {
          if (!before || kept === 0) return after;
          const out = new Float32Array(n * width);
          out.set(before.subarray(0, kept * width));
          out.set(after, kept * width);
          return out;
        };
        read = {
          trainer: t,
          step: t.step,
          params,
          ids,
          h: states.h.map((x, l) => joined(last?.h[l], x, H)),
          c: states.c.map((x, l) => joined(last?.c[l], x, H)),
          probs: joined(last?.probs, fresh, V),
        };
      }
      this.lastRead = read;
      // A copy: the kept rows stay predictions()'s own.
      return { probs: read.probs.slice(), n, V };
    });
  }

  /** predictions()'s last read, with the parameters, trainer and step it was computed with. */
  private lastRead: PredictionsRead | null = null;

  /** Hidden states, cell states and gates after each of `length` characters of the run's text from `start`, from zero state. */
  textStates(start: number, length: number): Promise<{ ids: Int32Array; states: HiddenStates }> {
    const all = this.prepared.ids;
    const from = Math.max(0, Math.min(start, all.length - 1));
    const ids = all.slice(from, Math.min(all.length, from + length));
    return this.withModel(async (t) => ({ ids, states: await t.model.hiddenStates(ids) }));
  }

  /** A sentence of the run's text that the heatmap can start with: its first line of some length. */
  defaultSentence(maxChars = 40): string {
    // Only characters the model reads: a model loaded onto this text with a stand-in character lacks some of the text's.
    const known = (l: string) => [...l].every((c) => this.vocab.has(c));
    const text = this.prepared.corpus.text.slice(0, 20_000);
    const lines = text.split(/\n/).map((l) => l.trim());
    const line = lines.find((l) => [...l].length >= 12 && known(l)) ?? [...text].filter((c) => this.vocab.has(c) && c !== '\n').join('');
    return [...line.trim()].slice(0, maxChars).join('') || this.vocab.chars[0];
  }

  /**
   * A training-state checkpoint (safetensors, char-lm/1): parameters, Adam moments, step,
   * data cursor, RNG and carried state; `exact` resume continues it bit for bit. `withLog`:
   * also what the run has shown up to that step (loss history, samples, target; metadata
   * "run_log"), so that the page's Load shows the run as it was (runLogFromRecord).
   */
  checkpoint(opts: { withLog?: boolean } = {}): Promise<Uint8Array> {
    return this.withModel(async (t) => {
      const snap = await t.snapshot();
      return this.snapshotBytes(snap, opts.withLog ? runLogRecord(this.log(), this.target, snap.step) : undefined);
    });
  }

  private snapshotBytes(snap: TrainingSnapshot, runLog?: RunLogRecord): Uint8Array {
    return saveCheckpoint({
      runLog,
      config: this.table.config,
      vocab: this.vocab.chars,
      table: this.table,
      params: snap.params,
      step: snap.step,
      trainConfig: this.settings.train,
      optimizer: snap.optimizer,
      trainingState: trainingStateRecord(snap, this.prepared.identity),
    });
  }

  /** The model alone (safetensors that PyTorch's load_state_dict takes as it is). */
  exportModel(): Promise<Uint8Array> {
    return this.withModel(async (t) => {
      const params = await t.model.readParams();
      return saveCheckpoint({ config: this.table.config, vocab: this.vocab.chars, table: this.table, params, step: t.step, trainConfig: this.settings.train });
    });
  }

  /** Stops training and frees the trainer (the engine stays with whoever opened it). */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.status = 'idle';
    await this.loop?.catch(() => undefined);
    // Work reading the model finishes first, and the steps still being read back are read:
    // destroying a staging buffer while it is being mapped rejects mapAsync.
    await this.busy;
    await this.trainer.flush().catch(() => undefined);
    this.trainer.destroy();
    this.listeners.clear();
  }
}

/** The length of the shorter of a and b when it is the start of the other, else 0. */
function wholePrefixLength(a: Int32Array, b: Int32Array): number {
  const k = Math.min(a.length, b.length);
  for (let i = 0; i < k; i++) if (a[i] !== b[i]) return 0;
  return k;
}

function mean(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}
