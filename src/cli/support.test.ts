import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, NOTEBOOK_TRAIN } from '../model/config.ts';
import { CheckpointError, saveCheckpoint } from '../model/checkpoint.ts';
import { buildParamTable, initParams } from '../model/params.ts';
import { Rng } from '../model/rng.ts';
import { CorpusError } from '../text/corpus.ts';
import { Vocab, VocabError } from '../text/vocab.ts';
import { GpuUnavailableError, isSoftwareAdapter, type GpuContext } from '../gpu/device.ts';
import { fitToBudget, macsPerChar } from './bench.ts';
import { BENCH_CONFIGS } from '../engine/bench.ts';
import { dispatchBudget, dispatchReport } from '../engine/contract.ts';
import { encodeFor } from './common.ts';
import { CPU_LINE, openEngine, softwareName } from './engines.ts';
import { UsageError, describeError } from './errors.ts';
import { DEFAULT_CORPUS, readCheckpoint, readText } from './files.ts';
import { MovingAverage, Progress, formatCount, formatDuration, progressBar, progressLine, statusText } from './progress.ts';
import { fingerprint, parseTrainingStateRecord, trainingStateRecord } from '../model/training-state.ts';

const dir = mkdtempSync(join(tmpdir(), 'char-lm-cli-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('errors', () => {
  it('input errors exit 2, runtime errors 1, always one line starting "error:"', () => {
    for (const e of [new UsageError('a'), new ConfigError('b'), new CorpusError('c'), new VocabError('d'), new CheckpointError('e')]) {
      expect(describeError(e)).toEqual({ line: `error: ${e.message}`, code: 2 });
    }
    expect(describeError(new GpuUnavailableError('no adapter')).code).toBe(1);
    expect(describeError(new GpuUnavailableError('no adapter')).line).toMatch(/^error: no adapter; .*--engine cpu/);
    expect(describeError(new TypeError('x is not a function'))).toEqual({ line: 'error: x is not a function', code: 1 });
    expect(describeError('boom')).toEqual({ line: 'error: boom', code: 1 });
    expect(describeError(new Error('two\n  lines')).line).toBe('error: two lines');
  });
});

describe('engine choice', () => {
  const fake = (vendor: string, architecture: string, description: string) => {
    let destroyed = false;
    const ctx = {
      device: { destroy: () => (destroyed = true) } as unknown as GPUDevice,
      adapter: { vendor, architecture, description, summary: `${vendor} ${architecture} (${description})` },
    } as GpuContext;
    return { ctx, destroyed: () => destroyed };
  };

  it('recognises software adapters', () => {
    expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', architecture: 'software', description: 'llvmpipe: Mesa 25.0.7' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', architecture: '', description: 'lavapipe' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' })).toBe(false);
    expect(softwareName({ vendor: 'google', architecture: 'swiftshader', description: '' })).toBe('SwiftShader');
    expect(softwareName({ vendor: 'mesa', architecture: 'software', description: 'llvmpipe: Mesa' })).toBe('llvmpipe');
  });

  it('cpu never probes Dawn', async () => {
    const e = await openEngine('cpu', () => Promise.reject(new Error('probed')));
    expect(e.kind).toBe('cpu');
    expect(e.line).toBe(CPU_LINE);
    expect(e.note).toBeNull();
  });

  it('auto falls back to the CPU on a software adapter or none, and says why', async () => {
    const sw = fake('google', 'swiftshader', 'SwiftShader driver 5.0.0');
    const e = await openEngine('auto', async () => sw.ctx);
    expect(e.kind).toBe('cpu');
    expect(e.note).toBe('engine: CPU reference (Dawn found only a software adapter, SwiftShader, on which it is unstable; use --engine gpu to force it)');
    expect(sw.destroyed()).toBe(true);
    const none = await openEngine('auto', () => Promise.reject(new GpuUnavailableError('no WebGPU adapter was found by Dawn: install a driver')));
    expect(none.kind).toBe('cpu');
    expect(none.note).toBe('engine: CPU reference (Dawn found no WebGPU adapter)');
    await expect(openEngine('auto', () => Promise.reject(new Error('other')))).rejects.toThrow('other');
  });

  it('auto takes a hardware adapter; gpu forces any adapter', async () => {
    const hw = fake('nvidia', 'hopper', 'NVIDIA H200');
    const e = await openEngine('auto', async () => hw.ctx);
    expect(e.kind).toBe('gpu');
    expect(e.line).toBe('engine: WebGPU (Dawn) on nvidia hopper (NVIDIA H200)');
    expect(e.note).toBeNull();
    const sw = fake('google', 'swiftshader', 'SwiftShader driver');
    const forced = await openEngine('gpu', async () => sw.ctx);
    expect(forced.kind).toBe('gpu');
    expect(forced.line).toMatch(/^engine: WebGPU \(Dawn\) on google swiftshader .*software adapter/);
    await expect(openEngine('gpu', () => Promise.reject(new GpuUnavailableError('none')))).rejects.toBeInstanceOf(GpuUnavailableError);
  });
});

