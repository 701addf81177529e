/**
 * `sample`: text from a checkpoint, one block per temperature (all temperatures are
 * generated together, as on the page, so a seed gives the same text everywhere).
 * The first temperature's text streams as it is generated.
 */
import { Vocab } from '../text/vocab.ts';
import { USAGE, parseSampleArgs } from './args.ts';
import { formatTemperature } from '../run/settings.ts';
import { openEngine } from './engines.ts';
import { encodeFor, modelLine } from './common.ts';
import { readCheckpoint } from './files.ts';
import { line, type Io } from './io.ts';

export async function sampleCommand(argv: string[], io: Io): Promise<number> {
  const args = parseSampleArgs(argv);
  if (args.help) {
    line(io, USAGE.sample);
    return 0;
  }
  const ckpt = readCheckpoint('model', args.model);
  const vocab = new Vocab(ckpt.vocab);
  const prime = encodeFor(vocab, args.prime, '--prime');
  const engine = await openEngine(args.engine);
  try {
    if (engine.note) io.note(engine.note);
    line(io, engine.line);
    line(io, modelLine(args.model, ckpt));
    const model = await engine.engine.model(ckpt.table, ckpt.params);
    try {
      const rows = args.temperatures.map((temperature) => ({ temperature, topK: args.topK, topP: args.topP }));
      const primeText = vocab.decode(prime);
      line(io, `temperature ${formatTemperature(args.temperatures[0])}:`);
      io.out.write(primeText);
      let streamed = 0;
      const result = await model.sample({ prime, length: args.length, rows, seed: args.seed }, (so) => {
        const row = so[0];
        if (row.length > streamed) {
          io.out.write(vocab.decode(row.subarray(streamed)));
          streamed = row.length;
        }
      });
      io.out.write(vocab.decode(result[0].subarray(streamed)) + '\n');
      for (let r = 1; r < rows.length; r++) {
        line(io, `temperature ${formatTemperature(args.temperatures[r])}:`);
        line(io, primeText + vocab.decode(result[r]));
      }
    } finally {
      model.destroy();
    }
  } finally {
    engine.close();
  }
  return 0;
}
