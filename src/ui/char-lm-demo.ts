// <char-lm-demo>: the embeddable element. It owns the training run (through RunController)
// and composes the panels, which show what it passes down and ask for actions with panel events.
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import type { EngineKind } from '../engine/contract.ts';
import { encodeInBackground } from '../run/encode-async.ts';
import { loadCheckpoint } from '../model/checkpoint.ts';
import { outsideVocabulary, runLogFromRecord, type Corpus, type RunLog, type TrainingRun } from '../run/run.ts';
import { SETTINGS_PRESETS, type RunSettings } from '../run/settings.ts';
import type { SavedRun } from '../run/store.ts';
import type { EncodedText } from '../text/encoded.ts';
import { TextReadCancelled, type ModelMemory, type ReadProgress } from '../text/read-text.ts';
import { tabModelMemory } from '../engine/memory.ts';
import { MAX_VOCAB } from '../model/config.ts';
import { VocabError } from '../text/vocab.ts';
import { DEFAULT_ATTRIBUTES, DEFAULT_SAMPLE_PRIME, DEFAULT_TEMPERATURES_TEXT, numberAttribute, readAttributes, type AppliedAttributes } from './attributes.ts';
import { loadCorpus, type TextChoice } from './corpus-source.ts';
import { downloadBytes } from './download.ts';
import { renderError, shownError, type ErrorPlace, type ShownError } from './error-box.ts';
import { charLmEvent, type CharLmEventDetails, type PanelEvent, type PanelEventDetails, type SavedRunsAction, type TrainingCommand } from './events.ts';
import { FileDrop } from './file-drop.ts';
import { fetchModel, fileNameOf, isModelOnly, readModelFile, settingsForModel, type FetchProgress, type ModelFile } from './model-file.ts';
import type { VocabRefusal } from './model-notice.ts';
import { RunController } from './run-controller.ts';
import { PersistController } from './persist-controller.ts';
import { forgetRemembered, pageStorage, readRemembered, remember, type RememberedText } from './remembered.ts';
import { savedWhen } from './saved-runs.ts';
import { chooseEngine, pagePaces, stepShape, type EngineChoice, type StepPredictions } from './engine-choice.ts';
import { engineReason } from './engine-line.ts';
import { isSoftwareAdapter } from '../gpu/device.ts';
import {
  ON_TRAIN_FIELDS,
  changedFields,
  draftFrom,
  draftWithFields,
  onTrainChange,
  parseDraft,
  pendingChanges,
  withFields,
  type SettingsDraft,
} from './settings-form.ts';
import { NumericsError } from '../run/numerics.ts';
import type { TrainingSnapshot } from '../model/training-state.ts';
import './text-source.ts';
import './settings-panel.ts';
import './training-panel.ts';
import './sampler.ts';
import './inspector.ts';
import './model-notice.ts';
import './saved-runs.ts';
import './engine-line.ts';

type Phase = 'loading' | 'ready' | 'error';

/** The properties behind the documented attributes: a change to any of them is applied (see the class comment). */
const ATTRIBUTE_PROPERTIES = [
  'preset',
  'corpusUrl',
  'settingsPreset',
  'embedSize',
  'hiddenSize',
  'layers',
  'steps',
  'sampleEvery',
  'temperatures',
  'prime',
  'engine',
  'autotrain',
  'modelUrl',
  'controls',
] as const;

/** Which text the corpus attributes ask for: corpus-url while it is set, else the preset. */
function attributeText(a: AppliedAttributes): { key: string; choice: TextChoice } {
  return a.corpusUrl
    ? { key: `url:${a.corpusUrl}`, choice: { kind: 'url', url: a.corpusUrl } }
    : { key: `preset:${a.preset}`, choice: { kind: 'preset', id: a.preset } };
}

/** A value a script passed, for a message: its text or its type. */
function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return `a ${typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v}`;
}

/**
 * An action refused because the settings form has a value that does not parse: the form
 * shows the field's own message beside it and takes the focus to it.
 */
class FormRefusal extends Error {
  override name = 'FormRefusal';
}

/** What is remembered of a chosen text: a preset or URL itself, only the kind of any other. */
function rememberedText(c: TextChoice): RememberedText {
  return c.kind === 'preset' || c.kind === 'url' ? c : { kind: c.kind };
}

/**
 * <char-lm-demo>: train a character-level LSTM in the browser, watch it learn,
 * sample from it and look inside it.
 *
 * Every attribute (and its property) is read when the element connects and applied
 * again whenever it changes:
 * - `preset`, `corpus-url`: load that text at once and start a fresh model on it (with
 *   the settings in the form). A text that failed or was cancelled is tried again when
 *   `corpus-url` (or `preset`) is set again, even to the same value. A file or URL is
 *   streamed with its progress in the text panel and a Cancel button; non-text, invalid
 *   UTF-8, a web page and a text over the size limit are refused with the reason and
 *   change nothing (src/text/read-text.ts).
 * - `settings`, `embed-size`, `hidden-size`, `layers`, `steps`, `sample-every`, `engine`:
 *   the form follows at once; an untrained model (step 0, idle) is rebuilt with them at
 *   once, a trained one is kept and the form says "Takes effect on Reset".
 * - `temperatures`, `prime`: the Sample panel's fields follow at once.
 * - `autotrain`: set after the element is ready, it starts training (when idle or paused).
 * - `model-url`: fetch that checkpoint (the progress shows) and load it onto the text (again
 *   when the text changes); it is ready to sample and inspect at once, and `autotrain`
 *   fine-tunes it. A URL that fails (404, network, not a checkpoint) is reported by name
 *   and changes nothing: the model in use stays (one loaded before, or the one trained
 *   here; a fresh model on the text when the element had none). Removing it keeps the model.
 * - `controls`: `all`, or `generate` for a generation-only demo (no text, settings or
 *   training panels: the sampler and the inspector remain), at once.
 * A bad value is reported (`char-lm-error` and the error box) naming the attribute and
 * what it accepts, and changes nothing: the element keeps that attribute's last good value.
 *
 * @attr preset - corpus preset: notebook (default), pride-and-prejudice, tinyshakespeare
 * @attr corpus-url - load the corpus from this URL instead of a preset
 * @attr settings - training settings preset: notebook (default) or novel
 * @attr embed-size - embedding width E (overrides the settings preset)
 * @attr hidden-size - hidden size H
 * @attr layers - LSTM layers L
 * @attr steps - training steps before it stops by itself
 * @attr sample-every - log a sample every N steps (default 100; 0 = never)
 * @attr autotrain - start training as soon as the element is ready
 * @attr temperatures - comma-separated sampling temperatures (default 0.5,1.0,1.5)
 * @attr prime - text that samples start from (default "Mr Bennet"; the text's opening when it lacks those characters)
 * @attr engine - auto (the engine a short calibration predicts faster here for the settings: WebGPU on a hardware GPU; on a software adapter the CPU engine for small models), gpu, or cpu
 * @attr model-url - a .safetensors checkpoint (training state or model only) to load onto the text, ready to sample
 * @attr controls - all (default) or generate (only the sampler and the inspector)
 * @attr persist - keep runs in this browser (IndexedDB) as they train and offer to continue them after a reload;
 *   remember the text and settings (localStorage). Read when the element connects; off by default.
 * @slot - corpus text (used when present, instead of preset and corpus-url)
 *
 * @fires {CustomEvent<CharLmReadyDetail>} char-lm-ready - {engine, adapter, parameters} once the first model is ready to train
 * @fires {CustomEvent<StepResult>} char-lm-step - {step, loss, gradNorm} after every training step
 * @fires {CustomEvent<CharLmSampleDetail>} char-lm-sample - {temperatures, texts} when a generation completes
 * @fires {CustomEvent<CharLmErrorDetail>} char-lm-error - {message} when something failed or an attribute is bad; nothing is lost
 *
 * @csspart header - the title, the engine line and "About this run" (the adapter, why this engine, the parameters and the text)
 * @csspart controls - Train / Pause / Reset and the live figures
 * @csspart chart - the loss chart
 * @csspart samples - the generation panel
 * @csspart inspect - the per-character loss and heatmap panel
 * @csspart error - a message box: at the top (attributes, scripts) and in the text and training panels (a failed Reset next to Reset), next to the control that caused it
 * @csspart model-notice - a model-url download in progress, or a model refused for characters it lacks
 * @csspart run-notice - training stopped by the numerics guard, or a lost GPU device (with the kept state to download)
 * @csspart saved-runs - the saved runs panel (with `persist`)
 * @cssprop --char-lm-accent - accent colour (buttons, lines)
 * @cssprop --char-lm-text - text colour
 * @cssprop --char-lm-muted - secondary text colour
 * @cssprop --char-lm-bg - panel background
 */
