import { describe, it, expect } from 'vitest';
import { CheckpointError, decodeSafetensors, encodeSafetensors, loadCheckpoint, saveCheckpoint, type CheckpointContents } from './checkpoint.ts';
import { buildParamTable, initParams } from './params.ts';
import { Rng } from './rng.ts';
import type { ModelConfig, TrainConfig } from './config.ts';
import { NOTEBOOK_TRAIN } from './config.ts';

const vocab = [' ', 'a', 'b', 'é', '😀'];
const config: ModelConfig = { vocabSize: vocab.length, embedSize: 3, hiddenSize: 4, layers: 2 };
const table = buildParamTable(config);

function randomFlat(seed: number): Float32Array {
  const rng = new Rng(seed);
  const flat = new Float32Array(table.totalSize);
  // Only the entries hold data; padding stays zero (it is not saved).
  for (const e of table.entries) for (let i = 0; i < e.size; i++) flat[e.offset + i] = rng.normal();
  return flat;
}

function modelOnly(): CheckpointContents {
  return { config, vocab, table, params: initParams(table, new Rng(5)), step: 123 };
}

function withTraining(): CheckpointContents {
  const trainConfig: TrainConfig = { ...NOTEBOOK_TRAIN, batch: 4, schedule: 'streams' };
  return {
    ...modelOnly(),
    trainConfig,
    optimizer: { m: randomFlat(1), v: randomFlat(2).map(Math.abs) },
    trainingState: { batcher: { schedule: 'streams', positions: [3, 40], epoch: 2 }, rng: { words: [1, 2, 3, 4], spare: null } },
  };
}

