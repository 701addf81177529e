/**
 * A model on the GPU: its flat parameter buffer and the forward-only work —
 * evaluation (per-position losses), hidden-state and gate read-out, and sampling.
 * The trainer (trainer.ts) shares this parameter buffer and adds gradients and Adam.
 *
 * Legend: V vocab, E embed, H hidden, L layers, S streams, R sample rows, n text length.
 */
import type { ParamTable } from '../../model/params.ts';
import type { GpuContext } from '../../gpu/device.ts';
import { Kernels, destroyDispatches, encodeDispatches, gemmChoice, type Dispatch, type GemmChoice, type SeqLimits } from '../../gpu/kernels.ts';
import { readBuffer, readFloats, storageBuffer, writeArray } from '../../gpu/buffers.ts';
import { SequenceBuffers, buildForward } from './sequence.ts';
import { chooseRecurrence, type Recurrence, type RecurrenceChoice } from './recurrence.ts';
import { MAX_VOCAB } from '../../model/config.ts';
import {
  checkSampleRequest,
  evaluationStreams,
  runStreams,
  samplingUniforms,
  type ChunkOutput,
  type HiddenStates,
  type Model,
  type SampleRequest,
} from '../contract.ts';

/** Timesteps per submission when running a long text through the model. */
const EVAL_CHUNK = 128;
/** Characters generated per submission (progress is reported between them). */
const SAMPLE_CHUNK = 32;

export interface GpuModelOptions {
  /** `per-timestep` forces the per-timestep recurrent kernels; `auto` (the default) chooses from the device's limits. */
  recurrence?: RecurrenceChoice;
  /** At most this many streams per workgroup in the persistent kernels (tests use it to split a small batch). */
  maxStreamsPerWorkgroup?: number;
  /** Limits to choose the recurrence by in place of the device's (tests use it to reach the fallbacks). */
  limits?: Partial<SeqLimits>;
  /** The GEMM kernels to run (to test or compare them); by default chosen from the adapter (see gemmChoice). */
  gemm?: Partial<GemmChoice>;
}

export class GpuModel implements Model {
  readonly kernels: Kernels;
  readonly params: GPUBuffer;
  private passes = new Map<string, { seq: SequenceBuffers; forward: Dispatch[] }>();
  /** One prepared generation per row count, reused by every Generate with that many rows. */
  private samplers = new Map<number, Sampler>();

  constructor(
    readonly gpu: GpuContext,
    readonly table: ParamTable,
    initial: Float32Array,
    readonly options: GpuModelOptions = {},
  ) {
    if (initial.length !== table.totalSize) throw new Error(`parameters have ${initial.length} floats, the table needs ${table.totalSize}`);
    this.kernels = new Kernels(gpu.device, { ...gemmChoice(gpu.adapter), ...options.gemm });
    this.params = storageBuffer(gpu.device, 'params', table.totalSize, initial);
  }

  get device(): GPUDevice {
    return this.gpu.device;
  }

