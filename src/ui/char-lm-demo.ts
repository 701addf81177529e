// <char-lm-demo>: the page's whole UI as one embeddable element (documented on the class).
import { LitElement, css, html, nothing } from 'lit';
import { NOTEBOOK_TRAIN, type TrainConfig } from '../model/config.ts';
import { loadCheckpoint } from '../model/checkpoint.ts';
import { CORPUS_PRESETS, findPreset } from '../text/presets.ts';
import { gateActivations, type EngineKind, type StepResult } from '../engine/contract.ts';
import type { CharLoss, Corpus } from '../run/run.ts';
import { SETTINGS_PRESETS, TRAINING_SAMPLE, type RunSettings } from '../run/settings.ts';
import { encodeInBackground } from '../run/encode-async.ts';
import { RunController } from './run-controller.ts';
import { CharLmLossChart } from './loss-chart.ts';
import { CharLmBars, showChar } from './bar-chart.ts';
import { type HeatmapData } from './heatmap.ts';
import './heatmap.ts';

type Phase = 'loading' | 'ready' | 'error';

const GATES = ['h', 'i', 'f', 'g', 'o'] as const;

/** Every event of the element bubbles out of its shadow root. */
function charLmEvent(type: string, detail: unknown): CustomEvent {
  return new CustomEvent(type, { detail, bubbles: true, composed: true });
}
type GateChoice = (typeof GATES)[number];

/**
 * <char-lm-demo>: train a character-level LSTM in the browser, watch it learn,
 * sample from it and look inside it.
 *
 * @attr preset - corpus preset: notebook (default), pride-and-prejudice, tinyshakespeare
 * @attr corpus-url - load the corpus from this URL instead of a preset
 * @attr settings - training settings preset: notebook (default) or novel
 * @attr embed-size - embedding width E (overrides the settings preset)
 * @attr hidden-size - hidden size H
 * @attr layers - LSTM layers L
 * @attr steps - training steps before it stops by itself
 * @attr autotrain - start training as soon as the element is ready
 * @attr temperatures - comma-separated sampling temperatures (default 0.5,1.0,1.5)
 * @attr prime - text that samples start from (default "Mr Bennet")
 * @attr engine - auto (WebGPU when available), gpu, or cpu (the slow reference engine)
 * @attr sample-every - log a sample every N steps (default 100; 0 = never)
 * @slot - corpus text (used when present, instead of preset and corpus-url)
 *
 * @fires char-lm-ready - {engine, adapter, parameters} when the model is ready to train
 * @fires char-lm-step - {step, loss, gradNorm} after every training step
 * @fires char-lm-sample - {temperatures, texts} when a generation completes
 * @fires char-lm-error - {message} when something failed; nothing is lost
 *
 * @csspart header - the title, adapter, parameter and corpus lines
 * @csspart controls - Train / Pause / Reset and the live figures
 * @csspart chart - the loss chart
 * @csspart samples - the generation panel
 * @csspart inspect - the per-character loss and heatmap panel
 * @csspart error - the error message
 * @cssprop --char-lm-accent - accent colour (buttons, lines)
 * @cssprop --char-lm-text - text colour
 * @cssprop --char-lm-muted - secondary text colour
 * @cssprop --char-lm-bg - panel background
 */
export class CharLmDemo extends LitElement {
  static override properties = {
    preset: { type: String, reflect: true },
    corpusUrl: { type: String, attribute: 'corpus-url', reflect: true },
    settingsPreset: { type: String, attribute: 'settings', reflect: true },
    embedSize: { type: Number, attribute: 'embed-size', reflect: true },
    hiddenSize: { type: Number, attribute: 'hidden-size', reflect: true },
    layers: { type: Number, reflect: true },
    steps: { type: Number, reflect: true },
    autotrain: { type: Boolean, reflect: true },
    temperatures: { type: String, reflect: true },
    prime: { type: String, reflect: true },
    engine: { type: String, reflect: true },
    sampleEvery: { type: Number, attribute: 'sample-every', reflect: true },
    phase: { state: true, attribute: false },
    error: { state: true, attribute: false },
    sampleTexts: { state: true, attribute: false },
    sampling: { state: true, attribute: false },
    hardest: { state: true, attribute: false },
    surprise: { state: true, attribute: false },
    heatmap: { state: true, attribute: false },
    modelSource: { state: true, attribute: false },
  };

