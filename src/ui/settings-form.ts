/**
 * The "Model and training" form as data: what each field edits, the form as typed (a
 * draft of strings), and parsing it into run settings with the messages the CLI gives
 * (naming each setting by its page label). No DOM: <char-lm-settings> draws it, the
 * element keeps it.
 */
import type { Schedule } from '../model/config.ts';
import { NUMBER_SETTINGS, SCHEDULE_HELP, copySettings, parseNumberSetting, parseSchedule, type NumberSettingName, type RunSettings } from '../run/settings.ts';

/** The numeric fields of the form, in order; each input is named by its setting's CLI flag ("hidden", "seq-len"). */
export const FORM_NUMBERS = [
  'embedSize',
  'hiddenSize',
  'layers',
  'batch',
  'seqLen',
  'lr',
  'lrDecay',
  'clip',
  'seed',
  'steps',
  'sampleEvery',
  'valEvery',
] as const satisfies readonly NumberSettingName[];
export type FormNumber = (typeof FORM_NUMBERS)[number];
/** Every field of the form. */
export type FormField = FormNumber | 'schedule';

export const SCHEDULES = Object.keys(SCHEDULE_HELP) as Schedule[];

/** The form as typed: numbers as the user left them, unparsed. */
export interface SettingsDraft {
  numbers: Record<FormNumber, string>;
  schedule: string;
}

/** Where each field lives in RunSettings. */
const PLACE: Record<FormNumber, { get: (s: RunSettings) => number; set: (s: RunSettings, v: number) => void }> = {
  embedSize: { get: (s) => s.model.embedSize, set: (s, v) => (s.model.embedSize = v) },
  hiddenSize: { get: (s) => s.model.hiddenSize, set: (s, v) => (s.model.hiddenSize = v) },
  layers: { get: (s) => s.model.layers, set: (s, v) => (s.model.layers = v) },
  batch: { get: (s) => s.train.batch, set: (s, v) => (s.train.batch = v) },
  seqLen: { get: (s) => s.train.seqLen, set: (s, v) => (s.train.seqLen = v) },
  lr: { get: (s) => s.train.lr, set: (s, v) => (s.train.lr = v) },
  lrDecay: { get: (s) => s.train.lrDecay, set: (s, v) => (s.train.lrDecay = v) },
  clip: { get: (s) => s.train.clip, set: (s, v) => (s.train.clip = v) },
  seed: { get: (s) => s.train.seed, set: (s, v) => (s.train.seed = v) },
  steps: { get: (s) => s.steps, set: (s, v) => (s.steps = v) },
  sampleEvery: { get: (s) => s.sampleEvery, set: (s, v) => (s.sampleEvery = v) },
  valEvery: { get: (s) => s.valEvery, set: (s, v) => (s.valEvery = v) },
};

export function draftFrom(s: RunSettings): SettingsDraft {
  const numbers = {} as Record<FormNumber, string>;
  for (const f of FORM_NUMBERS) numbers[f] = String(PLACE[f].get(s));
  return { numbers, schedule: s.train.schedule };
}

/**
 * The settings the form describes; throws a SettingsError naming the first bad field
 * by its label. Settings the form has no field for (Adam's betas) come from `base`.
 */
export function parseDraft(d: SettingsDraft, base: RunSettings): RunSettings {
  const s = copySettings(base);
  for (const f of FORM_NUMBERS) PLACE[f].set(s, parseNumberSetting(NUMBER_SETTINGS[f], d.numbers[f], 'label'));
  s.train.schedule = parseSchedule(d.schedule, 'label');
  return s;
}