describe('progress', () => {
  it('formats', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(12)).toBe('12');
    expect(formatDuration(7)).toBe('0:07');
    expect(formatDuration(754)).toBe('12:34');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(NaN)).toBe('--:--');
    expect(progressBar(0.5, 10)).toBe('[#####-----]');
    expect(progressBar(2, 4)).toBe('[####]');
    const s = { step: 50, total: 100, first: 0, loss: 1.23456, average: 1.5, charsPerSecond: 1234.4, eta: 65 };
    expect(statusText(s)).toBe('step  50/100  loss 1.2346  avg10 1.5000  1,234 chars/s  ETA 1:05');
    expect(progressLine(s, 120).length).toBeLessThanOrEqual(120);
    expect(progressLine(s, 120)).toMatch(/^\[#+-+\] step {2}50\/100/);
    expect(progressLine(s, 0)).toContain('step  50/100');
  });

  it('moving average over the last 10', () => {
    const ma = new MovingAverage(10);
    for (let i = 1; i <= 9; i++) ma.push(i);
    expect(ma.full).toBe(false);
    expect(ma.value).toBe(5);
    ma.push(10);
    ma.push(11);
    expect(ma.full).toBe(true);
    expect(ma.value).toBe(6.5);
  });

  it('plain lines every N steps when not a terminal, and a summary', () => {
    const out: string[] = [];
    let t = 0;
    const p = new Progress({ write: (s: string) => out.push(s), isTTY: false }, 0, 25, 40, 10, () => t);
    for (let step = 1; step <= 25; step++) {
      t += 100;
      p.update(step, 4 - step * 0.1);
    }
    p.print('a sample');
    p.finish();
    expect(out.filter((l) => l.startsWith('step'))).toHaveLength(3); // 10, 20 and the last (25)
    expect(out[0]).toBe('step 10/25  loss 3.0000  avg10 3.4500  400 chars/s  ETA 0:02\n');
    expect(out.at(-1)).toBe('a sample\n');
    expect(p.summary()).toMatchObject({ firstStep: 1, lastStep: 25, bestAverageStep: 25 });
    expect(p.summary()!.firstLoss).toBeCloseTo(3.9);
    expect(p.summary()!.bestAverage).toBeCloseTo(4 - 2.05);
  });

  it('one line redrawn in place on a terminal, at most ~10 times a second', () => {
    const out: string[] = [];
    let t = 0;
    const p = new Progress({ write: (s: string) => out.push(s), isTTY: true, columns: 100 }, 0, 100, 40, 10, () => t);
    for (let step = 1; step <= 100; step++) {
      t += 10; // 100 steps a second
      p.update(step, 1);
    }
    p.print('sample');
    p.finish();
    const draws = out.filter((s) => s.startsWith('\r['));
    expect(draws.length).toBeGreaterThanOrEqual(10);
    expect(draws.length).toBeLessThanOrEqual(14);
    expect(out.every((s) => !s.includes('\n') || s === '\n' || s.endsWith('sample\n'))).toBe(true);
    expect(out.at(-1)).toBe('\n');
  });
});

