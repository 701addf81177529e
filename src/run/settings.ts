/**
 * The settings of a training run and of a generation, for both front ends: defaults,
 * presets, limits, what each setting means, and one parser whose messages name the
 * setting as the front end shows it (a CLI flag "--hidden", a page label "Hidden H").
 */
import { MAX_HIDDEN, MAX_VOCAB, NOTEBOOK_MODEL, NOTEBOOK_TRAIN, type ModelConfig, type Schedule, type TrainConfig } from '../model/config.ts';

export interface RunSettings {
  model: Omit<ModelConfig, 'vocabSize'>;
  train: TrainConfig;
  /** Training steps to take (the CLI: after the resumed step; the page: the step to stop at). */
  steps: number;
  /** A sample is logged every this many steps (0 = never). */
  sampleEvery: number;
  /** The validation loss is measured every this many steps, when there is a validation split (0 = never). */
  valEvery: number;
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** A numeric setting: its limits, its names in each front end and what it means. */
export interface NumberSetting {
  /** The CLI flag, without "--". */
  flag: string;
  /** The page's label. */
  label: string;
  integer: boolean;
  min: number;
  max: number;
  /** The minimum itself is not allowed. */
  minExclusive?: boolean;
  /** One sentence for people: what it is and what changing it does. */
  help: string;
}

/** Every numeric setting of a run and of a generation. */
export const NUMBER_SETTINGS = {
  embedSize: {
    flag: 'embed',
    label: 'Embedding E',
    integer: true,
    min: 1,
    max: 4096,
    help: 'Width of the vector each character is turned into before the LSTM.',
  },
  hiddenSize: { flag: 'hidden', label: 'Hidden H', integer: true, min: 1, max: MAX_HIDDEN, help: 'Units in each LSTM layer: its memory. Cost grows with H².' },
  layers: { flag: 'layers', label: 'Layers L', integer: true, min: 1, max: 16, help: 'LSTM layers stacked on each other.' },
  batch: { flag: 'batch', label: 'Streams B', integer: true, min: 1, max: 4096, help: 'Text streams trained side by side in each step (the batch).' },
  seqLen: {
    flag: 'seq-len',
    label: 'BPTT length T',
    integer: true,
    min: 1,
    max: 4096,
    help: 'Characters per stream in each step: gradients flow back through this many steps (truncated backpropagation through time).',
  },
  lr: { flag: 'lr', label: 'Learning rate', integer: false, min: 0, max: 10, minExclusive: true, help: 'Adam step size.' },
  lrDecay: {
    flag: 'lr-decay',
    label: 'LR decay',
    integer: false,
    min: 0,
    max: 1,
    minExclusive: true,
    help: 'The learning rate is multiplied by this after every step (1 = constant).',
  },
  clip: {
    flag: 'clip',
    label: 'Clip norm',
    integer: false,
    min: 0,
    max: 1e9,
    help: 'Gradients whose global norm exceeds this are scaled down to it (0 = off).',
  },
  seed: { flag: 'seed', label: 'Seed', integer: true, min: 0, max: 0xffffffff, help: 'Seeds the initial weights and the choice of training windows.' },
  steps: { flag: 'steps', label: 'Steps', integer: true, min: 1, max: 100_000_000, help: 'Training steps before training stops by itself.' },
  sampleEvery: {
    flag: 'sample-every',
    label: 'Sample every',
    integer: true,
    min: 0,
    max: 100_000_000,
    help: 'A sample is written every this many steps (0 = never).',
  },
  valEvery: {
    flag: 'val-every',
    label: 'Validate every',
    integer: true,
    min: 0,
    max: 100_000_000,
    help: 'The loss on held-out text is measured every this many steps (0 = never).',
  },
  length: { flag: 'length', label: 'Length', integer: true, min: 1, max: 100_000, help: 'Characters to generate after the prime.' },
  topK: { flag: 'top-k', label: 'Top-k', integer: true, min: 0, max: MAX_VOCAB, help: 'Draw only from the k most likely characters (0 = off).' },
  topP: {
    flag: 'top-p',
    label: 'Top-p',
    integer: false,
    min: 0,
    max: 1,
    minExclusive: true,
    help: 'Draw only from the most likely characters whose probabilities add up to p (1 = off).',
  },
  sampleSeed: { flag: 'seed', label: 'Sample seed', integer: true, min: 0, max: 0xffffffff, help: 'The same seed gives the same text.' },
} satisfies Record<string, NumberSetting>;

export type NumberSettingName = keyof typeof NUMBER_SETTINGS;

export const SCHEDULE_HELP: Record<Schedule, string> = {
  windows: 'random windows (the notebook): each step reads windows at random places, from a zero state',
  streams: 'contiguous streams: each stream reads on where it stopped, carrying its hidden state',
};

/** Temperatures of a generation: at most this many, each from 0 (greedy) to MAX_TEMPERATURE. */
const MAX_TEMPERATURES = 16;
const MAX_TEMPERATURE = 100;
export const DEFAULT_TEMPERATURES = [0.5, 1.0, 1.5];
export const DEFAULT_PRIME = 'It is';
export const DEFAULT_SAMPLE_LENGTH = 120;
/** The sample written during training, as in the notebook: its prime, length and temperature. */
export const TRAINING_SAMPLE = { prime: 'It is', length: 80, temperature: 0.8 } as const;

/** How a front end names a setting in messages: by CLI flag or by page label. */
export type Naming = 'flag' | 'label';

function settingName(s: NumberSetting, naming: Naming): string {
  return naming === 'flag' ? `--${s.flag}` : s.label;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Parses and checks one numeric setting; the message names it, its range and the value given. */
export function parseNumberSetting(s: NumberSetting, raw: string, naming: Naming): number {
  const text = raw.trim();
  const name = settingName(s, naming);
  if (s.integer) {
    const v = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(v) || v < s.min || v > s.max) {
      throw new SettingsError(`${name} must be an integer from ${s.min} to ${s.max}, got ${JSON.stringify(raw)}`);
    }
    return v;
  }
  const v = text === '' || !NUMBER.test(text) ? NaN : Number(text);
  if (!Number.isFinite(v) || v > s.max || (s.minExclusive ? v <= s.min : v < s.min)) {
    throw new SettingsError(`${name} must be a number ${s.minExclusive ? '>' : '≥'} ${s.min} and ≤ ${s.max}, got ${JSON.stringify(raw)}`);
  }
  return v;
}

/** Checks a value already held as a number (an element property, a preset) against its setting. */
function checkNumberSetting(s: NumberSetting, v: number, naming: Naming): number {
  return parseNumberSetting(s, String(v), naming);
}

export function parseSchedule(raw: string, naming: Naming): Schedule {
  if (raw === 'streams' || raw === 'windows') return raw;
  throw new SettingsError(`${naming === 'flag' ? '--schedule' : 'Schedule'} must be streams or windows, got ${JSON.stringify(raw)}`);
}

/** "0.5,1.0,1.5" → [0.5, 1, 1.5]. */
export function parseTemperatures(raw: string, naming: Naming): number[] {
  const name = naming === 'flag' ? '--temperature' : 'Temperatures';
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.length > MAX_TEMPERATURES) throw new SettingsError(`${name} takes at most ${MAX_TEMPERATURES} values, got ${parts.length}`);
  return parts.map((p) => {
    const v = p === '' || !NUMBER.test(p) ? NaN : Number(p);
    if (!Number.isFinite(v) || v < 0 || v > MAX_TEMPERATURE) {
      throw new SettingsError(`${name} must be a comma-separated list of numbers from 0 to ${MAX_TEMPERATURE} (e.g. 0.5,1.0,1.5), got ${JSON.stringify(raw)}`);
    }
    return v;
  });
}

