import { describe, expect, it } from 'vitest';
import { NOTEBOOK_SETTINGS, SETTINGS_PRESETS } from '../run/settings.ts';
import { chooseEngine } from './engine-choice.ts';

const NOVEL = SETTINGS_PRESETS.find((p) => p.id === 'novel')!.settings;
/** E 64, H 512, 2 layers: 3.3 million parameters. */
const LARGE = { ...NOVEL, model: { embedSize: 64, hiddenSize: 512, layers: 2 } };
const swiftshader = { adapter: 'google swiftshader', software: true, error: null };
const hardware = { adapter: 'nvidia ampere', software: false, error: null };
const none = { adapter: null, software: false, error: 'WebGPU is not available' };

describe('chooseEngine', () => {
  it('auto: the GPU on a hardware adapter, the CPU without WebGPU', () => {
    expect(chooseEngine('auto', hardware, NOTEBOOK_SETTINGS)).toMatchObject({ kind: 'gpu', why: expect.stringContaining('hardware GPU') });
    expect(chooseEngine('auto', none, NOTEBOOK_SETTINGS)).toMatchObject({ kind: 'cpu', why: expect.stringContaining('WebGPU is unavailable') });
  });

  it('auto on a software adapter: the CPU engine for small models, WebGPU for large ones', () => {
    expect(chooseEngine('auto', swiftshader, NOTEBOOK_SETTINGS)).toMatchObject({ kind: 'cpu', why: expect.stringContaining('software renderer') });
    // The novel preset (880,139 parameters) is under the line; 3.3 million is over it.
    expect(chooseEngine('auto', swiftshader, NOVEL)).toMatchObject({ kind: 'cpu', why: expect.stringContaining('software renderer') });
    expect(chooseEngine('auto', swiftshader, LARGE)).toMatchObject({ kind: 'gpu', why: expect.stringContaining('3.3 million parameters') });
  });

  it('gpu and cpu override the choice; gpu without WebGPU is refused with what to do', () => {
    expect(chooseEngine('gpu', swiftshader, NOTEBOOK_SETTINGS).kind).toBe('gpu');
    expect(chooseEngine('cpu', hardware, NOVEL)).toEqual({ kind: 'cpu', why: 'chosen by hand' });
    expect(() => chooseEngine('gpu', none, NOTEBOOK_SETTINGS)).toThrow(
      'engine="gpu" asks for the GPU engine, but WebGPU is unavailable: WebGPU is not available; use engine="auto" or "cpu"',
    );
  });
});
