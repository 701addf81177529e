import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NOTEBOOK_TRAIN } from '../model/config.ts';
import { loadCheckpoint } from '../model/checkpoint.ts';
import { buildParamTable, initParams } from '../model/params.ts';
import { Rng } from '../model/rng.ts';
import { copySnapshot } from '../model/training-state.ts';
import { CpuTrainer, cpuEngine } from '../engine/cpu.ts';
import type { Engine, StepResult, Trainer } from '../engine/contract.ts';
import { CORPUS, CORPUS_PATH, ok } from '../cli/testing.ts';
import { LossHistory } from './history.ts';
import { NumericsError, divergenceLimit, lastGood } from './numerics.ts';
import { TrainingRun, prepareRun, runLogFromRecord, trainingPrime, type Corpus, type RunInput } from './run.ts';
import { NOTEBOOK_SETTINGS, copySettings, type RunSettings } from './settings.ts';

const settings: RunSettings = {
  model: { embedSize: 4, hiddenSize: 8, layers: 1 },
  train: { ...NOTEBOOK_TRAIN, seqLen: 8, lr: 0.02 },
  steps: 12,
  sampleEvery: 5,
  valEvery: 0,
};
const corpus: Corpus = { name: 'test', text: 'The quick brown fox jumps over the lazy dog; the cat sat on the mat. '.repeat(3) };
const input = (over: Partial<RunInput> = {}): RunInput => ({ corpus, settings, naming: 'label', ...over });

async function open(over: Partial<RunInput> = {}): Promise<TrainingRun> {
  return TrainingRun.open(prepareRun(input(over)), cpuEngine());
}

