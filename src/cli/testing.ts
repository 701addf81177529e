/**
 * Helpers for the command-line tests: run the real CLI as a child process
 * (`node --import tsx --import ./src/cli/register-wgsl.mjs src/cli/main.ts ...`), or the
 * same command line in this process (`cliHere`: no Node start-up and no TypeScript
 * compile per run, for the many refusals that fail before any work).
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { run } from './run.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CORPUS_PATH = join(ROOT, 'data/notebook-passage.txt');
export const CORPUS = readFileSync(CORPUS_PATH, 'utf8');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], timeout = 60_000): Run {
  const r = spawnSync('node', ['--import', 'tsx', '--import', './src/cli/register-wgsl.mjs', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, CHAR_LM_DEBUG: '' },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A run that must succeed; shows its stderr otherwise. */
export function ok(args: string[], timeout?: number): Run {
  const r = cli(args, timeout);
  expect(r.stderr, `stderr of ${args.join(' ')}`).toBe('');
  expect(r.status, r.stdout).toBe(0);
  return r;
}

/** Text blocks of `sample` output, by temperature header ("0.5" → text). */
export function sampleBlocks(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = stdout.split(/^temperature ([\d.]+):\n/m);
  for (let i = 1; i < parts.length; i += 2) out.set(parts[i], parts[i + 1].replace(/\n$/, ''));
  return out;
}

/** The same as cli(), without blocking (for tests that run concurrently). */
export function cliAsync(args: string[], timeout = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      'node',
      ['--import', 'tsx', '--import', './src/cli/register-wgsl.mjs', 'src/cli/main.ts', ...args],
      { cwd: ROOT, encoding: 'utf8', timeout, env: { ...process.env, CHAR_LM_DEBUG: '' } },
      (error, stdout, stderr) => {
        const code = error ? (error as { code?: unknown }).code : 0;
        if (error && typeof code !== 'number') reject(error);
        else resolve({ status: code as number, stdout, stderr });
      },
    );
  });
}

/**
 * The command line run in this process, as main.ts runs it, with stdout and stderr
 * captured: the exit code `run` returns and the lines it writes. For refusals (bad flags,
 * files and checkpoints); the child-process runs above check the process around it.
 */
export async function cliHere(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const status = await run(args, {
    out: { write: (s: string) => (stdout += s) },
    note: (line) => (stderr += `${line}\n`),
    interrupted: () => false,
  });
  return { status, stdout, stderr };
}
