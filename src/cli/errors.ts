/**
 * How the command line fails: one line on stderr, `error: <what went wrong and what to do>`,
 * exit code 2 for bad input (flags, files, corpora, checkpoints) and 1 for runtime failures
 * (no GPU, a crash). Never a stack trace.
 */
import { ConfigError } from '../model/config.ts';
import { CheckpointError } from '../model/checkpoint.ts';
import { CorpusError } from '../text/corpus.ts';
import { VocabError } from '../text/vocab.ts';
import { GpuUnavailableError } from '../gpu/device.ts';
import { SettingsError } from '../run/settings.ts';

/** Bad command-line input: a flag, a file, a combination the user can fix. Exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

/** Collapses a message onto one line (error lines must stay single lines). */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/** The stderr line and exit code for anything thrown by a command. */
export function describeError(e: unknown): { line: string; code: number } {
  if (
    e instanceof UsageError ||
    e instanceof SettingsError ||
    e instanceof ConfigError ||
    e instanceof CorpusError ||
    e instanceof VocabError ||
    e instanceof CheckpointError
  ) {
    return { line: `error: ${oneLine(e.message)}`, code: EXIT_USAGE };
  }
  if (e instanceof GpuUnavailableError) {
    return { line: `error: ${oneLine(e.message)}; or run on the CPU with --engine cpu`, code: EXIT_FAILURE };
  }
  if (e instanceof Error) return { line: `error: ${oneLine(e.message || e.name)}`, code: EXIT_FAILURE };
  return { line: `error: ${oneLine(String(e))}`, code: EXIT_FAILURE };
}
