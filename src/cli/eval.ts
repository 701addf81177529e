/**
 * `eval`: the mean loss of a checkpoint on a text, from zero state, every character
 * after the first predicted (one stream), in nats and bits per character.
 */
import { Vocab } from '../text/vocab.ts';
import { USAGE, parseEvalArgs } from './args.ts';
import { openEngine } from './engines.ts';
import { UsageError } from './errors.ts';
import { displayName, readCheckpoint, readText } from './files.ts';
import { line, type Io } from './io.ts';
import { formatCount } from './progress.ts';
import { encodeFor, meanLoss, modelLine } from './common.ts';

function lossLine(nats: number): string {
  return `loss: ${nats.toFixed(4)} nats/char, ${(nats / Math.LN2).toFixed(4)} bits/char`;
}

export async function evalCommand(argv: string[], io: Io): Promise<number> {
  const args = parseEvalArgs(argv);
  if (args.help) {
    line(io, USAGE.eval);
    return 0;
  }
  const ckpt = readCheckpoint('model', args.model);
  const text = readText('text', args.text);
  const vocab = new Vocab(ckpt.vocab);
  const ids = encodeFor(vocab, text, `--text ${JSON.stringify(args.text)}`);
  if (ids.length < 2) {
    throw new UsageError(`--text ${JSON.stringify(args.text)} has ${ids.length} character${ids.length === 1 ? '' : 's'}; evaluation needs at least 2`);
  }
  const engine = await openEngine(args.engine);
  try {
    if (engine.note) io.note(engine.note);
    line(io, engine.line);
    line(io, modelLine(args.model, ckpt));
    line(io, `text: ${displayName(args.text)}, ${formatCount(ids.length)} characters (${formatCount(ids.length - 1)} predicted)`);
    const model = await engine.engine.model(ckpt.table, ckpt.params);
    try {
      line(io, lossLine(await meanLoss(model, ids, 1)));
    } finally {
      model.destroy();
    }
  } finally {
    engine.close();
  }
  return 0;
}