  declare preset: string;
  declare corpusUrl: string;
  declare settingsPreset: string;
  declare embedSize: number | undefined;
  declare hiddenSize: number | undefined;
  declare layers: number | undefined;
  declare steps: number | undefined;
  declare autotrain: boolean;
  declare temperatures: string;
  declare prime: string;
  declare engine: 'auto' | 'gpu' | 'cpu';
  declare sampleEvery: number | undefined;
  declare phase: Phase;
  declare error: string;
  declare sampleTexts: { temperature: number; text: string }[];
  declare sampling: boolean;
  declare hardest: CharLoss[] | null;
  declare surprise: { chars: string[]; losses: Float32Array } | null;
  declare heatmap: HeatmapData | null;
  /** Where the current model came from when it was loaded from a file ('' for a fresh one). */
  declare modelSource: string;

  private ctl = new RunController(this, {
    onStep: (r) => this.onStep(r),
    onError: (e) => this.fail(e),
  });
  private hiddenRun: { text: string; h: Float32Array[]; gates: Float32Array[] } | null = null;

  constructor() {
    super();
    this.preset = 'notebook';
    this.corpusUrl = '';
    this.settingsPreset = 'notebook';
    this.autotrain = false;
    this.temperatures = '0.5,1.0,1.5';
    this.prime = 'Mr Bennet';
    this.engine = 'auto';
    this.phase = 'loading';
    this.error = '';
    this.sampleTexts = [];
    this.sampling = false;
    this.hardest = null;
    this.surprise = null;
    this.heatmap = null;
    this.modelSource = '';
  }

  static override styles = css`
    :host {
      display: block;
      font: 15px/1.5 system-ui, sans-serif;
      color: var(--char-lm-text, #1d1d1f);
      --accent: var(--char-lm-accent, #1f4fbf);
      --muted: var(--char-lm-muted, #5f6368);
      --bg: var(--char-lm-bg, #f6f7f9);
    }
    section { background: var(--bg); border-radius: 8px; padding: 0.8em 1em; margin: 0.8em 0; }
    h2 { font-size: 1.05em; margin: 0 0 0.4em; }
    header h1 { font-size: 1.4em; margin: 0 0 0.2em; }
    .muted { color: var(--muted); }
    .row { display: flex; flex-wrap: wrap; gap: 0.6em 1em; align-items: end; }
    label { display: inline-flex; flex-direction: column; font-size: 0.85em; color: var(--muted); }
    input, select, textarea { font: inherit; font-size: 0.95em; }
    input[type='number'] { width: 6.5em; }
    button { font: inherit; padding: 0.35em 0.9em; border-radius: 6px; border: 1px solid var(--accent); background: white; color: var(--accent); cursor: pointer; }
    button.primary { background: var(--accent); color: white; }
    button:disabled { opacity: 0.5; cursor: default; }
    .figures { font-variant-numeric: tabular-nums; }
    .error { background: #fdecea; color: #8a1c12; border-left: 4px solid #d93025; padding: 0.6em 1em; border-radius: 4px; white-space: pre-wrap; }
    .log { max-height: 14em; overflow-y: auto; font: 13px/1.45 ui-monospace, monospace; background: white; padding: 0.5em; border-radius: 4px; }
    .log div { white-space: pre-wrap; overflow-wrap: anywhere; border-bottom: 1px solid #eee; padding: 0.2em 0; }
    .outputs { display: grid; grid-template-columns: repeat(auto-fit, minmax(16em, 1fr)); gap: 0.8em; }
    .outputs pre { white-space: pre-wrap; overflow-wrap: anywhere; background: white; padding: 0.6em; border-radius: 4px; margin: 0.3em 0 0; min-height: 4em; font-size: 13px; }
    .surprise { font: 13px/1.7 ui-monospace, monospace; white-space: pre-wrap; overflow-wrap: anywhere; background: white; padding: 0.6em; border-radius: 4px; max-height: 16em; overflow-y: auto; }
    .warning { background: #fff4e5; border-left: 4px solid #f29900; padding: 0.6em 1em; border-radius: 4px; }
    details summary { cursor: pointer; color: var(--accent); }
  `;

