/**
 * Checkpoints as .safetensors files (DESIGN.md section 3).
 *
 * Layout: 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON header
 * (padded with spaces so that 8+N is a multiple of 8), then the raw little-endian
 * tensor data. The header maps tensor name -> {dtype, shape, data_offsets:[begin,end]}
 * (relative to the data start) plus "__metadata__": {string: string}.
 *
 * Tensor names follow PyTorch (`embed.weight`, `lstm.weight_ih_l0`, ..., `head.bias`),
 * so a model-only file loads with `model.load_state_dict(load_file(path))`.
 * A training-state checkpoint adds `optimizer.m.<name>` / `optimizer.v.<name>`
 * and a "training_state" metadata entry.
 */
import { validateModelConfig, validateTrainConfig, type ModelConfig, type TrainConfig } from './config.ts';
import { buildParamTable, type ParamTable } from './params.ts';
import { Vocab } from '../text/vocab.ts';

const CHECKPOINT_FORMAT = 'char-lm/1';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Refuse headers larger than this (the safetensors library uses 100 MB too). */
const MAX_HEADER = 100_000_000;

function product(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function shapeStr(shape: number[]): string {
  return `[${shape.join(', ')}]`;
}

export function encodeSafetensors(tensors: { name: string; shape: number[]; data: Float32Array }[], metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name in header) {
      throw new CheckpointError(`tensor name ${JSON.stringify(t.name)} is reserved or used twice`);
    }
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new CheckpointError(`tensor ${t.name} has an invalid shape ${shapeStr(t.shape)}`);
    }
    const n = product(t.shape);
    if (t.data.length !== n) {
      throw new CheckpointError(`tensor ${t.name} has ${t.data.length} values but shape ${shapeStr(t.shape)} needs ${n}`);
    }
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new CheckpointError(`metadata ${k} must be a string`);
  }
  header['__metadata__'] = metadata;
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + headerBytes.length) / 8) * 8 - 8;
  if (padded !== headerBytes.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(headerBytes);
    headerBytes = p;
  }
  const dataStart = 8 + headerBytes.length;
  const out = new Uint8Array(dataStart + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerBytes.length, true);
  view.setUint32(4, Math.floor(headerBytes.length / 2 ** 32), true);
  out.set(headerBytes, 8);
  let pos = dataStart;
  for (const t of tensors) {
    if (LITTLE_ENDIAN) {
      // dataStart is a multiple of 8 and every tensor is whole floats, so this view is aligned.
      new Float32Array(out.buffer, pos, t.data.length).set(t.data);
    } else {
      for (let i = 0; i < t.data.length; i++) view.setFloat32(pos + 4 * i, t.data[i], true);
    }
    pos += 4 * t.data.length;
  }
  return out;
}

function fail(msg: string): never {
  throw new CheckpointError(msg);
}

export function decodeSafetensors(bytes: Uint8Array): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const notSt = 'not a safetensors file';
  if (bytes.length < 8) fail(`${notSt}: it has only ${bytes.length} bytes; choose a .safetensors checkpoint saved by char-lm`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const headerLen = hi * 2 ** 32 + lo;
  if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > bytes.length - 8) {
    fail(`${notSt} (or a truncated one): its header length ${headerLen} does not fit in ${bytes.length} bytes; choose a complete .safetensors checkpoint`);
  }
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
    header = JSON.parse(text);
  } catch {
    fail(`${notSt}: its header is not valid UTF-8 JSON; the file is corrupt or of another kind`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail(`${notSt}: its header is not a JSON object`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, Tensor>();
  const spans: { name: string; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('safetensors __metadata__ is not an object of strings');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`safetensors metadata entry ${JSON.stringify(k)} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof raw !== 'object' || raw === null) fail(`tensor ${name}: header entry is not an object`);
    const { dtype, shape, data_offsets } = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (dtype !== 'F32') {
      fail(`tensor ${name} has dtype ${JSON.stringify(dtype)}; only F32 is supported (save the tensors as float32)`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(`tensor ${name} has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(data_offsets) || data_offsets.length !== 2 || !data_offsets.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(`tensor ${name} has invalid data_offsets ${JSON.stringify(data_offsets)}`);
    }
    const [begin, end] = data_offsets as [number, number];
    if (begin > end || end > dataLen) {
      fail(`tensor ${name}: data offsets [${begin}, ${end}] lie outside the ${dataLen}-byte data section; the file is truncated or corrupt`);
    }
    const n = product(shape as number[]);
    if (end - begin !== 4 * n) {
      fail(`tensor ${name}: ${end - begin} bytes of data do not match shape ${shapeStr(shape as number[])} (${4 * n} bytes of F32)`);
    }
    let data: Float32Array;
    if (LITTLE_ENDIAN) {
      // slice() copies into a fresh, aligned buffer whatever the input's byteOffset.
      // Uint8Array.prototype.slice copies (a Node Buffer's own slice would be a view).
      data = new Float32Array(Uint8Array.prototype.slice.call(bytes, dataStart + begin, dataStart + end).buffer);
    } else {
      data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat32(dataStart + begin + 4 * i, true);
    }
    tensors.set(name, { shape: (shape as number[]).slice(), data });
    spans.push({ name, begin, end });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const s of spans) {
    if (s.begin !== covered) {
      fail(`tensor ${s.name}: data offsets [${s.begin}, ${s.end}] ${s.begin < covered ? 'overlap another tensor' : 'leave a gap'}; the file is corrupt`);
    }
    covered = s.end;
  }
  if (covered !== dataLen) {
    fail(`the data section has ${dataLen} bytes but the tensors cover ${covered}; the file is corrupt or truncated`);
  }
  return { tensors, metadata };
}

export interface CheckpointContents {
  config: ModelConfig;
  /** Characters in index order. */
  vocab: string[];
  table: ParamTable;
  /** Flat parameters in table layout (padding included). */
  params: Float32Array;
  step: number;
  trainConfig?: TrainConfig;
  /** Adam moments, flat in table layout. */
  optimizer?: { m: Float32Array; v: Float32Array };
  /** JSON-serialisable training state (data cursor, rng, ...), metadata key "training_state". */
  trainingState?: unknown;
  /**
   * JSON-serialisable record of what the run showed (its loss history and target), metadata
   * key "run_log": the page writes it into Save training state and puts it back on Load.
   */
  runLog?: unknown;
}

/** A tensor's NaN and infinite values (none: null). */
export function countNonFinite(data: Float32Array): { nan: number; inf: number } | null {
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (x - x !== 0) {
      if (Number.isNaN(x)) nan++;
      else inf++;
    }
  }
  return nan || inf ? { nan, inf } : null;
}