  /** The recurrent kernels a pass of B streams runs on this device (see recurrence.ts). */
  recurrence(B: number): Recurrence {
    const o = this.options;
    const d = this.device.limits;
    const limits: SeqLimits = {
      maxComputeWorkgroupStorageSize: o.limits?.maxComputeWorkgroupStorageSize ?? d.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: o.limits?.maxComputeInvocationsPerWorkgroup ?? d.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: o.limits?.maxComputeWorkgroupSizeX ?? d.maxComputeWorkgroupSizeX,
    };
    return chooseRecurrence(limits, this.table.config.hiddenSize, B, o.recurrence ?? 'auto', o.maxStreamsPerWorkgroup);
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
      p = { seq, forward: buildForward(this.kernels, seq, this.params, false, this.recurrence(B).forward) };
      this.passes.set(key, p);
    }
    return p;
  }

  /**
   * One chunk of S streams through the forward pass (T = EVAL_CHUNK or less, padded):
   * the state is carried in the pass's stateH/stateC between chunks.
   */
  private chunkRunner(T: number, S: number, wantHidden: boolean) {
    const { hiddenSize: H, layers: L } = this.table.config;
    const { seq, forward } = this.forwardPass(T, S);
    const tok = new Int32Array(T * S); // (T, S), zero padded
    const tgt = new Int32Array(T * S);
    return async (tokens: Int32Array, targets: Int32Array, _steps: number, first: boolean): Promise<ChunkOutput> => {
      tok.fill(0);
      tgt.fill(0);
      tok.set(tokens);
      tgt.set(targets);
      writeArray(this.device, seq.tokens, tok);
      writeArray(this.device, seq.targets, tgt);
      const enc = this.device.createCommandEncoder({ label: 'forward chunk' });
      seq.encodeLoadState(enc, first);
      const pass = enc.beginComputePass({ label: 'forward' });
      encodeDispatches(pass, forward);
      pass.end();
      seq.encodeSaveState(enc);
      this.device.queue.submit([enc.finish()]);
      const losses = await readFloats(this.device, seq.losses, T * S);
      if (!wantHidden) return { losses };
      const h: Float32Array[] = [];
      const gates: Float32Array[] = [];
      for (let l = 0; l < L; l++) {
        h.push(await readFloats(this.device, seq.hs[l], T * S * H, S * H)); // slots 1..T
        gates.push(await readFloats(this.device, seq.gates[l], T * S * 4 * H));
      }
      return { losses, h, gates };
    };
  }

  async evaluate(ids: Int32Array, streams = 1): Promise<Float32Array> {
    const layout = evaluationStreams(ids, streams);
    const { hiddenSize: H, layers: L } = this.table.config;
    const T = Math.min(EVAL_CHUNK, layout.len);
    return (await runStreams(layout, { H, L, chunk: T, wantHidden: false }, this.chunkRunner(T, layout.S, false))).losses;
  }

  async hiddenStates(ids: Int32Array): Promise<HiddenStates> {
    if (ids.length < 1) throw new Error('hidden states need at least one character');
    const { hiddenSize: H, layers: L } = this.table.config;
    const layout = { inputs: ids, targets: new Int32Array(ids.length), S: 1, len: ids.length };
    const T = Math.min(EVAL_CHUNK, ids.length);
    const { h, gates } = await runStreams(layout, { H, L, chunk: T, wantHidden: true }, this.chunkRunner(T, 1, true));
    return { h, gates };
  }

  /**
   * Generates `length` characters after the prime for each row (one row per
   * temperature), all rows in one pass; every step of a chunk is one submission with
   * no CPU wait. The categorical draws use uniforms from Rng(seed), so the same seed
   * gives the same text as the CPU reference. `onProgress` gets the rows so far.
   */
  async sample(req: SampleRequest, onProgress?: (rows: Int32Array[]) => void): Promise<Int32Array[]> {
    const V = this.table.config.vocabSize;
    checkSampleRequest(req, V);
    if (V > MAX_VOCAB) throw new Error(`the GPU sampler handles up to ${MAX_VOCAB} characters, the vocabulary has ${V}`);
    const steps = req.prime.length - 1 + req.length;
    let sampler = this.samplers.get(req.rows.length);
    if (sampler && sampler.capacity < steps) {
      sampler.destroy();
      sampler = undefined;
    }
    if (!sampler) {
      sampler = new Sampler(this, req.rows.length, Math.max(1024, 2 ** Math.ceil(Math.log2(Math.max(1, steps)))));
      this.samplers.set(req.rows.length, sampler);
    }
    return sampler.run(req, onProgress);
  }

  destroy(): void {
    for (const p of this.passes.values()) {
      destroyDispatches(p.forward);
      p.seq.destroy();
    }
    this.passes.clear();
    for (const s of this.samplers.values()) s.destroy();
    this.samplers.clear();
    this.params.destroy();
  }
}

/**
 * A generation of R rows prepared once: its buffers (sized for up to `capacity` steps)
 * and its two dispatch lists (state slots ping-pong between steps). Each run rewrites
 * only the request's data: first tokens, row settings, uniforms, forced prime.
 */
class Sampler {
  private buffers: GPUBuffer[] = [];
  private setup: Dispatch[];
  private stepLists: Dispatch[][];
  private tokens: GPUBuffer; // (R) next input of each row
  private settings: GPUBuffer; // (R) RowSettings {temperature, top_k, top_p, pad}
  private rand: GPUBuffer; // (capacity, R) uniforms of the draws
  private forced: GPUBuffer; // (capacity) prime characters forced while reading the prime, else -1
  private counter: GPUBuffer; // (R) step of each row
  private outSeq: GPUBuffer; // (capacity, R) drawn characters

