/**
 * The CPU engine in a Worker against the same engine in this thread: the same bits for
 * every call of the contract, errors that keep their message, destroy and close that
 * free what the worker holds. And encodeInBackground against encodeText.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildParamTable, initParams } from '../model/params.ts';
import { NOTEBOOK_TRAIN, type ModelConfig, type TrainConfig } from '../model/config.ts';
import { Rng } from '../model/rng.ts';
import { cpuEngine } from './cpu.ts';
import { workerCpuEngine, type WorkerCpuEngine } from './cpu-worker-client.ts';
import { stateAfter, type Engine, type SampleRequest, type StepResult } from './contract.ts';
import { BACKGROUND_MIN_LENGTH, encodeInBackground } from '../run/encode-async.ts';
import { encodeText } from '../text/encoded.ts';
import { VocabError } from '../text/vocab.ts';

const MODEL: ModelConfig = { vocabSize: 7, embedSize: 5, hiddenSize: 6, layers: 2 };
const TRAIN: TrainConfig = { ...NOTEBOOK_TRAIN, batch: 3, seqLen: 4, lr: 0.01, clip: 1, schedule: 'streams', seed: 7, lrDecay: 0.99 };

function randomTokens(n: number, V: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(V));
}

/** Everything an engine computes for one tiny training run, to compare bit for bit. */
async function exercise(engine: Engine) {
  const table = buildParamTable(MODEL);
  const params = initParams(table, new Rng(3));
  const data = randomTokens(120, MODEL.vocabSize, 11);
  const trainer = await engine.trainer(table, TRAIN, data, { params });
  const steps: StepResult[] = [];
  for (let i = 0; i < 5; i++) steps.push(...(await trainer.trainStep()));
  steps.push(...(await trainer.flush()));
  const text = randomTokens(90, MODEL.vocabSize, 5);
  const first = await trainer.model.hiddenStates(text.subarray(0, 20));
  const progress: number[][][] = [];
  const req: SampleRequest = {
    prime: Int32Array.of(1, 2, 3),
    length: 70,
    rows: [
      { temperature: 0.5, topK: 0, topP: 1 },
      { temperature: 1.2, topK: 3, topP: 0.9 },
    ],
    seed: 42,
  };
  const out = {
    step: trainer.step,
    steps,
    params: await trainer.model.readParams(),
    snapshot: await trainer.snapshot(),
    evaluate1: await trainer.model.evaluate(text),
    evaluate4: await trainer.model.evaluate(text.subarray(5, 80), 4),
    hidden: await trainer.model.hiddenStates(text.subarray(0, 20)),
    hiddenResumed: await trainer.model.hiddenStates(text.subarray(20, 30), stateAfter(first, MODEL.hiddenSize, 19)),
    sample: await trainer.model.sample(req, (rows) => progress.push(rows.map((r) => Array.from(r)))),
    progress,
  };
  // What was passed in is still the caller's: copied, not transferred away.
  expect(data.length).toBe(120);
  expect(params.length).toBe(table.totalSize);
  expect(text.length).toBe(90);
  expect(req.prime.length).toBe(3);
  expect(first.h[1].length).toBe(20 * MODEL.hiddenSize);
  // A second trainer resumed from the snapshot continues exactly as this one does.
  const resumed = await engine.trainer(table, TRAIN, data, out.snapshot);
  const next = [...(await trainer.trainStep()), ...(await resumed.trainStep())];
  trainer.destroy();
  resumed.destroy();
  return { ...out, next };
}