/** "3 NaN and 1 infinite values": what countNonFinite found, in words. */
function describeNonFinite(c: { nan: number; inf: number }): string {
  const parts = [c.nan ? `${c.nan.toLocaleString('en')} NaN` : '', c.inf ? `${c.inf.toLocaleString('en')} infinite` : ''].filter(Boolean);
  return `${parts.join(' and ')} value${c.nan + c.inf === 1 ? '' : 's'}`;
}

/**
 * Every float tensor (weights and Adam moments) must be finite: a model with a NaN or an
 * infinity computes nothing but NaN. Names the tensors and how many values are bad.
 */
function refuseNonFinite(tensors: Map<string, Tensor>): void {
  const bad: string[] = [];
  for (const [name, t] of tensors) {
    const c = countNonFinite(t.data);
    if (c) bad.push(`${name} has ${describeNonFinite(c)} (of ${t.data.length.toLocaleString('en')})`);
  }
  if (bad.length === 0) return;
  const shown = bad.length > 4 ? [...bad.slice(0, 4), `${bad.length - 4} more tensors too`] : bad;
  fail(
    `its numbers are not finite: ${shown.join('; ')}. The file cannot be used (training diverged before it was saved, or the file is damaged); ` +
      'load an earlier checkpoint or train again',
  );
}

export function saveCheckpoint(c: CheckpointContents): Uint8Array {
  const { table, params } = c;
  if (c.vocab.length !== c.config.vocabSize) {
    throw new CheckpointError(`vocabulary has ${c.vocab.length} characters but the config says ${c.config.vocabSize}`);
  }
  const expected = buildParamTable(c.config).entries;
  if (
    expected.length !== table.entries.length ||
    expected.some((e, i) => e.name !== table.entries[i].name || shapeStr(e.shape) !== shapeStr(table.entries[i].shape))
  ) {
    throw new CheckpointError('the parameter table does not match the model config; build it with buildParamTable(config)');
  }
  if (!Number.isInteger(c.step) || c.step < 0) throw new CheckpointError(`step must be a non-negative integer, got ${c.step}`);
  const flats: [string, Float32Array][] = [['params', params]];
  if (c.optimizer) flats.push(['optimizer m', c.optimizer.m], ['optimizer v', c.optimizer.v]);
  for (const [what, arr] of flats) {
    if (arr.length < table.totalSize) {
      throw new CheckpointError(`${what} buffer has ${arr.length} floats but the parameter table needs ${table.totalSize}`);
    }
  }
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  const add = (prefix: string, flat: Float32Array) => {
    for (const e of table.entries) {
      tensors.push({ name: prefix + e.name, shape: e.shape.slice(), data: flat.slice(e.offset, e.offset + e.size) });
    }
  };
  add('', params);
  if (c.optimizer) {
    add('optimizer.m.', c.optimizer.m);
    add('optimizer.v.', c.optimizer.v);
  }
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    vocab: JSON.stringify(c.vocab),
    config: JSON.stringify({
      vocabSize: c.config.vocabSize,
      embedSize: c.config.embedSize,
      hiddenSize: c.config.hiddenSize,
      layers: c.config.layers,
    }),
    step: String(c.step),
  };
  if (c.trainConfig) metadata.train = JSON.stringify(c.trainConfig);
  if (c.trainingState !== undefined) metadata.training_state = JSON.stringify(c.trainingState);
  if (c.runLog !== undefined) metadata.run_log = JSON.stringify(c.runLog);
  return encodeSafetensors(tensors, metadata);
}

