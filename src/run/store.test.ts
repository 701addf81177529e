import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { NOTEBOOK_TRAIN } from '../model/config.ts';
import { loadCheckpoint } from '../model/checkpoint.ts';
import { cpuEngine } from '../engine/cpu.ts';
import { AutoSaver } from './autosave.ts';
import { TrainingRun, prepareRun, type Corpus } from './run.ts';
import { copySettings, type RunSettings } from './settings.ts';
import { RunStore, StorageError, newRunId, storageError } from './store.ts';

const settings: RunSettings = {
  model: { embedSize: 4, hiddenSize: 8, layers: 1 },
  train: { ...NOTEBOOK_TRAIN, batch: 2, seqLen: 8, lr: 0.02, schedule: 'streams' },
  steps: 40,
  sampleEvery: 10,
  valEvery: 0,
};
const corpus: Corpus = { name: 'test', text: 'The quick brown fox jumps over the lazy dog; the cat sat on the mat. '.repeat(4) };

let store: RunStore | null = null;
afterEach(() => store?.close());

const open = (s: RunSettings) => TrainingRun.open(prepareRun({ corpus, settings: s, naming: 'label' }), cpuEngine());

describe('saved runs: k steps, save, reload, k steps = 2k steps straight', () => {
  it('continues bit for bit: parameters, moments, data cursor, loss history and samples', async () => {
    store = await RunStore.open(`test-${newRunId()}`);
    const straight = await open(settings);
    await straight.start();
    const want = loadCheckpoint(await straight.checkpoint());

    const half = copySettings(settings);
    half.steps = 20;
    const first = await open(half);
    const id = newRunId();
    const errors: Error[] = [];
    const saver = new AutoSaver(first, store, id, { corpusName: corpus.name, engine: 'cpu' }, (e) => errors.push(e));
    await first.start();
    await saver.saveNow();
    expect(saver.savedStep).toBe(20);
    expect(saver.cost.saves).toBeGreaterThanOrEqual(1);
    await saver.detach();
    await first.destroy();

    // "Reload": a new run from what the store holds.
    const [info] = await store.list();
    expect(info).toMatchObject({ id, step: 20, corpusName: 'test', characters: [...corpus.text].length });
    const saved = (await store.load(id))!;
    expect(saved.text).toBe(corpus.text);
    const resumed = await TrainingRun.open(
      prepareRun({
        corpus: { name: saved.info.corpusName, text: saved.text },
        settings: saved.info.settings,
        naming: 'label',
        checkpoint: { contents: loadCheckpoint(saved.checkpoint), name: 'the saved run', mode: 'exact' },
      }),
      cpuEngine(),
      saved.log,
    );
    expect(resumed.step).toBe(20);
    await resumed.start(40);
    const got = loadCheckpoint(await resumed.checkpoint());
    expect(got.params).toEqual(want.params);
    expect(got.optimizer).toEqual(want.optimizer);
    expect(got.trainingState).toEqual(want.trainingState);
    expect(Array.from(resumed.history.loss.subarray(0, 40))).toEqual(Array.from(straight.history.loss.subarray(0, 40)));
    expect(resumed.samples).toEqual(straight.samples);
    expect(errors).toEqual([]);
    await straight.destroy();
    await resumed.destroy();
  });

  it('lists the newest first and deletes a run with its text when no other run uses it', async () => {
    store = await RunStore.open(`test-${newRunId()}`);
    const run = await open(settings);
    const bytes = await run.checkpoint();
    const base = {
      corpusName: 'a',
      fingerprint: run.prepared.identity.fingerprint,
      characters: 1,
      settings,
      engine: 'cpu' as const,
      step: 0,
      target: 40,
      lastLoss: null,
      created: 1,
    };
    await store.save({ info: { ...base, id: 'one', updated: 1 }, checkpoint: bytes, log: run.log(), text: corpus.text });
    await store.save({ info: { ...base, id: 'two', updated: 2 }, checkpoint: bytes, log: run.log(), text: corpus.text });
    expect((await store.list()).map((r) => r.id)).toEqual(['two', 'one']);
    await store.delete('two');
    expect((await store.load('one'))!.text).toBe(corpus.text);
    await store.delete('one');
    expect(await store.list()).toEqual([]);
    expect(await store.load('one')).toBeNull();
    await run.destroy();
  });

  it('names a full or blocked storage and says what to do', () => {
    const full = storageError(Object.assign(new Error('quota'), { name: 'QuotaExceededError' }), 'save the run at step 7');
    expect(full).toBeInstanceOf(StorageError);
    expect(full.message).toMatch(/^could not save the run at step 7: the browser's storage for this page is full .*delete earlier saved runs/);
    expect(storageError(Object.assign(new Error('no'), { name: 'SecurityError' }), 'open saved runs').message).toMatch(/does not let this page store data/);
  });
});