export class CharLmDemo extends LitElement {
  static override properties = {
    // Setting the text attributes again, even to the same value, retries a text that failed.
    preset: { type: String, reflect: true, hasChanged: () => true },
    corpusUrl: { type: String, attribute: 'corpus-url', reflect: true, hasChanged: () => true },
    settingsPreset: { type: String, attribute: 'settings', reflect: true },
    embedSize: { attribute: 'embed-size', reflect: true, converter: numberAttribute },
    hiddenSize: { attribute: 'hidden-size', reflect: true, converter: numberAttribute },
    layers: { reflect: true, converter: numberAttribute },
    steps: { reflect: true, converter: numberAttribute },
    sampleEvery: { attribute: 'sample-every', reflect: true, converter: numberAttribute },
    autotrain: { type: Boolean, reflect: true },
    temperatures: { type: String, reflect: true },
    prime: { type: String, reflect: true },
    engine: { type: String, reflect: true },
    modelUrl: { type: String, attribute: 'model-url', reflect: true },
    controls: { type: String, reflect: true },
    persist: { type: Boolean, reflect: true },
    phase: { state: true, attribute: false },
    errors: { state: true, attribute: false },
    applied: { state: true, attribute: false },
    draft: { state: true, attribute: false },
    modelSource: { state: true, attribute: false },
    trainedBefore: { state: true, attribute: false },
    busy: { state: true, attribute: false },
    modelDownload: { state: true, attribute: false },
    refusal: { state: true, attribute: false },
    textRead: { state: true, attribute: false },
    formRefused: { state: true, attribute: false },
    resetRefused: { state: true, attribute: false },
    runNotice: { state: true, attribute: false },
  };

  /** Corpus preset id (`preset`). */
  declare preset: string;
  /** Corpus URL (`corpus-url`); while set, it wins over `preset`. */
  declare corpusUrl: string;
  /** Settings preset id (`settings`). */
  declare settingsPreset: string;
  /** Embedding width E (`embed-size`); unset: the settings preset's. */
  declare embedSize: number | undefined;
  /** Hidden size H (`hidden-size`); unset: the settings preset's. */
  declare hiddenSize: number | undefined;
  /** LSTM layers L (`layers`); unset: the settings preset's. */
  declare layers: number | undefined;
  /** Training steps (`steps`); unset: the settings preset's. */
  declare steps: number | undefined;
  /** A training sample every this many steps (`sample-every`); unset: the settings preset's. */
  declare sampleEvery: number | undefined;
  /** Start training when ready (`autotrain`). */
  declare autotrain: boolean;
  /** Comma-separated sampling temperatures (`temperatures`). */
  declare temperatures: string;
  /** The prime of the Sample panel (`prime`). */
  declare prime: string;
  /** auto, gpu or cpu (`engine`). */
  declare engine: string;
  /** A checkpoint to load onto the text (`model-url`; '' for none). */
  declare modelUrl: string;
  /** all or generate (`controls`). */
  declare controls: string;
  /** Keep runs and remember the text and settings in this browser (`persist`; read on connect). */
  declare persist: boolean;
  declare private phase: Phase;
  /** The message of each place (the top of the element, the text, settings and training panels), shown there. */
  declare private errors: Partial<Record<ErrorPlace, ShownError>>;
  /** The attributes in use: the last good value of each. */
  declare private applied: AppliedAttributes;
  /** The settings form as typed. */
  declare private draft: SettingsDraft;
  /** Where the current model came from when it was loaded from a file ('' for a fresh one). */
  declare private modelSource: string;
  /** Steps a model loaded from a model-only file was trained before it came here (its run counts from 0); 0 otherwise. */
  declare private trainedBefore: number;
  /** Actions queued or running (loading a text, Reset, Load…); the panels wait for them. */
  declare private busy: number;
  /** A model-url being fetched. */
  declare private modelDownload: { url: string; progress: FetchProgress } | null;
  /** The last model refused for characters of the text it lacks, kept for "Continue with replacement". */
  declare private refusal: (VocabRefusal & { file: ModelFile }) | null;
  /** A file or URL being read as the next text (its progress; Cancel stops it). */
  declare private textRead: { name: string; progress: ReadProgress } | null;
  /** Resets refused because the form does not parse (the form then focuses the field in error). */
  declare private formRefused: number;
  /** Resets that failed with settings that parse (the text is too short for them…): the message goes next to Reset, which focuses it. */
  declare private resetRefused: number;
  /**
   * What happened to the run, shown above the training panel: training stopped by the
   * numerics guard, or a lost GPU device (with the step its state was kept at, to download).
   */
  declare private runNotice: { kind: 'numerics' | 'device'; text: string; kept?: TrainingSnapshot } | null;

  private ctl = new RunController(this, {
    onStep: (r) => this.emit('char-lm-step', r),
    onError: (e) => this.onRunError(e),
    beforeReplace: (old) => this.keeper.letGo(old),
    onReplace: (run) => {
      this.runNotice = null;
      this.keeper.keep(run);
    },
    onDeviceLost: (reason) => this.onDeviceLost(reason),
  });
  /** With `persist`: the saved runs, and the current run kept among them. */
  private keeper = new PersistController(this, { onError: (e) => this.emit('char-lm-error', { message: e.message }) });
  /** The current text's own encoding (its ids, once): Reset and rebuilds reuse it. */
  private text: EncodedText | null = null;
  /** Actions that replace the run, one at a time. */
  private queue: Promise<void> = Promise.resolve();
  /** The attributes have been read once since the element connected; later changes are applied. */
  private attributesRead = false;
  private applyQueued = false;
  /** The text the corpus attributes asked for last (tried, whether it loaded or not). */
  private attributeTextKey = '';
  /** That text did not load (failed or cancelled): setting `corpus-url` or `preset` again, even to the same value, retries it. */
  private attributeTextFailed = false;
  /** `corpus-url` or `preset` was set since the attributes were last applied. */
  private corpusAsked = false;
  /** Stops the read of the file or URL being read, if any. */
  private textAbort: AbortController | null = null;
  private autotrainApplied = false;
  /** The text in the element when it was last used. */
  private slotText = '';
  private readyFired = false;
  /** The messages of actions refused for a field of the form: editing the form takes them away. */
  private formRefusals = new Set<string>();
  /** The message at the top is only about a `model-url` that did not load (see failAttributes). */
  private topAboutModel = false;
  /** A .safetensors file dropped onto the element loads it; a .txt file becomes the text. */
  private fileDrop = new FileDrop(this, (f) => this.onDroppedFile(f));

