import { describe, expect, it } from 'vitest';
import { NOTEBOOK_MODEL, NOTEBOOK_TRAIN, type TrainConfig } from '../model/config.ts';
import {
  freshConfig,
  parseBenchArgs,
  parseCommand,
  parseEvalArgs,
  parseIntFlag,
  parseNumFlag,
  parseSampleArgs,
  parseTemperatures,
  parseTrainArgs,
  resumedConfig,
} from './args.ts';
import { UsageError } from './errors.ts';
import { formatTemperature } from '../run/settings.ts';

/** The UsageError message thrown by f (fails if f does not throw one). */
function usageError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('expected a UsageError');
}

describe('number flags', () => {
  it('accepts integers in range and names flag, range and value otherwise', () => {
    expect(parseIntFlag('hidden', '128', 1, 2048)).toBe(128);
    expect(parseIntFlag('hidden', ' 7 ', 1, 2048)).toBe(7);
    expect(usageError(() => parseIntFlag('hidden', 'abc', 1, 2048))).toBe('--hidden must be an integer from 1 to 2048, got "abc"');
    for (const bad of ['', '1.5', '1e3', '0x10', '0', '2049', '12abc', 'NaN', '99999999999999999999']) {
      expect(usageError(() => parseIntFlag('hidden', bad, 1, 2048))).toContain(`got ${JSON.stringify(bad)}`);
    }
  });

  it('accepts decimal and exponent numbers in range', () => {
    expect(parseNumFlag('lr', '0.005', 0, 10, true)).toBe(0.005);
    expect(parseNumFlag('lr', '5e-3', 0, 10, true)).toBe(0.005);
    expect(parseNumFlag('lr', '.5', 0, 10, true)).toBe(0.5);
    expect(parseNumFlag('clip', '0', 0, 1e9)).toBe(0);
    expect(usageError(() => parseNumFlag('lr', '0', 0, 10, true))).toBe('--lr must be a number > 0 and ≤ 10, got "0"');
    for (const bad of ['', 'fast', 'Infinity', '1,5', '11', '-1', '0x1']) expect(() => parseNumFlag('lr', bad, 0, 10, true)).toThrow(UsageError);
  });

  it('parses temperature lists', () => {
    expect(parseTemperatures('0.5,1.0,1.5')).toEqual([0.5, 1, 1.5]);
    expect(parseTemperatures(' 0 , 2')).toEqual([0, 2]);
    expect(usageError(() => parseTemperatures('0.5,hot'))).toContain('got "0.5,hot"');
    expect(() => parseTemperatures('')).toThrow(UsageError);
    expect(() => parseTemperatures('1,,2')).toThrow(UsageError);
    expect(() => parseTemperatures('-1')).toThrow(UsageError);
    expect(() => parseTemperatures(Array(17).fill('1').join(','))).toThrow(/at most 16/);
    expect(formatTemperature(1)).toBe('1.0');
    expect(formatTemperature(0.5)).toBe('0.5');
    expect(formatTemperature(2)).toBe('2.0');
  });
});

