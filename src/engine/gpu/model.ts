/**
 * A model on the GPU: its flat parameter buffer and the forward-only work —
 * evaluation (per-position losses), hidden-state, cell-state and gate read-out, and sampling.
 * The trainer (trainer.ts) shares this parameter buffer and adds gradients and Adam.
 *
 * Legend: V vocab, E embed, H hidden, L layers, S streams, R sample rows, n text length.
 */
import type { ParamTable } from '../../model/params.ts';
import type { GpuContext } from '../../gpu/device.ts';
import {
  Kernels,
  destroyDispatches,
  encodeDispatches,
  DEFAULT_GEMM,
  packRowSettings,
  sampleBlockShape,
  sampleWeightsLayout,
  type Dispatch,
  type GemmChoice,
  type SampleBlockShape,
  type SeqLimits,
} from '../../gpu/kernels.ts';
import { readFloats, readFloatsTogether, storageBuffer, writeArray } from '../../gpu/buffers.ts';
import { SequenceBuffers, buildForward } from './sequence.ts';
import { PASS_CHUNK } from '../memory.ts';
import { chooseRecurrence, type Recurrence, type RecurrenceChoice, type StreamsPerWorkgroup } from './recurrence.ts';
import { MAX_VOCAB } from '../../model/config.ts';
import {
  checkLstmState,
  checkSampleRequest,
  evaluationStreams,
  runStreams,
  samplingUniforms,
  type ChunkOutput,
  type HiddenStates,
  type LstmState,
  type Model,
  type SampleRequest,
} from '../contract.ts';

/** Timesteps per submission when running a long text through the model. */
const EVAL_CHUNK = PASS_CHUNK;
/**
 * The timesteps of the forward pass that reads a text of `len` characters: the next power of
 * two, up to EVAL_CHUNK (a shorter text is padded; padding comes after the text and changes
 * none of its positions). Each T has its own cached pass and buffers, so texts of every length
 * (the page's "What comes next?" box, one key at a time) share at most 8 of them.
 */
function chunkSteps(len: number): number {
  return Math.min(EVAL_CHUNK, 2 ** Math.ceil(Math.log2(Math.max(1, len))));
}

/** Characters generated per row and submission (a block; progress is reported after each). */
const SAMPLE_BLOCK = 32;

export interface GpuModelOptions {
  /** `per-timestep` forces the per-timestep recurrent kernels; `auto` (the default) chooses from the device's limits. */
  recurrence?: RecurrenceChoice;
  /**
   * Streams per workgroup of each persistent direction (capped by what fits). A trainer
   * times the candidates for what is not given here when it is created (calibrateTrainer);
   * elsewhere (evaluation, read-out) as many as fit. Tests give it to be deterministic.
   */
  streamsPerWorkgroup?: StreamsPerWorkgroup;
  /** Limits to choose the recurrence by in place of the device's (tests use it to reach the fallbacks). */
  limits?: Partial<SeqLimits>;
  /** `per-character` forces the sampler's per-character dispatches; `auto` (the default) runs a block in one dispatch where it fits (see samplerShape). */
  sampler?: 'auto' | 'per-character';
  /**
   * The GEMM kernels to run (to test or compare them). `splitK` forces it for every weight
   * gradient; by default a trainer times both at its shapes (calibrateTrainer).
   */
  gemm?: Partial<GemmChoice>;
  /** false: a trainer times nothing and runs the defaults for what is not forced (as many streams as fit, one pass of K). */
  calibrate?: boolean;
}

