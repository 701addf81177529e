import { describe, expect, it, vi } from 'vitest';
import { NOTEBOOK_TRAIN } from '../model/config.ts';
import { buildParamTable, initParams } from '../model/params.ts';
import { Rng } from '../model/rng.ts';
import { CpuModel, cpuEngine } from '../engine/cpu.ts';
import { headPredictions, topPredictions } from './predictions.ts';
import { TrainingRun, prepareRun } from './run.ts';

describe('headPredictions', () => {
  it("gives distributions whose -log p of each next character is the engine's own per-character loss (2 layers, odd sizes)", async () => {
    const table = buildParamTable({ vocabSize: 11, embedSize: 5, hiddenSize: 7, layers: 2 });
    const params = initParams(table, new Rng(3));
    // Larger head weights than the initialisation's, so the distributions are far from uniform.
    for (let i = 0; i < table.headWeight.size; i++) params[table.headWeight.offset + i] *= 4;
    const model = new CpuModel(table, params);
    const ids = Int32Array.from([1, 4, 0, 10, 3, 3, 7, 2, 9, 5, 6, 8, 1]);
    const states = await model.hiddenStates(ids);
    const p = headPredictions(table, params, states.h[1]);
    expect([p.n, p.V]).toEqual([ids.length, 11]);
    for (let i = 0; i < p.n; i++) {
      const row = p.probs.subarray(i * 11, (i + 1) * 11);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    const losses = await model.evaluate(ids);
    for (let i = 0; i + 1 < ids.length; i++) expect(-Math.log(p.probs[i * 11 + ids[i + 1]])).toBeCloseTo(losses[i], 4);
    const top = topPredictions(p, 3, 4);
    expect(top).toHaveLength(4);
    for (let k = 1; k < 4; k++) expect(top[k].p).toBeLessThanOrEqual(top[k - 1].p);
    expect(top[0].p).toBe(Math.max(...p.probs.subarray(33, 44)));
  });
});

describe('TrainingRun.predictions', () => {
  it('reads the distributions of a typed text through the run, and names a character the model lacks', async () => {
    const corpus = { name: 'test', text: 'The quick brown fox jumps over the lazy dog; the cat sat on the mat. '.repeat(3) };
    const settings = { model: { embedSize: 4, hiddenSize: 8, layers: 1 }, train: { ...NOTEBOOK_TRAIN, seqLen: 8 }, steps: 3, sampleEvery: 0, valEvery: 0 };
    const run = await TrainingRun.open(prepareRun({ corpus, settings, naming: 'label' }), cpuEngine());
    const p = await run.predictions('the cat');
    expect([p.n, p.V]).toEqual([7, run.vocab.size]);
    const losses = await run.trainer.model.evaluate(run.encode('the cat', 'x'));
    expect(-Math.log(p.probs[run.vocab.chars.indexOf('h')])).toBeCloseTo(losses[0], 4);
    await expect(run.predictions('the Zebra')).rejects.toThrow(/"Z"/);
    await expect(run.predictions('')).rejects.toThrow(/at least one character/);
    await run.destroy();
  });
});

describe('TrainingRun.predictions, typed', () => {
  it('reads only the new characters of an extended text and none after a backspace, with the distributions of a whole read; trained further, it reads whole again', async () => {
    const corpus = { name: 'test', text: 'The quick brown fox jumps over the lazy dog; the cat sat on the mat. '.repeat(3) };
    const settings = { model: { embedSize: 4, hiddenSize: 8, layers: 2 }, train: { ...NOTEBOOK_TRAIN, seqLen: 8 }, steps: 1, sampleEvery: 0, valEvery: 0 };
    const run = await TrainingRun.open(prepareRun({ corpus, settings, naming: 'label' }), cpuEngine());
    const V = run.vocab.size;
    /** The distributions of `text` read whole from zero state, as predictions() read it before it kept anything. */
    const whole = async (text: string) => {
      const states = await run.trainer.model.hiddenStates(run.encode(text, 'x'));
      return headPredictions(run.table, await run.trainer.model.readParams(), states.h[1]).probs;
    };
    // The lengths of the texts the model reads for each predictions() call.
    const model = run.trainer.model;
    const hiddenStates = model.hiddenStates.bind(model);
    let reads: number[] = [];
    vi.spyOn(model, 'hiddenStates').mockImplementation((ids, from) => {
      reads.push(ids.length);
      return hiddenStates(ids, from);
    });
    const typing = async (text: string): Promise<number[]> => {
      reads = [];
      const p = await run.predictions(text);
      const read = reads;
      reads = [];
      const want = await whole(text);
      expect([p.n, p.V]).toEqual([[...text].length, V]);
      // The CPU engine carries float64 state inside a read and resumes from the f32 rows: equal to f32 rounding.
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(p.probs[i] - want[i]));
      expect(worst, text).toBeLessThan(1e-6);
      return read;
    };
    // A key at a time, backspaces and a new ending, then an edit before the end.
    const typed: [string, number[]][] = [
      ['t', [1]],
      ['th', [1]],
      ['the', [1]],
      ['the ', [1]],
      ['the ca', [2]],
      ['the c', []],
      ['the', []],
      ['the d', [2]],
      ['the dog', [2]],
      ['tha dog', [7]],
    ];
    for (const [text, read] of typed) expect(await typing(text), text).toEqual(read);
    // Trained a step further: the same text is read whole, then typing goes on from it.
    const step = run.step;
    await run.start(step + 1);
    expect(run.step).toBe(step + 1);
    expect(run.trainer.model).toBe(model);
    expect(await typing('tha dog')).toEqual([7]);
    expect(await typing('tha dogs')).toEqual([1]);
    await run.destroy();
  });
});

describe('TrainingRun.defaultSentence and textStates', () => {
  it('takes the first line of some length from the text in use (no capital "I" needed), and reads a stretch of it', async () => {
    const corpus = { name: 'test', text: 'x y\n' + 'the rain in spain stays mainly in the plain, they say.\n'.repeat(4) };
    const settings = { model: { embedSize: 4, hiddenSize: 8, layers: 2 }, train: { ...NOTEBOOK_TRAIN, seqLen: 8 }, steps: 3, sampleEvery: 0, valEvery: 0 };
    const run = await TrainingRun.open(prepareRun({ corpus, settings, naming: 'label' }), cpuEngine());
    expect(run.defaultSentence(40)).toBe('the rain in spain stays mainly in the pl');
    const { ids, states } = await run.textStates(4, 30);
    expect(run.vocab.decode(ids)).toBe('the rain in spain stays mainly');
    expect(states.h).toHaveLength(2);
    expect(states.h[1]).toHaveLength(30 * 8);
    expect(states.gates[0]).toHaveLength(30 * 32);
    await run.destroy();
  });
});
