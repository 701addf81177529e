/**
 * `train`: parse flags, open a training run (src/run/run.ts, the same run the page
 * uses), draw its progress, write files. The notebook's run by default (its
 * configuration on its passage), or any corpus and configuration; a training-state
 * checkpoint (--out) that --resume continues exactly, a model-only export (--export)
 * and a CSV of every step's loss (--loss-log).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parameterCounts, type ModelConfig, type TrainConfig } from '../model/config.ts';
import { parseTrainingStateRecord, type CorpusIdentity } from '../model/training-state.ts';
import { CORPUS_PRESETS } from '../text/presets.ts';
import type { StepResult } from '../engine/contract.ts';
import { NumericsError } from '../run/numerics.ts';
import { TrainingRun, prepareRun, type PreparedRun } from '../run/run.ts';
import type { RunSettings } from '../run/settings.ts';
import { USAGE, freshConfig, parseTrainArgs, resumedConfig, type TrainArgs } from './args.ts';
import { openEngine } from './engines.ts';
import { UsageError } from './errors.ts';
import { DEFAULT_CORPUS, checkOutputs, dataFile, displayName, readCheckpoint, readText, writeAtomically } from './files.ts';
import { line, type Io } from './io.ts';
import { Progress, formatCount } from './progress.ts';

const show = JSON.stringify;

/** The text a run trains on, named as the user knows it (messages name only flags they passed). */
interface CliCorpus {
  name: string;
  path: string;
  text: string;
}

function givenCorpus(path: string): CliCorpus {
  return { name: `--corpus ${show(path)}`, path: resolve(path), text: readText('corpus', path) };
}

function defaultCorpus(): CliCorpus {
  const name = 'the default corpus (data/notebook-passage.txt; choose another with --corpus FILE)';
  return { name, path: DEFAULT_CORPUS, text: readText('corpus', DEFAULT_CORPUS, name) };
}

/**
 * Without --corpus, the text a resumed checkpoint was trained on, from its record: a
 * shipped text by name (the page records "The notebook passage", not a file), or the file
 * it names (the CLI records an absolute path); else the user is asked for --corpus.
 */
function recordedCorpus(recorded: CorpusIdentity, where: string): CliCorpus {
  const preset = CORPUS_PRESETS.find((p) => p.name === recorded.path);
  if (preset) {
    const name = `the built-in text ${show(preset.name)} (data/${preset.file})`;
    const path = dataFile(preset.file);
    return { name, path, text: readText('corpus', path, name) };
  }
  const path = resolve(recorded.path);
  if (existsSync(path)) {
    const name = `${show(recorded.path)} (the text ${where} names)`;
    return { name, path, text: readText('corpus', path, name) };
  }
  throw new UsageError(
    `${where} was trained on ${show(recorded.path)} (${formatCount(recorded.characters)} characters), which is not a file here; ` +
      `pass --corpus FILE with that text`,
  );
}

/** Reads and checks everything (files, flags, corpus against the configuration) before any engine starts. */
function prepare(args: TrainArgs): { prepared: PreparedRun; resumePath: string | null } {
  const common = { steps: args.steps, sampleEvery: args.sampleEvery, valEvery: args.valEvery };
  const runSettings = ({ model, train }: { model: ModelConfig; train: TrainConfig }): RunSettings => ({
    model: { embedSize: model.embedSize, hiddenSize: model.hiddenSize, layers: model.layers },
    train,
    ...common,
  });
  if (args.resume !== null) {
    const where = `--resume ${show(args.resume)}`;
    const contents = readCheckpoint('resume', args.resume);
    const saved = contents.trainConfig ? resumedConfig(args, { model: contents.config, train: contents.trainConfig }) : null;
    let corpus: CliCorpus;
    if (args.corpus !== null) corpus = givenCorpus(args.corpus);
    else if (saved && contents.trainingState !== undefined) {
      const record = parseTrainingStateRecord(contents.trainingState, contents.step, saved.model, contents.trainConfig!, where);
      corpus = recordedCorpus(record.corpus, where);
    } else corpus = defaultCorpus();
    const settings = runSettings(saved ?? freshConfig(args, contents.config.vocabSize));
    const prepared = prepareRun({ corpus, settings, checkpoint: { contents, name: where, mode: 'exact' }, naming: 'flag' });
    return { prepared, resumePath: args.resume };
  }
  const corpus = args.corpus !== null ? givenCorpus(args.corpus) : defaultCorpus();
  const settings = runSettings(freshConfig(args, 0));
  return { prepared: prepareRun({ corpus, settings, naming: 'flag' }), resumePath: null };
}

