import { describe, expect, it } from 'vitest';
import { LossHistory, TrainingSession, type SessionSettings } from './session.ts';
import { NOTEBOOK_TRAIN } from '../model/config.ts';
import { CpuTrainer } from './cpu-engine.ts';
import { buildParamTable, initParams } from '../model/params.ts';
import { Rng } from '../model/rng.ts';

const settings: SessionSettings = {
  model: { embedSize: 4, hiddenSize: 8, layers: 1 },
  train: { ...NOTEBOOK_TRAIN, seqLen: 8, lr: 0.02 },
  steps: 12,
  sampleEvery: 5,
  valEvery: 0,
};
const corpus = { name: 'test', text: 'The quick brown fox jumps over the lazy dog; the cat sat on the mat. '.repeat(3) };

describe('LossHistory', () => {
  it('keeps a 10-step moving average and grows past its initial capacity', () => {
    const h = new LossHistory();
    for (let i = 1; i <= 3000; i++) h.push(i, i);
    expect(h.length).toBe(3000);
    expect(h.avg[0]).toBe(1);
    expect(h.avg[4]).toBe(3);
    expect(h.avg[2999]).toBeCloseTo((2991 + 3000) / 2);
    h.pushVal(7);
    expect(h.val[2999]).toBe(7);
    expect(Number.isNaN(h.val[2998])).toBe(true);
  });
});

describe('TrainingSession on the CPU engine', () => {
  it('rejects bad corpora and settings with a message, building nothing', () => {
    expect(() => TrainingSession.prepare({ name: 'x', text: '' }, settings)).toThrow(/empty/);
    expect(() => TrainingSession.prepare({ name: 'x', text: 'aaaaaaaaaaaaaaaaaaaa' }, settings)).toThrow(/distinct/);
    expect(() => TrainingSession.prepare(corpus, { ...settings, model: { ...settings.model, hiddenSize: 0 } })).toThrow(/hidden size/);
    expect(() => TrainingSession.prepare(corpus, { ...settings, train: { ...settings.train, batch: 100, schedule: 'streams' } })).toThrow(/too short/);
  });

  it('trains to its step count, logs samples, and reports per-character losses', async () => {
    const s = new TrainingSession('cpu', null, corpus, settings);
    const steps: number[] = [];
    s.onStep = (r) => steps.push(r.step);
    s.start();
    while (s.status === 'training') await new Promise((r) => setTimeout(r, 5));
    expect(s.status).toBe('done');
    expect(steps).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(s.history.length).toBe(12);
    expect(s.samples.map((x) => x.step)).toEqual([5, 10]);
    expect(s.samples[0].text.startsWith('The q')).toBe(true); // 'It is' is not in the vocabulary: the corpus start serves
    const r = await s.perCharacterLoss();
    expect(r.losses.length).toBe([...corpus.text].length - 1);
    expect(r.hardest.length).toBe(15);
    expect(r.hardest[0].loss).toBeGreaterThanOrEqual(r.hardest[14].loss);
    const texts = await s.sample('the', 10, [{ temperature: 1, topK: 0, topP: 1 }], 3);
    expect(texts[0].length).toBe(10);
    await expect(s.sample('Z', 10, [{ temperature: 1, topK: 0, topP: 1 }], 3)).rejects.toThrow(/not in the vocabulary/);
    await s.destroy();
  });

  it('pause stops the loop and start resumes it', async () => {
    const s = new TrainingSession('cpu', null, corpus, { ...settings, steps: 10_000, sampleEvery: 0 });
    s.start();
    while (s.step < 3) await new Promise((r) => setTimeout(r, 5));
    await s.pause();
    const at = s.step;
    await new Promise((r) => setTimeout(r, 50));
    expect(s.step).toBe(at);
    expect(s.status).toBe('paused');
    s.start();
    while (s.step < at + 3) await new Promise((r) => setTimeout(r, 5));
    await s.destroy();
  });
});

describe('CpuTrainer', () => {
  it('a snapshot continues exactly like the trainer it came from', async () => {
    const table = buildParamTable({ vocabSize: 6, embedSize: 3, hiddenSize: 5, layers: 2 });
    const data = Int32Array.from({ length: 60 }, (_, i) => (i * 5 + (i >> 2)) % 6);
    const cfg = { ...NOTEBOOK_TRAIN, batch: 2, seqLen: 4, schedule: 'streams' as const };
    const a = new CpuTrainer(table, cfg, data, { params: initParams(table, new Rng(2)) });
    for (let i = 0; i < 4; i++) await a.trainStep();
    const b = new CpuTrainer(table, cfg, data, await a.snapshot());
    for (let i = 0; i < 4; i++) {
      await a.trainStep();
      await b.trainStep();
    }
    expect(b.takeResults()).toEqual(a.takeResults().slice(4));
    expect(await b.model.readParams()).toEqual(await a.model.readParams());
  });
});
