/**
 * The char-lm command line: `main.ts train|sample|eval|bench [flags]`
 * (run as `npm run <command> -- [flags]`, see package.json).
 *
 * Every failure ends with one line on stderr, `error: ...`, and exit code 2 for bad
 * input or 1 for runtime failures; never a stack trace.
 */
import { describeError } from './errors.ts';
import type { Io } from './io.ts';
import { run } from './run.ts';

function fail(e: unknown): never {
  const { line } = describeError(e);
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  // Failures outside the command's own flow (a rejected GPU readback, a closed pipe) still end in one line.
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0); // `... | head`: the reader has gone
    fail(e);
  });
  // Ctrl-C during training stops at the next step and still writes --out; a second one quits.
  // Other commands keep Node's default (quit at once).
  let interrupts = 0;
  if (process.argv[2] === 'train') {
    process.on('SIGINT', () => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      process.stderr.write('\ninterrupt: stopping after this step (press Ctrl-C again to quit now)\n');
    });
  }
  const io: Io = {
    out: process.stdout,
    note: (line) => process.stderr.write(`${line}\n`),
    interrupted: () => interrupts > 0,
  };
  const code = await run(process.argv.slice(2), io);
  // Dawn keeps threads that would hold the process open; stdout and stderr writes are synchronous on Linux.
  process.exit(code);
}

await main();
