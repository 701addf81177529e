import { describe, expect, it } from 'vitest';
import { NOTEBOOK_SETTINGS, SETTINGS_PRESETS } from '../run/settings.ts';
import {
  changedFields,
  draftFrom,
  draftWithFields,
  fieldError,
  isPresetDraft,
  onTrainChange,
  parseDraft,
  pendingChanges,
  textNeeded,
  withFields,
} from './settings-form.ts';

describe('the settings form', () => {
  it('round-trips run settings through a draft', () => {
    for (const p of SETTINGS_PRESETS) expect(parseDraft(draftFrom(p.settings), NOTEBOOK_SETTINGS)).toEqual(p.settings);
  });

  it('parses with the messages the CLI gives, naming the label', () => {
    const d = draftFrom(NOTEBOOK_SETTINGS);
    d.numbers.hiddenSize = '';
    expect(() => parseDraft(d, NOTEBOOK_SETTINGS)).toThrow('Hidden H must be an integer from 1 to 2048, got ""');
    const lr = draftFrom(NOTEBOOK_SETTINGS);
    lr.numbers.lr = '0';
    expect(() => parseDraft(lr, NOTEBOOK_SETTINGS)).toThrow('Learning rate must be a number > 0 and ≤ 10, got "0"');
    const sched = { ...draftFrom(NOTEBOOK_SETTINGS), schedule: 'sometimes' };
    expect(() => parseDraft(sched, NOTEBOOK_SETTINGS)).toThrow('Schedule must be streams or windows');
  });

  it('Steps takes only a positive whole number within its limits, and the field names itself', () => {
    for (const raw of ['-5', '0', '1.5', '1e3', 'abc', '', '100000001']) {
      const d = draftFrom(NOTEBOOK_SETTINGS);
      d.numbers.steps = raw;
      const message = `Steps must be an integer from 1 to 100000000, got ${JSON.stringify(raw)}`;
      expect(() => parseDraft(d, NOTEBOOK_SETTINGS)).toThrow(message);
      expect(fieldError(d, 'steps')).toBe(message);
      expect(fieldError(d, 'hiddenSize')).toBeNull();
    }
    const d = draftFrom(NOTEBOOK_SETTINGS);
    d.numbers.steps = ' 25 ';
    expect(parseDraft(d, NOTEBOOK_SETTINGS).steps).toBe(25);
  });

  it('says what would change on Reset, and nothing for a form that does not parse', () => {
    const d = draftFrom(NOTEBOOK_SETTINGS);
    expect(pendingChanges(d, NOTEBOOK_SETTINGS)).toEqual([]);
    d.numbers.hiddenSize = '24';
    d.schedule = 'streams';
    expect(pendingChanges(d, NOTEBOOK_SETTINGS)).toEqual(['Hidden H 24 (now 128)', 'Schedule streams (now windows)']);
    d.numbers.layers = 'x';
    expect(pendingChanges(d, NOTEBOOK_SETTINGS)).toEqual([]);
  });

  it('names the learning rate, decay and clip norm that Train applies, from settings already parsed', () => {
    const d = draftFrom(NOTEBOOK_SETTINGS);
    expect(onTrainChange(parseDraft(d, NOTEBOOK_SETTINGS), NOTEBOOK_SETTINGS)).toBeNull();
    d.numbers.lr = '0.01';
    d.numbers.clip = '1';
    d.numbers.hiddenSize = '24'; // a Reset field: not Train's
    expect(onTrainChange(parseDraft(d, NOTEBOOK_SETTINGS), NOTEBOOK_SETTINGS)).toEqual({ lr: 0.01, clip: 1 });
  });

  it('moves only the fields that changed', () => {
    const novel = SETTINGS_PRESETS[1].settings;
    const fields = changedFields(novel, NOTEBOOK_SETTINGS);
    expect(fields).toContain('hiddenSize');
    expect(fields).toContain('schedule');
    expect(fields).not.toContain('seed');
    const typed = draftFrom(NOTEBOOK_SETTINGS);
    typed.numbers.seed = '7';
    const next = draftWithFields(typed, novel, ['hiddenSize']);
    expect(next.numbers.hiddenSize).toBe('256');
    expect(next.numbers.seed).toBe('7');
    expect(next.numbers.layers).toBe('1');
    expect(withFields(NOTEBOOK_SETTINGS, novel, ['layers']).model).toEqual({ embedSize: 32, hiddenSize: 128, layers: 2 });
    expect(NOTEBOOK_SETTINGS.model.layers).toBe(1);
  });

  it('says how many characters of text the batches need, and whether the form is a preset', () => {
    const novel = SETTINGS_PRESETS.find((p) => p.id === 'novel')!;
    expect(textNeeded(draftFrom(novel.settings))).toEqual({ characters: 32 * 64 + 1, what: '32 streams × 64 characters' });
    expect(textNeeded(draftFrom(NOTEBOOK_SETTINGS))).toEqual({ characters: 41, what: 'windows of 40 characters' });
    const bad = draftFrom(NOTEBOOK_SETTINGS);
    bad.numbers.seqLen = 'x';
    expect(textNeeded(bad)).toBeNull();
    expect(isPresetDraft(draftFrom(novel.settings), novel.settings)).toBe(true);
    expect(isPresetDraft(draftFrom(novel.settings), NOTEBOOK_SETTINGS)).toBe(false);
    const edited = draftFrom(novel.settings);
    edited.numbers.steps = '10';
    expect(isPresetDraft(edited, novel.settings)).toBe(false);
  });
});
