/**
 * `train`: the notebook's run by default (its configuration on its passage), or any
 * corpus and configuration; progress, periodic samples, final and validation loss,
 * a training-state checkpoint (--out) that --resume continues exactly, and a
 * model-only export (--export).
 */
import { resolve } from 'node:path';
import { MAX_VOCAB, parameterCounts, validateModelConfig, validateTrainConfig, type ModelConfig, type TrainConfig } from '../model/config.ts';
import { CheckpointError, saveCheckpoint } from '../model/checkpoint.ts';
import { buildParamTable, initParams } from '../model/params.ts';
import { Rng } from '../model/rng.ts';
import { CorpusError, checkCorpus, splitTrainVal } from '../text/corpus.ts';
import { Vocab } from '../text/vocab.ts';
import { trainingBatcher, type ModelEngine, type TrainerInit } from '../train/engine.ts';
import { TRAIN_SAMPLE, USAGE, freshConfig, parseTrainArgs, resumedConfig, type TrainArgs } from './args.ts';
import { encodeFor, meanLoss } from './common.ts';
import { openEngine } from './engines.ts';
import { UsageError } from './errors.ts';
import { DEFAULT_CORPUS, checkWritable, displayName, readCheckpoint, readText, writeAtomically } from './files.ts';
import { line, type Io } from './io.ts';
import { Progress, formatCount } from './progress.ts';
import { fingerprint, parseTrainingState, resumeInit, toTrainingState, type CorpusIdentity, type TrainingState } from '../train/training-state.ts';

/** Streams used for the validation loss (model.evaluate(val, streams)). */
const VAL_STREAMS = 32;

interface Setup {
  model: ModelConfig;
  train: TrainConfig;
  vocab: Vocab;
  text: string;
  ids: Int32Array;
  corpus: CorpusIdentity;
  /** Present when resuming. */
  resume: { path: string; init: Required<TrainerInit> } | null;
}

/** Runs corpus checks, naming the file in their errors. */
function onCorpus(path: string, check: () => void): void {
  try {
    check();
  } catch (e) {
    if (e instanceof CorpusError) throw new CorpusError(`--corpus ${JSON.stringify(path)}: ${e.message}`);
    throw e;
  }
}

/** Reads and checks everything (files, flags, corpus against the configuration) before any engine starts. */
function prepare(args: TrainArgs): Setup {
  if (args.resume !== null) {
    const where = `--resume ${JSON.stringify(args.resume)}`;
    const ckpt = readCheckpoint('resume', args.resume);
    if (!ckpt.optimizer || ckpt.trainingState === undefined || !ckpt.trainConfig) {
      throw new CheckpointError(
        `${where} has no training state (optimizer moments and data cursor): it is a model-only export; resume from a file written by train --out`,
      );
    }
    const { model, train } = resumedConfig(args, { model: ckpt.config, train: ckpt.trainConfig });
    const state: TrainingState = parseTrainingState(ckpt.trainingState, ckpt.step, model, ckpt.trainConfig, where);
    const path = args.corpus ?? state.corpus.path;
    const text = readText('corpus', path);
    const vocab = new Vocab(ckpt.vocab);
    const ids = encodeFor(vocab, text, `--corpus ${JSON.stringify(path)}`, 'resume on the text the checkpoint was trained on');
    const corpus: CorpusIdentity = { path: resolve(path), characters: ids.length, fingerprint: fingerprint(text) };
    if (corpus.characters !== state.corpus.characters || corpus.fingerprint !== state.corpus.fingerprint) {
      throw new UsageError(
        `--corpus ${JSON.stringify(path)} (${formatCount(corpus.characters)} characters) is not the text the checkpoint was trained on ` +
          `(${state.corpus.path}, ${formatCount(state.corpus.characters)} characters); resume on the same corpus`,
      );
    }
    return { model, train, vocab, text, ids, corpus, resume: { path: args.resume, init: resumeInit(ckpt.params, ckpt.optimizer, state) } };
  }
  const path = args.corpus ?? DEFAULT_CORPUS;
  const text = readText('corpus', path);
  if (text.length === 0) throw new CorpusError(`--corpus ${JSON.stringify(path)} is empty; give a text to train on`);
  onCorpus(path, () => checkCorpus(text, freshConfig(args, 2).train.seqLen));
  const vocab = Vocab.fromText(text);
  if (vocab.size > MAX_VOCAB) {
    throw new UsageError(
      `--corpus ${JSON.stringify(path)} has ${formatCount(vocab.size)} distinct characters; the model handles at most ${MAX_VOCAB}: use a text with a smaller alphabet`,
    );
  }
  const { model, train } = freshConfig(args, vocab.size);
  const ids = vocab.encode(text);
  return { model, train, vocab, text, ids, corpus: { path: resolve(path), characters: ids.length, fingerprint: fingerprint(text) }, resume: null };
}