  constructor() {
    super();
    this.preset = DEFAULT_ATTRIBUTES.preset;
    this.corpusUrl = '';
    this.settingsPreset = DEFAULT_ATTRIBUTES.settingsPreset;
    this.autotrain = false;
    this.temperatures = DEFAULT_TEMPERATURES_TEXT;
    this.prime = DEFAULT_SAMPLE_PRIME;
    this.engine = DEFAULT_ATTRIBUTES.engine;
    this.modelUrl = '';
    this.controls = DEFAULT_ATTRIBUTES.controls;
    this.persist = false;
    this.phase = 'loading';
    this.errors = {};
    this.applied = DEFAULT_ATTRIBUTES;
    this.draft = draftFrom(DEFAULT_ATTRIBUTES.settings);
    this.modelSource = '';
    this.trainedBefore = 0;
    this.busy = 0;
    this.modelDownload = null;
    this.refusal = null;
    this.textRead = null;
    this.formRefused = 0;
    this.resetRefused = 0;
    this.runNotice = null;
  }

  static override styles = css`
    :host {
      display: block;
      container: char-lm / inline-size;
      font:
        15px/1.5 system-ui,
        sans-serif;
      color: var(--char-lm-text, #1d1d1f);
      --accent: var(--char-lm-accent, #1f4fbf);
      --muted: var(--char-lm-muted, #5f6368);
    }
    header h1 {
      font-size: 1.4em;
      margin: 0;
    }
    header > div,
    header > p {
      overflow-wrap: anywhere;
      margin: 0;
    }
    header .tagline {
      font-size: 1.05em;
      margin: 0 0 0.2em;
    }
    header > div.muted {
      font-size: 0.85em;
    }
    header .nw {
      white-space: nowrap;
    }
    /* What the run is made of, one line until opened: the work below stays in view. */
    .about {
      font-size: 0.85em;
      color: var(--muted);
      overflow-wrap: anywhere;
    }
    .about summary {
      cursor: pointer;
      color: var(--accent);
      width: fit-content;
    }
    .about-body {
      border-left: 3px solid #d5dbe7;
      padding: 0.2em 0 0.2em 0.8em;
      margin: 0.2em 0 0.4em;
    }
    /* The text, settings and training panels: one column, or two where the element is wide enough. */
    @container char-lm (min-width: 900px) {
      .work {
        display: grid;
        grid-template-columns: minmax(18em, 2fr) minmax(0, 3fr);
        grid-template-rows: auto 1fr;
        grid-template-areas:
          'setup run'
          'settings run';
        gap: 0 1.2em;
        align-items: start;
      }
      .work > .setup {
        grid-area: setup;
      }
      .work > .run {
        grid-area: run;
      }
      .work > .settings {
        grid-area: settings;
      }
    }
    .work > * {
      min-width: 0;
    }
    .muted {
      color: var(--muted);
    }
    .error {
      background: #fdecea;
      color: #8a1c12;
      border-left: 4px solid #d93025;
      padding: 0.6em 1em;
      border-radius: 4px;
      white-space: pre-wrap;
      overflow-wrap: anywhere;
    }
    .error .why {
      white-space: normal;
      margin-top: 0.2em;
    }
    .error .why summary {
      cursor: pointer;
      text-decoration: underline;
    }
    :host([data-drop-target]) {
      outline: 3px dashed var(--accent);
      outline-offset: 4px;
      background: color-mix(in srgb, var(--accent) 6%, transparent);
    }
    .warning {
      background: #fff4e5;
      border-left: 4px solid #f29900;
      padding: 0.6em 1em;
      border-radius: 4px;
    }
    .run-notice {
      margin: 0.8em 0;
      white-space: normal;
      overflow-wrap: anywhere;
    }
    .run-notice button {
      margin-top: 0.5em;
      font: inherit;
      color: var(--accent);
      background: white;
      border: 1px solid var(--accent);
      border-radius: 6px;
      padding: 0.3em 0.9em;
      cursor: pointer;
    }
  `;

  // ---- lifecycle and attributes ----

  override connectedCallback(): void {
    super.connectedCallback();
    this.setPhase('loading');
    this.attributesRead = false;
    void this.enqueue(() => this.start());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.textAbort?.abort();
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (!this.attributesRead) return;
    if (changed.has('corpusUrl') || changed.has('preset')) this.corpusAsked = true;
    if (this.applyQueued) return;
    if (ATTRIBUTE_PROPERTIES.some((p) => changed.has(p))) {
      this.applyQueued = true;
      void this.enqueue(() => this.applyAttributes());
    }
  }

  /**
   * Runs an action after the ones before it (they replace the run, so never two at once);
   * its failure is shown and changes nothing. The buttons wait while actions are pending.
   */
  private enqueue(action: () => Promise<void>, place: ErrorPlace = 'top'): Promise<void> {
    this.busy++;
    const done = this.queue
      // An element taken off the page has given its run and GPU buffers back: what was queued for it is dropped.
      .then(() => (this.isConnected ? action() : undefined))
      .catch((e: Error) => {
        if (!(e instanceof TextReadCancelled)) this.fail(e, place); // Cancel: everything stays as it was
      })
      .finally(() => this.busy--);
    this.queue = done;
    return done;
  }

  /** Reads the attributes, loads the first text and builds the first model. */
  private async start(): Promise<void> {
    const { applied, errors } = readAttributes(this, (a) => this.getAttribute(a), DEFAULT_ATTRIBUTES);
    this.applied = applied;
    this.attributesRead = true;
    this.autotrainApplied = this.autotrain;
    const remembered = this.persist ? this.openSaved() : null;
    const settings = remembered?.settings ?? applied.settings;
    this.draft = draftFrom(settings);
    const messages = [...errors];
    try {
      if (applied.engine !== 'cpu') await this.ctl.connectGpu();
      const asked = attributeText(applied);
      this.attributeTextKey = asked.key;
      this.slotText = this.textContent?.trim() ?? '';
      const choice: TextChoice = this.slotText ? { kind: 'slot', text: this.slotText } : (remembered?.text ?? asked.choice);
      this.attributeTextFailed = choice === asked.choice;
      const corpus = await this.readCorpus(choice).catch((e: Error) => {
        if (choice === asked.choice) throw e;
        messages.push(`the text used last could not be loaded again (${e.message}); using the page's text instead`);
        this.attributeTextFailed = true;
        return this.readCorpus(asked.choice);
      });
      await this.openText(corpus, settings);
      this.attributeTextFailed = false;
      if (applied.modelUrl) await this.loadAttributeModel(applied.modelUrl, messages);
      this.becomeReady();
    } catch (e) {
      this.setPhase('error');
      messages.push((e as Error).message);
    }
    this.failAttributes(messages);
  }

  /** Applies what changed in the attributes since they were last read (see the class comment). */
  private async applyAttributes(): Promise<void> {
    this.applyQueued = false;
    const before = this.applied;
    const { applied, errors } = readAttributes(this, (a) => this.getAttribute(a), before);
    this.applied = applied;
    const messages = [...errors];
    this.clearError();
    const fields = changedFields(applied.settings, before.settings);
    // The form follows the attributes that changed; what the user typed elsewhere stays.
    if (fields.length) this.draft = draftWithFields(this.draft, applied.settings, fields);
    const startTraining = this.autotrain && !this.autotrainApplied;
    this.autotrainApplied = this.autotrain;
    try {
      if (applied.engine !== 'cpu') await this.ctl.connectGpu();
      const asked = attributeText(applied);
      const run = this.ctl.run;
      const retry = this.corpusAsked && this.attributeTextFailed;
      this.corpusAsked = false;
      if (asked.key !== this.attributeTextKey || !run || retry) {
        this.attributeTextKey = asked.key;
        this.attributeTextFailed = true; // until it has loaded
        // The form is checked before the text is read (a fresh model on it takes the form's settings).
        const settings = this.formSettings('the text was not loaded', run?.settings ?? applied.settings);
        await this.openText(await this.readCorpus(asked.choice), settings);
        this.attributeTextFailed = false;
        if (applied.modelUrl) await this.loadAttributeModel(applied.modelUrl, messages);
        if (this.phase !== 'ready') this.becomeReady();
      } else if (applied.modelUrl && applied.modelUrl !== before.modelUrl) {
        await this.loadAttributeModel(applied.modelUrl, messages);
      } else if ((fields.length || applied.engine !== before.engine) && run.step === 0 && run.status === 'idle') {
        // An untrained model is rebuilt at once; a trained one waits for Reset (the form says so).
        await this.replaceModel(withFields(run.settings, applied.settings, fields));
      }
      const status = this.ctl.run?.status;
      if (startTraining && this.phase === 'ready' && (status === 'idle' || status === 'paused')) void this.ctl.run?.start();
    } catch (e) {
      if (!(e instanceof TextReadCancelled)) messages.push((e as Error).message);
    }
    this.failAttributes(messages);
  }

