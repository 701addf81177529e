/**
 * Model and training configuration, with validation that names the bad value.
 *
 * Dimension legend (used in shape comments throughout):
 *   V vocabulary, E embedding width, H hidden size, L layers,
 *   B streams in a batch, T truncated-BPTT length.
 */

export interface ModelConfig {
  vocabSize: number; // V
  embedSize: number; // E
  hiddenSize: number; // H
  layers: number; // L
}

export type Schedule = 'streams' | 'windows';

export interface TrainConfig {
  batch: number; // B
  seqLen: number; // T
  lr: number;
  /** Global-norm clip threshold; 0 disables clipping. */
  clip: number;
  schedule: Schedule;
  seed: number;
  /** Multiplicative learning-rate decay per step (1 = none). */
  lrDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** The notebook's configuration: CharLSTM(embed 32, hidden 128), T 40, Adam lr 0.005. */
export const NOTEBOOK_MODEL: Omit<ModelConfig, 'vocabSize'> = { embedSize: 32, hiddenSize: 128, layers: 1 };
export const NOTEBOOK_TRAIN: TrainConfig = {
  batch: 1,
  seqLen: 40,
  lr: 0.005,
  clip: 5,
  schedule: 'windows',
  seed: 42,
  lrDecay: 1,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
};

/** Largest vocabulary the GPU sampler's workgroup can hold. */
export const MAX_VOCAB = 1024;
/** Largest hidden size the fused LSTM step kernels support. */
export const MAX_HIDDEN = 2048;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${v}`);
  }
}

function checkNum(name: string, v: number, min: number, max: number, minExclusive = false): void {
  if (!Number.isFinite(v) || v > max || (minExclusive ? v <= min : v < min)) {
    throw new ConfigError(`${name} must be a number ${minExclusive ? '>' : '≥'} ${min} and ≤ ${max}, got ${v}`);
  }
}

export function validateModelConfig(c: ModelConfig): void {
  checkInt('vocabulary size', c.vocabSize, 2, MAX_VOCAB);
  checkInt('embedding size', c.embedSize, 1, 4096);
  checkInt('hidden size', c.hiddenSize, 1, MAX_HIDDEN);
  checkInt('layers', c.layers, 1, 16);
}

export function validateTrainConfig(c: TrainConfig): void {
  checkInt('batch', c.batch, 1, 4096);
  checkInt('sequence length', c.seqLen, 1, 4096);
  checkNum('learning rate', c.lr, 0, 10, true);
  checkNum('clip', c.clip, 0, 1e9);
  if (c.schedule !== 'streams' && c.schedule !== 'windows') {
    throw new ConfigError(`schedule must be "streams" or "windows", got "${c.schedule}"`);
  }
  checkInt('seed', c.seed, 0, 0xffffffff);
  checkNum('learning-rate decay', c.lrDecay, 0, 1, true);
  checkNum('beta1', c.beta1, 0, 1);
  checkNum('beta2', c.beta2, 0, 1);
  checkNum('eps', c.eps, 0, 1);
}

/**
 * The learning rate of training step `step` (1-based): lr · lrDecay^(step−1). The one
 * schedule every engine and the reference use.
 */
export function learningRate(c: Pick<TrainConfig, 'lr' | 'lrDecay'>, step: number): number {
  return c.lr * Math.pow(c.lrDecay, Math.max(0, step - 1));
}

/** Number of trainable parameters, broken down as the notebook prints it. */
export function parameterCounts(c: ModelConfig): { embedding: number; lstm: number; output: number; total: number } {
  const { vocabSize: V, embedSize: E, hiddenSize: H, layers: L } = c;
  const embedding = V * E;
  let lstm = 0;
  for (let k = 0; k < L; k++) {
    const I = k === 0 ? E : H;
    lstm += 4 * H * I + 4 * H * H + 8 * H;
  }
  const output = V * H + V;
  return { embedding, lstm, output, total: embedding + lstm + output };
}