  // ---- lifecycle ----

  override connectedCallback(): void {
    super.connectedCallback();
    this.dataset.state = 'loading';
    void this.init();
  }

  private async init(): Promise<void> {
    try {
      if (this.engine !== 'cpu') await this.ctl.connectGpu();
      const corpus = await this.initialCorpus();
      const encoded = await encodeInBackground(corpus.text);
      await this.ctl.replace({ corpus, settings: this.settingsFromAttributes(), naming: 'label', encoded }, this.engineKind());
      this.setPhase('ready');
      const s = this.ctl.run!;
      this.emit('char-lm-ready', { engine: s.engine.kind, adapter: this.ctl.gpu?.adapter.summary ?? null, parameters: s.counts });
      if (this.autotrain) this.train();
    } catch (e) {
      this.setPhase('error');
      this.fail(e as Error);
    }
  }

  private setPhase(p: Phase): void {
    this.phase = p;
    this.dataset.state = p;
  }

  private engineKind(): EngineKind {
    if (this.engine === 'cpu') return 'cpu';
    if (this.ctl.gpu) return 'gpu';
    if (this.engine === 'gpu') throw new Error(`the GPU engine was asked for but WebGPU is unavailable: ${this.ctl.gpuError}`);
    return 'cpu';
  }

  private async initialCorpus(): Promise<Corpus> {
    const slotted = this.textContent?.trim();
    if (slotted) return { name: 'text in the page', text: slotted };
    if (this.corpusUrl) return this.fetchCorpus(this.corpusUrl);
    const p = findPreset(this.preset || 'notebook');
    return { name: p.name, text: await p.load() };
  }