/** The notebook's prime when the vocabulary has its characters, else the corpus's opening. */
export function samplePrime(vocab: Vocab, text: string): Int32Array {
  const want = [...TRAIN_SAMPLE.prime];
  if (want.every((c) => vocab.has(c))) return vocab.encode(TRAIN_SAMPLE.prime);
  return vocab.encode([...text].slice(0, want.length).join(''));
}

async function sampleLine(model: ModelEngine, vocab: Vocab, prime: Int32Array, seed: number): Promise<string> {
  const [row] = await model.sample({
    prime,
    length: TRAIN_SAMPLE.length,
    rows: [{ temperature: TRAIN_SAMPLE.temperature, topK: 0, topP: 1 }],
    seed,
  });
  return vocab.decode(prime) + vocab.decode(row);
}

export async function trainCommand(argv: string[], io: Io): Promise<number> {
  const args = parseTrainArgs(argv);
  if (args.help) {
    line(io, USAGE.train);
    return 0;
  }
  const setup = prepare(args);
  const { model: modelConfig, train: trainConfig, vocab, ids } = setup;
  validateModelConfig(modelConfig);
  validateTrainConfig(trainConfig);
  const { train: trainIds, val } = splitTrainVal(ids);
  onCorpus(setup.corpus.path, () => {
    checkCorpus(setup.text, trainConfig.seqLen);
    // Throws CorpusError now if the text is too short for B streams of T (or windows of T).
    const probe = trainingBatcher(trainIds, trainConfig);
    if (setup.resume) probe.setState(setup.resume.init.batcher);
  });
  if (args.out !== null) checkWritable('out', args.out);
  if (args.exportPath !== null) checkWritable('export', args.exportPath);

  const engine = await openEngine(args.engine);
  try {
    if (engine.note) io.note(engine.note);
    line(io, engine.line);
    const splitText = val
      ? `train ${formatCount(trainIds.length)} / validation ${formatCount(val.length)} characters`
      : 'no validation split (corpora of ≤ 10,000 characters train on all of it)';
    line(io, `corpus: ${displayName(setup.corpus.path)}, ${formatCount(ids.length)} characters, vocabulary ${vocab.size}, ${splitText}`);
    const pc = parameterCounts(modelConfig);
    line(
      io,
      `parameters: embedding ${formatCount(pc.embedding)}, LSTM ${formatCount(pc.lstm)}, output ${formatCount(pc.output)}, total ${formatCount(pc.total)} ` +
        `(V ${modelConfig.vocabSize}, E ${modelConfig.embedSize}, H ${modelConfig.hiddenSize}, L ${modelConfig.layers})`,
    );
    const table = buildParamTable(modelConfig);
    const init: TrainerInit = setup.resume ? setup.resume.init : { params: initParams(table, new Rng(trainConfig.seed)) };
    const firstStep = init.step ?? 0;
    const lastStep = firstStep + args.steps;
    const what =
      `steps ${firstStep + 1} to ${lastStep}, batch ${trainConfig.batch} × ${trainConfig.seqLen} characters, ${trainConfig.schedule} schedule, ` +
      `Adam lr ${trainConfig.lr}${trainConfig.lrDecay !== 1 ? ` (decay ${trainConfig.lrDecay}/step)` : ''}, clip ${trainConfig.clip}, seed ${trainConfig.seed}`;
    line(io, setup.resume ? `resuming ${setup.resume.path} at step ${firstStep}: ${what}` : `training: ${what}`);

    const trainer = await engine.trainer(table, trainConfig, trainIds, init);
    try {
      const progress = new Progress(io.out, firstStep, lastStep, trainConfig.batch * trainConfig.seqLen, args.logEvery);
      trainer.onStep = (r) => progress.update(r.step, r.loss);
      const prime = samplePrime(vocab, setup.text);
      let interrupted = false;
      let lastYield = performance.now();
      while (trainer.step < lastStep) {
        // The CPU engine never waits on I/O: give the event loop (Ctrl-C) a turn now and then.
        if (performance.now() - lastYield > 50) {
          await new Promise((r) => setImmediate(r));
          lastYield = performance.now();
        }
        if (io.interrupted()) {
          interrupted = true;
          break;
        }
        await trainer.trainStep();
        if (args.sampleEvery > 0 && trainer.step % args.sampleEvery === 0) {
          await trainer.flush();
          const text = await sampleLine(trainer.model, vocab, prime, trainer.step);
          progress.print(`sample at step ${trainer.step}: ${JSON.stringify(text)}`);
        }
      }
      await trainer.flush();
      progress.finish();
      if (interrupted) line(io, `interrupted at step ${trainer.step}`);

      const s = progress.summary();
      if (s) {
        const best = Number.isFinite(s.bestAverage) ? `; lowest 10-step average ${s.bestAverage.toFixed(4)} at step ${s.bestAverageStep}` : '';
        line(
          io,
          `final loss: ${s.lastLoss.toFixed(4)} nats/char at step ${s.lastStep} (10-step average ${s.average.toFixed(4)}${best}; ` +
            `step ${s.firstStep}: ${s.firstLoss.toFixed(4)})`,
        );
      }
      {
        // The loss on the training text itself (not one window): the whole of a small
        // corpus from zero state, or its first 20,000 characters as parallel streams.
        const n = Math.min(trainIds.length, 20_001);
        const streams = Math.min(VAL_STREAMS, Math.max(1, Math.floor(n / 1000)));
        const t = await meanLoss(trainer.model, trainIds.subarray(0, n), streams);
        line(io, `training-text loss: ${t.toFixed(4)} nats/char, ${(t / Math.LN2).toFixed(4)} bits/char (${formatCount(n)} characters)`);
      }
      if (val) {
        const v = await meanLoss(trainer.model, val, VAL_STREAMS);
        line(io, `validation loss: ${v.toFixed(4)} nats/char, ${(v / Math.LN2).toFixed(4)} bits/char (${formatCount(val.length)} characters)`);
      }
      if (args.out !== null || args.exportPath !== null) {
        const snap = await trainer.snapshot();
        const base = { config: modelConfig, vocab: vocab.chars, table, params: snap.params, step: snap.step, trainConfig };
        if (args.out !== null) {
          const bytes = saveCheckpoint({ ...base, optimizer: snap.optimizer, trainingState: toTrainingState(snap, setup.corpus) });
          const full = writeAtomically('out', args.out, bytes);
          line(io, `checkpoint: ${full} (training state at step ${snap.step}: parameters, Adam moments, data cursor; continue with --resume)`);
        }
        if (args.exportPath !== null) {
          const full = writeAtomically('export', args.exportPath, saveCheckpoint(base));
          line(io, `model export: ${full} (model only, step ${snap.step})`);
        }
      }
      return interrupted ? 130 : 0;
    } finally {
      trainer.destroy();
    }
  } finally {
    engine.close();
  }
}
