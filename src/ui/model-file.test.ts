import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from '../model/checkpoint.ts';
import { buildParamTable } from '../model/params.ts';
import { NOTEBOOK_SETTINGS } from '../run/settings.ts';
import { defaultReplacement, describeCharacter, fetchModel, fileNameOf, isModelOnly, settingsForModel } from './model-file.ts';

function modelBytes(): Uint8Array {
  const config = { vocabSize: 3, embedSize: 2, hiddenSize: 2, layers: 1 };
  const table = buildParamTable(config);
  return saveCheckpoint({ config, vocab: [' ', 'a', 'b'], table, params: new Float32Array(table.totalSize), step: 7 });
}

afterEach(() => vi.unstubAllGlobals());

describe('model files', () => {
  it('show characters with their code points, and offer the space first', () => {
    expect(describeCharacter('Z')).toBe('“Z” (U+005A)');
    expect(describeCharacter('—')).toBe('“—” (U+2014)');
    expect(describeCharacter('\n')).toBe('newline (U+000A)');
    expect(defaultReplacement(['\n', ' ', 'a'])).toBe(' ');
    expect(defaultReplacement(['a', 'b'])).toBe('a');
  });

  it("take the model's shape, and its training layout only where the text can feed it", () => {
    const config = { vocabSize: 3, embedSize: 2, hiddenSize: 2, layers: 1 };
    const table = buildParamTable(config);
    const trainConfig = { ...NOTEBOOK_SETTINGS.train, batch: 32, seqLen: 64, schedule: 'streams' as const };
    const c = loadCheckpoint(saveCheckpoint({ config, vocab: [' ', 'a', 'b'], table, params: new Float32Array(table.totalSize), step: 7, trainConfig }));
    const big = settingsForModel(c, NOTEBOOK_SETTINGS, 685_000);
    expect(big.model).toEqual({ embedSize: 2, hiddenSize: 2, layers: 1 });
    expect(big.train).toEqual(trainConfig);
    const small = settingsForModel(c, NOTEBOOK_SETTINGS, 1153); // 32 streams of 64 need 2,049 characters
    expect(small.model).toEqual({ embedSize: 2, hiddenSize: 2, layers: 1 });
    expect(small.train).toEqual(NOTEBOOK_SETTINGS.train);
  });

  it('name a URL by its file', () => {
    expect(fileNameOf('https://example.org/m/pride%20model.safetensors?x=1')).toBe('pride model.safetensors');
    expect(fileNameOf('pride-and-prejudice.safetensors')).toBe('pride-and-prejudice.safetensors');
  });

  it('fetch a checkpoint with progress from the body stream', async () => {
    const bytes = modelBytes();
    const half = Math.floor(bytes.length / 2);
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, half));
        c.enqueue(bytes.slice(half));
        c.close();
      },
    });
    vi.stubGlobal('fetch', async () => new Response(body, { headers: { 'content-length': String(bytes.length) } }));
    const seen: number[] = [];
    const m = await fetchModel('m.safetensors', (p) => {
      expect(p.total).toBe(bytes.length);
      seen.push(p.received);
    });
    expect(seen).toEqual([0, half, bytes.length]);
    expect(m.contents.step).toBe(7);
    expect(isModelOnly(m.contents)).toBe(true);
  });

  it('say which URL failed and why', async () => {
    vi.stubGlobal('fetch', async () => new Response('nope', { status: 404, statusText: 'Not Found' }));
    await expect(fetchModel('gone.safetensors', () => {})).rejects.toThrow('could not fetch the model at gone.safetensors: HTTP 404 Not Found');
    vi.stubGlobal('fetch', async () => new Response('<!doctype html>', { headers: { 'content-type': 'text/html' } }));
    await expect(fetchModel('spa/x.safetensors', () => {})).rejects.toThrow('answered with an HTML page');
    vi.stubGlobal('fetch', async () => new Response('not a checkpoint at all'));
    await expect(fetchModel('x.safetensors', () => {})).rejects.toThrow('the model at x.safetensors is not a char-lm model');
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(fetchModel('http://nowhere/x.safetensors', () => {})).rejects.toThrow(
      'could not fetch the model at http://nowhere/x.safetensors: Failed to fetch',
    );
  });
});
