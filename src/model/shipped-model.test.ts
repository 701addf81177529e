// The model in data/ is what the README, the page's "Try a trained model" and the two
// commands that make it (tools/train-shipped-model.sh, .py) say it is: the "novel" preset
// on the whole of Pride and Prejudice, small enough for a page.
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS_PRESETS } from '../run/settings.ts';
import { Vocab } from '../text/vocab.ts';
import { countNonFinite, loadCheckpoint } from './checkpoint.ts';

const FILE = 'data/pride-and-prejudice.safetensors';
const NOVEL = SETTINGS_PRESETS.find((p) => p.id === 'novel')!.settings;

describe('the shipped model', () => {
  const bytes = new Uint8Array(readFileSync(FILE));
  const c = loadCheckpoint(bytes);

  it('is the novel preset, model only, trained on the whole novel, and under 4 MB', () => {
    expect(statSync(FILE).size).toBeLessThanOrEqual(4 * 1024 * 1024);
    const text = readFileSync('data/pride-and-prejudice.txt', 'utf8');
    expect(c.vocab).toEqual(Vocab.fromText(text).chars);
    expect(c.config).toEqual({ vocabSize: c.vocab.length, ...NOVEL.model });
    expect(c.trainConfig).toEqual(NOVEL.train);
    expect(c.optimizer).toBeUndefined();
    expect(countNonFinite(c.params)).toBeNull();
  });

  it('has the step count tools/train-shipped-model.sh trains by default', () => {
    const sh = readFileSync('tools/train-shipped-model.sh', 'utf8');
    expect(Number(/^STEPS="\$\{STEPS:-(\d+)\}"$/m.exec(sh)?.[1])).toBe(c.step);
    // The GPU path is the CLI's own --settings novel, so it cannot drift from the preset.
    expect(sh).toContain('--settings novel --corpus data/pride-and-prejudice.txt');
  });

  it('is made by a PyTorch script whose settings are the preset’s', () => {
    const py = readFileSync('tools/train-shipped-model.py', 'utf8');
    const line = /^NOVEL = dict\((.*)\)$/m.exec(py)?.[1] ?? '';
    const got = Object.fromEntries(
      line
        .split(', ')
        .map((kv) => kv.split('='))
        .map(([k, v]) => [k, Number(v)]),
    );
    const { model, train } = NOVEL;
    expect(got).toEqual({
      embed: model.embedSize,
      hidden: model.hiddenSize,
      layers: model.layers,
      batch: train.batch,
      seq_len: train.seqLen,
      lr: train.lr,
      clip: train.clip,
      lr_decay: train.lrDecay,
      seed: train.seed,
    });
    expect(train.schedule).toBe('streams');
  });
});