describe('commands', () => {
  it('splits the command and rejects unknown or missing ones', () => {
    expect(parseCommand(['train', '--steps', '5'])).toEqual({ command: 'train', rest: ['--steps', '5'] });
    expect(parseCommand(['--help']).command).toBe('help');
    expect(usageError(() => parseCommand([]))).toMatch(/give a command/);
    expect(usageError(() => parseCommand(['fit']))).toBe('unknown command "fit": use train, sample, eval or bench');
  });

  it('train: no flags is the notebook run', () => {
    const a = parseTrainArgs([]);
    expect(a).toMatchObject({ corpus: null, model: {}, train: {}, steps: 1000, out: null, exportPath: null, resume: null, sampleEvery: 100, engine: 'auto' });
    const c = freshConfig(a, 38);
    expect(c.model).toEqual({ vocabSize: 38, ...NOTEBOOK_MODEL });
    expect(c.train).toEqual(NOTEBOOK_TRAIN);
    expect(c.model).toMatchObject({ embedSize: 32, hiddenSize: 128, layers: 1 });
    expect(c.train).toMatchObject({ batch: 1, seqLen: 40, lr: 0.005, clip: 5, schedule: 'windows' });
  });

  it('train: every flag', () => {
    const a = parseTrainArgs([
      '--corpus',
      'x.txt',
      '--embed',
      '8',
      '--hidden',
      '16',
      '--layers',
      '2',
      '--batch',
      '4',
      '--seq-len',
      '32',
      '--lr',
      '1e-3',
      '--lr-decay',
      '0.999',
      '--clip',
      '0',
      '--schedule',
      'streams',
      '--seed',
      '7',
      '--steps',
      '30',
      '--out',
      'a.safetensors',
      '--export',
      'b.safetensors',
      '--sample-every',
      '0',
      '--log-every',
      '5',
      '--engine',
      'cpu',
    ]);
    expect(a).toMatchObject({
      corpus: 'x.txt',
      steps: 30,
      out: 'a.safetensors',
      exportPath: 'b.safetensors',
      sampleEvery: 0,
      logEvery: 5,
      engine: 'cpu',
      model: { embedSize: 8, hiddenSize: 16, layers: 2 },
      train: { batch: 4, seqLen: 32, lr: 0.001, lrDecay: 0.999, clip: 0, schedule: 'streams', seed: 7 },
    });
    expect(freshConfig(a, 10).train).toEqual({ ...NOTEBOOK_TRAIN, batch: 4, seqLen: 32, lr: 0.001, lrDecay: 0.999, clip: 0, schedule: 'streams', seed: 7 });
  });

  it('train: --settings novel starts from the page’s novel preset; flags override it; a resumed run refuses it', () => {
    const a = parseTrainArgs(['--settings', 'novel', '--hidden', '64']);
    expect(a).toMatchObject({ steps: 5000, sampleEvery: 200, valEvery: 200 });
    const c = freshConfig(a, 75);
    expect(c.model).toEqual({ vocabSize: 75, embedSize: 64, hiddenSize: 64, layers: 2 });
    expect(c.train).toEqual({ ...NOTEBOOK_TRAIN, batch: 32, seqLen: 64, lr: 0.002, lrDecay: 0.9998, clip: 5, schedule: 'streams' });
    expect(freshConfig(parseTrainArgs(['--settings', 'notebook']), 38)).toEqual(freshConfig(parseTrainArgs([]), 38));
    expect(usageError(() => parseTrainArgs(['--settings', 'huge']))).toBe('--settings must be one of notebook, novel, got "huge"');
    expect(usageError(() => parseTrainArgs(['--settings', 'novel', '--resume', 'a.safetensors']))).toBe(
      "--settings novel chooses a fresh run's settings; a resumed run keeps its checkpoint's: leave --settings out",
    );
  });

  it('train: bad flags are one-line usage errors', () => {
    expect(usageError(() => parseTrainArgs(['--hidden', 'abc']))).toBe('--hidden must be an integer from 1 to 2048, got "abc"');
    expect(usageError(() => parseTrainArgs(['--hidden', '4096']))).toContain('from 1 to 2048');
    expect(usageError(() => parseTrainArgs(['--bogus']))).toBe('unknown flag --bogus for train; see npm run train -- --help');
    expect(usageError(() => parseTrainArgs(['-x']))).toContain('unknown flag -x');
    expect(usageError(() => parseTrainArgs(['--lr']))).toBe('--lr needs a value; see npm run train -- --help');
    expect(usageError(() => parseTrainArgs(['--lr', '-1']))).toContain('--lr=VALUE');
    expect(usageError(() => parseTrainArgs(['--lr=-1']))).toContain('--lr must be a number > 0');
    expect(usageError(() => parseTrainArgs(['corpus.txt']))).toContain('unexpected argument "corpus.txt"');
    expect(usageError(() => parseTrainArgs(['--help=yes']))).toBe('--help does not take a value');
    expect(usageError(() => parseTrainArgs(['--schedule', 'random']))).toBe('--schedule must be streams or windows, got "random"');
    expect(usageError(() => parseTrainArgs(['--engine', 'tpu']))).toBe('--engine must be auto, gpu or cpu, got "tpu"');
    expect(usageError(() => parseTrainArgs(['--steps', '0']))).toContain('--steps must be an integer from 1');
    expect(usageError(() => parseTrainArgs(['--sample-every', '-5']))).toContain('--sample-every');
    expect(usageError(() => parseTrainArgs(['--out', '']))).toContain('--out needs a file name');
    expect(usageError(() => parseTrainArgs(['--out', 'a', '--export', 'a']))).toContain('same file');
    for (const steps of ['1.5', '1e3', '0', '-5', 'abc', '']) {
      expect(usageError(() => parseTrainArgs([`--steps=${steps}`]))).toBe(`--steps must be an integer from 1 to 100000000, got ${JSON.stringify(steps)}`);
    }
    // A flag given twice is refused, not silently the last one.
    expect(usageError(() => parseTrainArgs(['--steps', '12', '--steps=13']))).toBe('--steps is given twice ("12" and "13"); give it once');
    expect(usageError(() => parseSampleArgs(['--model', 'a', '--prime', 'x', '--prime', 'y']))).toContain('--prime is given twice');
    expect(parseTrainArgs(['-h', '--help']).help).toBe(true);
  });

  it('--help wins over other flags', () => {
    expect(parseTrainArgs(['--help', '--hidden', 'abc']).help).toBe(true);
    expect(parseSampleArgs(['-h']).help).toBe(true);
    expect(parseEvalArgs(['--help']).help).toBe(true);
    expect(parseBenchArgs(['--help']).help).toBe(true);
  });

  it('resume: model and data flags must match the checkpoint, optimisation flags may change', () => {
    const saved = { model: { vocabSize: 38, embedSize: 8, hiddenSize: 16, layers: 1 }, train: { ...NOTEBOOK_TRAIN, seqLen: 16 } as TrainConfig };
    expect(resumedConfig(parseTrainArgs(['--resume', 'r']), saved)).toEqual(saved);
    expect(resumedConfig(parseTrainArgs(['--resume', 'r', '--hidden', '16', '--seq-len', '16']), saved)).toEqual(saved);
    expect(resumedConfig(parseTrainArgs(['--resume', 'r', '--lr', '0.001', '--clip', '1']), saved).train).toMatchObject({ lr: 0.001, clip: 1, seqLen: 16 });
    expect(usageError(() => resumedConfig(parseTrainArgs(['--resume', 'r', '--hidden', '32']), saved))).toBe(
      '--hidden 32 does not match the checkpoint being resumed (hidden size 16); leave --hidden out or give 16',
    );
    for (const f of [
      ['--embed', '4'],
      ['--layers', '2'],
      ['--batch', '2'],
      ['--seq-len', '40'],
      ['--schedule', 'streams'],
      ['--seed', '1'],
    ]) {
      expect(() => resumedConfig(parseTrainArgs(['--resume', 'r', ...f]), saved)).toThrow(UsageError);
    }
  });

  it('sample: defaults and validation', () => {
    expect(parseSampleArgs(['--model', 'm.safetensors'])).toEqual({
      help: false,
      model: 'm.safetensors',
      prime: 'It is',
      length: 120,
      temperatures: [0.5, 1, 1.5],
      topK: 0,
      topP: 1,
      seed: 0,
      engine: 'auto',
    });
    expect(
      parseSampleArgs([
        '--model',
        'm',
        '--prime',
        'Mr Bennet',
        '--length',
        '5',
        '--temperature',
        '0.8',
        '--top-k',
        '3',
        '--top-p',
        '0.9',
        '--seed',
        '9',
        '--engine',
        'cpu',
      ]),
    ).toMatchObject({ prime: 'Mr Bennet', length: 5, temperatures: [0.8], topK: 3, topP: 0.9, seed: 9, engine: 'cpu' });
    expect(usageError(() => parseSampleArgs([]))).toBe('sample needs --model FILE; see npm run sample -- --help');
    expect(usageError(() => parseSampleArgs(['--model', 'm', '--prime=']))).toContain('--prime must have at least one character');
    expect(usageError(() => parseSampleArgs(['--model', 'm', '--length', '0']))).toContain('--length');
    expect(usageError(() => parseSampleArgs(['--model', 'm', '--top-p', '0']))).toContain('--top-p must be a number > 0 and ≤ 1');
    expect(usageError(() => parseSampleArgs(['--model', 'm', '--top-k', '-1']))).toContain('--top-k');
    expect(usageError(() => parseSampleArgs(['--model', 'm', '--seed', '4294967296']))).toContain('--seed');
  });

  it('eval and bench', () => {
    expect(parseEvalArgs(['--model', 'm', '--text', 't', '--engine', 'gpu'])).toEqual({ help: false, model: 'm', text: 't', engine: 'gpu' });
    expect(usageError(() => parseEvalArgs(['--model', 'm']))).toBe('eval needs --text FILE; see npm run eval -- --help');
    expect(usageError(() => parseEvalArgs(['--text', 't']))).toContain('eval needs --model FILE');
    expect(parseBenchArgs([])).toEqual({ help: false, steps: null, engine: 'auto', profile: false, record: false, parity: false, notebookRun: false });
    expect(parseBenchArgs(['--steps', '3', '--profile', '--record', '--engine', 'gpu'])).toEqual({
      help: false,
      steps: 3,
      engine: 'gpu',
      profile: true,
      record: true,
      parity: false,
      notebookRun: false,
    });
    expect(parseBenchArgs(['--parity', '--engine', 'gpu'])).toMatchObject({ parity: true, notebookRun: false, engine: 'gpu' });
    expect(parseBenchArgs(['--notebook-run'])).toMatchObject({ parity: false, notebookRun: true });
    expect(usageError(() => parseBenchArgs(['--parity', '--notebook-run']))).toBe(
      '--parity and --notebook-run each replace the figures: give one of them (run bench twice for both)',
    );
    expect(usageError(() => parseBenchArgs(['--notebook-run', '--record']))).toBe(
      '--notebook-run runs no speed figures, so --record has nothing to apply to: leave one of them out',
    );
    expect(usageError(() => parseBenchArgs(['--parity', '--steps', '3']))).toContain('--parity runs no speed figures, so --steps');
    expect(usageError(() => parseBenchArgs(['--profile=yes']))).toBe('--profile does not take a value');
    expect(usageError(() => parseBenchArgs(['--steps', 'x']))).toContain('--steps must be an integer');
  });
});