const dir = mkdtempSync(join(tmpdir(), 'char-lm-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

describe('LossHistory.truncate', () => {
  it('forgets the points after a step (and their validation), keeping the moving average of the rest', () => {
    const h = new LossHistory();
    for (let i = 1; i <= 12; i++) {
      h.push(i, i);
      if (i === 11) h.pushVal(5);
    }
    const avg = h.avg[6];
    h.truncate(7);
    expect(h.length).toBe(7);
    expect(h.last).toEqual({ step: 7, loss: 7, avg });
    expect(Number.isNaN(h.val[10])).toBe(true);
    h.push(8, 1);
    expect(h.steps[7]).toBe(8);
  });
});

describe('prepareRun: validate everything, build nothing', () => {
  it('rejects bad corpora and settings with a message naming the setting as the front end shows it', () => {
    expect(() => prepareRun(input({ corpus: { name: 'x', text: '' } }))).toThrow(/empty/);
    expect(() => prepareRun(input({ corpus: { name: 'x', text: 'aaaaaaaaaaaaaaaaaaaa' } }))).toThrow(/distinct/);
    const bad = copySettings(settings);
    bad.model.hiddenSize = 0;
    expect(() => prepareRun(input({ settings: bad }))).toThrow('Hidden H must be an integer from 1 to 2048, got "0"');
    expect(() => prepareRun(input({ settings: bad, naming: 'flag' }))).toThrow('--hidden must be an integer from 1 to 2048, got "0"');
    const steps = copySettings(settings);
    steps.steps = 1.5;
    expect(() => prepareRun(input({ settings: steps }))).toThrow(/Steps must be an integer/);
    const streams = copySettings(settings);
    streams.train = { ...streams.train, batch: 100, schedule: 'streams' };
    expect(() => prepareRun(input({ settings: streams }))).toThrow(/too short/);
  });

  it('refuses a text with more distinct characters than the model takes, both counts grouped alike', () => {
    // 1,101 distinct characters (CJK ideographs after ASCII letters), each twice.
    const chars = Array.from({ length: 1101 }, (_, i) => String.fromCodePoint(0x4e00 + i));
    const text = [...chars, ...chars].join('');
    expect(() => prepareRun(input({ corpus: { name: 'wide.txt', text } }))).toThrow(
      'wide.txt has 1,101 distinct characters; the model handles at most 1,024: use a text with a smaller alphabet',
    );
    // At the limit it is taken.
    const limit = [...chars.slice(0, 1024), ...chars.slice(0, 1024)].join('');
    expect(prepareRun(input({ corpus: { name: 'ok.txt', text: limit } })).vocab.size).toBe(1024);
  });

  it('a loaded model refuses a text with characters outside its vocabulary, naming the character', async () => {
    const run = await open();
    const contents = loadCheckpoint(await run.checkpoint());
    await run.destroy();
    expect(() =>
      prepareRun(input({ corpus: { name: 'other', text: corpus.text + 'Z' }, checkpoint: { contents, name: 'm.safetensors', mode: 'continue' } })),
    ).toThrow(/"Z" \(U\+005A\) at position 207 is not in the vocabulary of m.safetensors/);
  });
});

/** The CPU engine, with each trainer it makes changed by `change` (a test's slow sampler, late results…). */
function cpuEngineWith(change: (t: Trainer) => void): Engine {
  const base = cpuEngine();
  return {
    ...base,
    kind: base.kind,
    description: base.description,
    model: (t, p) => base.model(t, p),
    close: () => base.close(),
    async trainer(table, config, data, start) {
      const t = await base.trainer(table, config, data, start);
      change(t);
      return t;
    },
  };
}

describe('TrainingRun.progress', () => {
  it('counts steps, characters, epochs and time; chars/s leaves out the time spent writing samples', async () => {
    // Samples that take 40 ms each, on an engine whose steps take well under a millisecond.
    const slowSamples = cpuEngineWith((t) => {
      const sample = t.model.sample.bind(t.model);
      t.model.sample = async (req, onProgress) => {
        await new Promise((r) => setTimeout(r, 40));
        return sample(req, onProgress);
      };
    });
    const run = await TrainingRun.open(prepareRun(input({ settings: { ...settings, steps: 40, sampleEvery: 2 } })), slowSamples);
    const before = run.progress();
    expect(before).toMatchObject({ step: 0, target: 40, tokens: 0, epochs: 0, elapsedMs: 0, charsPerSecond: 0, remainingMs: null, inFlight: null });
    const t0 = performance.now();
    await run.start();
    const wall = performance.now() - t0;
    const p = run.progress();
    const { batch: B, seqLen: T } = settings.train;
    expect(p.step).toBe(40);
    expect(p.tokens).toBe(40 * B * T);
    expect(p.epochs).toBeCloseTo((40 * B * T) / run.prepared.train.length, 10);
    expect(p.elapsedMs).toBeGreaterThan(20 * 40 * 0.9); // 20 samples of 40 ms
    expect(p.elapsedMs).toBeLessThanOrEqual(wall + 1);
    expect(p.remainingMs).toBe(0);
    expect(p.inFlight).toBeNull();
    // Training alone: far faster than steps over the whole wall time (which is mostly samples).
    const allIn = (40 * B * T * 1000) / p.elapsedMs;
    expect(p.charsPerSecond).toBeGreaterThan(5 * allIn);
    await run.destroy();
  });
});

describe('TrainingRun.progress while steps run ahead of their results', () => {
  it("counts the steps whose results are in, as the GPU engine reads them back: the step in flight is the next one, the loss shown is the count's", async () => {
    // A trainer that returns each step's result one step late, as the GPU engine does (its step counts the steps submitted).
    const lagging = cpuEngineWith((t) => {
      let pending: StepResult[] = [];
      const trainStep = t.trainStep.bind(t);
      const flush = t.flush.bind(t);
      t.trainStep = async () => {
        const late = pending;
        pending = await trainStep();
        return late;
      };
      t.flush = async () => {
        const late = [...pending, ...(await flush())];
        pending = [];
        return late;
      };
    });
    const run = await TrainingRun.open(prepareRun(input({ settings: { ...settings, steps: 8, sampleEvery: 0 } })), lagging);
    const seen: { result: number; submitted: number; step: number; inFlight: number | undefined; last: number | undefined }[] = [];
    run.on('step', (r) => {
      const p = run.progress();
      seen.push({ result: r.step, submitted: run.step, step: p.step, inFlight: p.inFlight?.step, last: run.history.last?.step });
    });
    await run.start();
    expect(seen.map((x) => x.result)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // While the loop ran, a step was submitted ahead of each result, except where the run drained
    // its steps in flight to keep a snapshot (after steps 1, 2, 4 and 8); the count, the step in
    // flight and the loss agree with the results either way.
    for (const x of seen) {
      expect(x).toMatchObject({ step: x.result, last: x.result });
      expect(x.submitted === x.result || x.submitted === x.result + 1).toBe(true);
      // The next step is the one running, submitted or about to be (the loop goes on), and none after the last.
      expect(x.inFlight ?? null).toBe(x.result < 8 ? x.result + 1 : null);
    }
    expect(seen.filter((x) => x.submitted === x.result + 1).map((x) => x.result)).toEqual([3, 5, 6, 7]);
    const p = run.progress();
    expect(p.step).toBe(8);
    expect(p.inFlight).toBeNull();
    await run.destroy();
  });
});

describe('TrainingRun on the CPU engine', () => {
  it('trains to its target with typed events: steps, samples, status', async () => {
    const run = await open();
    const steps: number[] = [];
    const statuses: string[] = [];
    run.on('step', (r) => steps.push(r.step));
    run.on('status', (s) => statuses.push(s.status));
    await run.start();
    expect(run.status).toBe('done');
    expect(statuses).toEqual(['training', 'done']);
    expect(steps).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(run.history.length).toBe(12);
    expect(run.samples.map((x) => x.step)).toEqual([5, 10]);
    expect(run.samples[0].text.startsWith('The q')).toBe(true); // 'It is' is not in the vocabulary: the corpus start serves
    expect(run.throughput.charsPerSecond).toBeGreaterThan(0);
    const r = await run.perCharacterLoss();
    expect(r.losses.length).toBe([...corpus.text].length - 1);
    expect(r.hardest.length).toBe(15);
    expect(r.hardest[0].loss).toBeGreaterThanOrEqual(r.hardest[14].loss);
    const texts = await run.sample('the', 10, [{ temperature: 1, topK: 0, topP: 1 }], 3);
    expect(texts[0].length).toBe(10);
    await expect(run.sample('Z', 10, [{ temperature: 1, topK: 0, topP: 1 }], 3)).rejects.toThrow(
      /the prime: character "Z" \(U\+005A\) at position 0 is not in the model's vocabulary/,
    );
    await run.destroy();
  });

  it('pause stops the loop and start resumes it', async () => {
    const s = copySettings(settings);
    s.steps = 10_000;
    s.sampleEvery = 0;
    const run = await open({ settings: s });
    const statuses: string[] = [];
    run.on('status', (e) => statuses.push(e.status));
    void run.start();
    while (run.step < 3) await new Promise((r) => setTimeout(r, 5));
    const pausing = run.pause();
    expect(run.status).toBe('pausing'); // at once, while the step in flight finishes
    await pausing;
    expect(statuses).toEqual(['training', 'pausing', 'paused']);
    const at = run.step;
    await new Promise((r) => setTimeout(r, 50));
    expect(run.step).toBe(at);
    expect(run.status).toBe('paused');
    void run.start();
    while (run.step < at + 3) await new Promise((r) => setTimeout(r, 5));
    await run.destroy();
  });

  it('calls in any order without awaiting never run a step during a read of the model, and drop no step', async () => {
    const s = copySettings(settings);
    s.steps = 10_000;
    s.sampleEvery = 3;
    const run = await open({ settings: s });
    // Watch the trainer: a read of the model (sample, snapshot, evaluate, readParams) while a step is in flight is the bug.
    const t = run.trainer;
    let stepping = 0;
    const overlaps: string[] = [];
    const trainStep = t.trainStep.bind(t);
    t.trainStep = async () => {
      stepping++;
      try {
        return await trainStep();
      } finally {
        stepping--;
      }
    };
    for (const name of ['sample', 'evaluate', 'readParams', 'hiddenStates'] as const) {
      const f = (t.model[name] as (...a: unknown[]) => Promise<unknown>).bind(t.model);
      (t.model as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
        if (stepping) overlaps.push(name);
        return f(...a);
      };
    }
    const steps: number[] = [];
    run.on('step', (r) => steps.push(r.step));
    const rng = new Rng(7);
    const reads: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      const k = rng.int(6);
      if (k === 0 || k === 1) void run.start();
      else if (k === 2) void run.pause();
      else if (k === 3) reads.push(run.sample('The', 5, [{ temperature: 1, topK: 0, topP: 1 }], i));
      else if (k === 4) reads.push(run.checkpoint());
      else reads.push(run.perCharacterLoss(200));
      if (i % 7 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(reads);
    void run.start();
    while (run.step < 40) await new Promise((r) => setTimeout(r, 5));
    await run.pause();
    expect(overlaps).toEqual([]);
    expect(steps).toEqual(Array.from({ length: run.step }, (_, i) => i + 1));
    expect(Array.from(run.history.steps.subarray(0, run.history.length))).toEqual(steps);
    await run.destroy();
  });

  it('settings too large for the CPU engine are refused before anything is allocated, saying what to lower', async () => {
    const s = copySettings(settings);
    s.model.hiddenSize = 2048;
    s.train = { ...s.train, batch: 4096, seqLen: 4096, schedule: 'windows' };
    const prepared = prepareRun(input({ settings: s, corpus: { name: 'long', text: corpus.text.repeat(30) } }));
    await expect(TrainingRun.open(prepared, cpuEngine())).rejects.toThrow(
      /^the CPU reference engine would need about [\d,.]+ GiB of memory for these settings \(V \d+, E 4, H 2048, L 1, B 4096 × T 4096\), more than the 4 GiB it takes on: use a smaller model, fewer streams B or a shorter length T, or the GPU engine$/,
    );
  });

  it('a checkpoint continues exactly (continue mode, same text) and a model-only file continues from its weights', async () => {
    const s = copySettings(settings);
    s.sampleEvery = 0;
    s.steps = 8;
    const straight = await open({ settings: s });
    await straight.start();
    const half = copySettings(s);
    half.steps = 4;
    const first = await open({ settings: half });
    await first.start();
    const contents = loadCheckpoint(await first.checkpoint());
    const weights = loadCheckpoint(await first.exportModel());
    await first.destroy();
    const resumed = await open({ settings: half, checkpoint: { contents, name: 'c', mode: 'continue' } });
    expect(resumed.prepared.startKind).toBe('exact');
    await resumed.start();
    expect(Array.from(resumed.history.loss.subarray(0, 4))).toEqual(Array.from(straight.history.loss.subarray(4, 8)));
    const fromWeights = prepareRun(input({ settings: half, checkpoint: { contents: weights, name: 'w', mode: 'continue' } }));
    expect(fromWeights.startKind).toBe('weights');
    expect(fromWeights.start.optimizer).toBeUndefined();
    expect(fromWeights.start.step).toBe(0); // a fresh optimizer starts at Adam's step 0
    expect(() => prepareRun(input({ settings: half, checkpoint: { contents: weights, name: 'w', mode: 'exact' } }))).toThrow(/model-only export/);
    await straight.destroy();
    await resumed.destroy();
  });
});

/** The CPU engine, with the result of one step turned into NaN (in `field`) the first time it is read. */
function nanOnce(step: number, field: 'loss' | 'gradNorm'): Engine {
  const inner = cpuEngine();
  let done = false;
  const spoil = (rs: StepResult[]) =>
    rs.map((r) => {
      if (done || r.step !== step) return r;
      done = true;
      return { ...r, [field]: NaN };
    });
  return {
    ...inner,
    trainer: async (table, config, data, start) => {
      const t = await inner.trainer(table, config, data, start);
      const wrapped: Trainer = Object.create(t);
      wrapped.trainStep = async () => spoil(await t.trainStep());
      wrapped.flush = async () => spoil(await t.flush());
      return wrapped;
    },
  };
}

/** The CPU engine, logging the step of every snapshot its trainers take. */
function snapshotsLogged(taken: number[]): Engine {
  const inner = cpuEngine();
  return {
    ...inner,
    trainer: async (table, config, data, start) => {
      const t = await inner.trainer(table, config, data, start);
      const wrapped: Trainer = Object.create(t);
      wrapped.snapshot = async () => {
        const snap = await t.snapshot();
        taken.push(snap.step);
        return snap;
      };
      return wrapped;
    },
  };
}

describe('the numerics guard', () => {
  const quiet = () => {
    const s = copySettings(settings);
    s.sampleEvery = 0;
    s.steps = 40;
    return s;
  };

  it('lr 10 on a tiny model: stopped at the step that diverged, back at the last good state bit for bit, with the marker and the advice', async () => {
    const s = quiet();
    s.train = { ...s.train, lr: 10 };
    const run = await open({ settings: s });
    const start = copySnapshot(run.snapshot);
    const errors: Error[] = [];
    run.on('error', (e) => errors.push(e));
    await run.start();
    expect(run.status).toBe('paused');
    expect(errors).toHaveLength(1);
    const e = errors[0] as NumericsError;
    expect(e).toBeInstanceOf(NumericsError);
    expect(e.stop).toMatchObject({ step: 2, restoredStep: 0, reason: 'divergence' });
    expect(e.stop.loss).toBeGreaterThan(divergenceLimit(Math.log(run.vocab.size)));
    expect(e.message).toMatch(
      /^Training stopped at step 2: the loss diverged to \d+\.\d\d nats\/char \(it started at 3\.\d\d; the limit is \d\.\d\d\)\. The model is back at step 0, its last good state \(step 2's loss is measured on the weights after step 1, so the last good state is step 0's or older\)\. Lower the learning rate \(now 10; the notebook uses 0\.005\) or the clip norm \(now 5; the notebook uses 5\), then Train again\.$/,
    );
    expect(run.step).toBe(0);
    expect(run.history.length).toBe(0); // step 1 came from the state it is back at and is trained again
    expect(run.history.markers).toEqual([{ step: 2, label: 'stopped: diverged' }]);
    expect(run.log().markers).toEqual([{ step: 2, label: 'stopped: diverged' }]);
    expect(await run.trainer.snapshot()).toEqual(start);
    expect(run.snapshot).toEqual(start);
    await run.destroy();
  });

  it('a NaN loss or gradient norm: back at the newest snapshot from before it, bit for bit; training again goes on from there', async () => {
    for (const field of ['loss', 'gradNorm'] as const) {
      const s = quiet();
      const straight = await open({ settings: s });
      await straight.start(23);
      const at23 = copySnapshot(await straight.trainer.snapshot());
      await straight.start(40);

      const run = await TrainingRun.open(prepareRun(input({ settings: s })), nanOnce(25, field));
      run.snapshotEvery = 1; // a snapshot after every step
      run.snapshotBudget = Infinity;
      const errors: Error[] = [];
      run.on('error', (e) => errors.push(e));
      await run.start();
      const e = errors[0] as NumericsError;
      expect(e.stop).toMatchObject({ step: 25, restoredStep: 23, reason: field === 'loss' ? 'loss' : 'gradient' });
      expect(e.message).toMatch(
        field === 'loss'
          ? /^Training stopped at step 25: the loss became NaN\. The model is back at step 23, its last good state \(step 25's loss is measured on the weights after step 24, so the last good state is step 23's or older\)\./
          : /^Training stopped at step 25: the gradient norm became NaN\. The model is back at step 23, its last good state \(step 25's gradient norm is measured on the weights after step 24,/,
      );
      expect(run.step).toBe(23);
      expect(Array.from(run.history.steps.subarray(0, run.history.length))).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
      expect(await run.trainer.snapshot()).toEqual(at23);
      // Train again: the same steps as a straight run, on from step 24, with no gap or duplicate.
      await run.start();
      expect(run.status).toBe('done');
      expect(run.step).toBe(40);
      expect(Array.from(run.history.steps.subarray(0, run.history.length))).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(Array.from(run.history.loss.subarray(0, 40))).toEqual(Array.from(straight.history.loss.subarray(0, 40)));
      expect(run.history.markers).toEqual([{ step: 25, label: field === 'loss' ? 'stopped: loss not finite' : 'stopped: gradient not finite' }]);
      await run.destroy();
      await straight.destroy();
    }
  });

  it('weights that are no longer finite in a snapshot: stopped there, back at the snapshot before it', async () => {
    const inner = cpuEngine();
    const engine: Engine = {
      ...inner,
      trainer: async (table, config, data, start) => {
        const t = await inner.trainer(table, config, data, start);
        const wrapped: Trainer = Object.create(t);
        wrapped.snapshot = async () => {
          const snap = await t.snapshot();
          if (snap.step === 8) snap.optimizer.v[3] = Infinity;
          return snap;
        };
        return wrapped;
      },
    };
    const run = await TrainingRun.open(prepareRun(input({ settings: quiet() })), engine);
    run.snapshotEvery = 4;
    run.snapshotBudget = Infinity; // keeps it at 1 once measured: snapshots at 1, then 2, 3, … 8
    const errors: Error[] = [];
    run.on('error', (e) => errors.push(e));
    await run.start();
    const e = errors[0] as NumericsError;
    expect(e.message).toMatch(
      /^Training stopped at step 8: Adam's second moments became infinite \(1 value\)\. The model is back at step 7, its last good state \(the state after step 8 is not finite, so the last good state is step 7's or older\)\./,
    );
    expect(run.step).toBe(7);
    expect(run.history.markers).toEqual([{ step: 8, label: 'stopped: NaN weights' }]);
    await run.destroy();
  });

  it('retune: a paused run takes a new learning rate and clip norm and goes on from the same step and state', async () => {
    const s = quiet();
    const run = await open({ settings: s });
    await run.start(10);
    const before = await run.trainer.snapshot();
    await run.retune({ lr: 0.001, clip: 1 });
    expect(run.settings.train).toMatchObject({ lr: 0.001, clip: 1, batch: s.train.batch, seqLen: s.train.seqLen });
    expect(run.trainer.config).toMatchObject({ lr: 0.001, clip: 1 });
    expect(await run.trainer.snapshot()).toEqual(before);
    expect(run.history.length).toBe(10);
    await expect(run.retune({ lr: -1 })).rejects.toThrow(/learning rate must be a number > 0/);
    await run.start(20);
    expect(Array.from(run.history.steps.subarray(0, run.history.length))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await run.destroy();
  });

  it('a run keeps the states after steps 1, 2, 4 and 8, then one every snapshotEvery steps, and one when it stops (done or paused)', async () => {
    const taken: number[] = [];
    const run = await TrainingRun.open(prepareRun(input({ settings: quiet() })), snapshotsLogged(taken));
    run.snapshotBudget = 1e-12; // their cost measured, the interval goes to its most (500)
    await run.start(30);
    expect(run.status).toBe('done');
    expect(taken).toEqual([0, 1, 2, 4, 8, 30]);
    expect(run.snapshot.step).toBe(30);
    expect(run.snapshotEvery).toBe(500);
    // Paused only for a read of the model (training resumes after it): no state is kept for that.
    taken.length = 0;
    void run.start(400);
    await run.exportModel();
    expect(taken).toEqual([]);
    // Paused by the user (or done): the step it stops at is kept.
    await run.pause();
    expect(run.step).toBeGreaterThan(30);
    expect(taken).toEqual([run.step]);
    expect(run.snapshot.step).toBe(run.step);
    expect(run.snapshotCost.count).toBe(6);
    expect(run.snapshotCost.ms).toBeGreaterThanOrEqual(run.snapshotCost.readMs);
    await run.destroy();
  });

  it('a state older than the last good step, kept every N steps, is named with why', async () => {
    const run = await TrainingRun.open(prepareRun(input({ settings: quiet() })), nanOnce(25, 'loss'));
    run.snapshotBudget = 1e-12; // after step 8 the next state would be kept at step 508
    const errors: Error[] = [];
    run.on('error', (e) => errors.push(e));
    await run.start();
    const e = errors[0] as NumericsError;
    expect(e.stop).toMatchObject({ step: 25, newestGood: 23, restoredStep: 8, keptEvery: 500 });
    expect(e.message).toContain(
      "The model is back at step 8, its last good state (step 25's loss is measured on the weights after step 24, so the last good state is step 23's or older; " +
        "the newest kept by then is step 8's (a state is kept every 500 steps)).",
    );
    expect(run.step).toBe(8);
    expect(run.history.length).toBe(8);
    await run.destroy();
  });

  it('lastGood: the newest snapshot at least two steps before the bad one (its weights gave the last good loss)', () => {
    const snap = (step: number) => ({ step }) as unknown as Parameters<typeof lastGood>[0][number];
    expect(lastGood([snap(20), snap(30)], 32 - 2)?.step).toBe(30);
    expect(lastGood([snap(20), snap(30)], 31 - 2)?.step).toBe(20);
    expect(lastGood([snap(20), snap(30)], 21 - 2)).toBeNull();
  });
});

describe('one run under both front ends', () => {
  it('the CLI and the run object the page uses give the same losses, bit for bit', async () => {
    const log = join(dir, 'losses.csv');
    ok(['train', '--engine', 'cpu', '--hidden', '16', '--embed', '8', '--seq-len', '16', '--steps', '25', '--sample-every', '10', '--loss-log', log]);
    const cli = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').map(Number));
    const s = copySettings(NOTEBOOK_SETTINGS);
    s.model = { embedSize: 8, hiddenSize: 16, layers: 1 };
    s.train.seqLen = 16;
    s.steps = 25;
    s.sampleEvery = 10;
    const run = await TrainingRun.open(prepareRun({ corpus: { name: CORPUS_PATH, text: CORPUS }, settings: s, naming: 'label' }), cpuEngine());
    const page: StepResult[] = [];
    run.on('step', (r) => page.push(r));
    await run.start();
    await run.destroy();
    expect(cli).toHaveLength(25);
    expect(page.map((r) => [r.step, r.loss, r.gradNorm])).toEqual(cli);
  }, 60_000);
});

describe('CpuTrainer', () => {
  it('a snapshot continues exactly like the trainer it came from', async () => {
    const table = buildParamTable({ vocabSize: 6, embedSize: 3, hiddenSize: 5, layers: 2 });
    const data = Int32Array.from({ length: 60 }, (_, i) => (i * 5 + (i >> 2)) % 6);
    const cfg = { ...NOTEBOOK_TRAIN, batch: 2, seqLen: 4, schedule: 'streams' as const };
    const a = new CpuTrainer(table, cfg, data, { params: initParams(table, new Rng(2)) });
    for (let i = 0; i < 4; i++) await a.trainStep();
    const b = new CpuTrainer(table, cfg, data, await a.snapshot());
    const ra: StepResult[] = [];
    const rb: StepResult[] = [];
    for (let i = 0; i < 4; i++) {
      ra.push(...(await a.trainStep()));
      rb.push(...(await b.trainStep()));
    }
    expect(rb).toEqual(ra);
    expect(await b.model.readParams()).toEqual(await a.model.readParams());
  });
});

describe('trainingPrime', () => {
  it("is the notebook's prime when the vocabulary has it, else the text's opening", async () => {
    const run = await open();
    expect(trainingPrime(run.vocab, run.prepared.ids)).toBe('The q');
    await run.destroy();
  });
});

describe("the run log in a checkpoint (the page's Save and Load)", () => {
  it('checkpoint({withLog}) records the loss history, samples and target; runLogFromRecord gives them back', async () => {
    const run = await open();
    await run.start();
    const bytes = await run.checkpoint({ withLog: true });
    const contents = loadCheckpoint(bytes);
    const back = runLogFromRecord(contents.runLog, contents.step);
    expect(back).not.toBeNull();
    expect(back!.target).toBe(12);
    expect(Array.from(back!.log.steps)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const losses = run.log().loss;
    back!.log.loss.forEach((l, i) => expect(l).toBeCloseTo(losses[i], 5));
    expect(back!.log.samples.map((x) => x.step)).toEqual([5, 10]);
    // Reopened with it, the run shows the same chart and trains towards the same target.
    const again = await TrainingRun.open(prepareRun(input({ checkpoint: { contents, name: 'saved', mode: 'continue' } })), cpuEngine(), back!.log);
    expect(again.history.length).toBe(12);
    expect(again.samples).toHaveLength(2);
    expect(loadCheckpoint(await run.checkpoint()).runLog).toBeUndefined(); // the autosave and the CLI write none
    await run.destroy();
    await again.destroy();
  });

  it('a record that does not make sense is ignored (the model loads with no history)', () => {
    expect(runLogFromRecord(undefined, 5)).toBeNull();
    expect(runLogFromRecord({ target: 5, steps: [1, 2], loss: [3], val: [null, null] }, 5)).toBeNull();
    expect(runLogFromRecord({ target: 5, steps: [1, 9], loss: [3, 2], val: [null, null] }, 5)).toBeNull(); // past the checkpoint's step
    expect(runLogFromRecord({ target: 5, steps: [2, 1], loss: [3, 2], val: [null, null] }, 5)).toBeNull();
    expect(runLogFromRecord({ target: 'x', steps: [1], loss: [3], val: [null] }, 5)).toBeNull();
    const ok = runLogFromRecord({ target: 3, steps: [1, 2], loss: [3, 2.5], val: [null, 2.7], samples: [{ step: 9, text: 'later' }] }, 4);
    expect(ok!.target).toBe(4);
    expect(Number.isNaN(ok!.log.val[0])).toBe(true);
    expect(ok!.log.val[1]).toBe(2.7);
    expect(ok!.log.samples).toEqual([]);
  });
});

describe('moving to another engine', () => {
  it('from a trainer whose engine still answers: its newest state, not the older kept one; without an answer: the kept one', async () => {
    const s = copySettings(settings);
    s.sampleEvery = 0;
    s.steps = 30;
    const straight = await open({ settings: s });
    await straight.start();
    for (const answers of [true, false]) {
      // The first step after 14 fails, as a step on a lost device does; the trainer's reads then answer, or fail.
      const inner = cpuEngine();
      let failed = false;
      const engine: Engine = {
        ...inner,
        trainer: async (table, config, data, start) => {
          const t = await inner.trainer(table, config, data, start);
          const wrapped: Trainer = Object.create(t);
          wrapped.trainStep = async () => {
            if (t.step === 14 && !failed) {
              failed = true;
              throw new Error('the device was lost');
            }
            return t.trainStep();
          };
          wrapped.snapshot = async () => {
            if (failed && !answers) throw new Error('the device was lost');
            return t.snapshot();
          };
          return wrapped;
        },
      };
      const run = await TrainingRun.open(prepareRun(input({ settings: s })), engine);
      run.snapshotBudget = 1e-12; // after step 8 the next state would be kept at step 508
      const errors: Error[] = [];
      run.on('error', (e) => errors.push(e));
      await run.start();
      expect(errors.map((e) => e.message)).toEqual(['the device was lost']);
      expect(run.status).toBe('paused');
      expect(run.snapshot.step).toBe(8);
      expect(await run.moveTo(cpuEngine())).toBe(answers ? 14 : 8);
      await expect.poll(() => run.status, { timeout: 20_000 }).toBe('done'); // it was training: it goes on
      expect(Array.from(run.history.steps.subarray(0, run.history.length))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(Array.from(run.history.loss.subarray(0, 30))).toEqual(Array.from(straight.history.loss.subarray(0, 30)));
      await run.destroy();
    }
    await straight.destroy();
  });

  it('a read left hanging on the lost engine, when it settles late, does not pause training on the new one', async () => {
    // The lost engine: every read of its model waits until `lose` (as a lost device's mapAsync may).
    let lose!: (e: Error) => void;
    const lost = new Promise<never>((_, reject) => (lose = reject));
    lost.catch(() => undefined);
    let reading!: () => void;
    const read = new Promise<void>((r) => (reading = r));
    const inner = cpuEngine();
    const engine: Engine = {
      ...inner,
      trainer: async (table, config, data, start) => {
        const t = await inner.trainer(table, config, data, start);
        const model = Object.create(t.model) as Trainer['model'];
        model.readParams = () => {
          reading();
          return lost;
        };
        const wrapped: Trainer = Object.create(t);
        Object.defineProperty(wrapped, 'model', { value: model });
        return wrapped;
      },
    };
    const s = copySettings(settings);
    s.sampleEvery = 0;
    s.steps = 30;
    const run = await TrainingRun.open(prepareRun(input({ settings: s })), engine);
    void run.start();
    const first = run.exportModel(); // pauses training for the read, which hangs
    const second = run.exportModel(); // queued behind it
    first.catch(() => undefined);
    second.catch(() => undefined);
    await read;
    await run.moveTo(cpuEngine()); // training goes on, on the new engine
    lose(new Error('device lost'));
    await expect(first).rejects.toThrow('device lost');
    await expect(second).rejects.toThrow('moved to another device');
    await expect.poll(() => run.status, { timeout: 20_000 }).toBe('done');
    expect(run.step).toBe(30);
    await run.destroy();
  });
});
