/**
 * The parameter table: every tensor's PyTorch name, shape and offset into one
 * flat buffer. Parameters, gradients and both Adam moments share this layout,
 * so one Adam dispatch updates everything (as llm.c's fill_in_parameter_sizes).
 */
import type { ModelConfig } from './config.ts';
import type { Rng } from './rng.ts';

/** Offsets are aligned to 64 floats (256 bytes), WebGPU's storage-binding offset alignment. */
const PARAM_ALIGN = 64;

export interface ParamEntry {
  name: string;
  shape: number[];
  /** Offset in floats into the flat buffer. */
  offset: number;
  /** Number of floats (product of shape). */
  size: number;
}

interface LayerParams {
  weightIh: ParamEntry; // (4H, I), gate order i,f,g,o
  weightHh: ParamEntry; // (4H, H)
  biasIh: ParamEntry; // (4H)
  biasHh: ParamEntry; // (4H)
}

export interface ParamTable {
  config: ModelConfig;
  entries: ParamEntry[];
  embed: ParamEntry; // (V, E)
  layers: LayerParams[];
  headWeight: ParamEntry; // (V, H)
  headBias: ParamEntry; // (V)
  /** Total floats in the flat buffer, padding included. */
  totalSize: number;
}

export function buildParamTable(config: ModelConfig): ParamTable {
  const { vocabSize: V, embedSize: E, hiddenSize: H, layers: L } = config;
  const entries: ParamEntry[] = [];
  let offset = 0;
  const add = (name: string, shape: number[]): ParamEntry => {
    const size = shape.reduce((a, b) => a * b, 1);
    const e = { name, shape, offset, size };
    entries.push(e);
    offset += Math.ceil(size / PARAM_ALIGN) * PARAM_ALIGN;
    return e;
  };
  const embed = add('embed.weight', [V, E]);
  const layers: LayerParams[] = [];
  for (let k = 0; k < L; k++) {
    const I = k === 0 ? E : H;
    layers.push({
      weightIh: add(`lstm.weight_ih_l${k}`, [4 * H, I]),
      weightHh: add(`lstm.weight_hh_l${k}`, [4 * H, H]),
      biasIh: add(`lstm.bias_ih_l${k}`, [4 * H]),
      biasHh: add(`lstm.bias_hh_l${k}`, [4 * H]),
    });
  }
  const headWeight = add('head.weight', [V, H]);
  const headBias = add('head.bias', [V]);
  return { config, entries, embed, layers, headWeight, headBias, totalSize: offset };
}

/**
 * Initialisation as in the notebook: embed ~ N(0, 0.1), LSTM weights ~ N(0, sqrt(1/(I+H))),
 * head ~ N(0, sqrt(1/H)), biases 0 except the forget-gate slice of b_ih = 1.
 */
export function initParams(table: ParamTable, rng: Rng): Float32Array {
  const p = new Float32Array(table.totalSize);
  const { embedSize: E, hiddenSize: H } = table.config;
  const fill = (e: ParamEntry, std: number) => {
    for (let i = 0; i < e.size; i++) p[e.offset + i] = rng.normal() * std;
  };
  fill(table.embed, 0.1);
  table.layers.forEach((l, k) => {
    const I = k === 0 ? E : H;
    const std = Math.sqrt(1 / (I + H));
    fill(l.weightIh, std);
    fill(l.weightHh, std);
    for (let j = H; j < 2 * H; j++) p[l.biasIh.offset + j] = 1;
  });
  fill(table.headWeight, Math.sqrt(1 / H));
  return p;
}
