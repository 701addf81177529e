/**
 * The GPU trainer: owns the training buffers and encodes one whole training step
 * (forward, truncated BPTT, clipping, Adam) in one command buffer with no CPU wait
 * inside it. Losses come back through a ring of staging buffers, read asynchronously
 * at most RING-1 steps behind, so the GPU never idles waiting for JavaScript.
 *
 * All training state lives in explicit objects, for exact resume: parameters and Adam
 * moments (GPU buffers, readable), the step count, the batcher's cursor and RNG, and
 * the carried hidden state (GPU buffers, readable).
 *
 * Legend: V vocab, E embed, H hidden, L layers, B streams, T BPTT length, N = T·B.
 */
import type { ParamTable } from '../../model/params.ts';
import { learningRate, type TrainConfig } from '../../model/config.ts';
import type { GpuContext } from '../../gpu/device.ts';
import { Kernels, destroyDispatches, embeddingGradIndex, embeddingGradMaxSegments, encodeDispatches, type Dispatch } from '../../gpu/kernels.ts';
import { readFloats, readFloatsTogether, storageBuffer, writeArray } from '../../gpu/buffers.ts';
import type { TrainingSnapshot } from '../../model/training-state.ts';
import type { Batcher } from '../../text/batcher.ts';
import { describeSize, trainingBatcher, type StepResult, type Trainer, type TrainerStart } from '../contract.ts';
import { SequenceBuffers, buildForward } from './sequence.ts';
import { GpuModel, recurrenceLimits, type GpuModelOptions } from './model.ts';
import type { Recurrence } from './recurrence.ts';
import { gpuBufferRefusal } from '../memory.ts';
import { calibrateTrainer, weightGradKey, type Calibration } from './calibrate.ts';

const RING = 3;
const NORM_PARTS = 32;

export class GpuTrainer implements Trainer {
  readonly model: GpuModel;
  /** GPU dispatches encoded per step (compare with dispatchBudget). */
  readonly dispatchesPerStep: number;
  /** The recurrent kernels this trainer's steps run, chosen from the device's limits and calibration (or forced). */
  readonly recurrence: Recurrence;
  /** What calibration timed when this trainer was created, for people (empty where nothing was timed or a cached choice served). */
  readonly calibration: readonly string[];
  /** Whether each weight gradient splits K: dW_out first, then dW_ih | dW_hh of each layer from layer 0. */
  readonly splitK: readonly boolean[];
  private readonly batcher: Batcher;
  private steps: number;

  private seq: SequenceBuffers;
  private grads: GPUBuffer;
  private m: GPUBuffer;
  private v: GPUBuffer;
  private partials: GPUBuffer;
  private normPartials: GPUBuffer;
  private clip: GPUBuffer;
  private positions: GPUBuffer;
  private segStart: GPUBuffer;
  private rowSegStart: GPUBuffer;
  private embedPartials: GPUBuffer;
  private dz: GPUBuffer;
  private dx: GPUBuffer;
  private dcCarry: GPUBuffer;
  private dispatches: Dispatch[];
  private adamDispatch: Dispatch;
  private ring: { buffer: GPUBuffer; pending: Promise<void> | null }[];
  private results: StepResult[] = [];
  private destroyed = false;

