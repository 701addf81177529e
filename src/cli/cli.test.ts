/**
 * End-to-end: the real command line as a child process, on the CPU engine, with
 * small models (each run takes about a second; the notebook run is in notebook.test.ts).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTEBOOK_TRAIN, type TrainConfig } from '../model/config.ts';
import { decodeSafetensors, encodeSafetensors, loadCheckpoint, saveCheckpoint, type CheckpointContents } from '../model/checkpoint.ts';
import { buildParamTable, initParams } from '../model/params.ts';
import { Rng } from '../model/rng.ts';
import { Vocab } from '../text/vocab.ts';
import { CpuModel, CpuTrainer } from '../engine/cpu.ts';
import { CORPUS, CORPUS_PATH, cliHere, cli, cliAsync, ok, sampleBlocks, type Run } from './testing.ts';

const load = (path: string): CheckpointContents => loadCheckpoint(new Uint8Array(readFileSync(path)));

async function meanLoss(model: CpuModel, ids: Int32Array): Promise<number> {
  const l = await model.evaluate(ids, 1);
  return l.reduce((a, b) => a + b, 0) / l.length;
}

/** Per-test time limits (this project's node tests run with vitest's 5 s default). */
const RUN_S = 60_000;

const TINY = ['--hidden', '16', '--embed', '8', '--seq-len', '16', '--engine', 'cpu'];