/** Rewrites the header of a safetensors file with `edit` (keeps the data section). */
/** A parsed safetensors header, edited at any depth. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON edited at any depth
type Header = Record<string, any>;

function editHeader(bytes: Uint8Array, edit: (h: Header) => void): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  edit(header);
  const hb = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + hb.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  out.set(bytes.subarray(8 + n), 8 + hb.length);
  return out;
}

describe('safetensors encoding', () => {
  it('decodes the exact bytes of a hand-built file', () => {
    const json = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"k":"v"}}';
    // 8 + json.length (79) = 87 -> pad to 88 with one space.
    expect(json.length).toBe(79);
    const bytes = new Uint8Array([
      80,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...new TextEncoder().encode(json),
      0x20,
      0x00,
      0x00,
      0x80,
      0x3f, // 1.0
      0x00,
      0x00,
      0x00,
      0xc0, // -2.0
    ]);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ k: 'v' });
    expect(tensors.get('w')!.shape).toEqual([2]);
    expect(Array.from(tensors.get('w')!.data)).toEqual([1, -2]);
    // The encoder produces exactly these bytes.
    expect(encodeSafetensors([{ name: 'w', shape: [2], data: new Float32Array([1, -2]) }], { k: 'v' })).toEqual(bytes);
  });

  it('reads from a Uint8Array that does not start at byte 0 of its buffer', () => {
    const file = encodeSafetensors([{ name: 'x', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) }], {});
    for (const shift of [1, 3, 5]) {
      const buf = new Uint8Array(file.length + shift + 2);
      buf.set(file, shift);
      const view = buf.subarray(shift, shift + file.length);
      const x = decodeSafetensors(view).tensors.get('x')!;
      expect(x.shape).toEqual([2, 3]);
      expect(Array.from(x.data)).toEqual([1, 2, 3, 4, 5, 6.5]);
    }
  });

  it('aligns the data section to 8 bytes for any header length', () => {
    for (let len = 0; len < 16; len++) {
      const bytes = encodeSafetensors([{ name: 't', shape: [1], data: new Float32Array([len]) }], { pad: 'x'.repeat(len) });
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect((8 + n) % 8).toBe(0);
      expect(bytes.length).toBe(8 + n + 4);
      expect(decodeSafetensors(bytes).metadata.pad).toBe('x'.repeat(len));
    }
  });

  it('writes contiguous offsets in order covering the data section', () => {
    const bytes = saveCheckpoint(withTraining());
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    const base = table.entries.map((e) => e.name);
    expect(names).toEqual([...base, ...base.map((x) => `optimizer.m.${x}`), ...base.map((x) => `optimizer.v.${x}`)]);
    let at = 0;
    for (const k of names) {
      expect(header[k].dtype).toBe('F32');
      expect(header[k].data_offsets[0]).toBe(at);
      at = header[k].data_offsets[1];
    }
    expect(8 + n + at).toBe(bytes.length);
  });
});

describe('checkpoint round trip', () => {
  it('model-only: PyTorch names, metadata, values', () => {
    const c = modelOnly();
    const bytes = saveCheckpoint(c);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect([...tensors.keys()]).toEqual([
      'embed.weight',
      'lstm.weight_ih_l0',
      'lstm.weight_hh_l0',
      'lstm.bias_ih_l0',
      'lstm.bias_hh_l0',
      'lstm.weight_ih_l1',
      'lstm.weight_hh_l1',
      'lstm.bias_ih_l1',
      'lstm.bias_hh_l1',
      'head.weight',
      'head.bias',
    ]);
    expect(tensors.get('lstm.weight_ih_l0')!.shape).toEqual([16, 3]);
    expect(tensors.get('lstm.weight_ih_l1')!.shape).toEqual([16, 4]);
    expect(tensors.get('head.weight')!.shape).toEqual([5, 4]);
    expect(metadata.format).toBe('char-lm/1');
    expect(JSON.parse(metadata.vocab)).toEqual(vocab);
    expect(JSON.parse(metadata.config)).toEqual(config);
    expect(metadata.step).toBe('123');
    expect(metadata.train).toBeUndefined();
    expect(metadata.training_state).toBeUndefined();

    const back = loadCheckpoint(bytes);
    expect(back.config).toEqual(config);
    expect(back.vocab).toEqual(vocab);
    expect(back.step).toBe(123);
    expect(back.table.entries).toEqual(table.entries);
    expect(back.params).toEqual(c.params);
    expect(back.optimizer).toBeUndefined();
    expect(back.trainConfig).toBeUndefined();
    expect(back.trainingState).toBeUndefined();
  });

  it('with optimizer moments, training config and training state', () => {
    const c = withTraining();
    const back = loadCheckpoint(saveCheckpoint(c));
    expect(back.params).toEqual(c.params);
    expect(back.optimizer!.m).toEqual(c.optimizer!.m);
    expect(back.optimizer!.v).toEqual(c.optimizer!.v);
    expect(back.trainConfig).toEqual(c.trainConfig);
    expect(back.trainingState).toEqual(c.trainingState);
  });

  it('padding between tensors is not saved and loads as zero', () => {
    const c = modelOnly();
    c.params = c.params.slice();
    const e = table.entries[0];
    c.params[e.offset + e.size] = 42; // padding slot
    const back = loadCheckpoint(saveCheckpoint(c));
    expect(back.params[e.offset + e.size]).toBe(0);
  });

  it('refuses to save inconsistent contents', () => {
    expect(() => saveCheckpoint({ ...modelOnly(), vocab: ['a', 'b'] })).toThrow(CheckpointError);
    expect(() => saveCheckpoint({ ...modelOnly(), params: new Float32Array(10) })).toThrow(/needs/);
  });
});

describe('checkpoint corruption', () => {
  const good = saveCheckpoint(withTraining());

  it('rejects a file too short to be safetensors', () => {
    expect(() => loadCheckpoint(good.subarray(0, 5))).toThrow(CheckpointError);
    expect(() => loadCheckpoint(good.subarray(0, 5))).toThrow(/not a safetensors file/);
    expect(() => loadCheckpoint(new Uint8Array(0))).toThrow(/not a safetensors file/);
  });

  it('rejects an absurd header length', () => {
    const bad = good.slice();
    bad[7] = 0x7f;
    expect(() => loadCheckpoint(bad)).toThrow(/header length/);
  });

  it('rejects a truncated file', () => {
    expect(() => loadCheckpoint(good.subarray(0, good.length - 4))).toThrow(/outside the .*data section/);
    expect(() => loadCheckpoint(good.subarray(0, 100))).toThrow(/header length .* does not fit/);
  });

  it('rejects a header that is not JSON', () => {
    const bad = good.slice();
    bad[8] = 'x'.charCodeAt(0);
    expect(() => loadCheckpoint(bad)).toThrow(/header is not valid UTF-8 JSON/);
  });

  it('rejects a foreign format or no format', () => {
    const foreign = encodeSafetensors([{ name: 'w', shape: [1], data: new Float32Array(1) }], { format: 'pt' });
    expect(() => loadCheckpoint(foreign)).toThrow('not a char-lm checkpoint (format "pt"');
    const none = encodeSafetensors([{ name: 'w', shape: [1], data: new Float32Array(1) }], {});
    expect(() => loadCheckpoint(none)).toThrow(/not a char-lm checkpoint \(no "format"/);
  });

  it('rejects a dtype other than F32', () => {
    const bad = editHeader(good, (h) => {
      h['head.bias'].dtype = 'F16';
    });
    expect(() => loadCheckpoint(bad)).toThrow(/tensor head.bias has dtype "F16"; only F32/);
  });

  it('rejects data offsets that do not match the shape', () => {
    const bad = editHeader(good, (h) => {
      h['head.bias'].shape = [6];
    });
    expect(() => loadCheckpoint(bad)).toThrow(/tensor head.bias: 20 bytes of data do not match shape \[6\]/);
  });

  it('rejects a tensor with the wrong shape, naming expected and found', () => {
    const c = modelOnly();
    const tensors = table.entries.map((e) => ({
      name: e.name,
      shape: e.name === 'head.weight' ? [4, 5] : e.shape,
      data: c.params.slice(e.offset, e.offset + e.size),
    }));
    const meta = decodeSafetensors(saveCheckpoint(c)).metadata;
    expect(() => loadCheckpoint(encodeSafetensors(tensors, meta))).toThrow('checkpoint tensor head.weight has shape [4, 5] but the config needs [5, 4]');
  });

  it('rejects a missing tensor, naming it', () => {
    const c = modelOnly();
    const tensors = table.entries
      .filter((e) => e.name !== 'lstm.bias_hh_l1')
      .map((e) => ({ name: e.name, shape: e.shape, data: c.params.slice(e.offset, e.offset + e.size) }));
    const meta = decodeSafetensors(saveCheckpoint(c)).metadata;
    expect(() => loadCheckpoint(encodeSafetensors(tensors, meta))).toThrow(/missing tensor lstm.bias_hh_l1 \(shape \[16\]\)/);
  });

  it('rejects a missing optimizer moment when the other is present', () => {
    const { tensors, metadata } = decodeSafetensors(good);
    const list = [...tensors].filter(([n]) => n !== 'optimizer.v.head.bias').map(([name, t]) => ({ name, ...t }));
    expect(() => loadCheckpoint(encodeSafetensors(list, metadata))).toThrow(/missing tensor optimizer.v.head.bias/);
  });

  it('rejects an unexpected tensor', () => {
    const { tensors, metadata } = decodeSafetensors(saveCheckpoint(modelOnly()));
    const list = [...tensors].map(([name, t]) => ({ name, ...t }));
    list.push({ name: 'lstm.weight_ih_l2', shape: [16, 4], data: new Float32Array(64) });
    expect(() => loadCheckpoint(encodeSafetensors(list, metadata))).toThrow(/unexpected tensor lstm.weight_ih_l2/);
  });

  it('rejects missing or invalid vocab and config', () => {
    const { tensors, metadata } = decodeSafetensors(saveCheckpoint(modelOnly()));
    const list = [...tensors].map(([name, t]) => ({ name, ...t }));
    const withMeta = (m: Record<string, string>) => encodeSafetensors(list, m);
    const { vocab: _v, ...noVocab } = metadata;
    expect(() => loadCheckpoint(withMeta(noVocab))).toThrow(/no "vocab" entry/);
    expect(() => loadCheckpoint(withMeta({ ...metadata, vocab: '[oops' }))).toThrow(/"vocab" is not valid JSON/);
    expect(() => loadCheckpoint(withMeta({ ...metadata, vocab: '["b","a","c","d","e"]' }))).toThrow(/vocabulary is invalid.*not sorted/);
    expect(() => loadCheckpoint(withMeta({ ...metadata, vocab: '["a","b"]' }))).toThrow(/config says 5 characters but its vocabulary has 2/);
    const { config: _c, ...noConfig } = metadata;
    expect(() => loadCheckpoint(withMeta(noConfig))).toThrow(/no "config" entry/);
    expect(() => loadCheckpoint(withMeta({ ...metadata, config: JSON.stringify({ ...config, hiddenSize: 0 }) }))).toThrow(/config is invalid: hidden size/);
    expect(() => loadCheckpoint(withMeta({ ...metadata, step: '-1' }))).toThrow(/step "-1"/);
  });

  it('refuses weights or Adam moments that are NaN or infinite, naming each tensor and how many values', () => {
    const weights = modelOnly();
    const hh = table.layers[1].weightHh;
    weights.params[hh.offset + 3] = NaN;
    weights.params[hh.offset + 5] = NaN;
    weights.params[table.headBias.offset] = -Infinity;
    expect(() => loadCheckpoint(saveCheckpoint(weights))).toThrow(
      'its numbers are not finite: lstm.weight_hh_l1 has 2 NaN values (of 64); head.bias has 1 infinite value (of 5). The file cannot be used',
    );
    const moments = withTraining();
    moments.optimizer!.v[table.embed.offset] = Infinity;
    moments.optimizer!.m[table.embed.offset + 1] = NaN;
    expect(() => loadCheckpoint(saveCheckpoint(moments))).toThrow(
      /optimizer\.m\.embed\.weight has 1 NaN value \(of 15\); optimizer\.v\.embed\.weight has 1 infinite value \(of 15\)\. The file cannot be used/,
    );
    const all = modelOnly();
    all.params.fill(NaN);
    expect(() => loadCheckpoint(saveCheckpoint(all))).toThrow(/embed\.weight has 15 NaN values \(of 15\);.*; 7 more tensors too\. The file cannot be used/);
    expect(() => loadCheckpoint(saveCheckpoint(all))).toThrow(CheckpointError);
  });

  it('throws CheckpointError with its name', () => {
    try {
      loadCheckpoint(new Uint8Array(3));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CheckpointError);
      expect((e as Error).name).toBe('CheckpointError');
    }
  });
});