function parseJson(key: string, text: string | undefined): unknown {
  if (text === undefined) fail(`checkpoint metadata has no "${key}" entry; it was not saved by char-lm or is damaged`);
  try {
    return JSON.parse(text);
  } catch {
    fail(`checkpoint metadata "${key}" is not valid JSON; the file is damaged`);
  }
}

export function loadCheckpoint(bytes: Uint8Array): CheckpointContents {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const format = metadata.format;
  if (format === undefined) {
    fail('not a char-lm checkpoint (no "format" in its metadata); load a .safetensors file saved by char-lm');
  }
  if (format !== CHECKPOINT_FORMAT) {
    fail(`not a char-lm checkpoint (format ${JSON.stringify(format)}, expected "${CHECKPOINT_FORMAT}"); load a file saved by char-lm`);
  }

  const vocabRaw = parseJson('vocab', metadata.vocab);
  if (!Array.isArray(vocabRaw) || !vocabRaw.every((c) => typeof c === 'string')) {
    fail('checkpoint vocabulary is not a JSON array of characters; the file is damaged');
  }
  try {
    new Vocab(vocabRaw as string[]);
  } catch (e) {
    fail(`checkpoint vocabulary is invalid: ${(e as Error).message}`);
  }
  const vocab = (vocabRaw as string[]).slice();

  const cfgRaw = parseJson('config', metadata.config) as Partial<ModelConfig> | null;
  if (typeof cfgRaw !== 'object' || cfgRaw === null) fail('checkpoint config is not a JSON object; the file is damaged');
  const config: ModelConfig = {
    vocabSize: cfgRaw.vocabSize as number,
    embedSize: cfgRaw.embedSize as number,
    hiddenSize: cfgRaw.hiddenSize as number,
    layers: cfgRaw.layers as number,
  };
  try {
    validateModelConfig(config);
  } catch (e) {
    fail(`checkpoint config is invalid: ${(e as Error).message}`);
  }
  if (config.vocabSize !== vocab.length) {
    fail(`checkpoint config says ${config.vocabSize} characters but its vocabulary has ${vocab.length}; the file is damaged`);
  }

  const stepText = metadata.step;
  if (stepText === undefined || !/^\d+$/.test(stepText)) {
    fail(`checkpoint step ${JSON.stringify(stepText)} is not a non-negative integer; the file is damaged`);
  }
  const step = Number(stepText);

  let trainConfig: TrainConfig | undefined;
  if (metadata.train !== undefined) {
    const t = parseJson('train', metadata.train);
    if (typeof t !== 'object' || t === null) fail('checkpoint training config is not a JSON object');
    try {
      validateTrainConfig(t as TrainConfig);
    } catch (e) {
      fail(`checkpoint training config is invalid: ${(e as Error).message}`);
    }
    trainConfig = t as TrainConfig;
  }
  const trainingState = metadata.training_state !== undefined ? parseJson('training_state', metadata.training_state) : undefined;
  const runLog = metadata.run_log !== undefined ? parseJson('run_log', metadata.run_log) : undefined;

  const table = buildParamTable(config);
  const known = new Set<string>();
  const gather = (prefix: string): Float32Array => {
    const flat = new Float32Array(table.totalSize);
    for (const e of table.entries) {
      const name = prefix + e.name;
      known.add(name);
      const t = tensors.get(name);
      if (!t) {
        fail(
          `checkpoint is missing tensor ${name} (shape ${shapeStr(e.shape)}) that its config (V=${config.vocabSize}, E=${config.embedSize}, H=${config.hiddenSize}, L=${config.layers}) requires`,
        );
      }
      if (t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) {
        fail(`checkpoint tensor ${name} has shape ${shapeStr(t.shape)} but the config needs ${shapeStr(e.shape)}`);
      }
      flat.set(t.data, e.offset);
    }
    return flat;
  };
  const params = gather('');
  let optimizer: { m: Float32Array; v: Float32Array } | undefined;
  const hasOpt = [...tensors.keys()].some((k) => k.startsWith('optimizer.'));
  if (hasOpt) optimizer = { m: gather('optimizer.m.'), v: gather('optimizer.v.') };
  for (const name of tensors.keys()) {
    if (!known.has(name)) {
      fail(`checkpoint has an unexpected tensor ${name} that its config (L=${config.layers}) does not use; the file is damaged or from another model`);
    }
  }

  refuseNonFinite(tensors);

  const out: CheckpointContents = { config, vocab, table, params, step };
  if (trainConfig) out.trainConfig = trainConfig;
  if (optimizer) out.optimizer = optimizer;
  if (trainingState !== undefined) out.trainingState = trainingState;
  if (runLog !== undefined) out.runLog = runLog;
  return out;
}