  /**
   * Reads a chosen text (src/ui/corpus-source.ts): a file or URL shows its progress in the
   * text panel until it is read, refused or cancelled. Nothing else changes here.
   */
  private async readCorpus(choice: TextChoice): Promise<Corpus> {
    const abort = new AbortController();
    this.textAbort = abort;
    try {
      return await loadCorpus(choice, {
        signal: abort.signal,
        onProgress: (name, progress) => (this.textRead = { name, progress }),
        model: this.modelMemory(),
      });
    } finally {
      if (this.textAbort === abort) this.textAbort = null;
      this.textRead = null;
    }
  }

  /**
   * The tab memory the model of a new text will take beside it (the form's settings, or the
   * run's where the form does not parse, on the engine they get; the vocabulary of the text
   * in use, or the largest before there is one): the page's text limit leaves room for it.
   */
  private modelMemory(): ModelMemory {
    const run = this.ctl.run;
    let settings = run?.settings ?? this.applied.settings;
    try {
      settings = parseDraft(this.draft, settings);
    } catch {
      // The form's own message says what is wrong with it.
    }
    return tabModelMemory({ vocabSize: run?.vocab.size ?? MAX_VOCAB, ...settings.model }, settings.train, this.engineChoice(settings).kind);
  }

  /** Cancel in the text panel: the read stops and the text, model and chart stay as they were. */
  private cancelTextRead(): void {
    this.textAbort?.abort();
  }

  private onSlotChange(): void {
    const text = this.textContent?.trim() ?? '';
    if (this.phase !== 'ready' || !text || text === this.slotText) return;
    this.slotText = text;
    this.useText({ kind: 'slot', text });
  }

  private becomeReady(): void {
    this.setPhase('ready');
    const s = this.ctl.run!;
    if (!this.readyFired) {
      this.readyFired = true;
      this.emit('char-lm-ready', { engine: s.engine.kind, adapter: this.ctl.gpu?.adapter.summary ?? null, parameters: s.counts });
    }
    if (this.autotrain) void this.ctl.run?.start();
    else this.decideAgain(); // a pace measured while the first model was built
  }

  private setPhase(p: Phase): void {
    this.phase = p;
    this.dataset.state = p;
  }

  /** The engines whose pace is measured for a choice: both for `auto` (the CPU alone without WebGPU); the CPU's for `cpu` (the estimate before Train); none for `gpu`. */
  private pacesNeeded(): EngineKind[] {
    const asked = this.applied.engine;
    if (asked === 'gpu') return [];
    return asked === 'cpu' || !this.ctl.gpu ? ['cpu'] : ['cpu', 'gpu'];
  }

  /**
   * The engine the `engine` attribute asks for a model with `settings`, given what the browser
   * has and the paces measured on this page so far, and why (src/ui/engine-choice.ts): provisional
   * while a pace it needs is being measured.
   */
  private engineChoice(settings: RunSettings = this.ctl.run?.settings ?? this.applied.settings, vocab = this.ctl.run?.vocab.size): EngineChoice {
    const gpu = this.ctl.gpu;
    const offer = { adapter: gpu?.adapter.summary ?? null, software: !!gpu && isSoftwareAdapter(gpu.adapter), error: this.ctl.gpuError };
    const shape = stepShape(settings, vocab);
    const needed = this.pacesNeeded();
    const predicted: StepPredictions = { cpu: null, gpu: null };
    for (const kind of ['cpu', 'gpu'] as const) {
      const ms = pagePaces.predict(kind, shape);
      predicted[kind] = ms === undefined && !needed.includes(kind) ? null : ms;
    }
    return chooseEngine(this.applied.engine, offer, predicted);
  }

  /**
   * The engine a model with `settings` is built on. The paces it needs are measured in the
   * background, the CPU engine's for the model's size first (a fraction of a second, in a
   * Worker), then the GPU's once a page (on a software adapter it compiles a pipeline:
   * seconds); the adapter's kind decides meanwhile, and a model still untouched when they are
   * known is built again if that was wrong. The page's first model does not wait for them (the
   * first view comes at once); later ones (Reset, a preset, a text) wait for the CPU's.
   */
  private async engineKind(settings: RunSettings, vocab?: number): Promise<EngineKind> {
    const shape = stepShape(settings, vocab ?? this.ctl.run?.vocab.size);
    const needed = this.pacesNeeded();
    const cpu = needed.includes('cpu') ? pagePaces.measure(['cpu'], shape, null) : null; // queued before the GPU's
    void cpu?.then(() => this.decideAgain());
    if (needed.includes('gpu') && this.ctl.gpu) void pagePaces.measure(['gpu'], shape, this.ctl.gpu).then(() => this.decideAgain());
    if (this.phase === 'ready') await cpu;
    return this.engineChoice(settings, shape.vocab).kind;
  }

  /**
   * A prediction arrived: the engine line and the estimate follow it, and a model built on a
   * provisional choice that is still untouched (fresh, never trained, the automatic choice) is
   * built again on the engine now chosen.
   */
  private decideAgain(): void {
    this.requestUpdate();
    const untouched = (run: TrainingRun | null): run is TrainingRun =>
      !!run && run.step === 0 && run.status === 'idle' && !this.modelSource && this.applied.engine === 'auto' && this.phase === 'ready';
    const run = this.ctl.run;
    if (!untouched(run) || this.engineChoice(run.settings).kind === run.engine.kind) return;
    void this.enqueue(async () => {
      const now = this.ctl.run;
      if (now === run && untouched(now) && this.engineChoice(now.settings).kind !== now.engine.kind) await this.replaceModel(now.settings);
    });
  }

  private measureTimer = 0;

  /** Measures the paces a choice for `settings` needs once the form has rested half a second, so that the engine line says what Reset will use. */
  private measureSoon(settings: RunSettings): void {
    clearTimeout(this.measureTimer);
    this.measureTimer = window.setTimeout(() => {
      if (this.isConnected) void pagePaces.measure(this.pacesNeeded(), stepShape(settings), this.ctl.gpu).then(() => this.requestUpdate());
    }, 500);
  }

  private emit<K extends keyof CharLmEventDetails>(type: K, detail: CharLmEventDetails[K]): void {
    this.dispatchEvent(charLmEvent(type, detail));
  }

  /**
   * Shows a failure in the place of the action that caused it (next to its controls; at
   * the top when the element has no such panel) and reports it with `char-lm-error`.
   */
  private fail(e: Error | string, place: ErrorPlace = 'top'): void {
    const shown = shownError(e);
    if (this.placeOf(place) === 'top') this.topAboutModel = false;
    this.errors = { ...this.errors, [this.placeOf(place)]: shown };
    this.emit('char-lm-error', { message: shown.message });
  }

  /**
   * The attributes' messages, at the top. When they are all about `model-url` (a model that
   * did not load), a model loaded afterwards by any other way takes the message away: what
   * it says stays ("the model trained here stays") would no longer be true.
   */
  private failAttributes(messages: string[]): void {
    if (!messages.length) return;
    this.fail(messages.join('\n'));
    this.topAboutModel = messages.every((m) => m.startsWith('model-url: '));
  }