  private async fetchCorpus(url: string): Promise<Corpus> {
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new Error(`could not fetch the corpus from ${url}: ${(e as Error).message} (check the address, and that the server allows cross-origin requests)`);
    }
    if (!res.ok) throw new Error(`could not fetch the corpus from ${url}: HTTP ${res.status} ${res.statusText}`);
    return { name: url, text: await res.text() };
  }

  private settingsFromAttributes(): RunSettings {
    const base = (SETTINGS_PRESETS.find((p) => p.id === this.settingsPreset) ?? SETTINGS_PRESETS[0]).settings;
    return {
      model: {
        embedSize: this.embedSize ?? base.model.embedSize,
        hiddenSize: this.hiddenSize ?? base.model.hiddenSize,
        layers: this.layers ?? base.model.layers,
      },
      train: { ...base.train },
      steps: this.steps ?? base.steps,
      sampleEvery: this.sampleEvery ?? base.sampleEvery,
      valEvery: base.valEvery,
    };
  }

  private emit(type: string, detail: unknown): void {
    this.dispatchEvent(charLmEvent(type, detail));
  }

  private fail(e: Error): void {
    this.error = e.message;
    this.emit('char-lm-error', { message: e.message });
  }

  private clearError(): void {
    this.error = '';
  }

  private onStep(r: StepResult): void {
    const chart = this.renderRoot.querySelector('char-lm-loss-chart') as CharLmLossChart | null;
    if (this.ctl.run) chart?.show(this.ctl.run.history);
    this.emit('char-lm-step', r);
  }

  // ---- actions ----

  /** Starts or resumes training. */
  train(): void {
    this.clearError();
    void this.ctl.run?.start();
  }

  async pause(): Promise<void> {
    await this.ctl.run?.pause();
  }

  /** Forgets what was shown of the previous model: samples, analysis, heatmap, chart. */
  private clearResults(): void {
    this.sampleTexts = [];
    this.hardest = null;
    this.surprise = null;
    this.heatmap = null;
    this.hiddenRun = null;
    this.renderRoot.querySelector('char-lm-loss-chart')?.show(this.ctl.run!.history);
  }

  /** Downloads the model with its whole training state as a .safetensors file. */
  async save(): Promise<void> {
    const s = this.ctl.run;
    if (!s) return;
    this.clearError();
    try {
      const bytes = await s.checkpoint();
      const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `char-lm-step-${s.step}.safetensors`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      this.fail(e as Error);
    }
  }

  /** Replaces the model with one from a .safetensors file (the page's or the CLI's); a bad file changes nothing. */
  async load(file: File): Promise<void> {
    const s = this.ctl.run;
    if (!s) return;
    this.clearError();
    try {
      const contents = loadCheckpoint(new Uint8Array(await file.arrayBuffer()));
      const current = this.readSettingsForm() ?? s.settings;
      const c = contents.config;
      const settings: RunSettings = {
        ...current,
        model: { embedSize: c.embedSize, hiddenSize: c.hiddenSize, layers: c.layers },
        train: contents.trainConfig ?? current.train,
      };
      await this.ctl.replace({ corpus: s.prepared.corpus, settings, naming: 'label', checkpoint: { contents, name: file.name, mode: 'continue' } }, s.engine.kind);
      this.modelSource = `${file.name} (step ${contents.step})`;
      this.clearResults();
    } catch (e) {
      this.fail(new Error(`could not load ${JSON.stringify(file.name)}: ${(e as Error).message}`));
    }
  }

  /** Throws the model away and starts from fresh weights with the settings in the form. */
  async reset(): Promise<void> {
    const s = this.ctl.run;
    if (!s) return;
    this.clearError();
    try {
      const settings = this.readSettingsForm() ?? s.settings;
      await this.ctl.replace({ corpus: s.prepared.corpus, settings, naming: 'label' }, s.engine.kind);
      this.modelSource = '';
      this.clearResults();
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private async useCorpus(load: () => Promise<Corpus>): Promise<void> {
    const s = this.ctl.run;
    this.clearError();
    try {
      const corpus = await load();
      const settings = this.readSettingsForm() ?? s?.settings ?? this.settingsFromAttributes();
      const encoded = await encodeInBackground(corpus.text);
      await this.ctl.replace({ corpus, settings, naming: 'label', encoded }, s?.engine.kind ?? this.engineKind());
      this.modelSource = '';
      this.clearResults();
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private field(name: string): HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | null {
    return this.renderRoot.querySelector(`[name="${name}"]`);
  }

  /** A number field's value; an empty or non-numeric field is an error naming its label. */
  private num(name: string): number {
    const el = this.field(name);
    const raw = el?.value.trim() ?? '';
    const v = Number(raw);
    if (raw === '' || !Number.isFinite(v)) {
      const label = el?.getAttribute('aria-label') ?? name;
      throw new Error(`${label} must be a number, got ${raw === '' ? 'an empty or non-numeric field' : `"${raw}"`}`);
    }
    return v;
  }

  /** The settings form, validated by the session; null before the form exists. */
  private readSettingsForm(): RunSettings | null {
    if (!this.field('hidden')) return null;
    const train: TrainConfig = {
      ...NOTEBOOK_TRAIN,
      batch: this.num('batch'),
      seqLen: this.num('seq-len'),
      lr: this.num('lr'),
      clip: this.num('clip'),
      schedule: this.field('schedule')!.value as TrainConfig['schedule'],
      seed: this.num('seed'),
      lrDecay: this.ctl.run?.settings.train.lrDecay ?? 1,
    };
    return {
      model: { embedSize: this.num('embed'), hiddenSize: this.num('hidden'), layers: this.num('layers') },
      train,
      steps: this.num('steps'),
      sampleEvery: this.ctl.run?.settings.sampleEvery ?? 100,
      valEvery: this.ctl.run?.settings.valEvery ?? 100,
    };
  }

  private applySettingsPreset(id: string): void {
    const p = SETTINGS_PRESETS.find((x) => x.id === id)!;
    const set = (name: string, v: string | number) => {
      const el = this.field(name);
      if (el) el.value = String(v);
    };
    set('embed', p.settings.model.embedSize);
    set('hidden', p.settings.model.hiddenSize);
    set('layers', p.settings.model.layers);
    set('batch', p.settings.train.batch);
    set('seq-len', p.settings.train.seqLen);
    set('lr', p.settings.train.lr);
    set('clip', p.settings.train.clip);
    set('schedule', p.settings.train.schedule);
    set('seed', p.settings.train.seed);
    set('steps', p.settings.steps);
  }

  private parseTemperatures(raw: string): number[] {
    const ts = raw.split(',').map((x) => x.trim()).filter(Boolean).map(Number);
    if (ts.length === 0 || ts.some((t) => !Number.isFinite(t) || t < 0 || t > 10)) {
      throw new Error(`temperatures must be a comma-separated list of numbers from 0 to 10, got "${raw}"`);
    }
    return ts;
  }

  /** Generates from the model: one column per temperature, streaming. */
  async generate(): Promise<void> {
    const s = this.ctl.run;
    if (!s || this.sampling) return;
    this.clearError();
    try {
      const temps = this.parseTemperatures(this.field('temperatures')?.value ?? this.temperatures);
      const prime = this.field('prime')?.value ?? this.prime;
      const length = this.num('length');
      if (!Number.isInteger(length) || length < 1 || length > 10000) throw new Error(`length must be an integer from 1 to 10000, got ${length}`);
      const topK = this.num('top-k');
      const topP = this.num('top-p');
      if (!Number.isInteger(topK) || topK < 0) throw new Error(`top-k must be a whole number ≥ 0 (0 = off), got ${topK}`);
      if (!(topP > 0 && topP <= 1)) throw new Error(`top-p must be in (0, 1] (1 = off), got ${topP}`);
      const seed = this.num('sample-seed');
      this.sampling = true;
      this.sampleTexts = temps.map((t) => ({ temperature: t, text: prime }));
      const rows = temps.map((temperature) => ({ temperature, topK, topP }));
      const texts = await s.sample(prime, length, rows, seed >>> 0, (partial) => {
        if (this.ctl.run === s) this.sampleTexts = temps.map((t, i) => ({ temperature: t, text: prime + partial[i] }));
      });
      if (this.ctl.run !== s) return; // the model was replaced (Reset, another text) meanwhile
      this.sampleTexts = temps.map((t, i) => ({ temperature: t, text: prime + texts[i] }));
      this.emit('char-lm-sample', { temperatures: temps, texts: this.sampleTexts.map((x) => x.text) });
    } catch (e) {
      if (this.ctl.run === s) this.fail(e as Error);
    } finally {
      this.sampling = false;
    }
  }

  /** Per-character loss over the corpus: the 15 hardest characters and the text coloured by surprise. */
  async analyse(): Promise<void> {
    const s = this.ctl.run;
    if (!s) return;
    this.clearError();
    try {
      const r = await s.perCharacterLoss();
      if (this.ctl.run !== s) return;
      this.hardest = r.hardest;
      this.surprise = { chars: r.chars, losses: r.losses };
      await this.updateComplete;
      (this.renderRoot.querySelector('char-lm-bars') as CharLmBars | null)?.show(r.hardest);
    } catch (e) {
      if (this.ctl.run === s) this.fail(e as Error);
    }
  }

  /** Hidden-state (or gate) heatmap over the sentence in the form. */
  async showHeatmap(): Promise<void> {
    const s = this.ctl.run;
    if (!s) return;
    this.clearError();
    try {
      const text = this.field('sentence')?.value ?? '';
      const states = await s.hiddenStates(text);
      if (this.ctl.run !== s) return;
      this.hiddenRun = { text, ...states };
      this.drawHeatmap();
    } catch (e) {
      if (this.ctl.run === s) this.fail(e as Error);
    }
  }

  private drawHeatmap(): void {
    const s = this.ctl.run;
    if (!this.hiddenRun || !s) return;
    const H = s.table.config.hiddenSize;
    const layer = Math.min(Number(this.field('layer')?.value ?? 0), s.table.config.layers - 1);
    const gate = (this.field('gate')?.value ?? 'h') as GateChoice;
    const chars = [...this.hiddenRun.text];
    const values = new Float32Array(chars.length * H);
    values.set(gate === 'h' ? this.hiddenRun.h[layer] : gateActivations(this.hiddenRun.gates[layer], H, gate));
    const centered = gate === 'h' || gate === 'g';
    this.heatmap = {
      chars,
      units: H,
      values,
      center: centered ? 0 : 0.5,
      range: centered ? 1 : 0.5,
      label: gate === 'h' ? `hidden state h, layer ${layer}` : `gate ${gate}, layer ${layer}`,
    };
  }

  // ---- rendering ----

  override render() {
    const s = this.ctl.run;
    return html`
      <header part="header">
        <h1>char-lm</h1>
        ${this.renderEngineLine()}
        ${s
          ? html`
              <div class="muted" data-testid="params">
                Parameters: embedding ${s.counts.embedding.toLocaleString('en')}, LSTM ${s.counts.lstm.toLocaleString('en')}, output
                ${s.counts.output.toLocaleString('en')}, total ${s.counts.total.toLocaleString('en')}
              </div>
              <div class="muted" data-testid="corpus">
                Corpus: ${s.prepared.corpus.name} — ${s.prepared.ids.length.toLocaleString('en')} characters, vocabulary ${s.vocab.size}${s.prepared.val
                  ? html`, ${s.prepared.train.length.toLocaleString('en')} train / ${s.prepared.val.length.toLocaleString('en')} validation`
                  : html`, no validation split (under 10,000 characters)`}
              </div>
            `
          : html`<div class="muted">${this.phase === 'loading' ? 'Loading…' : ''}</div>`}
      </header>
      ${this.error ? html`<div class="error" part="error" role="alert" data-testid="error">${this.error}</div>` : nothing}
      ${this.renderCorpus()} ${this.renderSettings()} ${this.renderControls()}
      <section>
        <h2>Training loss</h2>
        <char-lm-loss-chart part="chart"></char-lm-loss-chart>
        <h2>Samples during training <span class="muted">(prime “${s?.samplePrime ?? TRAINING_SAMPLE.prime}”, temperature ${TRAINING_SAMPLE.temperature})</span></h2>
        <div class="log" data-testid="sample-log">
          ${s && s.samples.length ? s.samples.map((x) => html`<div><span class="muted">step ${x.step}:</span> ${x.text}</div>`) : html`<span class="muted">None yet.</span>`}
        </div>
      </section>
      ${this.renderSampling()} ${this.renderInspect()}
      <slot hidden></slot>
    `;
  }

  private renderEngineLine() {
    const s = this.ctl.run;
    if (this.ctl.gpu) {
      return html`<div data-testid="adapter">WebGPU adapter: <strong>${this.ctl.gpu.adapter.summary}</strong>${s?.engine.kind === 'cpu' ? html` (using the CPU reference engine)` : nothing}</div>`;
    }
    if (this.ctl.gpuError) {
      return html`
        <div class="warning" data-testid="no-webgpu">
          <strong>${this.ctl.gpuError}.</strong><br />
          Training runs on the <strong>CPU reference engine</strong> instead — exact but slow: keep models small (the notebook settings take
          about a minute for 1,000 steps).
        </div>
      `;
    }
    return this.engine === 'cpu' ? html`<div data-testid="adapter">Engine: CPU reference (slow)</div>` : html`<div class="muted">Looking for a GPU…</div>`;
  }

  private renderCorpus() {
    const ready = this.phase === 'ready';
    // The menu shows the text in use: a preset, or (disabled) the name of any other text.
    const corpusName = this.ctl.run?.prepared.corpus.name;
    const current = corpusName === undefined ? this.preset : (CORPUS_PRESETS.find((p) => p.name === corpusName)?.id ?? '');
    return html`
      <section>
        <h2>Text</h2>
        <div class="row">
          <label
            >Preset
            <select
              name="preset"
              ?disabled=${!ready}
              @change=${(e: Event) => {
                const id = (e.target as HTMLSelectElement).value;
                void this.useCorpus(async () => {
                  const p = findPreset(id);
                  return { name: p.name, text: await p.load() };
                });
              }}
            >
              ${current ? nothing : html`<option value="" disabled .selected=${true}>${corpusName}</option>`}
              ${CORPUS_PRESETS.map((p) => html`<option value=${p.id} .selected=${p.id === current} title=${p.description}>${p.name}</option>`)}
            </select>
          </label>
          <label
            >File
            <input
              type="file"
              name="file"
              accept=".txt,text/plain"
              ?disabled=${!ready}
              @change=${(e: Event) => {
                const f = (e.target as HTMLInputElement).files?.[0];
                if (f) void this.useCorpus(async () => ({ name: f.name, text: await f.text() }));
              }}
            />
          </label>
          <label>URL <input type="url" name="url" placeholder="https://…/corpus.txt" size="28" /></label>
          <button ?disabled=${!ready} @click=${() => void this.useCorpus(() => this.fetchCorpus(this.field('url')!.value.trim()))}>Load URL</button>
        </div>
        <details>
          <summary>Paste your own text</summary>
          <textarea name="paste" rows="5" style="width:100%" placeholder="Paste at least a few hundred characters…"></textarea>
          <button ?disabled=${!ready} @click=${() => void this.useCorpus(async () => ({ name: 'pasted text', text: this.field('paste')!.value }))}>Use this text</button>
        </details>
      </section>
    `;
  }

  private renderSettings() {
    const st = this.ctl.run?.settings ?? this.settingsFromAttributes();
    const n = (name: string, label: string, value: number, step = '1') =>
      html`<label>${label}<input type="number" name=${name} aria-label=${label} .value=${String(value)} step=${step} /></label>`;
    return html`
      <section>
        <h2>Model and training</h2>
        <div class="row">
          ${SETTINGS_PRESETS.map((p) => html`<button @click=${() => this.applySettingsPreset(p.id)} title=${p.description}>${p.label} preset</button>`)}
        </div>
        <div class="row">
          ${n('embed', 'Embedding E', st.model.embedSize)} ${n('hidden', 'Hidden H', st.model.hiddenSize)} ${n('layers', 'Layers', st.model.layers)}
          ${n('batch', 'Streams B', st.train.batch)} ${n('seq-len', 'BPTT length T', st.train.seqLen)} ${n('lr', 'Learning rate', st.train.lr, 'any')}
          ${n('clip', 'Clip norm', st.train.clip, 'any')}
          <label
            >Schedule
            <select name="schedule" .value=${st.train.schedule}>
              <option value="windows" ?selected=${st.train.schedule === 'windows'}>random windows (notebook)</option>
              <option value="streams" ?selected=${st.train.schedule === 'streams'}>contiguous streams</option>
            </select>
          </label>
          ${n('seed', 'Seed', st.train.seed)} ${n('steps', 'Steps', st.steps)}
        </div>
        <div class="muted">Changes take effect on Reset.</div>
      </section>
    `;
  }

  private renderControls() {
    const s = this.ctl.run;
    const status = s?.status ?? 'idle';
    const last = s?.history.last;
    const ready = this.phase === 'ready';
    return html`
      <section part="controls">
        <div class="row">
          <button class="primary" data-testid="train" ?disabled=${!ready || status === 'training'} @click=${() => this.train()}>
            ${status === 'paused' ? 'Resume' : status === 'done' ? 'Train more' : 'Train'}
          </button>
          <button data-testid="pause" ?disabled=${status !== 'training'} @click=${() => void this.pause()}>Pause</button>
          <button data-testid="reset" ?disabled=${!ready} @click=${() => void this.reset()}>Reset</button>
          <button data-testid="save" ?disabled=${!ready || status === 'training'} @click=${() => void this.save()} title="Download the model and its training state (.safetensors)">Save model</button>
          <label title="A .safetensors checkpoint from this page or the command line"
            >Load model
            <input
              type="file"
              name="model-file"
              accept=".safetensors"
              ?disabled=${!ready}
              @change=${(e: Event) => {
                const input = e.target as HTMLInputElement;
                const f = input.files?.[0];
                if (f) void this.load(f).finally(() => (input.value = ''));
              }}
          /></label>
          <span class="figures" data-testid="status" data-status=${status}>
            ${status} · step <span data-testid="step">${s?.step ?? 0}</span> / ${s?.target ?? 0}
            ${this.modelSource ? html` · <span data-testid="model-source">loaded from ${this.modelSource}</span>` : nothing}
            ${last ? html` · loss <span data-testid="loss">${last.loss.toFixed(3)}</span> nats (${(last.loss / Math.LN2).toFixed(3)} bits) · avg ${last.avg.toFixed(3)}` : nothing}
            ${s?.lastValidation ? html` · validation ${s.lastValidation.loss.toFixed(3)}` : nothing}
            ${s && s.throughput.charsPerSecond > 0
              ? html` · <span data-testid="throughput">${Math.round(s.throughput.charsPerSecond).toLocaleString('en')} chars/s, ${s.throughput.msPerStep.toFixed(1)} ms/step</span>`
              : nothing}
          </span>
        </div>
      </section>
    `;
  }

  private renderSampling() {
    const ready = this.phase === 'ready';
    return html`
      <section part="samples">
        <h2>Sample</h2>
        <div class="row">
          <label>Prime <input name="prime" .value=${this.ctl.run && ![...this.prime].every((c) => this.ctl.run!.vocab.has(c)) ? this.ctl.run.samplePrime : this.prime} /></label>
          <label>Length <input type="number" name="length" aria-label="Length" value="120" /></label>
          <label>Temperatures <input name="temperatures" .value=${this.temperatures} size="12" /></label>
          <label>Top-k <input type="number" name="top-k" aria-label="Top-k" value="0" title="0 = off" /></label>
          <label>Top-p <input type="number" name="top-p" aria-label="Top-p" value="1" step="0.05" title="1 = off" /></label>
          <label>Seed <input type="number" name="sample-seed" aria-label="Sample seed" value="0" /></label>
          <button class="primary" data-testid="generate" ?disabled=${!ready || this.sampling} @click=${() => void this.generate()}>Generate</button>
        </div>
        <div class="outputs" data-testid="samples">
          ${this.sampleTexts.map(
            (x) => html`<div data-temperature=${x.temperature}><strong>Temperature ${x.temperature}</strong><pre>${x.text}</pre></div>`,
          )}
        </div>
      </section>
    `;
  }

  private renderInspect() {
    const ready = this.phase === 'ready';
    const layers = this.ctl.run?.table.config.layers ?? 1;
    const maxLoss = this.surprise ? Math.max(1e-6, ...Array.from(this.surprise.losses)) : 1;
    return html`
      <section part="inspect">
        <h2>Inspect</h2>
        <div class="row">
          <button data-testid="analyse" ?disabled=${!ready} @click=${() => void this.analyse()}>Per-character loss</button>
        </div>
        ${this.hardest
          ? html`
              <h3>The 15 hardest characters</h3>
              <char-lm-bars data-testid="hardest"></char-lm-bars>
              <div class="muted" data-testid="hardest-list">${this.hardest.map((h) => `${showChar(h.char)} ${h.loss.toFixed(2)}`).join(' · ')}</div>
              <h3>Surprise per character <span class="muted">(hover for the loss in nats)</span></h3>
              <div class="surprise" data-testid="surprise">${this.surprise!.chars.map((c, i) => {
                  if (i === 0) return html`<span title="first character: not predicted">${c}</span>`;
                  const l = this.surprise!.losses[i - 1];
                  const a = Math.min(1, l / maxLoss);
                  return html`<span style="background: rgba(217,72,15,${a.toFixed(3)})" title=${`${JSON.stringify(c)}: ${l.toFixed(3)} nats`}>${c}</span>`;
                })}</div>
            `
          : nothing}
        <h3>Hidden state heatmap</h3>
        <div class="row">
          <label>Sentence <input name="sentence" size="40" .value=${'It is a truth universally acknowledged'} /></label>
          <label
            >Show
            <select name="gate" @change=${() => this.drawHeatmap()}>
              ${GATES.map((g) => html`<option value=${g}>${g === 'h' ? 'hidden state h' : `gate ${g}`}</option>`)}
            </select>
          </label>
          <label
            >Layer
            <select name="layer" @change=${() => this.drawHeatmap()}>
              ${Array.from({ length: layers }, (_, l) => html`<option value=${l}>${l}</option>`)}
            </select>
          </label>
          <button data-testid="heatmap-button" ?disabled=${!ready} @click=${() => void this.showHeatmap()}>Show heatmap</button>
        </div>
        <char-lm-heatmap data-testid="heatmap" .data=${this.heatmap}></char-lm-heatmap>
      </section>
    `;
  }
}

customElements.define('char-lm-demo', CharLmDemo);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-demo': CharLmDemo;
  }
}