/** "temperature 1.0" as the notebook writes it. */
export function formatTemperature(t: number): string {
  return Number.isInteger(t) ? t.toFixed(1) : String(t);
}

/** Checks every numeric field of run settings (from a preset, attributes or a form) in one place. */
export function checkRunSettings(s: RunSettings, naming: Naming): RunSettings {
  const n = NUMBER_SETTINGS;
  const c = (spec: NumberSetting, v: number) => checkNumberSetting(spec, v, naming);
  c(n.embedSize, s.model.embedSize);
  c(n.hiddenSize, s.model.hiddenSize);
  c(n.layers, s.model.layers);
  c(n.batch, s.train.batch);
  c(n.seqLen, s.train.seqLen);
  c(n.lr, s.train.lr);
  c(n.lrDecay, s.train.lrDecay);
  c(n.clip, s.train.clip);
  c(n.seed, s.train.seed);
  parseSchedule(s.train.schedule, naming);
  c(n.steps, s.steps);
  c(n.sampleEvery, s.sampleEvery);
  c(n.valEvery, s.valEvery);
  return s;
}

export interface SettingsPreset {
  id: string;
  label: string;
  description: string;
  settings: RunSettings;
  /** The corpus preset these settings are made for, where the default text is too short for them. */
  text?: string;
}

/** The notebook's run: CharLSTM(32, 128), random windows of 40, Adam 0.005, 1,000 steps. */
export const NOTEBOOK_SETTINGS: RunSettings = {
  model: { ...NOTEBOOK_MODEL },
  train: { ...NOTEBOOK_TRAIN },
  steps: 1000,
  sampleEvery: 100,
  valEvery: 100,
};

/** "notebook": the notebook's exact settings; "novel": plausible English from the whole novel on a laptop GPU. */
export const SETTINGS_PRESETS: SettingsPreset[] = [
  { id: 'notebook', label: 'Notebook', description: 'the notebook: E 32, H 128, T 40, lr 0.005', settings: NOTEBOOK_SETTINGS },
  {
    id: 'novel',
    label: 'Novel',
    description: 'a whole novel on a laptop GPU: E 64, H 256, 2 layers, 32 streams × 64',
    settings: {
      model: { embedSize: 64, hiddenSize: 256, layers: 2 },
      train: { ...NOTEBOOK_TRAIN, batch: 32, seqLen: 64, lr: 0.002, clip: 5, schedule: 'streams', lrDecay: 0.9998 },
      steps: 5000,
      sampleEvery: 200,
      valEvery: 200,
    },
    text: 'pride-and-prejudice',
  },
];

/** A deep copy of run settings (presets are never changed through a copy). */
export function copySettings(s: RunSettings): RunSettings {
  return { ...s, model: { ...s.model }, train: { ...s.train } };
}