  /** Takes the message of a place away (its action is taken again, or its cause is gone). */
  private clearError(place: ErrorPlace = 'top'): void {
    const where = this.placeOf(place);
    if (!this.errors[where]) return;
    const next = { ...this.errors };
    delete next[where];
    this.errors = next;
    if (where === 'top') this.topAboutModel = false;
  }

  /** The panels show their own messages; with `controls="generate"` there are none: everything goes at the top. */
  private placeOf(place: ErrorPlace): ErrorPlace {
    return this.applied.controls === 'all' ? place : 'top';
  }

  // ---- building models ----

  /**
   * The settings in the form, for an action that reads them (Train, Reset, a new text, a
   * model): checked before anything is read, discarded or sent to the GPU. A value that does
   * not parse refuses the action with a FormRefusal, "<refused>: <the field's message>", the
   * form takes the focus to the field (its own message is beside it) and nothing changes.
   */
  private formSettings(refused: string, base: RunSettings): RunSettings {
    try {
      return parseDraft(this.draft, base);
    } catch (e) {
      if (this.applied.controls === 'all') this.formRefused++;
      const message = `${refused}: ${(e as Error).message}`;
      this.formRefusals.add(message);
      throw new FormRefusal(message);
    }
  }

  /** A new text: encoded once (off the main thread where possible), then a fresh model on it. */
  private async openText(corpus: Corpus, settings: RunSettings): Promise<void> {
    const encoded = await encodeInBackground(corpus.text);
    await this.ctl.replace({ corpus, settings, naming: 'label', encoded }, await this.engineKind(settings, encoded.chars.length));
    this.text = encoded;
    this.clearError('settings'); // a failed Reset's message is out of date: a model on this text is built
    this.modelSource = '';
    this.trainedBefore = 0;
    this.refusal = null;
    this.draft = draftFrom(this.ctl.run!.settings);
  }

  /** A fresh model on the current text; the form keeps what was typed in fields these settings do not change. */
  private async replaceModel(settings: RunSettings): Promise<void> {
    const s = this.ctl.run!;
    await this.ctl.replace({ corpus: s.prepared.corpus, settings, naming: 'label', encoded: this.text! }, await this.engineKind(settings));
    this.modelSource = '';
    this.trainedBefore = 0;
    this.draft = draftWithFields(this.draft, settings, changedFields(settings, s.settings));
  }

  // ---- actions (the panels' buttons, and a page's script) ----

  /**
   * Starts or resumes training, after the actions called before it (a Reset called just
   * before trains the new model); a learning rate, decay or clip norm changed in the form
   * is applied first (the model goes on from where it is with them). A form with a value
   * that does not parse changes nothing: "Train changed nothing: <the field's message>" next
   * to Train (and `char-lm-error`), and the form takes the focus to the field. Resolves once
   * training has started; it runs on its own.
   */
  train(): Promise<void> {
    return this.act(async () => {
      const run = this.ctl.run;
      if (!run) return;
      // Checked whatever the run is doing: a form with a bad value never trains (not even on the old values).
      const asked = this.formSettings('Train changed nothing', run.settings);
      const change = run.status === 'training' || run.status === 'pausing' ? null : onTrainChange(asked, run.settings);
      if (change) await run.retune(change);
      if (this.runNotice?.kind === 'numerics') this.runNotice = null;
      if (this.ctl.run === run) void run.start();
    }, 'training');
  }

  /** A run's error: training stopped by the numerics guard is shown by the training panel; anything else in the error box. */
  private onRunError(e: Error): void {
    if (!(e instanceof NumericsError)) return this.fail(e, 'training');
    this.runNotice = { kind: 'numerics', text: e.message };
    this.emit('char-lm-error', { message: e.message });
  }

  /** The GPU device was lost: say so at once, with the step that is safe; then move the run to a new device (or the CPU). */
  private onDeviceLost(reason: string): void {
    const run = this.ctl.run;
    // The state the notice offers: the newest kept before the loss (the run keeps newer ones as it trains on).
    // Only a run on the GPU engine was on the lost device (the CPU engine's go on as they are).
    const kept = run?.engine.kind === 'gpu' ? run.snapshot : undefined;
    const what = `The GPU device was lost (${reason}).`;
    if (kept) this.runNotice = { kind: 'device', text: `${what} Your model is safe at step ${kept.step}: moving it to a new device…`, kept };
    this.emit('char-lm-error', { message: what });
    void this.enqueue(async () => {
      const r = await this.ctl.recoverDevice();
      if (r.step === null || !kept) return;
      const goesOn = r.training ? 'training continues' : 'it is ready';
      const where = r.kind === 'gpu' ? 'on a new device' : `on the CPU reference engine (slow), because no new GPU device could be had: ${r.why}`;
      this.runNotice = { kind: 'device', text: `${what} Your model is safe at step ${r.step}: ${goesOn} ${where}.`, kept };
    });
  }

  /** Downloads the state kept off the device (needs no device: offered when the GPU is lost). */
  private downloadKept(kept: TrainingSnapshot): void {
    const run = this.ctl.run;
    if (!run) return;
    const { step, bytes } = run.keptCheckpoint(kept);
    downloadBytes(bytes, `char-lm-step-${step}.safetensors`);
  }

  /** Pauses training after the actions called before it; resolves when the step in flight is done and recorded. */
  pause(): Promise<void> {
    return this.enqueue(async () => {
      await this.ctl.run?.pause();
    }, 'training');
  }

  /**
   * Throws the model away and starts from fresh weights with the settings in the form (and
   * the `engine` asked for). A form that does not parse changes nothing: the form shows the
   * field's message next to it (and `char-lm-error` reports it).
   */
  reset(): Promise<void> {
    return this.act(async () => {
      const s = this.ctl.run;
      if (!s) return;
      let settings: RunSettings;
      try {
        settings = this.formSettings('Reset changed nothing', s.settings);
      } catch (e) {
        if (this.applied.controls !== 'all') throw e; // no form on the page: the error box says it
        // The settings panel shows the field's message beside the field, under Reset's own box.
        this.emit('char-lm-error', { message: (e as Error).message });
        return;
      }
      try {
        await this.ctl.replace({ corpus: s.prepared.corpus, settings, naming: 'label', encoded: this.text! }, await this.engineKind(settings));
      } catch (e) {
        this.resetRefused++; // the training panel shows the message next to Reset and moves the focus to it
        throw new Error(`Reset changed nothing: ${(e as Error).message}`);
      }
      this.modelSource = '';
      this.trainedBefore = 0;
      this.draft = draftFrom(settings);
    }, 'settings');
  }

  /** Downloads the model with its whole training state as a .safetensors file. */
  save(): Promise<void> {
    return this.act(async () => {
      const s = this.ctl.run;
      if (!s) return;
      downloadBytes(await s.checkpoint({ withLog: true }), `char-lm-step-${s.step}.safetensors`);
    }, 'training');
  }

  /** Downloads the model alone: .safetensors that PyTorch's load_state_dict takes as it is. */
  downloadModel(): Promise<void> {
    return this.act(async () => {
      const s = this.ctl.run;
      if (!s) return;
      downloadBytes(await s.exportModel(), `char-lm-model-step-${s.step}.safetensors`);
    }, 'training');
  }

  // ---- models from files and URLs (src/ui/model-file.ts) ----

  /** Replaces the model with one from a .safetensors file (training state or model only, the page's or the CLI's); a bad file changes nothing. */
  load(file: File): Promise<void> {
    return this.act(async () => {
      const given: unknown = file;
      if (!(given instanceof Blob)) throw new Error(`load() takes a File or Blob holding a .safetensors checkpoint, got ${describeValue(given)}`);
      const name = given instanceof File ? given.name : 'the Blob given to load()';
      this.formSettings('the model was not loaded', this.ctl.run?.settings ?? this.applied.settings);
      await this.loadModel(readModelFile(new Uint8Array(await given.arrayBuffer()), name));
    }, 'training');
  }

