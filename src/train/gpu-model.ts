/**
 * A model on the GPU: its flat parameter buffer and the forward-only work —
 * evaluation (per-position losses), hidden-state and gate read-out, and sampling.
 * The trainer (trainer.ts) shares this parameter buffer and adds gradients and Adam.
 *
 * Legend: V vocab, E embed, H hidden, L layers, S streams, R sample rows, n text length.
 */
import type { ParamTable } from '../model/params.ts';
import type { GpuContext } from '../gpu/device.ts';
import { Kernels, encodeDispatches, type Dispatch } from '../gpu/kernels.ts';
import { readBuffer, readFloats, storageBuffer, writeArray } from '../gpu/buffers.ts';
import { SequenceBuffers, buildForward } from './sequence.ts';
import { MAX_VOCAB } from '../model/config.ts';
import { evaluationStreams, samplingUniforms, type ModelEngine } from './engine.ts';

export interface SampleRow {
  temperature: number;
  /** 0 = off */
  topK: number;
  /** ≥ 1 = off */
  topP: number;
}

export interface SampleRequest {
  /** Encoded prime, at least one character. */
  prime: Int32Array;
  /** Characters to generate after the prime. */
  length: number;
  rows: SampleRow[];
  seed: number;
}

export interface HiddenStates {
  /** Per layer (n, H): h after each character. */
  h: Float32Array[];
  /** Per layer (n, 4H): activated gates i, f, g, o after each character. */
  gates: Float32Array[];
}

/** Timesteps per submission when running a long text through the model. */
const EVAL_CHUNK = 128;
/** Characters generated per submission (progress is reported between them). */
const SAMPLE_CHUNK = 32;

export class GpuModel implements ModelEngine {
  readonly kernels: Kernels;
  readonly params: GPUBuffer;
  private passes = new Map<string, { seq: SequenceBuffers; forward: Dispatch[] }>();

  constructor(
    readonly gpu: GpuContext,
    readonly table: ParamTable,
    initial: Float32Array,
  ) {
    if (initial.length !== table.totalSize) throw new Error(`parameters have ${initial.length} floats, the table needs ${table.totalSize}`);
    this.kernels = new Kernels(gpu.device);
    this.params = storageBuffer(gpu.device, 'params', table.totalSize, initial);
  }

  get device(): GPUDevice {
    return this.gpu.device;
  }

  writeParams(p: Float32Array): void {
    if (p.length !== this.table.totalSize) throw new Error(`parameters have ${p.length} floats, the table needs ${this.table.totalSize}`);
    writeArray(this.device, this.params, p);
  }

  readParams(): Promise<Float32Array> {
    return readFloats(this.device, this.params, this.table.totalSize);
  }

  /** A forward-only pass for (T, B), built once and cached. */
  private forwardPass(T: number, B: number): { seq: SequenceBuffers; forward: Dispatch[] } {
    const key = `${T}x${B}`;
    let p = this.passes.get(key);
    if (!p) {
      const seq = new SequenceBuffers(this.device, this.table, T, B, `eval ${key}`);
      p = { seq, forward: buildForward(this.kernels, seq, this.params, false) };
      this.passes.set(key, p);
    }
    return p;
  }