  constructor(
    private model: GpuModel,
    readonly R: number,
    readonly capacity: number,
  ) {
    const { vocabSize: V, embedSize: E, hiddenSize: H, layers: L } = model.table.config;
    const t = model.table;
    const k = model.kernels;
    const params = model.params;
    const buf = (name: string, floats: number) => {
      const b = storageBuffer(model.device, `sample ${name}`, floats);
      this.buffers.push(b);
      return b;
    };
    this.tokens = buf('tokens', R);
    const x0 = buf('x0', R * E); // (R, E)
    const zx = Array.from({ length: L }, (_, l) => buf(`zx${l}`, R * 4 * H)); // per layer (R, 4H)
    const hs = Array.from({ length: L }, (_, l) => buf(`hs${l}`, 2 * R * H)); // per layer (2, R, H): two state slots
    const cs = Array.from({ length: L }, (_, l) => buf(`cs${l}`, 2 * R * H)); // per layer (2, R, H)
    const gates = Array.from({ length: L }, (_, l) => buf(`gates${l}`, R * 4 * H)); // per layer (R, 4H)
    const whhT = Array.from({ length: L }, (_, l) => buf(`whhT${l}`, 4 * H * H)); // per layer (H, 4H)
    const logits = buf('logits', R * V); // (R, V)
    this.settings = buf('settings', R * 4);
    this.rand = buf('rand', capacity * R);
    this.forced = buf('forced', capacity);
    this.counter = buf('counter', R);
    this.outSeq = buf('out', capacity * R);

    this.setup = t.layers.map((p, l) => k.transpose({ label: `sample W_hh${l}ᵀ`, rows: 4 * H, cols: H, inOff: p.weightHh.offset, src: params, dst: whhT[l] }));
    // Step k reads state slot k%2 and writes slot 1-k%2: one dispatch list per parity.
    this.stepLists = [0, 1].map((p) => {
      const w = 1 - p;
      const list: Dispatch[] = [k.embeddingForward({ n: R, e: E, embedOff: t.embed.offset, outOff: 0, tokOff: 0, params, tokens: this.tokens, out: x0 })];
      t.layers.forEach((lp, l) => {
        list.push(
          k.matmul({
            label: `sample input projection l${l}`,
            m: R,
            n: 4 * H,
            k: l === 0 ? E : H,
            transA: false,
            transB: true,
            a: l === 0 ? x0 : hs[l - 1],
            aOff: l === 0 ? 0 : w * R * H,
            b: params,
            bOff: lp.weightIh.offset,
            c: zx[l],
            cOff: 0,
            bias: { buffer: params, off: lp.biasIh.offset, off2: lp.biasHh.offset },
          }),
          k.lstmStepForward({
            label: `sample lstm l${l}`,
            b: R,
            h: H,
            zxOff: 0,
            hPrevOff: p * R * H,
            hOff: w * R * H,
            cPrevOff: p * R * H,
            cOff: w * R * H,
            gatesOff: 0,
            zx: zx[l],
            whhT: whhT[l],
            hs: hs[l],
            cs: cs[l],
            gates: gates[l],
          }),
        );
      });
      list.push(
        k.matmul({
          label: 'sample head',
          m: R,
          n: V,
          k: H,
          transA: false,
          transB: true,
          a: hs[L - 1],
          aOff: w * R * H,
          b: params,
          bOff: t.headWeight.offset,
          c: logits,
          cOff: 0,
          bias: { buffer: params, off: t.headBias.offset },
        }),
        k.sampleForward({
          v: V,
          rows: R,
          logitsOff: 0,
          logits,
          settings: this.settings,
          rand: this.rand,
          forced: this.forced,
          counter: this.counter,
          tokens: this.tokens,
          outSeq: this.outSeq,
        }),
      );
      return list;
    });
    // The state slots start at zero (fresh buffers) and each run clears slot 0 again.
    this.stateBuffers = [...hs, ...cs];
  }

  private stateBuffers: GPUBuffer[];

  async run(req: SampleRequest, onProgress?: (rows: Int32Array[]) => void): Promise<Int32Array[]> {
    const device = this.model.device;
    const R = this.R;
    const P = req.prime.length;
    const steps = P - 1 + req.length;
    writeArray(device, this.tokens, new Int32Array(R).fill(req.prime[0]));
    const settings = new DataView(new ArrayBuffer(R * 16));
    req.rows.forEach((r, i) => {
      settings.setFloat32(i * 16, r.temperature, true);
      settings.setUint32(i * 16 + 4, Math.max(0, Math.floor(r.topK)), true);
      settings.setFloat32(i * 16 + 8, r.topP, true);
    });
    writeArray(device, this.settings, settings);
    writeArray(device, this.rand, samplingUniforms(req.seed, steps * R));
    const forced = new Int32Array(Math.max(1, steps)).fill(-1);
    for (let i = 0; i + 1 < P; i++) forced[i] = req.prime[i + 1];
    writeArray(device, this.forced, forced);

    const rows = Array.from({ length: R }, () => new Int32Array(req.length));
    for (let s0 = 0; s0 < steps || s0 === 0; s0 += SAMPLE_CHUNK) {
      const enc = device.createCommandEncoder({ label: 'sample chunk' });
      if (s0 === 0) {
        enc.clearBuffer(this.counter);
        for (const b of this.stateBuffers) enc.clearBuffer(b);
      }
      const pass = enc.beginComputePass({ label: 'sample' });
      if (s0 === 0) encodeDispatches(pass, this.setup);
      const end = Math.min(steps, s0 + SAMPLE_CHUNK);
      for (let s = s0; s < end; s++) encodeDispatches(pass, this.stepLists[s % 2]);
      pass.end();
      device.queue.submit([enc.finish()]);
      if (end === 0) break;
      const data = new Int32Array(await readBuffer(device, this.outSeq, end * R * 4)); // (end, R)
      for (let s = Math.max(s0, P - 1); s < end; s++) for (let r = 0; r < R; r++) rows[r][s - (P - 1)] = data[s * R + r];
      if (end > P - 1) onProgress?.(rows.map((r) => r.subarray(0, end - (P - 1))));
    }
    return rows;
  }

  destroy(): void {
    destroyDispatches([...this.setup, ...this.stepLists.flat()]);
    for (const b of this.buffers) b.destroy();
    this.buffers = [];
  }
}
