/**
 * The CLI's checkpoints during and across runs: `--checkpoint-every N` (written while
 * training, atomically) and `--resume` of files whose text the command line has to find
 * (a file saved by the page names its text, not a file), with messages that name only
 * flags the user passed or can pass. Tiny models on the CPU engine (about a second a run).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint, type CheckpointContents } from '../model/checkpoint.ts';
import type { TrainingStateRecord } from '../model/training-state.ts';
import { cli, ok } from './testing.ts';

const RUN_S = 60_000;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TINY = ['--hidden', '16', '--embed', '8', '--seq-len', '16', '--engine', 'cpu', '--sample-every', '0'];
const load = (path: string): CheckpointContents => loadCheckpoint(new Uint8Array(readFileSync(path)));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'char-lm-ckpt-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `train` and hands back the bytes of `out` read the moment the first "checkpoint at step" line appears. */
function trainCatchingFirstCheckpoint(args: string[], out: string): Promise<{ code: number | null; stdout: string; stderr: string; first: Uint8Array | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['--import', 'tsx', '--import', './src/cli/register-wgsl.mjs', 'src/cli/main.ts', 'train', ...args], {
      cwd: ROOT,
      env: { ...process.env, CHAR_LM_DEBUG: '' },
    });
    let stdout = '';
    let stderr = '';
    let first: Uint8Array | null = null;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      // The file may already hold a later checkpoint: each write is whole (a rename), so any read is one complete checkpoint.
      if (first === null && /^checkpoint at step \d+: /m.test(stdout)) first = new Uint8Array(readFileSync(out));
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, first }));
  });
}

describe('--checkpoint-every', () => {
  it(
    'writes --out every N steps while training, each a whole checkpoint that resumes exactly, and leaves no temporary file',
    async () => {
      const out = join(dir, 'every.safetensors');
      const r = await trainCatchingFirstCheckpoint([...TINY, '--steps', '25', '--log-every', '5', '--checkpoint-every', '10', '--out', out], out);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.match(/^checkpoint at step \d+: .*$/gm)).toEqual([`checkpoint at step 10: ${out}`, `checkpoint at step 20: ${out}`]);
      expect(r.stdout).toContain(`checkpoint: ${out} (training state at step 25`);
      expect(readdirSync(dir).filter((n) => n.startsWith('every.'))).toEqual(['every.safetensors']);

      // The checkpoint caught mid-run continues to the same final state as the run that wrote it.
      expect(r.first).not.toBeNull();
      const caught = loadCheckpoint(r.first!);
      expect([10, 20]).toContain(caught.step);
      const mid = join(dir, 'mid.safetensors');
      writeFileSync(mid, r.first!);
      const resumed = join(dir, 'resumed.safetensors');
      ok(['train', '--engine', 'cpu', '--sample-every', '0', '--resume', mid, '--steps', String(25 - caught.step), '--out', resumed]);
      const a = load(out);
      const b = load(resumed);
      expect(b.step).toBe(25);
      expect(b.params).toEqual(a.params);
      expect(b.optimizer!.m).toEqual(a.optimizer!.m);
      expect(b.trainingState).toEqual(a.trainingState);
    },
    RUN_S,
  );

  it(
    'is refused without --out, or with a value that is not a whole number, before anything runs',
    () => {
      const none = cli(['train', ...TINY, '--checkpoint-every', '10']);
      expect(none.status).toBe(2);
      expect(none.stdout).toBe('');
      expect(none.stderr).toBe('error: --checkpoint-every 10 needs --out FILE, the checkpoint it writes every 10 steps\n');
      const bad = cli(['train', ...TINY, '--checkpoint-every', 'often', '--out', join(dir, 'x.safetensors')]);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/^error: --checkpoint-every must be an integer from 0 to 100000000, got "often"\n$/);
    },
    RUN_S,
  );
});