describe('training state', () => {
  const model = { vocabSize: 5, embedSize: 3, hiddenSize: 4, layers: 2 };
  const train = { ...NOTEBOOK_TRAIN, batch: 2, schedule: 'streams' as const };
  const n = 2 * 2 * 4;
  const snap = {
    params: new Float32Array(1),
    optimizer: { m: new Float32Array(1), v: new Float32Array(1) },
    step: 7,
    batcher: { schedule: 'streams' as const, positions: [40, 90], rng: new Rng(3).getState(), epoch: 0, batches: 1 },
    carried: { h: new Float32Array(n).fill(0.25), c: new Float32Array(n).fill(-0.5) },
  };
  const corpus = { path: '/x.txt', characters: 100, fingerprint: 'abcd0123' };

  it('round-trips through JSON', () => {
    const s = JSON.parse(JSON.stringify(trainingStateRecord(snap, corpus)));
    const p = parseTrainingStateRecord(s, 7, model, train, 'here');
    expect(p.carried.h).toHaveLength(n);
    expect(p.batcher).toEqual(snap.batcher);
    expect(p.corpus).toEqual(corpus);
  });

  /** A parsed training-state record, damaged at any depth. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON edited at any depth
  type Damaged = Record<string, any>;
  it('rejects damage with one clear CheckpointError', () => {
    const good = () => JSON.parse(JSON.stringify(trainingStateRecord(snap, corpus)));
    const cases: [string, (s: Damaged) => unknown][] = [
      ['step', (s) => (s.step = 8)],
      ['schedule', (s) => (s.batcher.schedule = 'windows')],
      ['positions', (s) => (s.batcher.positions = ['a'])],
      ['random-generator', (s) => (s.batcher.rng.words = [1, 2])],
      ['carried h', (s) => (s.carried.h = [1])],
      ['corpus', (s) => delete s.corpus],
    ];
    for (const [what, damage] of cases) {
      const s = good();
      damage(s);
      expect(() => parseTrainingStateRecord(s, 7, model, train, '--resume "f"')).toThrow(CheckpointError);
      expect(() => parseTrainingStateRecord(s, 7, model, train, '--resume "f"')).toThrow(what);
    }
    expect(() => parseTrainingStateRecord('x', 7, model, train, 'w')).toThrow(/^w: the training state is damaged/);
  });
});

describe('files and text', () => {
  it('reads the default corpus, rejects missing, directory and non-UTF-8 files', () => {
    expect(readText('corpus', DEFAULT_CORPUS)).toMatch(/^It is a truth universally acknowledged/);
    expect(() => readText('corpus', join(dir, 'missing.txt'))).toThrow(/cannot read --corpus ".*missing.txt": no such file/);
    expect(() => readText('corpus', dir)).toThrow(/is a directory/);
    writeFileSync(join(dir, 'latin1.txt'), Uint8Array.from([0x63, 0x61, 0x66, 0xe9]));
    expect(() => readText('corpus', join(dir, 'latin1.txt'))).toThrow(/is not UTF-8 text: the bytes at offset 3 \(0xE9\)/);
  });

  it('refuses a PNG, an empty file and a corpus over the limit with the words the page uses, before reading an over-limit file', () => {
    const png = join(dir, 'photo.png');
    writeFileSync(png, Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]));
    expect(() => readText('corpus', png)).toThrow(`--corpus ${JSON.stringify(png)} is a PNG image, not a text; give a plain-text (.txt) file, saved as UTF-8`);
    expect(() => readText('corpus', png)).toThrow(UsageError);
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    expect(() => readText('text', empty)).toThrow(`--text ${JSON.stringify(empty)} is empty (0 bytes)`);
    // A sparse file: 300 MB by its size, no disk space, never read.
    const huge = join(dir, 'huge.txt');
    const fd = openSync(huge, 'w');
    ftruncateSync(fd, 300e6);
    closeSync(fd);
    expect(() => readText('corpus', huge)).toThrow(
      `--corpus ${JSON.stringify(huge)} is 300.0 MB; the command line takes texts up to 256 MB (the run holds the text with 4-byte ids for each character, about 6 bytes of memory per byte of text); use an excerpt`,
    );
    unlinkSync(huge);
  });

  it('loads a checkpoint file (a Node Buffer is copied: Buffer.slice is a view, which decodeSafetensors does not expect)', () => {
    const config = { vocabSize: 3, embedSize: 2, hiddenSize: 3, layers: 1 };
    const table = buildParamTable(config);
    const params = initParams(table, new Rng(1));
    const file = join(dir, 'tiny.safetensors');
    writeFileSync(file, saveCheckpoint({ config, vocab: ['a', 'b', 'c'], table, params, step: 3 }));
    const c = readCheckpoint('model', file);
    expect(c.params).toEqual(params);
    writeFileSync(join(dir, 'junk.safetensors'), 'not a checkpoint at all');
    expect(() => readCheckpoint('model', join(dir, 'junk.safetensors'))).toThrow(/^--model ".*junk.safetensors": not a safetensors file/);
  });

  it('names the first character outside the vocabulary', () => {
    const v = Vocab.fromText('abc ');
    expect(Array.from(encodeFor(v, 'cab', '--prime'))).toEqual([3, 1, 2]);
    expect(() => encodeFor(v, 'ab§', '--prime')).toThrow(
      '--prime: character "§" (U+00A7) at position 2 is not in the model\'s vocabulary of 4 characters; use characters the model was trained on',
    );
  });

  it('fingerprints texts', () => {
    expect(fingerprint('abc')).toBe(fingerprint('abc'));
    expect(fingerprint('abc')).not.toBe(fingerprint('abd'));
    expect(fingerprint('')).toMatch(/^[0-9a-f]{8}$/);
  });
});

describe('bench helpers', () => {
  it('dispatch budget and CPU sizing', () => {
    expect(dispatchBudget(1)).toBe(8 + 16);
    expect(dispatchBudget(3)).toBe(3 * 8 + 16);
    // Never relaxed: a step over it (the per-timestep recurrence) is reported as over budget.
    expect(dispatchReport(16, dispatchBudget(1))).toBe('16/step (budget 24)');
    expect(dispatchReport(2 * 40 + 16, dispatchBudget(1))).toBe('96/step — over the budget of 24 (8·L + 16) by 72');
    expect(macsPerChar({ vocabSize: 38, embed: 32, hidden: 128, layers: 1 })).toBe(38 * 128 + 4 * 128 * 160);
    const [notebook, small, medium, large] = BENCH_CONFIGS;
    expect(small).toMatchObject({ embed: 32, hidden: 128, layers: 1, batch: 32, seqLen: 64 });
    expect(notebook).toMatchObject({ embed: 32, hidden: 128, layers: 1, batch: 1, seqLen: 40 });
    expect(medium).toMatchObject({ embed: 64, hidden: 256, layers: 2, batch: 64, seqLen: 128 });
    expect(large).toMatchObject({ embed: 128, hidden: 512, layers: 2, batch: 64, seqLen: 128 });
    const spm = 5e-9; // seconds per multiply-add of the CPU engine, roughly
    const fit = fitToBudget(medium, 75, spm, 20, 20);
    expect(fit).not.toBeNull();
    expect(fit!.config.batch).toBeLessThan(64);
    expect(fit!.estimate * (fit!.steps + 1)).toBeLessThanOrEqual(20);
    expect(fitToBudget(large, 75, spm, 20, 20)).toBeNull();
    expect(fitToBudget(notebook, 38, spm, 20, 20)).toMatchObject({ config: notebook, steps: 20 });
  });
});