/** The limits the recurrent kernels are chosen by: the device's, or the given overrides. */
export function recurrenceLimits(device: GPUDevice, overrides: Partial<SeqLimits> = {}): SeqLimits {
  const d = device.limits;
  return {
    maxComputeWorkgroupStorageSize: overrides.maxComputeWorkgroupStorageSize ?? d.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: overrides.maxComputeInvocationsPerWorkgroup ?? d.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: overrides.maxComputeWorkgroupSizeX ?? d.maxComputeWorkgroupSizeX,
  };
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
    this.kernels = new Kernels(gpu.device, { ...DEFAULT_GEMM, ...options.gemm });
    this.params = storageBuffer(gpu.device, 'params', table.totalSize, initial);
  }

  get device(): GPUDevice {
    return this.gpu.device;
  }

  /** The device's limits, or the options' overrides. */
  private limits(): SeqLimits {
    return recurrenceLimits(this.device, this.options.limits);
  }

  /** The recurrent kernels a pass of B streams runs on this device (see recurrence.ts). */
  recurrence(B: number): Recurrence {
    const o = this.options;
    return chooseRecurrence(this.limits(), this.table.config.hiddenSize, B, o.recurrence ?? 'auto', o.streamsPerWorkgroup);
  }

  /**
   * How this model generates: a block of characters in one sample_block dispatch where
   * its workgroup memory fits the device, else the per-character kernels (2L + 3
   * dispatches a character), with the reason.
   */
  samplerShape(): SampleBlockShape | { reason: string } {
    if (this.options.sampler === 'per-character') return { reason: 'per-character (forced)' };
    const { vocabSize: V, hiddenSize: H, layers: L } = this.table.config;
    return sampleBlockShape(this.limits(), V, H, L);
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
   * the state is carried in the pass's stateH/stateC between chunks. The first chunk starts
   * from zeros or, given `from` (S = 1), from that state written into stateH/stateC (L, 1, H).
   */
  private chunkRunner(T: number, S: number, wantHidden: boolean, from?: LstmState) {
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
      if (first && from) {
        // (L, 1, H): every layer's row in one write per buffer.
        const packed = (rows: Float32Array[]) => {
          const out = new Float32Array(L * H);
          rows.forEach((r, l) => out.set(r, l * H));
          return out;
        };
        writeArray(this.device, seq.stateH, packed(from.h));
        writeArray(this.device, seq.stateC, packed(from.c));
      }
      const enc = this.device.createCommandEncoder({ label: 'forward chunk' });
      seq.encodeLoadState(enc, first && !from);
      const pass = enc.beginComputePass({ label: 'forward' });
      encodeDispatches(pass, forward);
      pass.end();
      seq.encodeSaveState(enc);
      this.device.queue.submit([enc.finish()]);
      if (!wantHidden) return { losses: await readFloats(this.device, seq.losses, T * S) };
      // The losses and every layer's h and c (slots 1..T, which the forward pass keeps for
      // the backward pass) and gates in one round trip.
      const [losses, ...perLayer] = await readFloatsTogether(this.device, [
        { src: seq.losses, count: T * S },
        ...seq.hs.flatMap((hs, l) => [
          { src: hs, count: T * S * H, offset: S * H },
          { src: seq.cs[l], count: T * S * H, offset: S * H },
          { src: seq.gates[l], count: T * S * 4 * H },
        ]),
      ]);
      const h = Array.from({ length: L }, (_, l) => perLayer[3 * l]);
      const c = Array.from({ length: L }, (_, l) => perLayer[3 * l + 1]);
      const gates = Array.from({ length: L }, (_, l) => perLayer[3 * l + 2]);
      return { losses, h, c, gates };
    };
  }

  async evaluate(ids: Int32Array, streams = 1): Promise<Float32Array> {
    const layout = evaluationStreams(ids, streams);
    const { hiddenSize: H, layers: L } = this.table.config;
    const T = chunkSteps(layout.len);
    return (await runStreams(layout, { H, L, chunk: T, wantHidden: false }, this.chunkRunner(T, layout.S, false))).losses;
  }

  async hiddenStates(ids: Int32Array, from?: LstmState): Promise<HiddenStates> {
    if (ids.length < 1) throw new Error('hidden states need at least one character');
    const { hiddenSize: H, layers: L } = this.table.config;
    if (from) checkLstmState(from, H, L);
    const layout = { inputs: ids, targets: new Int32Array(ids.length), S: 1, len: ids.length };
    const T = chunkSteps(ids.length);
    const { h, c, gates } = await runStreams(layout, { H, L, chunk: T, wantHidden: true }, this.chunkRunner(T, 1, true, from));
    return { h, c, gates };
  }

  /**
   * Generates `length` characters after the prime for each row (one row per
   * temperature), all rows in one pass, a block of SAMPLE_BLOCK characters per
   * submission; the next block is submitted before the last one is read back. The categorical draws use uniforms from Rng(seed), so the same seed
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
      const capacity = Math.max(1024, 2 ** Math.ceil(Math.log2(Math.max(1, steps))));
      const shape = this.samplerShape();
      sampler = 'reason' in shape ? new PerCharacterSampler(this, req.rows.length, capacity) : new BlockSampler(this, req.rows.length, capacity, shape);
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
 * A generation of R rows prepared once, sized for up to `capacity` steps (prime and
 * drawn characters): the request's buffers, two reusable staging buffers for the
 * blocks' read-back, and the GPU work of a block, which a subclass prepares.
 * Each run rewrites only the request's data: first tokens, row settings, uniforms,
 * forced prime.
 */