/** The first message of a field that does not parse, or null: for marking the field. */
export function fieldError(d: SettingsDraft, f: FormNumber): string | null {
  try {
    parseNumberSetting(NUMBER_SETTINGS[f], d.numbers[f], 'label');
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The fields whose values differ between two settings. */
export function changedFields(a: RunSettings, b: RunSettings): FormField[] {
  const out: FormField[] = FORM_NUMBERS.filter((f) => PLACE[f].get(a) !== PLACE[f].get(b));
  if (a.train.schedule !== b.train.schedule) out.push('schedule');
  return out;
}

/** `to` with the given fields taken from `from`. */
export function withFields(to: RunSettings, from: RunSettings, fields: readonly FormField[]): RunSettings {
  const s = copySettings(to);
  for (const f of fields) {
    if (f === 'schedule') s.train.schedule = from.train.schedule;
    else PLACE[f].set(s, PLACE[f].get(from));
  }
  return s;
}

/** The draft with the given fields set from settings (the other fields stay as typed). */
export function draftWithFields(d: SettingsDraft, from: RunSettings, fields: readonly FormField[]): SettingsDraft {
  const next: SettingsDraft = { numbers: { ...d.numbers }, schedule: d.schedule };
  for (const f of fields) {
    if (f === 'schedule') next.schedule = from.train.schedule;
    else next.numbers[f] = String(PLACE[f].get(from));
  }
  return next;
}

/**
 * What the form would change if applied now, for people: ["Hidden H 24 (now 16)"].
 * Empty when the form matches the model, or when it does not parse (Reset says why).
 */
export function pendingChanges(d: SettingsDraft, active: RunSettings, only?: (f: FormField) => boolean): string[] {
  let next: RunSettings;
  try {
    next = parseDraft(d, active);
  } catch {
    return [];
  }
  return changedFields(next, active)
    .filter(only ?? (() => true))
    .map((f) =>
      f === 'schedule'
        ? `Schedule ${next.train.schedule} (now ${active.train.schedule})`
        : `${NUMBER_SETTINGS[f].label} ${PLACE[f].get(next)} (now ${PLACE[f].get(active)})`,
    );
}

/** The fields a run takes on when training starts or resumes (its trainer is rebuilt from its state): the rest wait for Reset. */
export const ON_TRAIN_FIELDS: readonly FormField[] = ['lr', 'lrDecay', 'clip'];

/**
 * The learning rate, decay and clip norm of `next` (the form, parsed: parseDraft) where they
 * differ from the run's; null when none differ. Parsing is the caller's, so that a form that
 * does not parse refuses Train rather than passing for "nothing changed".
 */
export function onTrainChange(next: RunSettings, active: RunSettings): Partial<Pick<RunSettings['train'], 'lr' | 'lrDecay' | 'clip'>> | null {
  const out: Partial<Pick<RunSettings['train'], 'lr' | 'lrDecay' | 'clip'>> = {};
  for (const f of ['lr', 'lrDecay', 'clip'] as const) if (next.train[f] !== active.train[f]) out[f] = next.train[f];
  return Object.keys(out).length ? out : null;
}

/**
 * What each field means, for people meeting the terms for the first time: the page shows
 * it while the field is hovered or focused (and screen readers read it as the field's description).
 */
export const FIELD_HELP: Record<FormField, string> = {
  embedSize:
    'Each character becomes a vector of E numbers before it enters the LSTM. A larger E gives characters richer meanings and the model more parameters.',
  hiddenSize: "Units in each LSTM layer: the model's memory of what it has read. Cost grows with H².",
  layers: 'LSTM layers stacked on each other, each reading the one below. One or two is usual.',
  batch: 'Streams (the batch): how many places in the text are trained side by side in one step. More streams: smoother steps, more work per step.',
  seqLen:
    'Characters per stream in one step. The gradient flows back through these T characters (truncated backpropagation through time), so T bounds how far back the model learns to look.',
  lr: 'The size of each Adam step. Too high and the loss jumps or diverges; too low and it crawls.',
  lrDecay: 'The learning rate is multiplied by this after every step, so steps get smaller as training goes on (1 = constant).',
  clip: "When the gradients' overall size (their global norm) exceeds this, they are scaled down to it: this keeps an LSTM from blowing up (0 = off).",
  seed: 'Fixes the initial weights and the places the training reads: the same seed gives the same run.',
  steps: 'Training steps before training stops by itself; each step trains on B × T characters.',
  sampleEvery: 'Write a short sample under the chart every this many steps, to see the model learn (0 = never).',
  valEvery: 'Measure the loss on held-out text (the last tenth of a long text, never trained on) every this many steps (0 = never).',
  schedule: `How a step picks its text. Contiguous streams: ${SCHEDULE_HELP.streams.replace(/^contiguous streams: /, '')}. Random windows: ${SCHEDULE_HELP.windows.replace(/^random windows \(the notebook\): /, '')}.`,
};

/**
 * The characters a text needs for the form's batches (as the batcher checks them: B × T + 1 for
 * contiguous streams, T + 1 for random windows), or null while B, T or the schedule do not parse.
 */
export function textNeeded(d: SettingsDraft): { characters: number; what: string } | null {
  try {
    const B = parseNumberSetting(NUMBER_SETTINGS.batch, d.numbers.batch, 'label');
    const T = parseNumberSetting(NUMBER_SETTINGS.seqLen, d.numbers.seqLen, 'label');
    const streams = parseSchedule(d.schedule, 'label') === 'streams';
    return streams
      ? { characters: B * T + 1, what: `${B.toLocaleString('en')} streams × ${T.toLocaleString('en')} characters` }
      : { characters: T + 1, what: `windows of ${T.toLocaleString('en')} characters` };
  } catch {
    return null;
  }
}

/** Whether the form is exactly a settings preset's (its number fields and schedule). */
export function isPresetDraft(d: SettingsDraft, p: RunSettings): boolean {
  const q = draftFrom(p);
  return q.schedule === d.schedule && FORM_NUMBERS.every((f) => q.numbers[f].trim() === d.numbers[f].trim());
}