  /**
   * Runs S streams of `len` steps each through the model from zero state, in chunks,
   * carrying the state between chunks. inputs/targets are (S, len), stream-major.
   * Returns per-position losses (S, len) and, when asked, hidden states and gates.
   */
  private async runStreams(inputs: Int32Array, targets: Int32Array, S: number, len: number, wantHidden: boolean) {
    const { hiddenSize: H, layers: L } = this.table.config;
    const T = Math.min(EVAL_CHUNK, len);
    const { seq, forward } = this.forwardPass(T, S);
    const losses = new Float32Array(S * len);
    const h = wantHidden ? Array.from({ length: L }, () => new Float32Array(S * len * H)) : [];
    const gates = wantHidden ? Array.from({ length: L }, () => new Float32Array(S * len * 4 * H)) : [];
    const tok = new Int32Array(T * S);
    const tgt = new Int32Array(T * S);
    for (let c0 = 0; c0 < len; c0 += T) {
      const steps = Math.min(T, len - c0);
      tok.fill(0);
      tgt.fill(0);
      for (let t = 0; t < steps; t++) {
        for (let b = 0; b < S; b++) {
          tok[t * S + b] = inputs[b * len + c0 + t];
          tgt[t * S + b] = targets[b * len + c0 + t];
        }
      }
      writeArray(this.device, seq.tokens, tok);
      writeArray(this.device, seq.targets, tgt);
      const enc = this.device.createCommandEncoder({ label: 'forward chunk' });
      seq.encodeLoadState(enc, c0 === 0);
      const pass = enc.beginComputePass({ label: 'forward' });
      encodeDispatches(pass, forward);
      pass.end();
      seq.encodeSaveState(enc);
      this.device.queue.submit([enc.finish()]);
      const chunkLosses = await readFloats(this.device, seq.losses, T * S);
      for (let t = 0; t < steps; t++) for (let b = 0; b < S; b++) losses[b * len + c0 + t] = chunkLosses[t * S + b];
      for (let l = 0; l < L && wantHidden; l++) {
        const hs = await readFloats(this.device, seq.hs[l], T * S * H, S * H); // slots 1..T
        const gs = await readFloats(this.device, seq.gates[l], T * S * 4 * H);
        for (let t = 0; t < steps; t++) {
          for (let b = 0; b < S; b++) {
            const dst = b * len + c0 + t;
            h[l].set(hs.subarray((t * S + b) * H, (t * S + b + 1) * H), dst * H);
            gates[l].set(gs.subarray((t * S + b) * 4 * H, (t * S + b + 1) * 4 * H), dst * 4 * H);
          }
        }
      }
    }
    return { losses, h, gates };
  }

  /**
   * Per-character losses (nats) of a text, from zero state. With one stream, position i
   * is the loss of predicting ids[i+1] after ids[0..i] (length n-1). With S streams the
   * text is cut into S equal segments run side by side (faster; each segment starts
   * from zero state) and the tail that does not divide evenly is left out.
   */
  async evaluate(ids: Int32Array, streams = 1): Promise<Float32Array> {
    const { inputs, targets, S, len } = evaluationStreams(ids, streams);
    return (await this.runStreams(inputs, targets, S, len, false)).losses;
  }

  /** Hidden states and gates after each character of a text, from zero state. */
  async hiddenStates(ids: Int32Array): Promise<HiddenStates> {
    if (ids.length < 1) throw new Error('hidden states need at least one character');
    const { h, gates } = await this.runStreams(ids, new Int32Array(ids.length), 1, ids.length, true);
    return { h, gates };
  }

