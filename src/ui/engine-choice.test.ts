import { describe, expect, it } from 'vitest';
import { NOTEBOOK_SETTINGS, SETTINGS_PRESETS } from '../run/settings.ts';
import { chooseEngine, perStep, stepShape } from './engine-choice.ts';

const NOVEL = SETTINGS_PRESETS.find((p) => p.id === 'novel')!.settings;
const swiftshader = { adapter: 'google swiftshader', software: true, error: null };
const hardware = { adapter: 'nvidia ampere', software: false, error: null };
const none = { adapter: null, software: false, error: 'WebGPU is not available' };

describe('chooseEngine', () => {
  it('auto on a software adapter: the engine predicted faster, both predictions in the words', () => {
    // The notebook settings on this project's 2-core machine: the CPU engine ≈ 3× faster.
    expect(chooseEngine('auto', swiftshader, { cpu: 31, gpu: 104 })).toEqual({
      kind: 'cpu',
      why: 'automatic: predicted CPU ~31 ms/step, WebGPU (software adapter) ~100 ms/step here',
    });
    // The novel preset there: SwiftShader's wide kernels win.
    expect(chooseEngine('auto', swiftshader, { cpu: 22_400, gpu: 13_100 })).toEqual({
      kind: 'gpu',
      why: 'automatic: predicted WebGPU (software adapter) ~13 s/step, CPU ~22 s/step here',
    });
  });

  it('auto on a hardware GPU: WebGPU unless the prediction says otherwise', () => {
    expect(chooseEngine('auto', hardware, { cpu: 30, gpu: 1.2 })).toMatchObject({
      kind: 'gpu',
      why: 'automatic: predicted WebGPU (hardware GPU) ~1 ms/step, CPU ~30 ms/step here',
    });
    expect(chooseEngine('auto', hardware, { cpu: 3, gpu: 4 }).kind).toBe('cpu');
  });

  it('auto without WebGPU: the CPU engine; a failed calibration falls back on the adapter kind', () => {
    expect(chooseEngine('auto', none, { cpu: 30, gpu: null })).toEqual({
      kind: 'cpu',
      why: 'automatic: WebGPU is unavailable in this browser (~30 ms/step here)',
    });
    expect(chooseEngine('auto', none, { cpu: null, gpu: null }).why).toBe('automatic: WebGPU is unavailable in this browser');
    expect(chooseEngine('auto', swiftshader, { cpu: 30, gpu: null })).toMatchObject({ kind: 'cpu', why: expect.stringContaining('could not be measured') });
    expect(chooseEngine('auto', hardware, { cpu: null, gpu: null })).toMatchObject({ kind: 'gpu', why: expect.stringContaining('hardware GPU') });
  });

  it("while a prediction is being measured: the adapter's kind decides, provisionally, and the line says so", () => {
    expect(chooseEngine('auto', swiftshader, { cpu: 31, gpu: undefined })).toEqual({
      kind: 'cpu',
      why: 'automatic: predicted CPU ~31 ms/step here; measuring WebGPU (software adapter)…',
      provisional: true,
    });
    expect(chooseEngine('auto', hardware, { cpu: undefined, gpu: undefined })).toEqual({
      kind: 'gpu',
      why: 'automatic: measuring CPU and WebGPU (hardware GPU)…',
      provisional: true,
    });
    // A failed measurement is not waited for.
    expect(chooseEngine('auto', swiftshader, { cpu: null, gpu: undefined })).toMatchObject({
      kind: 'cpu',
      why: expect.stringContaining('could not be measured'),
    });
    expect(chooseEngine('auto', none, { cpu: undefined, gpu: null })).toEqual({ kind: 'cpu', why: 'automatic: WebGPU is unavailable in this browser' });
  });

  it('gpu and cpu override the choice (with the predictions where known); gpu without WebGPU is refused with what to do', () => {
    expect(chooseEngine('gpu', swiftshader, { cpu: 31, gpu: 104 })).toEqual({
      kind: 'gpu',
      why: 'chosen by hand; predicted WebGPU (software adapter) ~100 ms/step, CPU ~31 ms/step here',
    });
    expect(chooseEngine('cpu', hardware, { cpu: 30, gpu: null })).toEqual({ kind: 'cpu', why: 'chosen by hand' });
    expect(() => chooseEngine('gpu', none, { cpu: null, gpu: null })).toThrow(
      'engine="gpu" asks for the GPU engine, but WebGPU is unavailable: WebGPU is not available; use engine="auto" or "cpu"',
    );
  });
});

describe('perStep and stepShape', () => {
  it('rounds a prediction as an estimate', () => {
    expect([4.3, 31.4, 104, 999, 1500, 13_100, 150_000].map(perStep)).toEqual([
      '~4 ms/step',
      '~31 ms/step',
      '~100 ms/step',
      '~1.0 s/step',
      '~1.5 s/step',
      '~13 s/step',
      '~3 min/step',
    ]);
  });

  it("is the settings' step with a vocabulary of 100 unless given", () => {
    expect(stepShape(NOVEL)).toEqual({ vocab: 100, embed: 64, hidden: 256, layers: 2, batch: 32, seqLen: 64 });
    expect(stepShape(NOTEBOOK_SETTINGS, 38)).toEqual({ vocab: 38, embed: 32, hidden: 128, layers: 1, batch: 1, seqLen: 40 });
  });
});