  /** The Pride and Prejudice preset with the model shipped with the page, ready to sample. */
  tryShippedModel(): Promise<void> {
    return this.act(async () => {
      // Imported on demand: the library build inlines the file, which only this button needs.
      const settings = this.formSettings('the shipped model was not loaded', this.ctl.run?.settings ?? this.applied.settings);
      const { SHIPPED_MODEL } = await import('./shipped-model.ts');
      const preset = await loadCorpus({ kind: 'preset', id: SHIPPED_MODEL.preset });
      if (this.ctl.run?.prepared.corpus.name !== preset.name) await this.openText(preset, settings);
      await this.loadModel(await this.fetchWithProgress(SHIPPED_MODEL.url, SHIPPED_MODEL.name));
      void this.showLoadedModel();
    }, 'text');
  }

  /** A trained model just loaded to try: the sampler comes into view and writes a first sample from it at once. */
  private async showLoadedModel(): Promise<void> {
    const run = this.ctl.run;
    await this.updateComplete;
    const sampler = this.renderRoot.querySelector('char-lm-sampler');
    if (!sampler || !run || this.ctl.run !== run) return;
    await sampler.updateComplete;
    sampler.scrollIntoView({ block: 'start', behavior: 'smooth' });
    await sampler.generate();
  }

  /** Loads `model-url`; when it fails the message names it and the model in use stays (see the class comment). */
  private async loadAttributeModel(url: string, messages: string[]): Promise<void> {
    try {
      this.formSettings('the model was not loaded', this.ctl.run?.settings ?? this.applied.settings); // before the download
      await this.loadModel(await this.fetchWithProgress(url, fileNameOf(url)));
    } catch (e) {
      if (e instanceof FormRefusal) return void messages.push(`model-url: ${e.message}`);
      const run = this.ctl.run;
      const instead = this.modelSource
        ? `the model loaded before (${this.modelSource}) stays`
        : run && run.step > 0
          ? `the model trained here (step ${run.step}) stays`
          : `a fresh model on ${run?.prepared.corpus.name ?? 'the text'} is ready instead`;
      messages.push(`model-url: ${(e as Error).message}. Check the address (a .safetensors file saved by char-lm); ${instead}.`);
    }
  }

  private async fetchWithProgress(url: string, name: string): Promise<ModelFile> {
    this.modelDownload = { url: name, progress: { received: 0, total: null } };
    try {
      return { ...(await fetchModel(url, (progress) => (this.modelDownload = { url: name, progress }))), name };
    } finally {
      this.modelDownload = null;
    }
  }

  /**
   * Puts a checkpoint on the current text: its model and training configuration, and its
   * optimizer and data cursor where it has them. A text with characters the model lacks is
   * refused, listing them; the notice offers a `replacement` to load it with.
   */
  private async loadModel(model: ModelFile, replacement?: string): Promise<void> {
    const s = this.ctl.run;
    if (!s) return;
    const form = this.formSettings('the model was not loaded', s.settings);
    this.refusal = null;
    const { contents, name } = model;
    const corpus = s.prepared.corpus;
    let encoded: EncodedText;
    try {
      encoded = await this.encodeFor(corpus, contents.vocab, replacement);
    } catch (e) {
      if (!(e instanceof VocabError) || !e.characters.length) throw e;
      this.refusal = { model: name, text: corpus.name, characters: e.characters, vocab: contents.vocab, file: model };
      throw outsideVocabulary(e, corpus.name, name);
    }
    const settings = settingsForModel(contents, form, encoded.ids.length);
    // A file saved by the page's Save brings what its run showed: the chart, the samples and the step it trained towards.
    const shown = isModelOnly(contents) ? null : runLogFromRecord(contents.runLog, contents.step);
    try {
      const checkpoint = { contents, name, mode: 'continue' as const };
      const run = await this.ctl.replace({ corpus, settings, naming: 'label', checkpoint, encoded, replacement }, await this.engineKind(settings), shown?.log);
      if (shown) run.target = Math.max(shown.target, run.step);
    } catch (e) {
      throw new Error(`could not load ${JSON.stringify(name)}: ${(e as Error).message}`);
    }
    const replaced = replacement === undefined || encoded === this.text ? '' : `, ${JSON.stringify(replacement)} for characters it lacks`;
    const fresh = isModelOnly(contents) ? '; model only: training onward starts from step 0 with a fresh optimizer' : '';
    this.modelSource = `${name} (step ${contents.step}${replaced}${fresh})`;
    this.trainedBefore = isModelOnly(contents) ? contents.step : 0;
    this.draft = draftFrom(settings);
    if (this.topAboutModel) this.clearError(); // a model-url that failed before: another model is in use now
  }

  /** The current text in a loaded model's vocabulary (the text's own encoding when they are the same). */
  private async encodeFor(corpus: Corpus, vocab: readonly string[], replacement: string | undefined): Promise<EncodedText> {
    const own = this.text!;
    if (vocab.length === own.chars.length && vocab.every((c, i) => c === own.chars[i])) return own;
    return encodeInBackground(corpus.text, vocab, replacement);
  }

  private onReplacement(answer: string | null): void {
    const r = this.refusal;
    if (!r) return;
    if (answer === null) {
      this.refusal = null;
      this.clearError('training');
    } else void this.act(() => this.loadModel(r.file, answer), 'training');
  }

  private onDroppedFile(file: File): void {
    if (/\.safetensors$/i.test(file.name)) void this.load(file);
    else if (/\.txt$/i.test(file.name) || file.type === 'text/plain') this.useText({ kind: 'file', file });
    else this.fail(`${JSON.stringify(file.name)} is neither a model (.safetensors) nor a text (.txt): drop one of those onto the element`, 'text');
  }

  /** A text chosen in the page (or the element's content): a fresh model on it with the settings in the form. */
  private useText(choice: TextChoice): void {
    void this.act(async () => {
      const settings = this.formSettings('the text was not loaded', this.ctl.run?.settings ?? this.applied.settings);
      await this.openText(await this.readCorpus(choice), settings);
      if (this.phase !== 'ready') {
        this.clearError(); // the element has a text now: the first one's failure, at the top, is over
        this.becomeReady();
      }
      if (this.persist) remember(pageStorage(), { text: rememberedText(choice) });
    }, 'text');
  }

  /**
   * An action of the page: the last message of its place goes, then the action runs in
   * turn; a failure is shown in that place (next to the control that asked for it).
   */
  private act(action: () => Promise<void>, place: ErrorPlace = 'top'): Promise<void> {
    this.clearError(place);
    return this.enqueue(action, place);
  }

  private onCommand(c: TrainingCommand): void {
    if (c === 'train') void this.train();
    else if (c === 'pause') void this.pause();
    else if (c === 'reset') void this.reset();
    else if (c === 'download-model') void this.downloadModel();
    else void this.save();
  }

  /** An earlier run's loss history, for the chart's comparison (a storage problem shows in the saved-runs panel). */
  private loadLog = async (id: string): Promise<RunLog | null> => (await this.keeper.load(id))?.log ?? null;

  /** Settings that fit this machine (the progress line's offer): stop earlier, or a fresh model with the notebook settings. */
  private onFit(f: PanelEventDetails['panel-fit']): void {
    const run = this.ctl.run;
    if (!run) return;
    if ('stopAt' in f) {
      if (f.stopAt > run.step) run.target = f.stopAt;
      this.requestUpdate();
      return;
    }
    const notebook = SETTINGS_PRESETS.find((p) => p.id === 'notebook')!.settings;
    this.editSettings(draftFrom(notebook));
    void this.reset();
  }

  // ---- saved runs and remembered settings (`persist`) ----

