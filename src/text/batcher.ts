/**
 * Truncated-BPTT batching with two schedules (B streams, T timesteps):
 *
 * - 'streams' (char-rnn style): the data (N tokens) is cut into B contiguous
 *   segments of S = floor((N-1)/B) steps; segment b starts at b*S and covers
 *   data[b*S .. b*S+S] (inputs and targets). Each batch advances every stream by T,
 *   so the hidden state can be carried from one batch to the next. When the next
 *   window would put targets past its segment, all streams return to their segment
 *   start (a new epoch) and that batch asks for a state reset.
 * - 'windows' (the notebook's style): each stream gets a random window start in
 *   [0, N-T-1]; every batch starts from zero state.
 *
 * Batches are time-major: index r = t*B + b.
 */
import type { Schedule } from '../model/config.ts';
import type { Rng, RngState } from '../model/rng.ts';
import { CorpusError } from './corpus.ts';

export interface Batch {
  /** (T*B) input tokens, time-major: r = t*B + b. */
  inputs: Int32Array;
  /** (T*B) target tokens (the next character of each input), same layout. */
  targets: Int32Array;
  /** True when the hidden state must start from zero for this batch. */
  resetState: boolean;
}

export interface BatcherState {
  schedule: Schedule;
  /**
   * 'streams': the absolute position of each stream's next window.
   * 'windows': the starts of the last batch's windows (informational; [] before the first batch).
   */
  positions: number[];
  /** State of the batcher's rng (used by 'windows'). */
  rng: RngState;
  /** Completed passes over the data. */
  epoch: number;
  /**
   * Batches served so far (0: the next batch is the first, which always resets state).
   * Optional when restoring: inferred from positions and epoch if absent.
   */
  batches?: number;
}

export class Batcher {
  /** Batches in one pass over the data. */
  readonly windowsPerEpoch: number;
  private readonly data: Int32Array;
  private readonly batch: number;
  private readonly seqLen: number;
  private readonly schedule: Schedule;
  private readonly rng: Rng;
  /** 'streams': segment length S (targets may reach start + S). */
  private readonly segment: number;
  private positions: number[];
  private epoch = 0;
  private batches = 0;

  /** The rng should belong to this batcher alone: getState/setState save and restore it. */
  constructor(data: Int32Array, batch: number, seqLen: number, schedule: Schedule, rng: Rng) {
    if (!Number.isInteger(batch) || batch < 1) throw new CorpusError(`batch (streams) must be a positive integer, got ${batch}`);
    if (!Number.isInteger(seqLen) || seqLen < 1) throw new CorpusError(`sequence length must be a positive integer, got ${seqLen}`);
    const N = data.length;
    const B = batch;
    const T = seqLen;
    this.data = data;
    this.batch = B;
    this.seqLen = T;
    this.schedule = schedule;
    this.rng = rng;
    if (schedule === 'streams') {
      if (N - 1 < B * T) {
        throw new CorpusError(
          `corpus of ${N.toLocaleString('en')} characters is too short for ${B} streams of ${T} characters; it needs at least ${(B * T + 1).toLocaleString('en')} characters: use fewer streams or a shorter sequence length`,
        );
      }
      this.segment = Math.floor((N - 1) / B);
      this.windowsPerEpoch = Math.floor(this.segment / T);
      this.positions = this.segmentStarts();
    } else if (schedule === 'windows') {
      if (N < T + 1) {
        throw new CorpusError(
          `corpus of ${N.toLocaleString('en')} characters is too short for windows of ${T.toLocaleString('en')} characters; it needs at least ${(T + 1).toLocaleString('en')} characters: use a longer text or a shorter sequence length`,
        );
      }
      this.segment = 0;
      this.windowsPerEpoch = Math.max(1, Math.floor((N - 1) / (B * T)));
      this.positions = [];
    } else {
      throw new CorpusError(`schedule must be "streams" or "windows", got ${JSON.stringify(schedule)}`);
    }
  }

  private segmentStarts(): number[] {
    return Array.from({ length: this.batch }, (_, b) => b * this.segment);
  }

  next(): Batch {
    const B = this.batch;
    const T = this.seqLen;
    const data = this.data;
    let resetState: boolean;
    if (this.schedule === 'streams') {
      resetState = this.batches === 0;
      // All streams advance together and have equal segments, so stream 0 decides.
      if (this.positions[0] + T > this.segment) {
        this.positions = this.segmentStarts();
        this.epoch++;
        resetState = true;
      }
    } else {
      const span = data.length - T; // starts in [0, N-T-1]
      this.positions = Array.from({ length: B }, () => this.rng.int(span));
      resetState = true;
      if (this.batches > 0 && this.batches % this.windowsPerEpoch === 0) this.epoch++;
    }
    const inputs = new Int32Array(T * B);
    const targets = new Int32Array(T * B);
    for (let b = 0; b < B; b++) {
      const p = this.positions[b];
      for (let t = 0; t < T; t++) {
        inputs[t * B + b] = data[p + t];
        targets[t * B + b] = data[p + t + 1];
      }
    }
    if (this.schedule === 'streams') this.positions = this.positions.map((p) => p + T);
    this.batches++;
    return { inputs, targets, resetState };
  }

  /** Current epoch (completed passes over the data). */
  get currentEpoch(): number {
    return this.epoch;
  }

  getState(): BatcherState {
    return {
      schedule: this.schedule,
      positions: this.positions.slice(),
      rng: this.rng.getState(),
      epoch: this.epoch,
      batches: this.batches,
    };
  }

  setState(s: BatcherState): void {
    if (s.schedule !== this.schedule) {
      throw new CorpusError(`batcher state is for schedule "${s.schedule}" but this batcher uses "${this.schedule}"`);
    }
    const B = this.batch;
    const T = this.seqLen;
    if (!Array.isArray(s.positions) || !s.positions.every((p) => Number.isInteger(p))) {
      throw new CorpusError('batcher state has invalid positions; start training from the beginning of the data');
    }
    if (this.schedule === 'streams') {
      const ok =
        s.positions.length === B &&
        s.positions.every((p, b) => {
          const off = p - b * this.segment;
          return off >= 0 && off <= this.segment && off === s.positions[0];
        });
      if (!ok) {
        throw new CorpusError(
          `batcher state positions [${s.positions.join(', ')}] do not fit ${B} streams over ${this.data.length} characters; the corpus or batch size changed since it was saved`,
        );
      }
    } else if (!(s.positions.length === 0 || (s.positions.length === B && s.positions.every((p) => p >= 0 && p + T < this.data.length)))) {
      throw new CorpusError(
        `batcher state positions do not fit ${B} windows of ${T} over ${this.data.length} characters; the corpus or batch size changed since it was saved`,
      );
    }
    const started = this.schedule === 'streams' ? s.epoch > 0 || s.positions[0] !== 0 : s.positions.length > 0;
    const batches = s.batches ?? (started ? s.epoch * this.windowsPerEpoch + 1 : 0);
    if (!Number.isInteger(s.epoch) || s.epoch < 0 || !Number.isInteger(batches) || batches < 0) {
      throw new CorpusError(`batcher state has an invalid epoch (${s.epoch}) or batch count (${batches})`);
    }
    this.rng.setState(s.rng);
    this.positions = s.positions.slice();
    this.epoch = s.epoch;
    this.batches = batches;
  }
}
