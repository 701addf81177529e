/**
 * The documented attributes of <char-lm-demo>, checked. The element's properties hold
 * whatever a page set; this module turns them into the values the element uses, one
 * attribute at a time: a bad value gives a message naming the attribute and what it
 * accepts, and that attribute keeps its previous value (nothing changes because of it).
 */
import { CORPUS_PRESETS } from '../text/presets.ts';
import {
  DEFAULT_TEMPERATURES,
  NUMBER_SETTINGS,
  SETTINGS_PRESETS,
  copySettings,
  parseNumberSetting,
  parseTemperatures,
  type NumberSetting,
  type RunSettings,
} from '../run/settings.ts';

const ENGINE_CHOICES = ['auto', 'gpu', 'cpu'] as const;
type EngineChoice = (typeof ENGINE_CHOICES)[number];
/** `controls`: every panel, or only the sampler and the inspector (a generation-only demo). */
const CONTROLS_CHOICES = ['all', 'generate'] as const;
type ControlsChoice = (typeof CONTROLS_CHOICES)[number];

/** The attributes as the element's properties hold them; a number is NaN when its attribute text is not one. */
export interface AttributeValues {
  preset: string;
  corpusUrl: string;
  settingsPreset: string;
  embedSize: number | undefined;
  hiddenSize: number | undefined;
  layers: number | undefined;
  steps: number | undefined;
  sampleEvery: number | undefined;
  temperatures: string;
  prime: string;
  engine: string;
  /** `model-url` (unset: none). */
  modelUrl?: string;
  /** `controls` (unset: all). */
  controls?: string;
}

/** The values the element works with: the last valid value of each attribute. */
export interface AppliedAttributes {
  preset: string;
  corpusUrl: string;
  settingsPreset: string;
  /** The settings preset with embed-size, hidden-size, layers, steps and sample-every over it. */
  settings: RunSettings;
  /** Valid for parseTemperatures. */
  temperatures: string;
  prime: string;
  engine: EngineChoice;
  /** A checkpoint to load onto the text ('' for none). */
  modelUrl: string;
  controls: ControlsChoice;
}

export const DEFAULT_TEMPERATURES_TEXT = DEFAULT_TEMPERATURES.map((t) => t.toFixed(1)).join(',');
/** The default prime of the Sample panel (where the text has these characters). */
export const DEFAULT_SAMPLE_PRIME = 'Mr Bennet';

export const DEFAULT_ATTRIBUTES: AppliedAttributes = {
  preset: CORPUS_PRESETS[0].id,
  corpusUrl: '',
  settingsPreset: SETTINGS_PRESETS[0].id,
  settings: copySettings(SETTINGS_PRESETS[0].settings),
  temperatures: DEFAULT_TEMPERATURES_TEXT,
  prime: DEFAULT_SAMPLE_PRIME,
  engine: 'auto',
  modelUrl: '',
  controls: 'all',
};

type NumericProperty = 'embedSize' | 'hiddenSize' | 'layers' | 'steps' | 'sampleEvery';

/** The numeric attributes: the setting each one sets and where it lives. */
const NUMERIC: { prop: NumericProperty; attr: string; spec: NumberSetting; get: (s: RunSettings) => number; set: (s: RunSettings, v: number) => void }[] = [
  { prop: 'embedSize', attr: 'embed-size', spec: NUMBER_SETTINGS.embedSize, get: (s) => s.model.embedSize, set: (s, v) => (s.model.embedSize = v) },
  { prop: 'hiddenSize', attr: 'hidden-size', spec: NUMBER_SETTINGS.hiddenSize, get: (s) => s.model.hiddenSize, set: (s, v) => (s.model.hiddenSize = v) },
  { prop: 'layers', attr: 'layers', spec: NUMBER_SETTINGS.layers, get: (s) => s.model.layers, set: (s, v) => (s.model.layers = v) },
  { prop: 'steps', attr: 'steps', spec: NUMBER_SETTINGS.steps, get: (s) => s.steps, set: (s, v) => (s.steps = v) },
  { prop: 'sampleEvery', attr: 'sample-every', spec: NUMBER_SETTINGS.sampleEvery, get: (s) => s.sampleEvery, set: (s, v) => (s.sampleEvery = v) },
];