  /** Opens the saved runs (in the background) and returns the text and settings remembered from the last visit. */
  private openSaved(): { text: TextChoice | null; settings: RunSettings | null } {
    void this.keeper.open();
    const r = readRemembered(pageStorage());
    let settings: RunSettings | null = null;
    try {
      settings = r.draft ? parseDraft(r.draft, this.applied.settings) : null;
    } catch {
      // settings remembered by an older page that no longer parse: the page's own
    }
    const t = r.text;
    const text: TextChoice | null = t?.kind === 'preset' || t?.kind === 'url' ? t : null; // a file's or pasted text lives only in a saved run
    return { text, settings };
  }

  private editSettings(d: SettingsDraft): void {
    this.draft = d;
    this.clearError('settings'); // a failed Reset's cause was these settings: edited, the message is out of date
    // So is an action refused for a bad field, wherever its message is (next to Train, the text panel).
    for (const place of ['top', 'text', 'training'] as const) if (this.formRefusals.has(this.errors[place]?.message ?? '')) this.clearError(place);
    this.formRefusals.clear();
    if (this.persist) remember(pageStorage(), { draft: d });
  }

  private onSavedRuns(a: SavedRunsAction): void {
    if (a.action === 'continue') void this.continueRun(a.id);
    else if (a.action === 'delete') void this.act(() => this.keeper.delete(a.id));
    else void this.resetDefaults();
  }

  /**
   * Continues a saved run exactly where it was stored: its text, settings and training
   * state (mode 'exact'), its loss history and samples; training does not start by itself.
   * Needs `persist` (read when the element connects): without it the call is refused up
   * front, in the error box at the top, and nothing changes.
   */
  continueRun(id: string): Promise<void> {
    return this.act(async () => {
      const given: unknown = id;
      if (typeof given !== 'string' || !given) throw new Error(`continueRun() takes the id of a saved run (a non-empty string), got ${describeValue(given)}`);
      if (!this.keeper.enabled) {
        // Retrying never helps: only an element that connected with `persist` has saved runs.
        const why = this.persist
          ? 'it was set after the element connected, and is read only then: remove the element and add it again, or set persist before adding it'
          : 'runs are kept in this browser only by an element with persist, read when it connects: add persist to the element before it is added to the page';
        throw new Error(`continueRun() needs the persist attribute (${why})`);
      }
      let saved: SavedRun | null;
      try {
        saved = await this.keeper.load(id);
      } catch {
        return; // the saved-runs panel says why
      }
      if (!saved) {
        await this.keeper.refresh();
        throw new Error('that saved run is no longer in this browser (deleted in another tab?)');
      }
      const { info } = saved;
      const name = `the run saved ${savedWhen(info.updated)} (${info.corpusName}, step ${info.step})`;
      const contents = loadCheckpoint(saved.checkpoint);
      const corpus: Corpus = { name: info.corpusName, text: saved.text };
      const own = await encodeInBackground(saved.text);
      const sameVocab = own.chars.length === contents.vocab.length && own.chars.every((c, i) => c === contents.vocab[i]);
      const encoded = sameVocab ? own : await encodeInBackground(saved.text, contents.vocab);
      // The engine it trained on, where there is one (the GPU and CPU engines round differently).
      const kind: EngineKind = info.engine === 'cpu' || (info.engine === 'gpu' && this.ctl.gpu) ? info.engine : await this.engineKind(info.settings);
      this.keeper.continueNext(info);
      try {
        const checkpoint = { contents, name, mode: 'exact' as const };
        const run = await this.ctl.replace({ corpus, settings: info.settings, naming: 'label', checkpoint, encoded }, kind, saved.log);
        run.target = Math.max(info.target, run.step);
      } finally {
        this.keeper.continueNext(null);
      }
      this.text = own;
      this.modelSource = name;
      this.trainedBefore = 0;
      this.draft = draftFrom(info.settings);
    });
  }

  /** Forgets the remembered text and settings and goes back to the page's own (a fresh model on its text). */
  resetDefaults(): Promise<void> {
    return this.act(async () => {
      forgetRemembered(pageStorage());
      const settings = this.applied.settings;
      await this.openText(await this.readCorpus(attributeText(this.applied).choice), settings);
      this.draft = draftFrom(settings);
    });
  }

  /** What the training panel says about keeping the run in this browser. */
  private saveNote(): { text: string; error: boolean } | null {
    const k = this.keeper;
    if (!this.persist) return null;
    if (k.saveError) return { text: k.saveError, error: true };
    if (k.storeError && !k.currentId) return { text: 'This run is not kept in the browser: saved runs are unavailable (see above).', error: false };
    return k.savedStep >= 0 ? { text: `Kept in this browser at step ${k.savedStep.toLocaleString('en')}.`, error: false } : null;
  }

  // ---- rendering ----

  /** What the form (and the engine asked for) would change on Reset. */
  private pending(): string[] {
    const s = this.ctl.run;
    if (!s) return [];
    const out = pendingChanges(this.draft, s.settings, (f) => !ON_TRAIN_FIELDS.includes(f));
    try {
      const next = this.engineChoice(parseDraft(this.draft, s.settings));
      if (!next.provisional && next.kind !== s.engine.kind) out.push(`engine ${next.kind} (now ${s.engine.kind})`);
    } catch {
      // engine="gpu" without WebGPU: the error box says so.
    }
    return out;
  }

  override render() {
    const s = this.ctl.run;
    const ready = this.phase === 'ready' && this.busy === 0;
    const all = this.applied.controls === 'all';
    return html`
      <header part="header">
        <h1>char-lm</h1>
        <p class="tagline" data-testid="tagline">
          Train a small language model that writes one character at a time (an LSTM) right here in your browser, and watch it learn to write like its text.
        </p>
        ${this.renderEngineLine()} ${s ? this.renderAbout() : html`<div class="muted">${this.phase === 'loading' ? 'Loading…' : ''}</div>`}
      </header>
      ${renderError(this.errors.top, 'top')}
      ${all ? this.renderWork(ready) : html`${this.renderSavedRuns(ready)}${this.renderModelNotice(ready)}${this.renderRunNotice()}`}
      <char-lm-sampler
        part="samples"
        .run=${s}
        ?ready=${ready}
        .prime=${this.applied.prime}
        .temperatures=${this.applied.temperatures}
        @panel-sample=${(e: PanelEvent<'panel-sample'>) => this.emit('char-lm-sample', e.detail)}
        @panel-error=${this.onPanelError}
      ></char-lm-sampler>
      <char-lm-inspector part="inspect" .run=${s} ?ready=${ready} @panel-error=${this.onPanelError}></char-lm-inspector>
      <slot hidden @slotchange=${() => this.onSlotChange()}></slot>
    `;
  }