describe('the CPU engine in a Worker', () => {
  let engine: WorkerCpuEngine;
  beforeEach(() => {
    engine = workerCpuEngine();
  });
  afterEach(() => engine.close());

  it('trains, evaluates, samples and snapshots bit for bit as cpuEngine() in this thread', async () => {
    const inThread = await exercise(cpuEngine());
    const inWorker = await exercise(engine);
    expect(inWorker.steps.length).toBe(5);
    expect(inWorker.step).toBe(5);
    expect(inWorker.next[0]).toEqual(inWorker.next[1]);
    expect(inWorker.progress.length).toBeGreaterThan(1);
    expect(inWorker).toEqual(inThread);
    expect(await engine.live()).toEqual({ models: 0, trainers: 0 });
  });

  it('holds standalone models until they are destroyed', async () => {
    const table = buildParamTable(MODEL);
    const params = initParams(table, new Rng(9));
    const ids = randomTokens(40, MODEL.vocabSize, 1);
    const here = await cpuEngine().model(table, params);
    const there = await engine.model(table, params);
    expect(await there.evaluate(ids)).toEqual(await here.evaluate(ids));
    expect(await there.readParams()).toEqual(await here.readParams());
    const trainer = await engine.trainer(table, TRAIN, ids, { params });
    expect(await engine.live()).toEqual({ models: 2, trainers: 1 });
    trainer.model.destroy(); // the trainer's: its trainer frees it
    there.destroy();
    expect(await engine.live()).toEqual({ models: 1, trainers: 1 });
    trainer.destroy();
    expect(await engine.live()).toEqual({ models: 0, trainers: 0 });
    await expect(there.evaluate(ids)).rejects.toThrow(/has no model \d+: it was destroyed/);
  });

  it('takes a training text of millions of characters (copied a slice per task) unchanged', async () => {
    const table = buildParamTable(MODEL);
    const params = initParams(table, new Rng(4));
    const big = randomTokens(5_000_001, MODEL.vocabSize, 8);
    // A view into a bigger buffer, as prepareRun's train split is.
    const data = big.subarray(1, 4_900_001);
    const train = { ...TRAIN, schedule: 'windows' as const };
    const here = await cpuEngine().trainer(table, train, data, { params });
    const there = await engine.trainer(table, train, data, { params });
    for (let i = 0; i < 3; i++) expect(await there.trainStep()).toEqual(await here.trainStep());
    expect(await there.snapshot()).toEqual(await here.snapshot());
    expect(data.length).toBe(4_900_000);
    there.destroy();
  });

  it('throws errors from the worker as Errors with the same message', async () => {
    const table = buildParamTable(MODEL);
    const short = new Float32Array(3);
    const messageOf = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        return (e as Error).message;
      }
      throw new Error('expected a rejection');
    };
    const want = await messageOf(cpuEngine().model(table, short));
    expect(want).toMatch(/parameters have 3 floats/);
    expect(await messageOf(engine.model(table, short))).toBe(want);

    const params = initParams(table, new Rng(1));
    const bad: SampleRequest = { prime: Int32Array.of(99), length: 5, rows: [{ temperature: 1, topK: 0, topP: 1 }], seed: 1 };
    const wantSample = await messageOf((await cpuEngine().model(table, params)).sample(bad));
    const m = await engine.model(table, params);
    expect(await messageOf(m.sample(bad))).toBe(wantSample);
    const tooShort = await messageOf(cpuEngine().trainer(table, { ...TRAIN, batch: 50 }, randomTokens(30, 7, 1), { params }));
    expect(await messageOf(engine.trainer(table, { ...TRAIN, batch: 50 }, randomTokens(30, 7, 1), { params }))).toBe(tooShort);
    // The worker is still usable after an error.
    expect((await m.readParams()).length).toBe(table.totalSize);
  });

  it('close() terminates the worker: calls in flight and later calls fail', async () => {
    const table = buildParamTable({ ...MODEL, hiddenSize: 32 });
    const model = await engine.model(table, initParams(table, new Rng(2)));
    const long = model.evaluate(randomTokens(20_000, MODEL.vocabSize, 3));
    engine.close();
    await expect(long).rejects.toThrow('the CPU engine was closed');
    await expect(model.readParams()).rejects.toThrow('the CPU engine was closed');
    await expect(engine.model(table, new Float32Array(table.totalSize))).rejects.toThrow('the CPU engine was closed');
  });
});

describe('encodeInBackground', () => {
  /** Counts the Workers started while `fn` runs. */
  async function countingWorkers<T>(fn: () => Promise<T>): Promise<{ result: T; workers: number }> {
    const Original = globalThis.Worker;
    let workers = 0;
    globalThis.Worker = class extends Original {
      constructor(url: string | URL, options?: WorkerOptions) {
        super(url, options);
        workers++;
      }
    };
    try {
      return { result: await fn(), workers };
    } finally {
      globalThis.Worker = Original;
    }
  }

  const passage = 'It is a truth universally acknowledged, that a single man 😀 in possession of a good fortune, must be in want of a wife.\n';
  const big = passage.repeat(Math.ceil((2 * BACKGROUND_MIN_LENGTH) / passage.length));

  it('gives what encodeText gives, computed in a Worker', async () => {
    const { result, workers } = await countingWorkers(() => encodeInBackground(big));
    expect(workers).toBe(1);
    const want = encodeText(big);
    expect(result.chars).toEqual(want.chars);
    expect(result.fingerprint).toBe(want.fingerprint);
    expect(result.ids).toEqual(want.ids);
    const vocab = [...want.chars, 'Z'];
    expect((await encodeInBackground(big, vocab)).ids).toEqual(encodeText(big, vocab).ids);
    // A short text is encoded in this thread.
    expect((await countingWorkers(() => encodeInBackground('abcab'))).workers).toBe(0);
  });

  it('rejects with the VocabError encodeText throws for a character outside the vocabulary', async () => {
    const vocab = encodeText(big).chars.filter((c) => c !== '😀');
    let want = '';
    try {
      encodeText(big, vocab);
    } catch (e) {
      want = (e as Error).message;
    }
    expect(want).toMatch(/character "😀" \(U\+1F600\) at position 58 is not in the model's vocabulary/);
    const got = await encodeInBackground(big, vocab).catch((e: unknown) => e);
    expect(got).toBeInstanceOf(VocabError);
    expect((got as Error).message).toBe(want);
  });
});