abstract class Sampler {
  protected buffers: GPUBuffer[] = [];
  protected readonly settings: GPUBuffer; // (R) RowSettings {temperature, top_k, top_p, pad}
  protected readonly rand: GPUBuffer; // (capacity, R) uniforms of the draws
  protected readonly forced: GPUBuffer; // (capacity) prime characters forced while reading the prime, else -1
  protected readonly outSeq: GPUBuffer; // (capacity, R) drawn characters
  private readonly staging: GPUBuffer[]; // 2 × (SAMPLE_BLOCK, R) i32: block i is read through staging[i % 2]

  constructor(
    protected model: GpuModel,
    readonly R: number,
    readonly capacity: number,
  ) {
    this.settings = this.buf('settings', R * 4);
    this.rand = this.buf('rand', capacity * R);
    this.forced = this.buf('forced', capacity);
    this.outSeq = this.buf('out', capacity * R);
    this.staging = [0, 1].map((i) =>
      model.device.createBuffer({ label: `sample read-back ${i}`, size: SAMPLE_BLOCK * R * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
    );
  }

  protected buf(name: string, floats: number): GPUBuffer {
    const b = storageBuffer(this.model.device, `sample ${name}`, floats);
    this.buffers.push(b);
    return b;
  }

  /** Encodes, before the first block: the start of a generation from `first` (the prime's first character). */
  protected abstract encodeStart(enc: GPUCommandEncoder, pass: () => GPUComputePassEncoder, first: number): void;
  /** Encodes steps [s0, end) of the generation. */
  protected abstract encodeBlock(pass: GPUComputePassEncoder, s0: number, end: number): void;

  async run(req: SampleRequest, onProgress?: (rows: Int32Array[]) => void): Promise<Int32Array[]> {
    const device = this.model.device;
    const R = this.R;
    const P = req.prime.length;
    const steps = P - 1 + req.length;
    const rows = Array.from({ length: R }, () => new Int32Array(req.length));
    if (steps === 0) return rows;
    writeArray(device, this.settings, packRowSettings(req.rows));
    writeArray(device, this.rand, samplingUniforms(req.seed, steps * R));
    const forced = new Int32Array(steps).fill(-1);
    for (let i = 0; i + 1 < P; i++) forced[i] = req.prime[i + 1];
    writeArray(device, this.forced, forced);

    // Block i is submitted before block i-1 is read back, so the GPU works while JavaScript waits.
    let reading: Promise<void> | null = null;
    for (let i = 0, s0 = 0; s0 < steps; i++, s0 += SAMPLE_BLOCK) {
      const end = Math.min(steps, s0 + SAMPLE_BLOCK);
      const enc = device.createCommandEncoder({ label: `sample block ${i}` });
      let pass: GPUComputePassEncoder | null = null;
      const openPass = () => (pass ??= enc.beginComputePass({ label: 'sample' }));
      if (i === 0) this.encodeStart(enc, openPass, req.prime[0]);
      this.encodeBlock(openPass(), s0, end);
      openPass().end();
      const staging = this.staging[i % 2];
      enc.copyBufferToBuffer(this.outSeq, s0 * R * 4, staging, 0, (end - s0) * R * 4);
      device.queue.submit([enc.finish()]);
      if (reading) await reading;
      reading = this.readBlock(staging, s0, end, P, rows, onProgress);
    }
    await reading;
    return rows;
  }

  /** Maps a block's staging buffer, copies its characters into `rows`, reports progress. */
  private async readBlock(
    staging: GPUBuffer,
    s0: number,
    end: number,
    P: number,
    rows: Int32Array[],
    onProgress?: (rows: Int32Array[]) => void,
  ): Promise<void> {
    const R = this.R;
    const bytes = (end - s0) * R * 4;
    await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    const data = new Int32Array(staging.getMappedRange(0, bytes)); // (end - s0, R)
    for (let s = Math.max(s0, P - 1); s < end; s++) for (let r = 0; r < R; r++) rows[r][s - (P - 1)] = data[(s - s0) * R + r];
    staging.unmap();
    if (end > P - 1) onProgress?.(rows.map((r) => r.subarray(0, end - (P - 1))));
  }

  destroy(): void {
    for (const b of [...this.buffers, ...this.staging]) b.destroy();
    this.buffers = [];
  }
}

/**
 * A block in one dispatch (sample_block.wgsl): a workgroup per row carries the state of
 * every layer through the block. The weights are packed for it (transposed) once per
 * generation, by 2L + 1 transposes and a few copies.
 */
class BlockSampler extends Sampler {
  private readonly w: GPUBuffer; // packed weights (sampleWeightsLayout)
  private readonly cursor: GPUBuffer; // (R, 2) u32: step, next input token
  private readonly state: GPUBuffer; // (2, L, R, H): h, then c
  private readonly pack: Dispatch[];
  private readonly copies: [number, number, number][]; // [params offset, w offset, floats]
  private readonly block: Dispatch;
  private blockSteps: number;

  constructor(model: GpuModel, R: number, capacity: number, shape: SampleBlockShape) {
    super(model, R, capacity);
    const { vocabSize: V, embedSize: E, hiddenSize: H, layers: L } = model.table.config;
    const t = model.table;
    const k = model.kernels;
    const { base, size } = sampleWeightsLayout(V, E, H, L);
    this.w = this.buf('weights', size);
    const wBase = this.buf('weight blocks', L + 1);
    writeArray(model.device, wBase, Uint32Array.from(base));
    this.cursor = this.buf('cursor', 2 * R);
    this.state = this.buf('state', 2 * L * R * H);
    this.pack = [];
    this.copies = [];
    t.layers.forEach((p, l) => {
      const I = l === 0 ? E : H;
      this.pack.push(
        k.transpose({ label: `sample W_ih${l}ᵀ`, rows: 4 * H, cols: I, inOff: p.weightIh.offset, outOff: base[l], src: model.params, dst: this.w }),
        k.transpose({ label: `sample W_hh${l}ᵀ`, rows: 4 * H, cols: H, inOff: p.weightHh.offset, outOff: base[l] + I * 4 * H, src: model.params, dst: this.w }),
      );
      this.copies.push([p.biasIh.offset, base[l] + (I + H) * 4 * H, 4 * H], [p.biasHh.offset, base[l] + (I + H) * 4 * H + 4 * H, 4 * H]);
    });
    this.pack.push(k.transpose({ label: 'sample W_outᵀ', rows: V, cols: H, inOff: t.headWeight.offset, outOff: base[L], src: model.params, dst: this.w }));
    this.copies.push([t.headBias.offset, base[L] + H * V, V], [t.embed.offset, base[L] + H * V + V, V * E]);
    this.blockSteps = SAMPLE_BLOCK;
    this.block = k.sampleBlock({
      v: V,
      e: E,
      h: H,
      l: L,
      rows: R,
      steps: this.blockSteps,
      shape,
      w: this.w,
      wBase,
      settings: this.settings,
      rand: this.rand,
      forced: this.forced,
      cursor: this.cursor,
      outSeq: this.outSeq,
      state: this.state,
    });
  }

  protected encodeStart(enc: GPUCommandEncoder, pass: () => GPUComputePassEncoder, first: number): void {
    const cursor = new Uint32Array(2 * this.R);
    for (let r = 0; r < this.R; r++) cursor[2 * r + 1] = first;
    writeArray(this.model.device, this.cursor, cursor);
    enc.clearBuffer(this.state);
    // Copies of parameters the kernel reads untransposed (byte offsets: multiples of 4, as copies need).
    for (const [from, to, n] of this.copies) enc.copyBufferToBuffer(this.model.params, from * 4, this.w, to * 4, n * 4);
    encodeDispatches(pass(), this.pack);
  }

  protected encodeBlock(pass: GPUComputePassEncoder, s0: number, end: number): void {
    if (end - s0 !== this.blockSteps) {
      this.blockSteps = end - s0;
      const { embedSize: E } = this.model.table.config;
      this.model.kernels.setUniform(this.block, [this.R, E, this.blockSteps]);
    }
    encodeDispatches(pass, [this.block]);
  }

  override destroy(): void {
    destroyDispatches([...this.pack, this.block]);
    super.destroy();
  }
}

/**
 * Per character, 2L + 3 dispatches (embedding, per layer the input GEMM and the fused
 * LSTM step, the head GEMM, sample_forward): where sample_block does not fit.
 * State slots ping-pong between characters (one dispatch list per parity).
 */
class PerCharacterSampler extends Sampler {
  private setup: Dispatch[];
  private stepLists: Dispatch[][];
  private tokens: GPUBuffer; // (R) next input of each row
  private counter: GPUBuffer; // (R) step of each row
  private stateBuffers: GPUBuffer[];

  constructor(model: GpuModel, R: number, capacity: number) {
    super(model, R, capacity);
    const { vocabSize: V, embedSize: E, hiddenSize: H, layers: L } = model.table.config;
    const t = model.table;
    const k = model.kernels;
    const params = model.params;
    const buf = (name: string, floats: number) => this.buf(name, floats);
    this.tokens = buf('tokens', R);
    this.counter = buf('counter', R);
    const x0 = buf('x0', R * E); // (R, E)
    const zx = Array.from({ length: L }, (_, l) => buf(`zx${l}`, R * 4 * H)); // per layer (R, 4H)
    const hs = Array.from({ length: L }, (_, l) => buf(`hs${l}`, 2 * R * H)); // per layer (2, R, H): two state slots
    const cs = Array.from({ length: L }, (_, l) => buf(`cs${l}`, 2 * R * H)); // per layer (2, R, H)
    const gates = Array.from({ length: L }, (_, l) => buf(`gates${l}`, R * 4 * H)); // per layer (R, 4H)
    const whhT = Array.from({ length: L }, (_, l) => buf(`whhT${l}`, 4 * H * H)); // per layer (H, 4H)
    const logits = buf('logits', R * V); // (R, V)

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
    this.stateBuffers = [...hs, ...cs];
  }

  protected encodeStart(enc: GPUCommandEncoder, pass: () => GPUComputePassEncoder, first: number): void {
    writeArray(this.model.device, this.tokens, new Int32Array(this.R).fill(first));
    enc.clearBuffer(this.counter);
    for (const b of this.stateBuffers) enc.clearBuffer(b);
    encodeDispatches(pass(), this.setup);
  }

  protected encodeBlock(pass: GPUComputePassEncoder, s0: number, end: number): void {
    for (let s = s0; s < end; s++) encodeDispatches(pass, this.stepLists[s % 2]);
  }

  override destroy(): void {
    destroyDispatches([...this.setup, ...this.stepLists.flat()]);
    super.destroy();
  }
}