  /**
   * The text, the training panel and the settings: side by side where the element is wide
   * (the text and settings on the left, the Train button, the chart and the newest samples
   * on the right, all in view at 1280 × 800), one under the other where it is narrow, Train
   * and the chart before the settings (a phone sees Train right under the text).
   */
  private renderWork(ready: boolean) {
    const s = this.ctl.run;
    const pending = this.pending();
    const onTrain = s ? pendingChanges(this.draft, s.settings, (f) => ON_TRAIN_FIELDS.includes(f)) : [];
    return html`<div class="work">
      <div class="setup">
        ${this.savedRunsFirst() ? this.renderSavedRuns(ready) : nothing}
        <char-lm-text-source
          exportparts="error"
          .corpusName=${s?.prepared.corpus.name ?? ''}
          ?ready=${this.phase !== 'loading' && this.busy === 0}
          .reading=${this.textRead}
          .error=${this.errors.text ?? null}
          @panel-text=${(e: PanelEvent<'panel-text'>) => this.useText(e.detail)}
          @panel-cancel-text=${() => this.cancelTextRead()}
          @panel-try-model=${() => void this.tryShippedModel()}
        ></char-lm-text-source>
      </div>
      <div class="run">
        ${this.renderModelNotice(ready)} ${this.renderRunNotice()}
        <char-lm-training
          exportparts="controls, chart, error"
          .run=${s}
          ?ready=${ready}
          .modelSource=${this.modelSource}
          .trainedBefore=${this.trainedBefore}
          .saveNote=${this.saveNote()}
          .error=${this.errors.training ?? null}
          .resetError=${this.errors.settings ?? null}
          .resetRefused=${this.resetRefused}
          .pending=${pending}
          .onTrain=${onTrain}
          .earlier=${s ? this.keeper.runs.filter((r) => r.fingerprint === s.prepared.identity.fingerprint) : []}
          .loadLog=${this.loadLog}
          @panel-command=${(e: PanelEvent<'panel-command'>) => this.onCommand(e.detail)}
          @panel-load-model=${(e: PanelEvent<'panel-load-model'>) => void this.load(e.detail)}
          @panel-fit=${(e: PanelEvent<'panel-fit'>) => this.onFit(e.detail)}
        ></char-lm-training>
      </div>
      <div class="settings">
        <char-lm-settings
          exportparts="error"
          .draft=${this.attributesRead ? this.draft : null}
          .pending=${pending}
          .refused=${this.formRefused}
          .onTrain=${onTrain}
          .text=${s ? { name: s.prepared.corpus.name, characters: s.prepared.train.length } : null}
          @panel-text=${(e: PanelEvent<'panel-text'>) => this.useText(e.detail)}
          @panel-settings=${(e: PanelEvent<'panel-settings'>) => this.editSettings(e.detail)}
        ></char-lm-settings>
        ${this.savedRunsFirst() ? nothing : this.renderSavedRuns(ready)}
      </div>
    </div>`;
  }

  /** The saved-runs panel offers the last run to continue: nothing has been trained here yet. */
  private offerLastRun(): boolean {
    const s = this.ctl.run;
    return !s || (s.step === 0 && s.status === 'idle');
  }

  /**
   * The saved-runs panel opens the left column when it offers a run to continue or says that
   * saved runs are unavailable; otherwise (the list of earlier runs, the note that runs are
   * kept here, "Reset to defaults") it goes under the settings: the text comes first, and
   * the panel does not move the work while it trains.
   */
  private savedRunsFirst(): boolean {
    return (this.offerLastRun() && this.keeper.runs.length > 0) || !!this.keeper.storeError;
  }

  private renderSavedRuns(ready: boolean) {
    if (!this.persist) return nothing;
    return html`<char-lm-saved-runs
      exportparts="saved-runs"
      .runs=${this.keeper.runs}
      .error=${this.keeper.storeError}
      ?ready=${ready}
      ?offer=${this.offerLastRun()}
      @panel-saved-runs=${(e: PanelEvent<'panel-saved-runs'>) => this.onSavedRuns(e.detail)}
    ></char-lm-saved-runs>`;
  }

  private renderModelNotice(ready: boolean) {
    return html`<char-lm-model-notice
      part="model-notice"
      .download=${this.modelDownload}
      .refusal=${this.refusal}
      ?ready=${ready}
      @panel-replacement=${(e: PanelEvent<'panel-replacement'>) => this.onReplacement(e.detail)}
    ></char-lm-model-notice>`;
  }

  private renderRunNotice() {
    const n = this.runNotice;
    if (!n) return nothing;
    return html`<div class="run-notice ${n.kind === 'numerics' ? 'error' : 'warning'}" part="run-notice" role="alert" data-testid="run-notice">
      ${n.text}${
        n.kind === 'device' && n.kept
          ? html`<div>
              <button data-testid="download-kept" @click=${() => this.downloadKept(n.kept!)}>Download the training state at step ${n.kept.step}</button>
            </div>`
          : nothing
      }
    </div>`;
  }

  private onPanelError = (e: PanelEvent<'panel-error'>): void => {
    if (e.detail) this.emit('char-lm-error', { message: e.detail.message });
  };

  private parameterLine(): string {
    const c = this.ctl.run!.counts;
    const n = (x: number) => x.toLocaleString('en');
    return `Parameters: embedding ${n(c.embedding)}, LSTM ${n(c.lstm)}, output ${n(c.output)}, total ${n(c.total)}`;
  }

  /** The text in use: its size from the run's encoding (the text is never split again to count it). */
  private corpusLine(): string {
    const s = this.ctl.run!;
    const p = s.prepared;
    const n = (x: number) => x.toLocaleString('en');
    const split = p.val ? `${n(p.train.length)} train / ${n(p.val.length)} validation` : 'no validation split (under 10,000 characters)';
    return `Corpus: ${p.corpus.name} — ${n(p.ids.length)} characters, vocabulary ${s.vocab.size}, ${split}`;
  }

  /**
   * Which engine trains, in one line with the control that overrides it (or, without WebGPU,
   * the warning that training runs on the CPU engine); why is in "About this run".
   */
  private renderEngineLine() {
    const s = this.ctl.run;
    if (this.ctl.gpuError) {
      return html`
        <div class="warning" data-testid="no-webgpu">
          <strong>${this.ctl.gpuError}.</strong><br />
          Training runs on the <strong>CPU reference engine</strong> instead — exact but slow: keep models small (the notebook settings take about a minute for
          1,000 steps).
        </div>
      `;
    }
    if (!this.ctl.gpu && this.applied.engine !== 'cpu') return html`<div class="muted">Looking for a GPU…</div>`;
    return html`<char-lm-engine-line
      .asked=${this.applied.engine}
      .choice=${this.formEngineChoice()}
      .running=${s?.engine.kind ?? null}
      ?hasGpu=${!this.ctl.gpuError}
      ?ready=${this.phase === 'ready' && this.busy === 0}
      @panel-engine=${(e: PanelEvent<'panel-engine'>) => (this.engine = e.detail)}
    ></char-lm-engine-line>`;
  }

  /** The engine the settings in the form would train on, and why; null when the form does not parse or the engine asked for cannot be had (their own messages say so). */
  private formEngineChoice(): EngineChoice | null {
    try {
      const draft = parseDraft(this.draft, this.ctl.run?.settings ?? this.applied.settings);
      const choice = this.engineChoice(draft);
      if (!choice.provisional || this.applied.engine !== 'auto') return choice;
      // A model size not measured yet (a preset, a new H): measured once the form rests; the current model's choice meanwhile.
      this.measureSoon(draft);
      return this.engineChoice();
    } catch {
      return null;
    }
  }

  /**
   * "About this run", collapsed: the adapter, why this engine, the parameters and the text,
   * summed up in its one-line summary (the work below stays in view).
   */
  private renderAbout() {
    const s = this.ctl.run!;
    const gpu = this.ctl.gpu;
    const reason = engineReason(this.formEngineChoice(), s.engine.kind);
    const n = (x: number) => x.toLocaleString('en');
    return html`<details class="about" data-testid="about">
        <summary>
          About this run: <span class="nw">${n(s.counts.total)} parameters</span> ·
          <span class="nw">${s.prepared.corpus.name}, ${n(s.prepared.ids.length)} characters</span>
        </summary>
        <div class="about-body">
          ${
            gpu
              ? html`<div data-testid="adapter">
                  WebGPU adapter: <strong>${gpu.adapter.summary}</strong>${s.engine.kind === 'cpu' ? html` (using the CPU reference engine)` : nothing}
                </div>`
              : this.applied.engine === 'cpu'
                ? html`<div data-testid="adapter">WebGPU not looked for: the CPU engine was asked for.</div>`
                : nothing
          }
          ${reason ? html`<div>Engine choice: <span data-testid="engine-why">${reason}</span></div>` : nothing}
          <div data-testid="params">${this.parameterLine()}</div>
          <div data-testid="corpus">${this.corpusLine()}</div>
        </div>
      </details>
      ${this.applied.controls !== 'all' && this.modelSource ? html`<div class="muted" data-testid="model-line">Model: ${this.modelSource}</div>` : nothing}`;
  }
}

customElements.define('char-lm-demo', CharLmDemo);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-demo': CharLmDemo;
  }
}