  /**
   * Generates `length` characters after the prime for each row (one row per
   * temperature), all rows in one pass; every step of a chunk is one submission with
   * no CPU wait. The categorical draws use uniforms from Rng(seed), so the same seed
   * gives the same text as the CPU reference. `onProgress` gets the rows so far.
   */
  async sample(req: SampleRequest, onProgress?: (rows: Int32Array[]) => void): Promise<Int32Array[]> {
    const { vocabSize: V, embedSize: E, hiddenSize: H, layers: L } = this.table.config;
    const P = req.prime.length;
    const R = req.rows.length;
    if (P < 1) throw new Error('the prime must have at least one character');
    if (R < 1) throw new Error('give at least one temperature');
    if (V > MAX_VOCAB) throw new Error(`the GPU sampler handles up to ${MAX_VOCAB} characters, the vocabulary has ${V}`);
    const steps = P - 1 + req.length;
    const device = this.device;
    const k = this.kernels;
    const t = this.table;
    const created: GPUBuffer[] = [];
    const buf = (name: string, floats: number, data?: ArrayBufferView) => {
      const b = storageBuffer(device, `sample ${name}`, floats, data);
      created.push(b);
      return b;
    };
    try {
      const tokens = buf('tokens', R, new Int32Array(R).fill(req.prime[0]));
      const x0 = buf('x0', R * E);
      const zx = Array.from({ length: L }, (_, l) => buf(`zx${l}`, R * 4 * H));
      const hs = Array.from({ length: L }, (_, l) => buf(`hs${l}`, 2 * R * H));
      const cs = Array.from({ length: L }, (_, l) => buf(`cs${l}`, 2 * R * H));
      const gates = Array.from({ length: L }, (_, l) => buf(`gates${l}`, R * 4 * H));
      const whhT = Array.from({ length: L }, (_, l) => buf(`whhT${l}`, 4 * H * H));
      const logits = buf('logits', R * V);
      const settings = new DataView(new ArrayBuffer(R * 16));
      req.rows.forEach((r, i) => {
        settings.setFloat32(i * 16, r.temperature, true);
        settings.setUint32(i * 16 + 4, Math.max(0, Math.floor(r.topK)), true);
        settings.setFloat32(i * 16 + 8, r.topP, true);
      });
      const settingsBuf = buf('settings', R * 4, settings);
      const rand = samplingUniforms(req.seed, steps * R);
      const randBuf = buf('rand', Math.max(1, rand.length), rand);
      const forced = new Int32Array(Math.max(1, steps)).fill(-1);
      for (let i = 0; i + 1 < P; i++) forced[i] = req.prime[i + 1];
      const forcedBuf = buf('forced', forced.length, forced);
      const counter = buf('counter', R);
      const outSeq = buf('out', Math.max(1, steps * R));

      const setup: Dispatch[] = t.layers.map((p, l) =>
        k.transpose({ label: `sample W_hh${l}ᵀ`, rows: 4 * H, cols: H, inOff: p.weightHh.offset, src: this.params, dst: whhT[l] }),
      );
      // Step k reads state slot k%2 and writes slot 1-k%2: one dispatch list per parity.
      const stepLists = [0, 1].map((p) => {
        const w = 1 - p;
        const list: Dispatch[] = [k.embeddingForward({ n: R, e: E, embedOff: t.embed.offset, outOff: 0, tokOff: 0, params: this.params, tokens, out: x0 })];
        t.layers.forEach((lp, l) => {
          list.push(
            k.matmul({
              label: `sample input projection l${l}`, m: R, n: 4 * H, k: l === 0 ? E : H, transA: false, transB: true,
              a: l === 0 ? x0 : hs[l - 1], aOff: l === 0 ? 0 : w * R * H, b: this.params, bOff: lp.weightIh.offset, c: zx[l], cOff: 0,
              bias: { buffer: this.params, off: lp.biasIh.offset, off2: lp.biasHh.offset },
            }),
            k.lstmStepForward({
              label: `sample lstm l${l}`, b: R, h: H, zxOff: 0, hPrevOff: p * R * H, hOff: w * R * H, cPrevOff: p * R * H, cOff: w * R * H, gatesOff: 0,
              zx: zx[l], whhT: whhT[l], hs: hs[l], cs: cs[l], gates: gates[l],
            }),
          );
        });
        list.push(
          k.matmul({
            label: 'sample head', m: R, n: V, k: H, transA: false, transB: true, a: hs[L - 1], aOff: w * R * H,
            b: this.params, bOff: t.headWeight.offset, c: logits, cOff: 0, bias: { buffer: this.params, off: t.headBias.offset },
          }),
          k.sampleForward({ v: V, rows: R, logitsOff: 0, logits, settings: settingsBuf, rand: randBuf, forced: forcedBuf, counter, tokens, outSeq }),
        );
        return list;
      });

      const rows = Array.from({ length: R }, () => new Int32Array(req.length));
      const collect = (seqData: Int32Array, done: number) => {
        for (let s = P - 1; s < done; s++) for (let r = 0; r < R; r++) rows[r][s - (P - 1)] = seqData[s * R + r];
      };
      for (let s0 = 0; s0 < steps || s0 === 0; s0 += SAMPLE_CHUNK) {
        const enc = device.createCommandEncoder({ label: 'sample chunk' });
        const pass = enc.beginComputePass({ label: 'sample' });
        if (s0 === 0) encodeDispatches(pass, setup);
        const end = Math.min(steps, s0 + SAMPLE_CHUNK);
        for (let s = s0; s < end; s++) encodeDispatches(pass, stepLists[s % 2]);
        pass.end();
        device.queue.submit([enc.finish()]);
        if (end === 0) break;
        const data = new Int32Array(await readBuffer(device, outSeq, end * R * 4));
        collect(data, end);
        if (end > P - 1) onProgress?.(rows.map((r) => r.subarray(0, end - (P - 1))));
      }
      return rows;
    } finally {
      for (const b of created) b.destroy();
    }
  }

  destroy(): void {
    for (const p of this.passes.values()) p.seq.destroy();
    this.passes.clear();
    this.params.destroy();
  }
}