describe('resume: the text a checkpoint was trained on', () => {
  let cliFile: string;
  beforeAll(() => {
    cliFile = join(dir, 'cli.safetensors');
    ok(['train', ...TINY, '--steps', '5', '--out', cliFile]);
  }, RUN_S);

  /** The CLI's checkpoint as the page would have saved it: its text recorded by the name the page shows. */
  function savedByPage(textName: string): string {
    const c = load(cliFile);
    const record = c.trainingState as TrainingStateRecord;
    const path = join(dir, `${textName.replace(/\W+/g, '-')}.safetensors`);
    writeFileSync(path, saveCheckpoint({ ...c, trainingState: { ...record, corpus: { ...record.corpus, path: textName } } }));
    return path;
  }

  it(
    'a file saved by the page on a shipped text resumes on the built-in text of that name, without --corpus',
    () => {
      const page = savedByPage('The notebook passage');
      const r = ok(['train', '--engine', 'cpu', '--sample-every', '0', '--resume', page, '--steps', '3']);
      expect(r.stdout).toContain(`resuming ${page} at step 5: steps 6 to 8`);
      expect(r.stdout).toMatch(/^corpus: notebook-passage\.txt, 1,153 characters/m);
    },
    RUN_S,
  );

  it(
    'a text the command line cannot find asks for --corpus, naming the text, never a --corpus the user did not pass',
    () => {
      const page = savedByPage('pasted text');
      const r = cli(['train', '--engine', 'cpu', '--resume', page, '--steps', '3']);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `error: --resume ${JSON.stringify(page)} was trained on "pasted text" (1,153 characters), which is not a file here; pass --corpus FILE with that text\n`,
      );
      // Given --corpus with that text, it resumes.
      expect(
        ok(['train', '--engine', 'cpu', '--sample-every', '0', '--resume', page, '--corpus', 'data/notebook-passage.txt', '--steps', '2']).stdout,
      ).toContain('steps 6 to 7');
    },
    RUN_S,
  );

  it(
    'a shipped text of the same name that is not the text trained on is refused, naming the built-in text',
    () => {
      const c = load(cliFile);
      const record = c.trainingState as TrainingStateRecord;
      const other = join(dir, 'other.safetensors');
      writeFileSync(other, saveCheckpoint({ ...c, trainingState: { ...record, corpus: { ...record.corpus, path: 'Pride and Prejudice', characters: 100 } } }));
      const r = cli(['train', '--engine', 'cpu', '--resume', other, '--steps', '2']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(
        /^error: the built-in text "Pride and Prejudice" \(data\/pride-and-prejudice\.txt\): character "R" \(U\+0052\) at position 1 is not in the vocabulary of --resume/,
      );
      expect(r.stderr).not.toMatch(/--corpus "/);
      expect(r.stderr).toMatch(/; give --corpus a text made of its characters, or leave out --resume to train a new model on this one\n$/);
    },
    RUN_S,
  );

  it(
    'a file the checkpoint names is read again; changed since, it is refused by name',
    () => {
      const text = join(dir, 'my-text.txt');
      writeFileSync(text, readFileSync(join(ROOT, 'data/notebook-passage.txt')));
      const file = join(dir, 'my-run.safetensors');
      ok(['train', ...TINY, '--steps', '3', '--corpus', text, '--out', file]);
      expect(ok(['train', '--engine', 'cpu', '--sample-every', '0', '--resume', file, '--steps', '2']).stdout).toMatch(
        /^corpus: my-text\.txt, 1,153 characters/m,
      );
      writeFileSync(text, readFileSync(join(ROOT, 'data/notebook-passage.txt'), 'utf8').slice(0, 1000));
      const r = cli(['train', '--engine', 'cpu', '--resume', file, '--steps', '2']);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(
        `error: ${JSON.stringify(text)} (the text --resume ${JSON.stringify(file)} names) (1,000 characters) is not the text --resume ${JSON.stringify(file)} was trained on (${text}, 1,153 characters); give --corpus FILE with that text\n`,
      );
    },
    RUN_S,
  );

  it(
    'without --corpus a fresh run names the default corpus, not a --corpus flag',
    () => {
      const r = cli(['train', '--engine', 'cpu', '--seq-len', '2000']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(
        /^error: the default corpus \(data\/notebook-passage\.txt; choose another with --corpus FILE\): the corpus has 1,153 characters/,
      );
    },
    RUN_S,
  );
});
