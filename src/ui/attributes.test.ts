import { describe, expect, it } from 'vitest';
import { DEFAULT_ATTRIBUTES, numberAttribute, readAttributes, type AttributeValues } from './attributes.ts';

const DEFAULTS: AttributeValues = {
  preset: 'notebook',
  corpusUrl: '',
  settingsPreset: 'notebook',
  embedSize: undefined,
  hiddenSize: undefined,
  layers: undefined,
  steps: undefined,
  sampleEvery: undefined,
  temperatures: '0.5,1.0,1.5',
  prime: 'Mr Bennet',
  engine: 'auto',
};

/** What the element would get from these attribute texts (as Lit's converter reads them). */
function read(attrs: Record<string, string>, values: Partial<AttributeValues> = {}) {
  const v = { ...DEFAULTS, ...values };
  const raw = (a: string) => attrs[a] ?? null;
  for (const [attr, prop] of [
    ['embed-size', 'embedSize'],
    ['hidden-size', 'hiddenSize'],
    ['layers', 'layers'],
    ['steps', 'steps'],
    ['sample-every', 'sampleEvery'],
  ] as const) {
    if (attrs[attr] !== undefined) v[prop] = numberAttribute.fromAttribute(attrs[attr]);
  }
  return (previous = DEFAULT_ATTRIBUTES) => readAttributes(v, raw, previous);
}

describe('readAttributes', () => {
  it('puts numeric attributes over the settings preset', () => {
    const { applied, errors } = read({ 'hidden-size': '24', steps: '15' }, { settingsPreset: 'novel' })();
    expect(errors).toEqual([]);
    expect(applied.settings.model).toEqual({ embedSize: 64, hiddenSize: 24, layers: 2 });
    expect(applied.settings.steps).toBe(15);
    expect(applied.settings.train.schedule).toBe('streams');
  });

  it('names the attribute and its range for a number it cannot read, and keeps the previous value', () => {
    const previous = read({ 'hidden-size': '24' })().applied;
    const { applied, errors } = read({ 'hidden-size': 'abc' })(previous);
    expect(errors).toEqual(['hidden-size must be an integer from 1 to 2048, got "abc"']);
    expect(applied.settings.model.hiddenSize).toBe(24);
    expect(errors.join()).not.toContain('NaN');
    expect(read({ layers: '' })().errors).toEqual(['layers must be an integer from 1 to 16, got ""']);
    expect(read({ 'sample-every': '-1' })().errors[0]).toBe('sample-every must be an integer from 0 to 100000000, got "-1"');
  });

  it('names the allowed values of the enumerated attributes', () => {
    const { applied, errors } = read({}, { preset: 'moby-dick', settingsPreset: 'huge', engine: 'tpu' })();
    expect(errors).toEqual([
      'preset must be one of notebook, pride-and-prejudice, tinyshakespeare, got "moby-dick"',
      'settings must be one of notebook, novel, got "huge"',
      'engine must be one of auto, gpu, cpu, got "tpu"',
    ]);
    expect(applied.preset).toBe('notebook');
    expect(applied.settingsPreset).toBe('notebook');
    expect(applied.engine).toBe('auto');
  });

  it('checks temperatures as the form does, naming the attribute', () => {
    const { applied, errors } = read({}, { temperatures: '0.5,hot' })();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^temperatures must be a comma-separated list of numbers from 0 to 100/);
    expect(applied.temperatures).toBe('0.5,1.0,1.5');
    expect(read({}, { temperatures: '0.7,1.2' })().applied.temperatures).toBe('0.7,1.2');
  });

  it('takes a property set to a number from a script', () => {
    const { applied, errors } = read({}, { embedSize: 8, corpusUrl: ' https://example.org/a.txt ' })();
    expect(errors).toEqual([]);
    expect(applied.settings.model.embedSize).toBe(8);
    expect(applied.corpusUrl).toBe('https://example.org/a.txt');
  });
});

describe('every value a page may give', () => {
  it('steps must be a positive whole number: -5, 0, 1.5 and text are named as given, never NaN', () => {
    for (const raw of ['-5', '0', '1.5', 'abc', ' ', '1e3']) {
      const { applied, errors } = read({ steps: raw })();
      expect(errors).toEqual([`steps must be an integer from 1 to 100000000, got ${JSON.stringify(raw)}`]);
      expect(applied.settings.steps).toBe(DEFAULT_ATTRIBUTES.settings.steps);
    }
    // The same through the property, as numbers.
    for (const v of [-5, 0, 1.5, Infinity]) expect(read({}, { steps: v })().errors).toEqual([`steps must be an integer from 1 to 100000000, got "${v}"`]);
  });

  it('a property holding another type is read as its text, and reported by it', () => {
    const odd = { preset: 7, engine: true, temperatures: 1.5, hiddenSize: '24', layers: true } as unknown as Partial<AttributeValues>;
    const { applied, errors } = read({}, odd)();
    expect(errors).toEqual([
      'preset must be one of notebook, pride-and-prejudice, tinyshakespeare, got "7"',
      'engine must be one of auto, gpu, cpu, got "true"',
      'layers must be an integer from 1 to 16, got "true"',
    ]);
    expect(applied.temperatures).toBe('1.5');
    expect(applied.settings.model.hiddenSize).toBe(24);
  });

  it('a removed attribute (null) goes back to its default, with no error', () => {
    const previous = read({}, { preset: 'tinyshakespeare', settingsPreset: 'novel', engine: 'cpu', temperatures: '0.7', prime: 'the', controls: 'generate' })()
      .applied;
    const removed = {
      preset: null,
      settingsPreset: null,
      engine: null,
      temperatures: null,
      prime: null,
      controls: null,
    } as unknown as Partial<AttributeValues>;
    const { applied, errors } = read({}, removed)(previous);
    expect(errors).toEqual([]);
    expect(applied).toMatchObject({
      preset: 'notebook',
      settingsPreset: 'notebook',
      engine: 'auto',
      temperatures: '0.5,1.0,1.5',
      prime: 'Mr Bennet',
      controls: 'all',
    });
  });
});

describe('model-url and controls', () => {
  it('keep a model URL (trimmed) and accept all or generate', () => {
    const { applied, errors } = read({}, { modelUrl: ' models/a.safetensors ', controls: 'generate' })();
    expect(errors).toEqual([]);
    expect(applied.modelUrl).toBe('models/a.safetensors');
    expect(applied.controls).toBe('generate');
    expect(read({})().applied).toMatchObject({ modelUrl: '', controls: 'all' });
  });

  it('refuse another controls value, keeping the last good one', () => {
    const previous = read({}, { controls: 'generate' })().applied;
    const { applied, errors } = read({}, { controls: 'none' })(previous);
    expect(errors).toEqual(['controls must be one of all, generate, got "none"']);
    expect(applied.controls).toBe('generate');
  });
});
