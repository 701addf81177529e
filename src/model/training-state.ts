/**
 * The training state a training-state checkpoint (the CLI's --out, the page's Save)
 * carries in its "training_state" metadata
 * (JSON), next to the parameters and the Adam moments (tensors), so that --resume
 * continues exactly:
 *
 *   { "step": 20,
 *     "batcher": { schedule, positions, rng: { words, spare }, epoch, batches },
 *     "carried": { "h": [L·B·H numbers], "c": [L·B·H numbers] },   // layer-major (L, B, H)
 *     "corpus": { "path": "/abs/corpus.txt", "characters": 1153, "fingerprint": "89abcdef" } }
 */
import { CheckpointError } from './checkpoint.ts';
import type { ModelConfig, TrainConfig } from './config.ts';
import type { BatcherState } from '../text/batcher.ts';

/** Every bit of training state, in memory: enough to continue exactly where a trainer stood. */
export interface TrainingSnapshot {
  params: Float32Array; // (P) flat, table layout
  optimizer: { m: Float32Array; v: Float32Array }; // (P) each: Adam moments
  /** Steps taken (Adam's t). */
  step: number;
  batcher: BatcherState;
  /** Carried hidden state, (L, B, H) each. */
  carried: { h: Float32Array; c: Float32Array };
}

/** A deep copy (a trainer may keep the arrays it starts from, and the kept copy must stay as it was). */
export function copySnapshot(s: TrainingSnapshot): TrainingSnapshot {
  return {
    params: s.params.slice(),
    optimizer: { m: s.optimizer.m.slice(), v: s.optimizer.v.slice() },
    step: s.step,
    batcher: structuredClone(s.batcher),
    carried: { h: s.carried.h.slice(), c: s.carried.c.slice() },
  };
}

export interface CorpusIdentity {
  path: string;
  /** Length in code points. */
  characters: number;
  fingerprint: string;
}

/** The JSON form of a snapshot's cursor (all but the tensors), as stored in the checkpoint's metadata. */
export interface TrainingStateRecord {
  step: number;
  batcher: BatcherState;
  carried: { h: number[]; c: number[] };
  corpus: CorpusIdentity;
}

export function trainingStateRecord(snap: TrainingSnapshot, corpus: CorpusIdentity): TrainingStateRecord {
  return {
    step: snap.step,
    batcher: snap.batcher,
    carried: { h: Array.from(snap.carried.h), c: Array.from(snap.carried.c) },
    corpus,
  };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isInt(x: unknown, min = 0): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= min;
}

/**
 * Validates a checkpoint's training state against its configuration. `where` prefixes
 * the error (e.g. `--resume "x.safetensors"`).
 */
export function parseTrainingStateRecord(raw: unknown, step: number, model: ModelConfig, train: TrainConfig, where: string): TrainingStateRecord {
  const bad = (what: string): never => {
    throw new CheckpointError(`${where}: the training state is damaged (${what}); resume from another checkpoint or train from the start`);
  };
  if (!isObject(raw)) bad('not a JSON object');
  const s = raw as Record<string, unknown>;
  if (!isInt(s.step) || s.step !== step) bad(`step ${JSON.stringify(s.step)} does not match the checkpoint's step ${step}`);
  const b = s.batcher;
  if (!isObject(b)) bad('no batcher state');
  const batcher = b as Record<string, unknown>;
  if (batcher.schedule !== train.schedule) bad(`batcher schedule ${JSON.stringify(batcher.schedule)} is not the training config's "${train.schedule}"`);
  if (!Array.isArray(batcher.positions) || !batcher.positions.every((p) => isInt(p))) bad('batcher positions are not integers');
  if (!isInt(batcher.epoch)) bad('batcher epoch is not an integer');
  if (batcher.batches !== undefined && !isInt(batcher.batches)) bad('batcher batch count is not an integer');
  const rng = batcher.rng;
  if (
    !isObject(rng) ||
    !Array.isArray(rng.words) ||
    rng.words.length !== 4 ||
    !rng.words.every((w) => isInt(w) && w <= 0xffffffff) ||
    !(rng.spare === null || (typeof rng.spare === 'number' && Number.isFinite(rng.spare)))
  ) {
    bad('batcher random-generator state is invalid');
  }
  const n = model.layers * train.batch * model.hiddenSize;
  const c = s.carried;
  if (!isObject(c)) bad('no carried hidden state');
  for (const k of ['h', 'c'] as const) {
    const a = (c as Record<string, unknown>)[k];
    if (!Array.isArray(a) || a.length !== n || !a.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      bad(`carried ${k} must be ${n} numbers (layers × batch × hidden)`);
    }
  }
  const corpus = s.corpus;
  if (!isObject(corpus) || typeof corpus.path !== 'string' || !isInt(corpus.characters) || typeof corpus.fingerprint !== 'string') {
    bad('no corpus identity');
  }
  return raw as unknown as TrainingStateRecord;
}

/** The snapshot a checkpoint's tensors and its validated record describe. */
export function snapshotFromRecord(params: Float32Array, optimizer: { m: Float32Array; v: Float32Array }, state: TrainingStateRecord): TrainingSnapshot {
  return {
    params,
    optimizer,
    step: state.step,
    batcher: state.batcher,
    carried: { h: Float32Array.from(state.carried.h), c: Float32Array.from(state.carried.c) },
  };
}

/** FNV-1a (32-bit) over the text's code points: identifies the corpus a checkpoint was trained on. */
export function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (const ch of text) {
    let cp = ch.codePointAt(0) as number;
    for (let k = 0; k < 3; k++) {
      h ^= cp & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
      cp >>>= 8;
    }
  }
  return h.toString(16).padStart(8, '0');
}
