/**
 * One command line, run in this process: `run(argv, io)` returns the exit code and
 * throws nothing (main.ts is the process around it; the tests call it directly).
 */
import { USAGE, parseCommand, type Command } from './args.ts';
import { benchCommand } from './bench.ts';
import { describeError } from './errors.ts';
import { evalCommand } from './eval.ts';
import type { Io } from './io.ts';
import { sampleCommand } from './sample.ts';
import { trainCommand } from './train.ts';

const COMMAND_RUNNERS: Record<Command, (argv: string[], io: Io) => Promise<number>> = {
  train: trainCommand,
  sample: sampleCommand,
  eval: evalCommand,
  bench: benchCommand,
};

/** Runs one command line; returns the exit code. Throws nothing: a failure is one line through `io.note`. */
export async function run(argv: string[], io: Io): Promise<number> {
  try {
    const { command, rest } = parseCommand(argv);
    if (command === 'help') {
      io.out.write(USAGE.main + '\n');
      return 0;
    }
    return await COMMAND_RUNNERS[command](rest, io);
  } catch (e) {
    const { line, code } = describeError(e);
    io.note(line);
    if (process.env.CHAR_LM_DEBUG && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
    return code;
  }
}