let dir: string;
let ckpt: string;
let exported: string;
let trainRun: Run;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'char-lm-cli-'));
  ckpt = join(dir, 'tmp.safetensors');
  exported = join(dir, 'model.safetensors');
  trainRun = cli(['train', '--steps', '30', ...TINY, '--out', ckpt, '--export', exported, '--sample-every', '30']);
}, RUN_S);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('train, eval, sample round trip', () => {
  it(
    'train prints engine, corpus, parameters, progress, a sample, the final loss and the checkpoint',
    () => {
      expect(trainRun.stderr).toBe('');
      expect(trainRun.status).toBe(0);
      const lines = trainRun.stdout.split('\n');
      expect(lines[0]).toBe('engine: CPU reference (float64)');
      expect(lines[1]).toBe(
        'corpus: notebook-passage.txt, 1,153 characters, vocabulary 38, no validation split (corpora of ≤ 10,000 characters train on all of it)',
      );
      // V·E = 38·8; 4H(E+H) + 8H = 64·24 + 128; V·H + V = 38·17
      expect(lines[2]).toBe('parameters: embedding 304, LSTM 1,664, output 646, total 2,614 (V 38, E 8, H 16, L 1)');
      expect(trainRun.stdout).toMatch(/^step 30\/30 {2}loss \d\.\d{4} {2}avg10 \d\.\d{4} {2}[\d,]+ chars\/s {2}ETA \d+:\d\d$/m);
      expect(trainRun.stdout).toMatch(/^sample at step 30: "It is.{80}"$/m);
      expect(trainRun.stdout).toMatch(/^final loss: \d\.\d{4} nats\/char at step 30 \(10-step average/m);
      expect(trainRun.stdout).toContain(`checkpoint: ${ckpt} (training state at step 30`);
      expect(trainRun.stdout).toContain(`model export: ${exported} (model only, step 30)`);
    },
    RUN_S,
  );

  it(
    'the checkpoint holds exactly what the same training in-process computes, under PyTorch names',
    async () => {
      const vocab = Vocab.fromText(CORPUS);
      const config = { vocabSize: vocab.size, embedSize: 8, hiddenSize: 16, layers: 1 };
      const train: TrainConfig = { ...NOTEBOOK_TRAIN, seqLen: 16 };
      const table = buildParamTable(config);
      const trainer = new CpuTrainer(table, train, vocab.encode(CORPUS), { params: initParams(table, new Rng(train.seed)) });
      for (let i = 0; i < 30; i++) await trainer.trainStep();
      const snap = await trainer.snapshot();

      const c = load(ckpt);
      expect(c.config).toEqual(config);
      expect(c.vocab).toEqual(vocab.chars);
      expect(c.trainConfig).toEqual(train);
      expect(c.step).toBe(30);
      expect(c.params).toEqual(snap.params);
      expect(c.optimizer!.m).toEqual(snap.optimizer.m);
      expect(c.optimizer!.v).toEqual(snap.optimizer.v);
      expect(c.trainingState).toMatchObject({ step: 30, batcher: snap.batcher, carried: { h: Array.from(snap.carried.h), c: Array.from(snap.carried.c) } });

      const names = ['embed.weight', 'lstm.weight_ih_l0', 'lstm.weight_hh_l0', 'lstm.bias_ih_l0', 'lstm.bias_hh_l0', 'head.weight', 'head.bias'];
      const full = decodeSafetensors(new Uint8Array(readFileSync(ckpt)));
      expect([...full.tensors.keys()].sort()).toEqual([...names, ...names.map((n) => `optimizer.m.${n}`), ...names.map((n) => `optimizer.v.${n}`)].sort());
      expect(full.metadata.format).toBe('char-lm/1');
      const model = decodeSafetensors(new Uint8Array(readFileSync(exported)));
      expect([...model.tensors.keys()].sort()).toEqual([...names].sort()); // load_state_dict works as is
      expect(model.metadata.training_state).toBeUndefined();
      expect(load(exported).params).toEqual(snap.params);

      // eval from the file = the in-process model's loss.
      const inProcess = await meanLoss(trainer.model, vocab.encode(CORPUS));
      const ev = ok(['eval', '--model', ckpt, '--text', CORPUS_PATH, '--engine', 'cpu']);
      const lines = ev.stdout.trim().split('\n');
      expect(lines[0]).toBe('engine: CPU reference (float64)');
      expect(lines.at(-1)).toMatch(/^loss: \d\.\d{4} nats\/char, \d\.\d{4} bits\/char$/);
      const [, nats, bits] = lines.at(-1)!.match(/^loss: ([\d.]+) nats\/char, ([\d.]+) bits\/char$/)!;
      expect(nats).toBe(inProcess.toFixed(4));
      expect(bits).toBe((inProcess / Math.LN2).toFixed(4));
      expect(ok(['eval', '--model', exported, '--text', CORPUS_PATH, '--engine', 'cpu']).stdout).toContain(lines.at(-1)!);
    },
    RUN_S,
  );

  it(
    'sample from the file gives the text sampled in-process before saving, and the same text for the same seed',
    async () => {
      const inTraining = JSON.parse(trainRun.stdout.match(/^sample at step 30: (".*")$/m)![1]) as string;
      // train samples with prime "It is", 80 characters, temperature 0.8, seed = the step.
      const a = ok(['sample', '--model', ckpt, '--prime', 'It is', '--length', '80', '--temperature', '0.8', '--seed', '30', '--engine', 'cpu']);
      expect(a.stdout.split('\n')[0]).toBe('engine: CPU reference (float64)');
      expect(a.stdout.split('\n')[1]).toBe('model: tmp.safetensors (V 38, E 8, H 16, L 1, 2,614 parameters, step 30)');
      expect(sampleBlocks(a.stdout).get('0.8')).toBe(inTraining);

      const defaults = ok(['sample', '--model', exported, '--engine', 'cpu']);
      const blocks = sampleBlocks(defaults.stdout);
      expect([...blocks.keys()]).toEqual(['0.5', '1.0', '1.5']);
      const c = load(exported);
      const vocab = new Vocab(c.vocab);
      const rows = await new CpuModel(c.table, c.params).sample({
        prime: vocab.encode('It is'),
        length: 120,
        rows: [0.5, 1, 1.5].map((temperature) => ({ temperature, topK: 0, topP: 1 })),
        seed: 0,
      });
      expect([...blocks.values()]).toEqual(rows.map((r) => 'It is' + vocab.decode(r)));
      for (const t of blocks.values()) expect([...t]).toHaveLength(5 + 120);

      expect(ok(['sample', '--model', exported, '--engine', 'cpu']).stdout).toBe(defaults.stdout);
      const other = ok(['sample', '--model', exported, '--engine', 'cpu', '--seed', '1']);
      expect(other.stdout).not.toBe(defaults.stdout);
      const topk = ok(['sample', '--model', exported, '--engine', 'cpu', '--top-k', '1', '--temperature', '1,0', '--length', '30']);
      const greedy = sampleBlocks(topk.stdout);
      expect(greedy.get('1.0')).toBe(greedy.get('0.0')); // top-k 1 is greedy whatever the temperature
    },
    RUN_S,
  );
});

describe('resume', () => {
  /** Bit for bit: the CPU engine keeps parameters, moments and carried state at f32 between steps, as checkpoints do. */
  const compare = (a: CheckpointContents, b: CheckpointContents) => {
    expect(b.step).toBe(a.step);
    expect(b.trainingState).toEqual(a.trainingState); // batcher cursor and RNG, carried h/c, step, corpus
    expect(b.params).toEqual(a.params);
    expect(b.optimizer!.m).toEqual(a.optimizer!.m);
    expect(b.optimizer!.v).toEqual(a.optimizer!.v);
  };
  /** "step 21 loss 3.4042" for each progress line (the moving average restarts with the run). */
  const stepLines = (stdout: string) =>
    stdout.split('\n').flatMap((l) => {
      const m = l.match(/^step +(\d+)\/\d+ +loss (\S+) /);
      return m ? [`step ${m[1]} loss ${m[2]}`] : [];
    });

  for (const schedule of ['windows', 'streams']) {
    it(
      `20 steps + 20 resumed = 40 straight (${schedule})`,
      () => {
        const sub = join(dir, schedule);
        mkdirSync(sub);
        const flags = [...TINY, '--schedule', schedule, '--sample-every', '0', '--log-every', '1'];
        const straight = ok(['train', ...flags, '--steps', '40', '--out', join(sub, 's40.safetensors')]);
        ok(['train', ...flags, '--steps', '20', '--out', join(sub, 's20.safetensors')]);
        const resumed = ok([
          'train',
          '--engine',
          'cpu',
          '--sample-every',
          '0',
          '--log-every',
          '1',
          '--steps',
          '20',
          '--resume',
          join(sub, 's20.safetensors'),
          '--out',
          join(sub, 'r40.safetensors'),
        ]);
        expect(resumed.stdout).toContain(`resuming ${join(sub, 's20.safetensors')} at step 20: steps 21 to 40`);
        // The same losses, step for step.
        expect(stepLines(resumed.stdout)).toEqual(stepLines(straight.stdout).slice(20));
        expect(stepLines(resumed.stdout)).toHaveLength(20);
        compare(load(join(sub, 's40.safetensors')), load(join(sub, 'r40.safetensors')));
        // The model flags may be repeated when they match.
        ok(['train', ...flags, '--steps', '1', '--resume', join(sub, 's20.safetensors')]);
      },
      RUN_S,
    );
  }
});

describe('bad input: one line on stderr, exit code 2, no stack trace', () => {
  const cases: [string, () => string[]][] = [];
  const add = (name: string, args: () => string[]) => cases.push([name, args]);
  const f = (name: string) => join(dir, 'bad', name);
  beforeAll(() => {
    mkdirSync(join(dir, 'bad'));
    writeFileSync(f('empty.txt'), '');
    writeFileSync(f('one.txt'), 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    writeFileSync(f('short.txt'), 'It is a truth.');
    writeFileSync(f('thirty.txt'), 'It is a truth universally ackno');
    writeFileSync(f('latin1.txt'), Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x61, 0x62]));
    writeFileSync(f('photo.png'), Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]));
    writeFileSync(f('huge.txt'), '');
    truncateSync(f('huge.txt'), 300e6); // sparse: 300 MB by its size, never read
    writeFileSync(f('foreign.txt'), 'It is a truth — § universally');
    writeFileSync(
      f('random.bin'),
      Uint8Array.from({ length: 256 }, (_, i) => (i * 37 + 11) & 0xff),
    );
    const good = readFileSync(ckpt);
    writeFileSync(f('truncated.safetensors'), good.subarray(0, good.length - 100));
    const corrupt = Buffer.from(good);
    corrupt.write('{"oops', 8, 'latin1');
    writeFileSync(f('corrupt.safetensors'), corrupt);
    writeFileSync(f('foreign.safetensors'), encodeSafetensors([{ name: 'w', shape: [2], data: new Float32Array(2) }], { format: 'pt' }));
  });

  add('no command', () => []);
  add('unknown command', () => ['frobnicate']);
  add('unknown flag', () => ['train', '--engine', 'cpu', '--learning-rate', '1']);
  add('non-numeric flag', () => ['train', '--engine', 'cpu', '--hidden', 'abc']);
  add('out-of-range flag', () => ['train', '--engine', 'cpu', '--layers', '17']);
  add('fractional integer flag', () => ['train', '--engine', 'cpu', '--steps', '2.5']);
  add('flag without a value', () => ['train', '--engine', 'cpu', '--lr']);
  add('negative value taken for a flag', () => ['train', '--engine', 'cpu', '--lr', '-1']);
  add('negative value', () => ['train', '--engine', 'cpu', '--lr=-1']);
  add('stray argument', () => ['train', '--engine', 'cpu', 'notebook.txt']);
  add('bad schedule', () => ['train', '--engine', 'cpu', '--schedule', 'shuffle']);
  add('bad engine', () => ['train', '--engine', 'tpu']);
  add('missing corpus', () => ['train', '--engine', 'cpu', '--corpus', f('nope.txt')]);
  add('corpus is a directory', () => ['train', '--engine', 'cpu', '--corpus', dir]);
  add('empty corpus', () => ['train', '--engine', 'cpu', '--corpus', f('empty.txt')]);
  add('one distinct character', () => ['train', '--engine', 'cpu', '--corpus', f('one.txt'), '--seq-len', '16']);
  add('corpus shorter than T+1', () => ['train', '--engine', 'cpu', '--corpus', f('short.txt')]);
  add('corpus too short for the streams', () => [
    'train',
    '--engine',
    'cpu',
    '--corpus',
    f('thirty.txt'),
    '--seq-len',
    '8',
    '--batch',
    '4',
    '--schedule',
    'streams',
  ]);
  add('corpus not UTF-8', () => ['train', '--engine', 'cpu', '--corpus', f('latin1.txt'), '--seq-len', '2']);
  add('corpus is a PNG image', () => ['train', '--engine', 'cpu', '--corpus', f('photo.png')]);
  add('corpus over the size limit', () => ['train', '--engine', 'cpu', '--corpus', f('huge.txt')]);
  add('eval text is a PNG image', () => ['eval', '--engine', 'cpu', '--model', ckpt, '--text', f('photo.png')]);
  add('--out in a missing directory', () => ['train', '--engine', 'cpu', '--out', join(dir, 'no-such-dir', 'x.safetensors')]);
  add('--out in a directory that cannot be written', () => ['train', '--engine', 'cpu', '--out', '/sys/char-lm.safetensors']);
  add('--loss-log in a directory that cannot be written', () => ['train', '--engine', 'cpu', '--loss-log', '/sys/loss.csv']);
  add('--export under a file', () => ['train', '--engine', 'cpu', '--export', join(CORPUS_PATH, 'model.safetensors')]);
  add('--loss-log and --out the same file', () => ['train', '--engine', 'cpu', '--out', f('same'), '--loss-log', f('same')]);
  add('resume from a model-only export', () => ['train', '--engine', 'cpu', '--resume', exported]);
  add('resume with a different model', () => ['train', '--engine', 'cpu', '--resume', ckpt, '--hidden', '32']);
  add('resume on another corpus', () => ['train', '--engine', 'cpu', '--resume', ckpt, '--corpus', f('short.txt')]);
  add('resume from a non-safetensors file', () => ['train', '--engine', 'cpu', '--resume', f('random.bin')]);
  add('sample without --model', () => ['sample', '--engine', 'cpu']);
  add('sample from a missing file', () => ['sample', '--engine', 'cpu', '--model', f('nope.safetensors')]);
  add('sample from a text file', () => ['sample', '--engine', 'cpu', '--model', CORPUS_PATH]);
  add('sample from random bytes', () => ['sample', '--engine', 'cpu', '--model', f('random.bin')]);
  add('sample from a truncated checkpoint', () => ['sample', '--engine', 'cpu', '--model', f('truncated.safetensors')]);
  add('sample from a corrupt checkpoint', () => ['sample', '--engine', 'cpu', '--model', f('corrupt.safetensors')]);
  add('sample from a foreign safetensors file', () => ['sample', '--engine', 'cpu', '--model', f('foreign.safetensors')]);
  add('prime outside the vocabulary', () => ['sample', '--engine', 'cpu', '--model', ckpt, '--prime', 'It is §']);
  add('empty prime', () => ['sample', '--engine', 'cpu', '--model', ckpt, '--prime=']);
  add('bad temperature list', () => ['sample', '--engine', 'cpu', '--model', ckpt, '--temperature', '0.5,warm']);
  add('bad top-p', () => ['sample', '--engine', 'cpu', '--model', ckpt, '--top-p', '1.5']);
  add('zero length', () => ['sample', '--engine', 'cpu', '--model', ckpt, '--length', '0']);
  add('eval without --text', () => ['eval', '--engine', 'cpu', '--model', ckpt]);
  add('eval text outside the vocabulary', () => ['eval', '--engine', 'cpu', '--model', ckpt, '--text', f('foreign.txt')]);
  add('eval on an empty text', () => ['eval', '--engine', 'cpu', '--model', ckpt, '--text', f('empty.txt')]);
  add('eval of a non-safetensors file', () => ['eval', '--engine', 'cpu', '--model', f('random.bin'), '--text', CORPUS_PATH]);
  add('bench with a bad flag', () => ['bench', '--engine', 'cpu', '--steps', 'many']);
  add('value for --help', () => ['sample', '--help=yes']);

  // In this process (the refusals come before any work); the two runs below check the process around them.
  it.concurrent.for(cases)('%s', { timeout: RUN_S }, async ([, args], { expect }) => {
    const r = await cliHere(args());
    expect(r.status, r.stdout + r.stderr).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: \S/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
  });

  it.concurrent.for(cases.filter(([name]) => name === 'unknown command' || name === 'corpus is a PNG image'))(
    'as a process: %s exits 2 with one line on stderr and no stack trace',
    { timeout: RUN_S },
    async ([, args], { expect }) => {
      const r = await cliAsync(args());
      expect(r.status, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^error: \S[^\n]*\n$/);
      expect(r.stdout).toBe('');
    },
  );

  it(
    'messages name the problem and what to do',
    async () => {
      expect((await cliHere(['train', '--engine', 'cpu', '--hidden', 'abc'])).stderr).toBe('error: --hidden must be an integer from 1 to 2048, got "abc"\n');
      expect((await cliHere(['frobnicate'])).stderr).toBe('error: unknown command "frobnicate": use train, sample, eval or bench\n');
      expect((await cliHere(['sample', '--engine', 'cpu', '--model', ckpt, '--prime', 'It is §'])).stderr).toMatch(
        /^error: --prime: character "§" \(U\+00A7\) at position 6 is not in the model's vocabulary/,
      );
      expect((await cliHere(['eval', '--engine', 'cpu', '--model', ckpt, '--text', f('foreign.txt')])).stderr).toMatch(
        /character "—" \(U\+2014\) at position 14 is not in the model's vocabulary/,
      );
      expect((await cliHere(['train', '--engine', 'cpu', '--corpus', f('one.txt'), '--seq-len', '16'])).stderr).toMatch(/only 1 distinct character/);
      expect((await cliHere(['train', '--engine', 'cpu', '--corpus', f('photo.png')])).stderr).toBe(
        `error: --corpus ${JSON.stringify(f('photo.png'))} is a PNG image, not a text; give a plain-text (.txt) file, saved as UTF-8\n`,
      );
      expect((await cliHere(['train', '--engine', 'cpu', '--corpus', f('huge.txt')])).stderr).toMatch(
        /is 300\.0 MB; the command line takes texts up to 256 MB \(.*\); use an excerpt\n$/,
      );
      expect((await cliHere(['sample', '--engine', 'cpu', '--model', f('foreign.safetensors')])).stderr).toMatch(/not a char-lm checkpoint/);
      expect((await cliHere(['train', '--engine', 'cpu', '--resume', exported])).stderr).toMatch(
        /model-only export; resume from a file written by train --out/,
      );
    },
    RUN_S,
  );

  it(
    'output paths are proven writable before training starts, naming the flag and the path',
    async () => {
      // Each refusal comes before the engine line: nothing was trained, and no probe file is left behind.
      const out = await cliHere(['train', '--engine', 'cpu', '--steps', '5', '--out', '/sys/char-lm.safetensors']);
      expect(out.stderr).toBe('error: cannot write --out "/sys/char-lm.safetensors": permission denied in "/sys"; choose a directory you can write to\n');
      expect(out.stdout).toBe('');
      const log = await cliHere(['train', '--engine', 'cpu', '--steps', '5', '--out', f('fine.safetensors'), '--loss-log', '/sys/loss.csv']);
      expect(log.stderr).toBe('error: cannot write --loss-log "/sys/loss.csv": permission denied in "/sys"; choose a directory you can write to\n');
      expect(log.stdout).toBe('');
      const under = await cliHere(['train', '--engine', 'cpu', '--steps', '5', '--export', join(CORPUS_PATH, 'm.safetensors')]);
      expect(under.stderr).toMatch(/^error: --export ".*notebook-passage\.txt\/m\.safetensors": ".*notebook-passage\.txt" is not a directory/);
      const same = await cliHere(['train', '--engine', 'cpu', '--steps', '5', '--out', f('a.safetensors'), '--loss-log', `${dir}/bad/./a.safetensors`]);
      expect(same.stderr).toMatch(/^error: --out and --loss-log name the same file/);
      expect(readdirSync(join(dir, 'bad')).filter((n) => n.includes('probe'))).toEqual([]);
      expect(existsSync(f('fine.safetensors'))).toBe(false);
    },
    RUN_S,
  );

  it(
    'a checkpoint with NaN or infinite numbers is refused by sample, eval and train --resume, naming the file and the tensors',
    async () => {
      const c = load(ckpt);
      const hh = c.table.layers[0].weightHh;
      c.params.fill(NaN, hh.offset, hh.offset + 3);
      c.optimizer!.v[c.table.headBias.offset] = Infinity;
      const nan = f('nan.safetensors');
      writeFileSync(nan, saveCheckpoint(c));
      const why =
        'its numbers are not finite: lstm.weight_hh_l0 has 3 NaN values (of 1,024); optimizer.v.head.bias has 1 infinite value (of 38). The file cannot be used';
      for (const [args, flag] of [
        [['sample', '--engine', 'cpu', '--model', nan], 'model'],
        [['eval', '--engine', 'cpu', '--model', nan, '--text', CORPUS_PATH], 'model'],
        [['train', '--engine', 'cpu', '--resume', nan, '--steps', '2'], 'resume'],
      ] as const) {
        const r = await cliHere([...args]);
        expect(r.status, args.join(' ')).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toContain(`error: --${flag} ${JSON.stringify(nan)}: ${why}`);
      }
    },
    RUN_S,
  );

  it(
    'lr 10: training stops where the loss diverged, says what to change, keeps the last good state in --out and exits 1',
    () => {
      const out = f('diverged.safetensors');
      const r = cli(['train', ...TINY, '--lr', '10', '--steps', '30', '--out', out]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /^error: Training stopped at step 2: the loss diverged to \d+\.\d\d nats\/char \(it started at 3\.\d\d; the limit is 7\.\d\d\)\. The model is back at step 0, its last good state \(step 2's loss is measured on the weights after step 1, so the last good state is step 0's or older\)\. Lower --lr \(now 10; the notebook uses 0\.005\) or --clip \(now 5; the notebook uses 5\), then train again\.\n$/,
      );
      expect(r.stdout).toContain(`checkpoint: ${out} (the last good state, step 0; continue with --resume ${JSON.stringify(out)} and a lower --lr)`);
      const kept = load(out);
      expect(kept.step).toBe(0);
      expect(ok(['train', '--engine', 'cpu', '--resume', out, '--lr', '0.01', '--steps', '3']).stdout).toMatch(/^step 3\/3 /m);
    },
    RUN_S,
  );

  it(
    '--help prints usage and exits 0',
    () => {
      for (const c of ['train', 'sample', 'eval', 'bench']) {
        const r = ok([c, '--help']);
        expect(r.stdout).toMatch(new RegExp(`^usage: npm run ${c} --`));
      }
      expect(ok(['--help']).stdout).toMatch(/^char-lm: /);
    },
    RUN_S,
  );
});