  constructor(
    readonly gpu: GpuContext,
    readonly table: ParamTable,
    readonly config: TrainConfig,
    data: Int32Array,
    start: TrainerStart,
    options: GpuModelOptions,
    calibration: Calibration | null,
  ) {
    const device = gpu.device;
    const { vocabSize: V, embedSize: E, hiddenSize: H, layers: L } = table.config;
    const { seqLen: T, batch: B } = config;
    const N = T * B;
    this.model = new GpuModel(gpu, table, start.params, calibration ? { ...options, streamsPerWorkgroup: calibration.streams } : options);
    this.calibration = calibration?.timings ?? [];
    const recurrence = (this.recurrence = this.model.recurrence(B));
    this.steps = start.step ?? 0;
    this.batcher = trainingBatcher(data, config);
    if (start.batcher) this.batcher.setState(start.batcher);

    const P = table.totalSize;
    this.seq = new SequenceBuffers(device, table, T, B, 'train');
    if (start.carried) {
      writeArray(device, this.seq.stateH, start.carried.h);
      writeArray(device, this.seq.stateC, start.carried.c);
    }
    this.grads = storageBuffer(device, 'grads', P);
    this.m = storageBuffer(device, 'adam m', P, start.optimizer?.m);
    this.v = storageBuffer(device, 'adam v', P, start.optimizer?.v);
    this.normPartials = storageBuffer(device, 'grad norm partials', NORM_PARTS * 128);
    this.clip = storageBuffer(device, 'clip', 2);
    const S = embeddingGradMaxSegments(N, V);
    this.positions = storageBuffer(device, 'embed grad positions', N); // (N)
    this.segStart = storageBuffer(device, 'embed grad segment start', S + 1); // (S + 1)
    this.rowSegStart = storageBuffer(device, 'embed grad row segments', V + 1); // (V + 1)
    this.embedPartials = storageBuffer(device, 'embed grad partials', S * E); // (S, E)
    this.dz = storageBuffer(device, 'dz', N * 4 * H);
    this.dx = storageBuffer(device, 'dx', N * Math.max(E, H));
    this.dcCarry = storageBuffer(device, 'dc carry', B * H);

    const k = this.model.kernels;
    const params = this.model.params;
    const s = this.seq;
    const d: Dispatch[] = buildForward(k, s, params, true, recurrence.forward);
    // Weight gradients over all N positions: the head's dW_out | db_out and each layer's
    // dW_ih | dW_hh | db, each one weight_grad GEMM (split over N, then a reduce, where
    // calibration found that faster on this device or options force it); they share one
    // partials buffer, used one after another.
    const split = (m: number, n: number) => calibration?.splitK.get(weightGradKey(m, n, N)) ?? k.gemm.splitK;
    const headShape = k.weightGradShape(V, H, N, split(V, H));
    const layerShapes = table.layers.map((_, l) => k.weightGradShape(4 * H, (l === 0 ? E : H) + H, N, split(4 * H, (l === 0 ? E : H) + H)));
    this.splitK = [headShape, ...layerShapes].map((x) => x.slices > 1);
    this.partials = storageBuffer(device, 'weight grad partials', Math.max(headShape.partialFloats, ...layerShapes.map((x) => x.partialFloats)));
    // Head gradients: dlogits (in place in s.logits) → dW_out with db_out, dH.
    d.push(
      ...k.weightGrad({
        label: 'dW_out db_out',
        m: V,
        k: N,
        n1: H,
        n2: 0,
        shape: headShape,
        a: s.logits,
        aOff: 0,
        b1: s.hs[L - 1],
        b1Off: B * H,
        grads: this.grads,
        w1Off: table.headWeight.offset,
        bias: { off: table.headBias.offset },
        partials: this.partials,
      }),
      k.matmul({
        label: 'dH top',
        m: N,
        n: H,
        k: V,
        transA: false,
        transB: false,
        a: s.logits,
        aOff: 0,
        b: params,
        bOff: table.headWeight.offset,
        c: this.dx,
        cOff: 0,
      }),
    );
    for (let l = L - 1; l >= 0; l--) {
      const p = table.layers[l];
      const I = l === 0 ? E : H;
      // Truncated BPTT: nothing flows in from after the window (no dz[T], a zero dc carry).
      if (recurrence.backward) {
        d.push(
          k.lstmSeqBackward({
            label: `lstm backward l${l}`,
            t: T,
            b: B,
            h: H,
            shape: recurrence.backward,
            dhOff: 0,
            dzOff: 0,
            whhOff: p.weightHh.offset,
            gatesOff: 0,
            csOff: 0,
            dhAbove: this.dx,
            params,
            gates: s.gates[l],
            cs: s.cs[l],
            dz: this.dz,
          }),
        );
      } else {
        // Per timestep: at t = T-1 the kernel takes no dz[t+1] and a zero dc carry.
        for (let t = T - 1; t >= 0; t--) {
          d.push(
            k.lstmStepBackward({
              label: `lstm backward l${l} t${t}`,
              b: B,
              h: H,
              dhOff: t * B * H,
              dzNextOff: (t + 1) * B * 4 * H,
              dzOff: t * B * 4 * H,
              hasNext: t < T - 1,
              whhOff: p.weightHh.offset,
              gatesOff: t * B * 4 * H,
              cPrevOff: t * B * H,
              cOff: (t + 1) * B * H,
              dhAbove: this.dx,
              params,
              gates: s.gates[l],
              cs: s.cs[l],
              dz: this.dz,
              dcCarry: this.dcCarry,
            }),
          );
        }
      }
      d.push(
        // dW_ih (4H, I) = dzᵀ·x, dW_hh (4H, H) = dzᵀ·h_{t-1} (slots 0..T-1), db_ih = db_hh = Σ dz.
        ...k.weightGrad({
          label: `dW_ih dW_hh db l${l}`,
          m: 4 * H,
          k: N,
          n1: I,
          n2: H,
          shape: layerShapes[l],
          a: this.dz,
          aOff: 0,
          b1: l === 0 ? s.x0 : s.hs[l - 1],
          b1Off: l === 0 ? 0 : B * H,
          b2: { buffer: s.hs[l], off: 0 },
          grads: this.grads,
          w1Off: p.weightIh.offset,
          w2Off: p.weightHh.offset,
          bias: { off: p.biasIh.offset, off2: p.biasHh.offset },
          partials: this.partials,
        }),
        // dX becomes dh_above of the layer below (layer 0: the embedding gradient's input).
        k.matmul({
          label: `dX l${l}`,
          m: N,
          n: I,
          k: 4 * H,
          transA: false,
          transB: false,
          a: this.dz,
          aOff: 0,
          b: params,
          bOff: p.weightIh.offset,
          c: this.dx,
          cOff: 0,
        }),
      );
    }
    d.push(
      ...k.embeddingBackward({
        v: V,
        e: E,
        n: N,
        dxOff: 0,
        gradOff: table.embed.offset,
        dx: this.dx,
        positions: this.positions,
        segStart: this.segStart,
        rowSegStart: this.rowSegStart,
        partials: this.embedPartials,
        grads: this.grads,
      }),
    );
    d.push(...k.gradNorm({ n: P, maxNorm: config.clip, grads: this.grads, partials: this.normPartials, parts: NORM_PARTS, clip: this.clip }));
    this.adamDispatch = k.adam({ n: P, grads: this.grads, clip: this.clip, params, m: this.m, v: this.v });
    d.push(this.adamDispatch);
    this.dispatches = d;
    this.dispatchesPerStep = d.length;
    this.ring = Array.from({ length: RING }, (_, i) => ({
      buffer: device.createBuffer({ label: `loss staging ${i}`, size: (N + 2) * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
      pending: null,
    }));
  }

  /**
   * Builds a trainer, after checking that its largest buffers fit this adapter's limits
   * (nothing is allocated when they do not), and checks that every pipeline and bind group
   * is valid, so that a mistake fails here with the WebGPU message rather than as silent
   * zero losses. Unless `options.calibrate` is false, the variants whose worth depends on
   * the device and that `options` does not force are timed first (calibrateTrainer). Memory the device then cannot give, or any other failure while building,
   * is an error naming it; the buffers built are freed.
   */
  static async create(
    gpu: GpuContext,
    table: ParamTable,
    config: TrainConfig,
    data: Int32Array,
    start: TrainerStart,
    options: GpuModelOptions = {},
  ): Promise<GpuTrainer> {
    checkBufferLimits(gpu, table, config, options);
    const device = gpu.device;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let t: GpuTrainer | null = null;
    let thrown: unknown = null;
    try {
      const { vocabSize: V, embedSize: E, hiddenSize: H, layers: L } = table.config;
      const calibration =
        options.calibrate === false
          ? null
          : await calibrateTrainer(
              new Kernels(device, { variant: options.gemm?.variant ?? 'tiled', splitK: false }),
              recurrenceLimits(device, options.limits),
              { V, E, H, L, T: config.seqLen, B: config.batch },
              { streams: options.streamsPerWorkgroup ?? {}, splitK: options.gemm?.splitK, recurrence: options.recurrence ?? 'auto' },
            );
      t = new GpuTrainer(gpu, table, config, data, start, options, calibration);
    } catch (e) {
      thrown = e;
    }
    const invalid = await device.popErrorScope();
    const oom = await device.popErrorScope();
    if (thrown || invalid || oom) {
      t?.destroy();
      if (oom)
        throw new Error(`the GPU ran out of memory for these settings (${describeSize(table, config)}): use a smaller model or fewer streams B × length T`);
      throw new Error(`the GPU trainer could not be built: ${(invalid ?? (thrown as Error)).message}`);
    }
    return t!;
  }

  /** The dispatches of one step's compute pass, in order (the bench profiles them one by one). */
  get stepDispatches(): readonly Dispatch[] {
    return this.dispatches;
  }

  /** Steps submitted so far (Adam's t). */
  get step(): number {
    return this.steps;
  }

  /**
   * Encodes and submits one training step. Waits only when the staging slot it needs
   * still holds a step that has not been read back (RING-1 steps behind).
   */
  async trainStep(): Promise<StepResult[]> {
    if (this.destroyed) throw new Error('the trainer was destroyed');
    const device = this.gpu.device;
    const { vocabSize: V } = this.table.config;
    const { seqLen: T, batch: B } = this.config;
    const N = T * B;
    const slot = this.ring[this.steps % RING];
    if (slot.pending) await slot.pending;

    const batch = this.batcher.next();
    const index = embeddingGradIndex(batch.inputs, V);
    writeArray(device, this.seq.tokens, batch.inputs);
    writeArray(device, this.seq.targets, batch.targets);
    writeArray(device, this.positions, index.positions);
    writeArray(device, this.segStart, index.segStart);
    writeArray(device, this.rowSegStart, index.rowSegStart);

    const step = ++this.steps;
    this.model.kernels.setAdamStep(this.adamDispatch, this.table.totalSize, {
      lr: learningRate(this.config, step),
      beta1: this.config.beta1,
      beta2: this.config.beta2,
      eps: this.config.eps,
      step,
    });

    const enc = device.createCommandEncoder({ label: `train step ${step}` });
    this.seq.encodeLoadState(enc, batch.resetState);
    const pass = enc.beginComputePass({ label: 'train step' });
    encodeDispatches(pass, this.dispatches);
    pass.end();
    this.seq.encodeSaveState(enc);
    enc.copyBufferToBuffer(this.seq.losses, 0, slot.buffer, 0, N * 4);
    enc.copyBufferToBuffer(this.clip, 0, slot.buffer, N * 4, 8);
    device.queue.submit([enc.finish()]);

    slot.pending = slot.buffer.mapAsync(GPUMapMode.READ).then(() => {
      const data = new Float32Array(slot.buffer.getMappedRange());
      let sum = 0;
      for (let i = 0; i < N; i++) sum += data[i];
      const r: StepResult = { step, loss: sum / N, gradNorm: data[N] };
      slot.buffer.unmap();
      slot.pending = null;
      this.results.push(r);
    });
    return this.takeResults();
  }

  /** Waits for every submitted step to be read back; returns the results not taken yet. */
  async flush(): Promise<StepResult[]> {
    await Promise.all(this.ring.map((s) => s.pending));
    return this.takeResults();
  }

  /** Results read back and not returned yet, in step order. */
  private takeResults(): StepResult[] {
    const r = this.results.sort((a, b) => a.step - b.step);
    this.results = [];
    return r;
  }

  /** The last step's gradients (before clipping), table layout. */
  readGradients(): Promise<Float32Array> {
    return readFloats(this.gpu.device, this.grads, this.table.totalSize);
  }

  /** The hidden state carried into the next window, (L, B, H) each. */
  async readCarried(): Promise<{ h: Float32Array; c: Float32Array }> {
    const n = this.table.config.layers * this.config.batch * this.table.config.hiddenSize;
    return { h: await readFloats(this.gpu.device, this.seq.stateH, n), c: await readFloats(this.gpu.device, this.seq.stateC, n) };
  }

  /** Everything needed to continue exactly where this trainer is; results read back meanwhile wait for the next call. */
  async snapshot(): Promise<TrainingSnapshot> {
    await Promise.all(this.ring.map((s) => s.pending));
    // One round trip for all of it (the page keeps a snapshot every N steps while training).
    const P = this.table.totalSize;
    const n = this.table.config.layers * this.config.batch * this.table.config.hiddenSize;
    const step = this.steps;
    const batcher = this.batcher.getState();
    const [params, m, v, h, c] = await readFloatsTogether(this.gpu.device, [
      { src: this.model.params, count: P },
      { src: this.m, count: P },
      { src: this.v, count: P },
      { src: this.seq.stateH, count: n },
      { src: this.seq.stateC, count: n },
    ]);
    return { params, optimizer: { m, v }, step, batcher, carried: { h, c } };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    destroyDispatches(this.dispatches);
    this.model.destroy();
    this.seq.destroy();
    for (const b of [
      this.grads,
      this.m,
      this.v,
      this.partials,
      this.normPartials,
      this.clip,
      this.positions,
      this.segStart,
      this.rowSegStart,
      this.embedPartials,
      this.dz,
      this.dx,
      this.dcCarry,
    ])
      b.destroy();
    for (const s of this.ring) s.buffer.destroy();
  }
}

/** Throws, before anything is allocated, when one buffer of these settings is larger than the adapter allows (see memory.ts). */
function checkBufferLimits(gpu: GpuContext, table: ParamTable, config: TrainConfig, options: GpuModelOptions): void {
  const limits = gpu.device.limits;
  const gemm = { maxThreads: limits.maxComputeInvocationsPerWorkgroup, splitK: options.gemm?.splitK ?? false }; // calibration picks split-K only where its partials fit
  const max = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const refusal = gpuBufferRefusal(table.config, config, max, describeSize(table, config), gemm);
  if (refusal) throw new Error(refusal);
}