/** Lit's converter for the numeric attributes: "" and "abc" become NaN (not 0), so that they can be reported. */
export const numberAttribute = {
  fromAttribute: (v: string | null): number | undefined => (v === null ? undefined : v.trim() === '' ? NaN : Number(v)),
  toAttribute: (v: number | undefined): string | null => (v === undefined || v === null ? null : String(v)),
};

/**
 * A text attribute as the element uses it: a property set from a script may hold
 * anything; a removed attribute (null) or an unset property means the default.
 */
function text(v: unknown, fallback: string): string {
  return v === undefined || v === null ? fallback : String(v);
}

function oneOf(attr: string, choices: readonly string[], raw: string): string {
  return `${attr} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`;
}

/**
 * Checks every attribute against `previous` (what the element uses now). `rawText`
 * gives an attribute's text, for messages about numbers that did not parse.
 */
export function readAttributes(
  v: AttributeValues,
  rawText: (attr: string) => string | null,
  previous: AppliedAttributes,
): { applied: AppliedAttributes; errors: string[] } {
  const errors: string[] = [];
  const d = DEFAULT_ATTRIBUTES;
  const applied: AppliedAttributes = {
    ...previous,
    corpusUrl: text(v.corpusUrl, '').trim(),
    modelUrl: text(v.modelUrl, '').trim(),
    prime: text(v.prime, d.prime),
  };

  const preset = text(v.preset, d.preset);
  const presetIds = CORPUS_PRESETS.map((p) => p.id);
  if (presetIds.includes(preset)) applied.preset = preset;
  else errors.push(oneOf('preset', presetIds, preset));

  const settingsPreset = text(v.settingsPreset, d.settingsPreset);
  const settingsIds = SETTINGS_PRESETS.map((p) => p.id);
  if (settingsIds.includes(settingsPreset)) applied.settingsPreset = settingsPreset;
  else errors.push(oneOf('settings', settingsIds, settingsPreset));

  const engine = text(v.engine, d.engine);
  if ((ENGINE_CHOICES as readonly string[]).includes(engine)) applied.engine = engine as EngineChoice;
  else errors.push(oneOf('engine', ENGINE_CHOICES, engine));

  const controls = text(v.controls, d.controls);
  if ((CONTROLS_CHOICES as readonly string[]).includes(controls)) applied.controls = controls as ControlsChoice;
  else errors.push(oneOf('controls', CONTROLS_CHOICES, controls));

  const temperatures = text(v.temperatures, d.temperatures);
  try {
    parseTemperatures(temperatures, 'label');
    applied.temperatures = temperatures;
  } catch (e) {
    errors.push((e as Error).message.replace(/^Temperatures/, 'temperatures'));
  }

  // The settings preset first, then each numeric attribute over it; a bad one keeps its previous value.
  const settings = copySettings(SETTINGS_PRESETS.find((p) => p.id === applied.settingsPreset)!.settings);
  for (const n of NUMERIC) {
    const value: unknown = v[n.prop];
    if (value === undefined || value === null) continue;
    // A value from the attribute is checked as written ("abc", "1e3", "0x10" are not whole numbers
    // to a person, whatever Number() makes of them); one set as a property, as it is.
    const attrText = rawText(n.attr);
    const raw = attrText !== null && Object.is(numberAttribute.fromAttribute(attrText), value) ? attrText : String(value);
    try {
      n.set(settings, parseNumberSetting({ ...n.spec, label: n.attr }, raw, 'label'));
    } catch (e) {
      errors.push((e as Error).message);
      n.set(settings, n.get(previous.settings));
    }
  }
  applied.settings = settings;
  return { applied, errors };
}