export async function trainCommand(argv: string[], io: Io): Promise<number> {
  const args = parseTrainArgs(argv);
  if (args.help) {
    line(io, USAGE.train);
    return 0;
  }
  const { prepared, resumePath } = prepare(args);
  checkOutputs([
    ['out', args.out],
    ['export', args.exportPath],
    ['loss-log', args.lossLog],
  ]);
  const { vocab, settings, table, train: trainIds, val, ids } = prepared;
  const config = table.config;
  const trainConfig = settings.train;

  const engine = await openEngine(args.engine);
  try {
    if (engine.note) io.note(engine.note);
    line(io, engine.line);
    const splitText = val
      ? `train ${formatCount(trainIds.length)} / validation ${formatCount(val.length)} characters`
      : 'no validation split (corpora of ≤ 10,000 characters train on all of it)';
    line(io, `corpus: ${displayName(prepared.identity.path)}, ${formatCount(ids.length)} characters, vocabulary ${vocab.size}, ${splitText}`);
    const pc = parameterCounts(config);
    line(
      io,
      `parameters: embedding ${formatCount(pc.embedding)}, LSTM ${formatCount(pc.lstm)}, output ${formatCount(pc.output)}, total ${formatCount(pc.total)} ` +
        `(V ${config.vocabSize}, E ${config.embedSize}, H ${config.hiddenSize}, L ${config.layers})`,
    );
    const firstStep = prepared.start.step ?? 0;
    const lastStep = firstStep + settings.steps;
    const what =
      `steps ${firstStep + 1} to ${lastStep}, batch ${trainConfig.batch} × ${trainConfig.seqLen} characters, ${trainConfig.schedule} schedule, ` +
      `Adam lr ${trainConfig.lr}${trainConfig.lrDecay !== 1 ? ` (decay ${trainConfig.lrDecay}/step)` : ''}, clip ${trainConfig.clip}, seed ${trainConfig.seed}`;
    line(io, resumePath !== null ? `resuming ${resumePath} at step ${firstStep}: ${what}` : `training: ${what}`);

    const run = await TrainingRun.open(prepared, engine.engine);
    try {
      const progress = new Progress(io.out, firstStep, lastStep, trainConfig.batch * trainConfig.seqLen, args.logEvery);
      const steps: StepResult[] = [];
      run.on('step', (r) => {
        steps.push(r);
        progress.update(r.step, r.loss);
      });
      run.on('sample', (s) => progress.print(`sample at step ${s.step}: ${show(s.text)}`));
      const periodic = run.on('validation', (v) =>
        progress.print(`validation at step ${v.step}: ${v.loss.toFixed(4)} nats/char (${formatCount(v.characters)} characters)`),
      );
      let error = null as Error | null;
      run.on('error', (e) => (error = e));
      // --checkpoint-every: the loop hands over a checkpoint every N steps (no pause); each replaces
      // the last through a temporary file and a rename. The last step's is written after the end.
      if (args.out !== null && args.checkpointEvery > 0) {
        const out = args.out;
        run.saveEvery = args.checkpointEvery;
        run.on('checkpoint', (c) => {
          if (c.step === lastStep) return;
          writeAtomically('out', out, c.bytes);
          progress.print(`checkpoint at step ${c.step}: ${resolve(out)}`);
        });
      }
      // Ctrl-C: stop after the step in flight, then report and write files as usual.
      let interrupted = false;
      const watch = setInterval(() => {
        if (io.interrupted() && !interrupted) {
          interrupted = true;
          void run.pause();
        }
      }, 25);
      try {
        await run.start(lastStep);
      } finally {
        clearInterval(watch);
      }
      periodic(); // the final validation below has a line of its own
      if (error instanceof NumericsError) progress.finish();
      if (error instanceof NumericsError && args.out !== null) {
        // The model is back at its last good state: that is what --out keeps, to resume with other settings.
        const full = writeAtomically('out', args.out, await run.checkpoint());
        line(io, `checkpoint: ${full} (the last good state, step ${run.step}; continue with --resume ${show(args.out)} and a lower --lr)`);
      }
      if (error) throw error;
      progress.finish();
      if (interrupted) line(io, `interrupted at step ${run.step}`);

      const s = progress.summary();
      if (s) {
        const best = Number.isFinite(s.bestAverage) ? `; lowest 10-step average ${s.bestAverage.toFixed(4)} at step ${s.bestAverageStep}` : '';
        line(
          io,
          `final loss: ${s.lastLoss.toFixed(4)} nats/char at step ${s.lastStep} (10-step average ${s.average.toFixed(4)}${best}; ` +
            `step ${s.firstStep}: ${s.firstLoss.toFixed(4)})`,
        );
      }
      const t = await run.trainingTextLoss();
      line(io, `training-text loss: ${t.loss.toFixed(4)} nats/char, ${(t.loss / Math.LN2).toFixed(4)} bits/char (${formatCount(t.characters)} characters)`);
      const v = await run.validate(true);
      if (v) line(io, `validation loss: ${v.loss.toFixed(4)} nats/char, ${(v.loss / Math.LN2).toFixed(4)} bits/char (${formatCount(v.characters)} characters)`);
      if (args.out !== null) {
        const full = writeAtomically('out', args.out, await run.checkpoint());
        line(io, `checkpoint: ${full} (training state at step ${run.step}: parameters, Adam moments, data cursor; continue with --resume)`);
      }
      if (args.exportPath !== null) {
        const full = writeAtomically('export', args.exportPath, await run.exportModel());
        line(io, `model export: ${full} (model only, step ${run.step})`);
      }
      if (args.lossLog !== null) {
        const csv = 'step,loss,grad_norm\n' + steps.map((r) => `${r.step},${r.loss},${r.gradNorm}`).join('\n') + '\n';
        const full = writeAtomically('loss-log', args.lossLog, new TextEncoder().encode(csv));
        line(io, `loss log: ${full} (${formatCount(steps.length)} steps)`);
      }
      return interrupted ? 130 : 0;
    } finally {
      await run.destroy();
    }
  } finally {
    engine.close();
  }
}
