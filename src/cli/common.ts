/** Helpers shared by the commands. */
import { parameterCounts } from '../model/config.ts';
import type { CheckpointContents } from '../model/checkpoint.ts';
import type { Vocab } from '../text/vocab.ts';
import { encodeIn } from '../text/encoded.ts';
import type { Model } from '../engine/contract.ts';
import { displayName } from './files.ts';
import { formatCount } from './progress.ts';

/** "model: x.safetensors (V 38, E 8, H 16, L 1, 1,234 parameters, step 30)" */
export function modelLine(path: string, c: CheckpointContents): string {
  const { vocabSize: V, embedSize: E, hiddenSize: H, layers: L } = c.config;
  return `model: ${displayName(path)} (V ${V}, E ${E}, H ${H}, L ${L}, ${formatCount(parameterCounts(c.config).total)} parameters, step ${c.step})`;
}

/** Text in a model's vocabulary; a character outside it names `what` (the flag and file). */
export function encodeFor(vocab: Vocab, text: string, what: string, hint = 'use characters the model was trained on'): Int32Array {
  return encodeIn(vocab.chars, text, what, hint);
}

/** Mean of model.evaluate's per-character losses (nats/char). */
export async function meanLoss(model: Model, ids: Int32Array, streams: number): Promise<number> {
  const losses = await model.evaluate(ids, streams);
  let sum = 0;
  for (let i = 0; i < losses.length; i++) sum += losses[i];
  return sum / losses.length;
}
