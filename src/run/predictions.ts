/**
 * Next-character distributions from hidden states: the model's head (logits = W_out·h + b_out,
 * then softmax) applied on the host to the top layer's h after each character. Both engines
 * give hidden states (Model.hiddenStates) and parameters (Model.readParams), so the page's
 * "type and see the next character" needs no engine method and no kernel of its own; the head
 * is V·H multiply-adds a character (75 × 128 for the shipped model), nothing next to the LSTM.
 *
 * Legend: V vocab, H hidden, n characters.
 */
import type { ParamTable } from '../model/params.ts';
import { matmulReference } from '../reference/kernels.ts';

export interface Predictions {
  /** (n, V): the probability of each vocabulary character after characters 0..i of the text. */
  probs: Float32Array;
  n: number;
  V: number;
}

/**
 * The next-character distribution after each character, from the top layer's hidden states
 * `hTop` (n, H) and the flat parameters (table layout). Softmax in float64, max subtracted.
 */
export function headPredictions(table: ParamTable, params: Float32Array, hTop: Float32Array): Predictions {
  const { vocabSize: V, hiddenSize: H } = table.config;
  const n = hTop.length / H;
  if (!Number.isInteger(n)) throw new Error(`hidden states of ${hTop.length} floats are not a whole number of rows of H = ${H}`);
  const W = params.subarray(table.headWeight.offset, table.headWeight.offset + V * H); // (V, H)
  const b = params.subarray(table.headBias.offset, table.headBias.offset + V); // (V)
  // The head exactly as the reference model applies it: logits = hTop·Wᵀ + b.
  const logits = matmulReference(hTop, W, n, V, H, false, true, b); // (n, V)
  const probs = new Float32Array(n * V);
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * V, (i + 1) * V);
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (row[v] > max) max = row[v];
    let sum = 0;
    for (let v = 0; v < V; v++) sum += row[v] = Math.exp(row[v] - max);
    for (let v = 0; v < V; v++) probs[i * V + v] = row[v] / sum;
  }
  return { probs, n, V };
}

/** The `k` likeliest characters of one distribution (row i), likeliest first. */
export function topPredictions(p: Predictions, i: number, k: number): { id: number; p: number }[] {
  const row = Array.from(p.probs.subarray(i * p.V, (i + 1) * p.V), (x, id) => ({ id, p: x }));
  return row.sort((a, b) => b.p - a.p || a.id - b.id).slice(0, k);
}