describe('bench', () => {
  it('prints the engine, then figures for each configuration (skipping or shrinking on the CPU)', () => {
    const r = ok(['bench', '--engine', 'cpu', '--steps', '3'], 120_000);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('engine: CPU reference (float64)');
    expect(lines[1]).toMatch(/^notebook E32 H128 L1 B1 T40 V38: [\d.]+ ms\/step, [\d,]+ chars\/s, sampling [\d,]+ chars\/s \(3 timed steps\)$/);
    expect(lines[2]).toMatch(/^small +E32 H128 L1 B\d+ T64 V\d+: /);
    expect(lines[3]).toMatch(/^medium +E64 H256 L2 B\d+ T128 V\d+: /);
    // Whether `large` is skipped or shrunk depends on how fast this machine ran the notebook
    // (fitToBudget's own tests pin the rule); either way the line says which, and why.
    expect(lines[4]).toMatch(
      /^large +E128 H512 L2 (B64 T128 V\d+: skipped on the CPU engine \(~[\d.]+ s\/step, ~[\d.]+ s\/step with B1; it would take more than 20 s\)|B\d+ T128 V\d+: [\d.]+ ms\/step, [\d,]+ chars\/s, sampling [\d,]+ chars\/s \(\d+ timed steps\) \[shrunk from B64 for the CPU engine, which would take ~[\d.]+ s\/step\])$/,
    );
    expect(lines).toHaveLength(5);
  }, 180_000);
});
