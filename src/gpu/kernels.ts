/**
 * One thin wrapper per WGSL kernel. Each wrapper builds a `Dispatch` once — its
 * uniform buffer, its bind group and its workgroup count — so that a training step
 * only encodes prepared dispatches (bind groups are never rebuilt in the hot loop).
 * Pipelines are compiled once per device and (shader, entry point, constants), and
 * shared by every model and trainer on that device: compiling is the slow part of
 * building a trainer (seconds on a software adapter), so a Reset or a loaded checkpoint of
 * the same shape builds at once. Every module, pipeline and bind group carries a label that names its kernel.
 */
import { SHADERS, wgslConstU32, type ShaderName } from './shaders.ts';

export type UniformField = number | { f32: number };

export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
  uniform: GPUBuffer;
  /** Field types of the uniform struct, for rewriting it (`Kernels.setUniform`). */
  fieldTypes: ('u32' | 'f32')[];
}

const MAX_GROUPS = 65535;

/** Spreads a 1-D workgroup count over x and y (each dimension is limited to 65535). */
function groups1d(count: number): [number, number, number] {
  const c = Math.max(1, count);
  return c <= MAX_GROUPS ? [c, 1, 1] : [MAX_GROUPS, Math.ceil(c / MAX_GROUPS), 1];
}

/** Compiled shader modules and pipelines, per device (forgotten with the device). */
interface Compiled {
  pipelines: Map<string, GPUComputePipeline>;
  modules: Map<ShaderName, GPUShaderModule>;
}
const compiledByDevice = new WeakMap<GPUDevice, Compiled>();

function compiledFor(device: GPUDevice): Compiled {
  let c = compiledByDevice.get(device);
  if (!c) {
    c = { pipelines: new Map(), modules: new Map() };
    compiledByDevice.set(device, c);
  }
  return c;
}

export class Kernels {
  private readonly compiled: Compiled;
  private spare: GPUBuffer | null = null;

  /** `gemm`: which GEMM kernels run (see DEFAULT_GEMM; a trainer passes weightGradShape its calibrated split per shape). */
  constructor(
    readonly device: GPUDevice,
    readonly gemm: GemmChoice = DEFAULT_GEMM,
  ) {
    this.compiled = compiledFor(device);
  }

  pipeline(shader: ShaderName, entryPoint = 'main', constants: Record<string, number> = {}): GPUComputePipeline {
    const key = `${shader}:${entryPoint}:${JSON.stringify(constants)}`;
    const { pipelines, modules } = this.compiled;
    let p = pipelines.get(key);
    if (!p) {
      let module = modules.get(shader);
      if (!module) {
        module = this.device.createShaderModule({ label: shader, code: SHADERS[shader] });
        modules.set(shader, module);
      }
      p = this.device.createComputePipeline({
        label: key,
        layout: 'auto',
        compute: { module, entryPoint, constants },
      });
      pipelines.set(key, p);
    }
    return p;
  }

  private uniformBytes(fields: UniformField[]): { data: ArrayBuffer; types: ('u32' | 'f32')[] } {
    const size = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
    const data = new ArrayBuffer(size);
    const view = new DataView(data);
    const types: ('u32' | 'f32')[] = [];
    fields.forEach((f, i) => {
      if (typeof f === 'number') {
        if (!Number.isInteger(f) || f < 0 || f > 0xffffffff) throw new Error(`uniform field ${i} must be a u32, got ${f}`);
        view.setUint32(i * 4, f, true);
        types.push('u32');
      } else {
        view.setFloat32(i * 4, f.f32, true);
        types.push('f32');
      }
    });
    return { data, types };
  }

  /**
   * Builds a dispatch: binding 0 is the uniform struct, bindings 1.. are the buffers in
   * order; `null` leaves out a binding that this entry point does not use.
   */
  dispatch(
    shader: ShaderName,
    label: string,
    uniforms: UniformField[],
    buffers: (GPUBuffer | null)[],
    workgroups: [number, number, number],
    opts: { entryPoint?: string; constants?: Record<string, number> } = {},
  ): Dispatch {
    const pipeline = this.pipeline(shader, opts.entryPoint, opts.constants);
    const { data, types } = this.uniformBytes(uniforms);
    const uniform = this.device.createBuffer({
      label: `${label} uniforms`,
      size: data.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.device.queue.writeBuffer(uniform, 0, data);
    const bindGroup = this.device.createBindGroup({
      label,
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: uniform } }, ...buffers.flatMap((buffer, i) => (buffer ? [{ binding: i + 1, resource: { buffer } }] : []))],
    });
    return { label, pipeline, bindGroup, workgroups, uniform, fieldTypes: types };
  }

  /** Rewrites a dispatch's uniforms (ordered on the queue before the next submit). */
  setUniform(d: Dispatch, values: number[]): void {
    const fields: UniformField[] = values.map((v, i) => (d.fieldTypes[i] === 'f32' ? { f32: v } : v));
    this.device.queue.writeBuffer(d.uniform, 0, this.uniformBytes(fields).data);
  }

  // ---- one builder per kernel; shapes in the shader headers ----

  embeddingForward(a: {
    n: number;
    e: number;
    embedOff: number;
    outOff: number;
    tokOff: number;
    params: GPUBuffer;
    tokens: GPUBuffer;
    out: GPUBuffer;
  }): Dispatch {
    return this.dispatch(
      'embeddingForward',
      'embedding_forward',
      [a.n, a.e, a.embedOff, a.outOff, a.tokOff],
      [a.params, a.tokens, a.out],
      groups1d(Math.ceil((a.n * a.e) / 256)),
    );
  }

  /**
   * Two dispatches (embedding_backward.wgsl): segment sums into `partials`, then each
   * vocabulary row's sum of its segments into grads. The index comes from
   * embeddingGradIndex; `partials` holds embeddingGradMaxSegments(N, V)·E floats.
   */
  embeddingBackward(a: {
    v: number;
    e: number;
    n: number;
    dxOff: number;
    gradOff: number;
    dx: GPUBuffer; // (N, E) at dxOff
    positions: GPUBuffer; // (N) u32
    segStart: GPUBuffer; // (S_MAX + 1) u32
    rowSegStart: GPUBuffer; // (V + 1) u32
    partials: GPUBuffer; // (S_MAX, E)
    grads: GPUBuffer; // (V, E) at gradOff
  }): [Dispatch, Dispatch] {
    const sMax = embeddingGradMaxSegments(a.n, a.v);
    const u: UniformField[] = [a.v, a.e, a.dxOff, a.gradOff, sMax];
    return [
      this.dispatch(
        'embeddingBackward',
        'embedding_backward segments',
        u,
        [a.dx, a.positions, a.segStart, null, a.partials, null],
        groups1d(Math.ceil((sMax * a.e) / 256)),
        { entryPoint: 'segments' },
      ),
      this.dispatch(
        'embeddingBackward',
        'embedding_backward rows',
        u,
        [null, null, null, a.rowSegStart, a.partials, a.grads],
        groups1d(Math.ceil((a.v * a.e) / 256)),
        { entryPoint: 'rows' },
      ),
    ];
  }

  /**
   * C (M, N) = op(A)·op(B) [+ bias + bias2] [+ C]: matmul_tiled.wgsl with a tile shaped to
   * the output (gemmTile) and vec4 loads where the operand's offset and row length
   * allow, or the barrier-free matmul.wgsl (`variant` 'registers'; default: this
   * Kernels' choice).
   */
  matmul(a: {
    label: string;
    m: number;
    n: number;
    k: number;
    transA: boolean;
    transB: boolean;
    a: GPUBuffer;
    aOff: number;
    b: GPUBuffer;
    bOff: number;
    c: GPUBuffer;
    cOff: number;
    bias?: { buffer: GPUBuffer; off: number; off2?: number };
    accumulate?: boolean;
    variant?: GemmVariant;
  }): Dispatch {
    const flags = (a.bias ? 1 : 0) | (a.bias?.off2 !== undefined ? 2 : 0) | (a.accumulate ? 4 : 0);
    const uniforms = [a.m, a.n, a.k, a.aOff, a.bOff, a.cOff, a.bias?.off ?? 0, a.bias?.off2 ?? 0, flags];
    if ((a.variant ?? this.gemm.variant) === 'registers') {
      return this.dispatch('matmul', a.label, uniforms, [a.a, a.b, a.bias?.buffer ?? a.b, a.c], [Math.ceil(a.n / 64), Math.ceil(a.m / 64), 1], {
        constants: { TRANS_A: a.transA ? 1 : 0, TRANS_B: a.transB ? 1 : 0 },
      });
    }
    const tile = gemmTile(a.m, a.n, this.device.limits.maxComputeInvocationsPerWorkgroup);
    // A vec4 is wholly inside the matrix or wholly past it when the stored row length is a multiple of 4.
    const vecA = a.aOff % 4 === 0 && (a.transA ? a.m : a.k) % 4 === 0;
    const vecB = a.bOff % 4 === 0 && (a.transB ? a.k : a.n) % 4 === 0;
    const vecC = a.cOff % 4 === 0 && a.n % 4 === 0;
    return this.dispatch(
      'matmulTiled',
      a.label,
      uniforms,
      [a.a, a.b, a.bias?.buffer ?? a.b, a.c, a.a, a.b],
      [Math.ceil(a.n / (4 * tile.wx)), Math.ceil(a.m / (4 * tile.wy)), 1],
      {
        constants: {
          TRANS_A: a.transA ? 1 : 0,
          TRANS_B: a.transB ? 1 : 0,
          VEC_A: vecA ? 1 : 0,
          VEC_B: vecB ? 1 : 0,
          VEC_C: vecC ? 1 : 0,
          WX: tile.wx,
          WY: tile.wy,
        },
      },
    );
  }

  /** How weightGrad lays out dW (M, N) over K positions on this device (tile, slices of K when `split`). */
  weightGradShape(m: number, n: number, k: number, split = this.gemm.splitK): WeightGradShape {
    return weightGradShape(m, n, k, this.device.limits.maxComputeInvocationsPerWorkgroup, split ? WEIGHT_GRAD_TARGET_GROUPS : 1);
  }

  /**
   * weight_grad.wgsl: dW1 (M, N1) = Aᵀ·B1, dW2 (M, N2) = Aᵀ·B2 and db (M) = Σ_k A[k, :]
   * (written to one or two places) over K positions, with A (K, M), B1 (K, N1), B2 (K, N2)
   * in their buffers. One dispatch when `shape` has one slice of K, else a partial-sum
   * dispatch and a reduce; `partials` must hold shape.partialFloats floats.
   */
  weightGrad(a: {
    label: string;
    m: number;
    k: number;
    n1: number;
    n2: number;
    shape: WeightGradShape;
    a: GPUBuffer; // (K, M) at aOff
    aOff: number;
    b1: GPUBuffer; // (K, N1) at b1Off
    b1Off: number;
    b2?: { buffer: GPUBuffer; off: number }; // (K, N2)
    grads: GPUBuffer;
    w1Off: number; // dW1 (M, N1)
    w2Off?: number; // dW2 (M, N2)
    bias?: { off: number; off2?: number }; // db (M), optionally a second copy
    partials?: GPUBuffer;
  }): Dispatch[] {
    const { shape } = a;
    if (shape.slices > 1 && !a.partials) throw new Error(`${a.label}: ${shape.slices} slices of K need a partials buffer`);
    const flags = (a.bias ? 1 : 0) | (a.bias?.off2 !== undefined ? 2 : 0);
    const u: UniformField[] = [
      a.m,
      a.k,
      a.n1,
      a.n2,
      a.aOff,
      a.b1Off,
      a.b2?.off ?? 0,
      shape.kSlice,
      shape.slices,
      a.w1Off,
      a.w2Off ?? 0,
      a.bias?.off ?? 0,
      a.bias?.off2 ?? 0,
      flags,
    ];
    const partials = a.partials ?? (this.spare ??= this.device.createBuffer({ label: 'unused partials', size: 16, usage: GPUBufferUsage.STORAGE }));
    const n = a.n1 + a.n2;
    const out = [
      this.dispatch(
        'weightGrad',
        shape.slices > 1 ? `${a.label} partial sums` : a.label,
        u,
        [a.a, a.b1, a.b2?.buffer ?? a.b1, a.grads, partials, a.a],
        [Math.max(1, Math.ceil(n / (4 * shape.tile.wx))), Math.ceil(a.m / (4 * shape.tile.wy)), shape.slices],
        { entryPoint: 'partial', constants: { WX: shape.tile.wx, WY: shape.tile.wy, VEC_A: a.aOff % 4 === 0 && a.m % 4 === 0 ? 1 : 0 } },
      ),
    ];
    if (shape.slices > 1) {
      out.push(
        this.dispatch('weightGrad', `${a.label} reduce`, u, [null, null, null, a.grads, partials], groups1d(Math.ceil((a.m * (n + 1)) / 256)), {
          entryPoint: 'reduce',
        }),
      );
    }
    return out;
  }

  lstmStepForward(a: {
    label: string;
    b: number;
    h: number;
    zxOff: number;
    hPrevOff: number;
    hOff: number;
    cPrevOff: number;
    cOff: number;
    gatesOff: number;
    zx: GPUBuffer;
    whhT: GPUBuffer;
    hs: GPUBuffer;
    cs: GPUBuffer;
    gates: GPUBuffer;
  }): Dispatch {
    return this.dispatch(
      'lstmStepForward',
      a.label,
      [a.b, a.h, a.zxOff, a.hPrevOff, a.hOff, a.cPrevOff, a.cOff, a.gatesOff],
      [a.zx, a.whhT, a.hs, a.cs, a.gates],
      [Math.ceil(a.h / 64), Math.ceil(a.b / 4), 1],
    );
  }

  lstmStepBackward(a: {
    label: string;
    b: number;
    h: number;
    dhOff: number;
    dzNextOff: number;
    dzOff: number;
    hasNext: boolean;
    whhOff: number;
    gatesOff: number;
    cPrevOff: number;
    cOff: number;
    dhAbove: GPUBuffer;
    params: GPUBuffer;
    gates: GPUBuffer;
    cs: GPUBuffer;
    dz: GPUBuffer;
    dcCarry: GPUBuffer;
  }): Dispatch {
    return this.dispatch(
      'lstmStepBackward',
      a.label,
      [a.b, a.h, a.dhOff, a.dzNextOff, a.dzOff, a.hasNext ? 1 : 0, a.whhOff, a.gatesOff, a.cPrevOff, a.cOff],
      [a.dhAbove, a.params, a.gates, a.cs, a.dz, a.dcCarry],
      [Math.ceil(a.h / 64), Math.ceil(a.b / 4), 1],
    );
  }

  /**
   * lstm_seq_forward: the whole window of one layer in one dispatch, `shape.groups`
   * workgroups of `shape.sb` streams (see lstmSeqShape). Reads slot 0 of hs/cs (the
   * carried state) and writes slots 1..T and the gates, as T lstmStepForward would.
   */
  lstmSeqForward(a: {
    label: string;
    t: number;
    b: number;
    h: number;
    shape: SeqShape;
    zxOff: number;
    hsOff: number;
    csOff: number;
    gatesOff: number;
    zx: GPUBuffer; // (T, B, 4H)
    whhT: GPUBuffer; // (H, 4H)
    hs: GPUBuffer; // (T+1, B, H)
    cs: GPUBuffer; // (T+1, B, H)
    gates: GPUBuffer; // (T, B, 4H)
  }): Dispatch {
    return this.dispatch(
      'lstmSeqForward',
      a.label,
      [a.t, a.b, a.zxOff, a.hsOff, a.csOff, a.gatesOff],
      [a.zx, a.whhT, a.hs, a.cs, a.gates],
      [seqGroups(a.shape, a.b), 1, 1],
      { constants: { H: a.h, SB: a.shape.sb, WG: a.shape.wg, STATE_WG: a.shape.stateInWorkgroup ? 1 : 0 } },
    );
  }

  /**
   * lstm_seq_backward: truncated BPTT through the whole window of one layer in one
   * dispatch; writes dz for every timestep, as T lstmStepBackward would.
   */
  lstmSeqBackward(a: {
    label: string;
    t: number;
    b: number;
    h: number;
    shape: SeqShape;
    dhOff: number;
    dzOff: number;
    whhOff: number;
    gatesOff: number;
    csOff: number;
    dhAbove: GPUBuffer; // (T, B, H)
    params: GPUBuffer; // W_hh (4H, H) at whhOff
    gates: GPUBuffer; // (T, B, 4H)
    cs: GPUBuffer; // (T+1, B, H)
    dz: GPUBuffer; // (T, B, 4H)
  }): Dispatch {
    return this.dispatch(
      'lstmSeqBackward',
      a.label,
      [a.t, a.b, a.dhOff, a.dzOff, a.whhOff, a.gatesOff, a.csOff],
      [a.dhAbove, a.params, a.gates, a.cs, a.dz],
      [seqGroups(a.shape, a.b), 1, 1],
      // dz read back from global memory runs one part (see the shader's header).
      { constants: { H: a.h, SB: a.shape.sb, WG: a.shape.wg, P: a.shape.stateInWorkgroup ? a.shape.parts : 1, DZ_WG: a.shape.stateInWorkgroup ? 1 : 0 } },
    );
  }

  /**
   * Fused softmax/cross-entropy/dlogits over N rows of V logits. `variant` (default: by V,
   * see softmaxVariant) picks a thread per row (no barriers) or a workgroup per row.
   */
  softmaxCrossEntropy(a: {
    n: number;
    v: number;
    logitsOff: number;
    writeGrad: boolean;
    scale: number;
    lossOff: number;
    targetOff: number;
    targets: GPUBuffer; // (N) i32 at targetOff
    logits: GPUBuffer; // (N, V) at logitsOff; dlogits in place when writeGrad
    losses: GPUBuffer; // (N) at lossOff
    variant?: SoftmaxVariant;
  }): Dispatch {
    const variant = a.variant ?? softmaxVariant(a.v);
    const perRow = variant === 'thread-per-row';
    return this.dispatch(
      'softmaxCrossEntropy',
      `softmax_cross_entropy (${variant})`,
      [a.n, a.v, a.logitsOff, a.writeGrad ? 1 : 0, { f32: a.scale }, a.lossOff, a.targetOff],
      [a.targets, a.logits, a.losses],
      perRow ? groups1d(Math.ceil(a.n / SOFTMAX_WG)) : groups1d(a.n),
      { entryPoint: perRow ? 'per_row' : 'main' },
    );
  }

  /** dst (cols, rows) at outOff (default 0) = the (rows, cols) matrix at src[inOff]ᵀ. */
  transpose(a: { label: string; rows: number; cols: number; inOff: number; outOff?: number; src: GPUBuffer; dst: GPUBuffer }): Dispatch {
    return this.dispatch('transpose', a.label, [a.rows, a.cols, a.inOff, a.outOff ?? 0], [a.src, a.dst], groups1d(Math.ceil((a.rows * a.cols) / 256)));
  }

  /**
   * Two dispatches: partial sums of squares (`parts` workgroups of 128, `partials` holds
   * parts·128 floats), then the norm and clip scale into `clip` ([norm, scale]).
   */
  gradNorm(a: { n: number; maxNorm: number; grads: GPUBuffer; partials: GPUBuffer; parts: number; clip: GPUBuffer }): [Dispatch, Dispatch] {
    const u: UniformField[] = [a.n, a.parts, { f32: a.maxNorm }];
    return [
      this.dispatch('gradNorm', 'grad_norm partial', u, [a.grads, a.partials, null], [a.parts, 1, 1], { entryPoint: 'partial' }),
      this.dispatch('gradNorm', 'grad_norm finalize', u, [null, a.partials, a.clip], [1, 1, 1], { entryPoint: 'finalize' }),
    ];
  }

  adam(a: { n: number; grads: GPUBuffer; clip: GPUBuffer; params: GPUBuffer; m: GPUBuffer; v: GPUBuffer }): Dispatch {
    return this.dispatch(
      'adam',
      'adam',
      [a.n, { f32: 0 }, { f32: 0.9 }, { f32: 0.999 }, { f32: 1e-8 }, { f32: 1 }, { f32: 1 }],
      [a.grads, a.clip, a.params, a.m, a.v],
      groups1d(Math.ceil(a.n / 256)),
    );
  }

  /** Adam's per-step uniforms: lr, betas, eps and the bias corrections for step t (1-based). */
  setAdamStep(d: Dispatch, n: number, o: { lr: number; beta1: number; beta2: number; eps: number; step: number }): void {
    const bc1 = 1 - Math.pow(o.beta1, o.step);
    const bc2 = 1 - Math.pow(o.beta2, o.step);
    this.setUniform(d, [n, o.lr, o.beta1, o.beta2, o.eps, bc1, Math.sqrt(bc2)]);
  }

  sampleForward(a: {
    v: number;
    rows: number;
    logitsOff: number;
    logits: GPUBuffer;
    settings: GPUBuffer;
    rand: GPUBuffer;
    forced: GPUBuffer;
    counter: GPUBuffer;
    tokens: GPUBuffer;
    outSeq: GPUBuffer;
  }): Dispatch {
    return this.dispatch(
      'sampleForward',
      'sample_forward',
      [a.v, a.rows, a.logitsOff],
      [a.logits, a.settings, a.rand, a.forced, a.counter, a.tokens, a.outSeq],
      [a.rows, 1, 1],
    );
  }

  /**
   * sample_block: `steps` characters of every row in one dispatch, a workgroup per row
   * (see the shader's header). `w` holds the weights packed as sampleWeightsLayout says;
   * `setUniform(d, [rows, e, steps])` changes the block length between submissions.
   */
  sampleBlock(a: {
    v: number;
    e: number;
    h: number;
    l: number;
    rows: number;
    steps: number;
    shape: SampleBlockShape;
    w: GPUBuffer; // packed weights
    wBase: GPUBuffer; // (L + 1) u32 block offsets in w
    settings: GPUBuffer; // (R) RowSettings
    rand: GPUBuffer; // (capacity, R)
    forced: GPUBuffer; // (capacity) i32
    cursor: GPUBuffer; // (R, 2) u32: step, next token
    outSeq: GPUBuffer; // (capacity, R) i32
    state: GPUBuffer; // (2, L, R, H): h, then c
  }): Dispatch {
    return this.dispatch(
      'sampleBlock',
      'sample_block',
      [a.rows, a.e, a.steps],
      [a.w, a.wBase, a.settings, a.rand, a.forced, a.cursor, a.outSeq, a.state],
      [a.rows, 1, 1],
      { constants: { V: a.v, H: a.h, L: a.l, WG: a.shape.wg } },
    );
  }
}

/**
 * The samplers' `settings` binding: one RowSettings {temperature f32, top_k u32, top_p f32,
 * pad} per row (shaders/lib/categorical.wgsl), 16 bytes each; top_k floored, at least 0.
 */
export function packRowSettings(rows: readonly { temperature: number; topK: number; topP: number }[]): Uint8Array<ArrayBuffer> {
  const view = new DataView(new ArrayBuffer(rows.length * 16));
  rows.forEach((r, i) => {
    view.setFloat32(i * 16, r.temperature, true);
    view.setUint32(i * 16 + 4, Math.max(0, Math.floor(r.topK)), true);
    view.setFloat32(i * 16 + 8, r.topP, true);
  });
  return new Uint8Array(view.buffer);
}

export type SoftmaxVariant = 'thread-per-row' | 'workgroup-per-row';

/**
 * The largest vocabulary for which softmax_cross_entropy runs a thread per row. Below it a
 * row is too short to share among 64 threads: the workgroup version spends its time in 17
 * barriers a row (ruinous on software adapters) and idles most of its threads. Above it,
 * the row's three passes are long enough that a real GPU gains from spreading them.
 */
const SOFTMAX_PER_ROW_MAX_V = 256;

/** Positions per workgroup of softmax_cross_entropy's `per_row` (its WG, also main's threads per row). */
const SOFTMAX_WG = wgslConstU32('softmaxCrossEntropy', 'WG');

function softmaxVariant(V: number): SoftmaxVariant {
  return V <= SOFTMAX_PER_ROW_MAX_V ? 'thread-per-row' : 'workgroup-per-row';
}

/** How sample_block is laid out: threads per workgroup (a workgroup per row). */
export interface SampleBlockShape {
  wg: number;
}

/**
 * The shape of sample_block for a model on a device with these limits, or why it cannot
 * run there (then the per-character kernels serve). Workgroup memory, as the shader's
 * header states: h double-buffered and c for every layer, probabilities and kept
 * probabilities, 3·L·H + 2·V floats (and one word for the token). Threads: one per hidden
 * unit or vocabulary entry, whichever is more, rounded to 32, at most 256.
 */
export function sampleBlockShape(limits: SeqLimits, V: number, H: number, L: number): SampleBlockShape | { reason: string } {
  const bytes = (3 * L * H + 2 * V + 1) * 4;
  if (bytes > limits.maxComputeWorkgroupStorageSize) {
    return {
      reason: `the one-dispatch sampler needs ${bytes} bytes of workgroup memory for ${L} layers of ${H} units and ${V} characters; this adapter allows ${limits.maxComputeWorkgroupStorageSize}`,
    };
  }
  const maxThreads = Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX, 256);
  return { wg: Math.min(maxThreads, Math.max(32, Math.ceil(Math.max(H, V) / 32) * 32)) };
}

/**
 * Where sample_block finds each block of its packed weights (floats): layer l at base[l]
 * holds W_ihᵀ (I, 4H), W_hhᵀ (H, 4H), b_ih (4H), b_hh (4H) (I = E for layer 0, else H);
 * the head at base[L] holds W_outᵀ (H, V), b_out (V), embed (V, E). `size` is the total.
 */
export function sampleWeightsLayout(V: number, E: number, H: number, L: number): { base: number[]; size: number } {
  const base: number[] = [];
  let off = 0;
  for (let l = 0; l < L; l++) {
    base.push(off);
    off += (l === 0 ? E : H) * 4 * H + H * 4 * H + 8 * H;
  }
  base.push(off);
  return { base, size: off + H * V + V + V * E };
}

/**
 * Which GEMM kernel runs the forward and input-gradient products: `tiled`
 * (matmul_tiled.wgsl: workgroup-memory tiles, two barriers per slab of K) or
 * `registers` (matmul.wgsl: register blocking only, no barriers; kept to compare).
 */
export type GemmVariant = 'tiled' | 'registers';

/** The GEMM kernels of a Kernels: the variant, and whether weight_grad splits K. */
export interface GemmChoice {
  variant: GemmVariant;
  splitK: boolean;
}

/**
 * The GEMM kernels every adapter starts from. The tiled kernel: on SwiftShader it is as
 * fast as the barrier-free one or 2–10× faster for every product of a step (`npm run
 * bench:gemm`), the barriers notwithstanding, and on a GPU its coalesced tile loads and
 * workgroup reuse are what the hardware is built for. Whether weight_grad splits K pays
 * off on some adapters only (many compute units, not a few CPU cores): a trainer times
 * both at its shapes when it is created (calibrateTrainer, src/engine/gpu/calibrate.ts);
 * where nothing was timed, one pass.
 */
export const DEFAULT_GEMM: GemmChoice = { variant: 'tiled', splitK: false };

/** A tile of matmul_tiled / weight_grad: WX×WY threads own a (4·WY)×(4·WX) tile of the output. */
export interface GemmTile {
  wx: number;
  wy: number;
}

/**
 * The tile for an M×N output: sides of 16, 32 or 64 (64 to 256 threads), the one that
 * computes the fewest padded outputs, weighted by the tile's reuse of each loaded value
 * (BM·BN / (BM + BN)): a narrow output (N = 32 for dX into E = 32, N = 75 for the head)
 * gets a narrow tile instead of wasting most of a 64-wide one.
 */
export function gemmTile(M: number, N: number, maxThreads: number): GemmTile {
  let best: GemmTile = { wx: 4, wy: 4 };
  let bestCost = Infinity;
  for (const bm of [64, 32, 16]) {
    for (const bn of [64, 32, 16]) {
      const threads = (bm * bn) / 16;
      if (threads < 64 || threads > maxThreads) continue;
      const padded = Math.ceil(Math.max(1, M) / bm) * bm * Math.ceil(Math.max(1, N) / bn) * bn;
      const cost = padded * (1 + 4 / ((bm * bn) / (bm + bn)));
      if (cost < bestCost) {
        bestCost = cost;
        best = { wx: bn / 4, wy: bm / 4 };
      }
    }
  }
  return best;
}

/** How weight_grad runs: its tile, and K cut into `slices` of `kSlice` positions. */
export interface WeightGradShape {
  tile: GemmTile;
  kSlice: number;
  slices: number;
  /** Floats of the partials buffer it needs: slices·M·(N + 1), 0 with one slice. */
  partialFloats: number;
}

/** Workgroups a split weight gradient aims for: more than the compute units of laptop GPUs and of an H200 (132). */
export const WEIGHT_GRAD_TARGET_GROUPS = 256;
/** The depth of weight_grad's slabs of K: a slice of K is a whole number of them. */
const WEIGHT_GRAD_BK = wgslConstU32('weightGrad', 'BK');
/** The shortest slice of K worth a partial sum: 8 slabs. */
const WEIGHT_GRAD_MIN_SLICE = 8 * WEIGHT_GRAD_BK;

/**
 * dW (M, N) over K positions: the tile for (M, N + 1) (the bias column rides along),
 * and K split until the grid has about `targetGroups` workgroups, no slice shorter
 * than WEIGHT_GRAD_MIN_SLICE; one slice when `targetGroups` is 1.
 */
export function weightGradShape(M: number, N: number, K: number, maxThreads: number, targetGroups: number): WeightGradShape {
  const tile = gemmTile(M, N + 1, maxThreads);
  const tiles = Math.ceil((N + 1) / (4 * tile.wx)) * Math.ceil(M / (4 * tile.wy));
  const want = Math.max(1, Math.min(Math.ceil(targetGroups / tiles), Math.floor(K / WEIGHT_GRAD_MIN_SLICE)));
  const kSlice = Math.max(WEIGHT_GRAD_BK, Math.ceil(Math.ceil(K / want) / WEIGHT_GRAD_BK) * WEIGHT_GRAD_BK);
  const slices = Math.max(1, Math.ceil(K / kSlice));
  return { tile, kSlice, slices, partialFloats: slices > 1 ? slices * M * (N + 1) : 0 };
}

/** How a persistent recurrent kernel (lstm_seq_forward / lstm_seq_backward) is laid out. */
export interface SeqShape {
  /** Streams per workgroup (the shaders' SB): each W_hh value a thread loads serves all of them. */
  sb: number;
  /** Threads per workgroup (WG). */
  wg: number;
  /** The backward's parts of the recurrent product's k range (its P: 1, 2 or 4); 1 for the forward. */
  parts: number;
  /**
   * Whether the state a timestep hands to the next lives in workgroup memory (the forward's
   * h and c, the backward's dz[t+1]; the shaders' STATE_WG / DZ_WG); false where it does not
   * fit: read back from the kernel's own output buffer, which the workgroup wrote a timestep before.
   */
  stateInWorkgroup: boolean;
}

/** The device limits that decide whether and how the persistent recurrent kernels run. */
export type SeqLimits = Pick<GPUSupportedLimits, 'maxComputeWorkgroupStorageSize' | 'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupSizeX'>;

/** The most streams one workgroup of the persistent kernels holds (their register arrays' size). */
const SEQ_MAX_STREAMS = Math.min(wgslConstU32('lstmSeqForward', 'SB_MAX'), wgslConstU32('lstmSeqBackward', 'SB_MAX'));

/** A layout of a persistent kernel and what it needs: workgroup memory and threads. */
interface SeqLayout {
  parts: number;
  stateInWorkgroup: boolean;
  /** Workgroup memory per stream, in floats. */
  floatsPerStream: number;
  /** Workgroup memory whatever the streams, in bytes: the one-element arrays that stand in for those a layout does not use (WGSL has no empty arrays). */
  fixedBytes: number;
  threads: number;
}

/**
 * The layouts of each direction in order of preference, with the workgroup memory and
 * the threads they want, as the shaders' headers state. Forward: h (2 halves) and c, 3H
 * floats a stream, a thread per hidden unit; else none (h and c read back from hs and
 * cs). Backward: dz[t+1] (4H), the recurrent product's P partial sums (P·H) and dc (H), P·H
 * threads, P the most of 4, 2, 1 whose threads fit a workgroup (with H at least the
 * threads a workgroup has, more parts add only partial sums), or fewer parts where those
 * do not fit; else dc alone (H floats: dz read back from dz, one part). So with WebGPU's
 * default 16 KiB the backward keeps dz in workgroup memory up to H 682 (6H floats at P 1)
 * and runs persistent up to H 4091 (4H + 20 bytes), the forward keeps h and c up to H 1365 and runs
 * persistent for any H: every hidden size the model allows (MAX_HIDDEN) runs persistent.
 */
function seqLayouts(direction: 'forward' | 'backward', H: number, maxThreads: number): SeqLayout[] {
  if (direction === 'forward') {
    return [
      { parts: 1, stateInWorkgroup: true, floatsPerStream: 3 * H, fixedBytes: 0, threads: H },
      { parts: 1, stateInWorkgroup: false, floatsPerStream: 0, fixedBytes: 8, threads: H },
    ];
  }
  const most = [4, 2, 1].find((p) => p * H <= maxThreads) ?? 1;
  return [
    ...[4, 2, 1].filter((p) => p <= most).map((p) => ({ parts: p, stateInWorkgroup: true, floatsPerStream: (4 + p + 1) * H, fixedBytes: 0, threads: p * H })),
    { parts: 1, stateInWorkgroup: false, floatsPerStream: H, fixedBytes: 20, threads: H },
  ];
}

/**
 * The layout of the persistent recurrent kernel of one direction for hidden size H on a
 * device with these limits — the first of seqLayouts that holds one stream in the
 * workgroup memory — and how many streams fit a workgroup (up to SEQ_MAX_STREAMS), or why
 * it cannot run there (then the per-timestep kernels serve).
 */
export function lstmSeqLayout(
  direction: 'forward' | 'backward',
  limits: SeqLimits,
  H: number,
): { parts: number; stateInWorkgroup: boolean; wg: number; fit: number } | { reason: string } {
  const maxThreads = Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  const layouts = seqLayouts(direction, H, maxThreads);
  const room = limits.maxComputeWorkgroupStorageSize;
  const bytes = (l: SeqLayout, streams: number) => l.fixedBytes + streams * l.floatsPerStream * 4;
  const layout = layouts.find((l) => bytes(l, 1) <= room);
  if (!layout) {
    const least = layouts[layouts.length - 1];
    return {
      reason: `hidden size ${H} needs ${bytes(least, 1)} bytes of workgroup memory for one stream in the persistent ${direction} kernel; this adapter allows ${room}`,
    };
  }
  const fit = layout.floatsPerStream === 0 ? SEQ_MAX_STREAMS : Math.min(SEQ_MAX_STREAMS, Math.floor((room - layout.fixedBytes) / (layout.floatsPerStream * 4)));
  return { parts: layout.parts, stateInWorkgroup: layout.stateInWorkgroup, wg: Math.min(maxThreads, Math.ceil(layout.threads / 32) * 32), fit };
}

/**
 * The shape of the persistent recurrent kernel of one direction for hidden size H and B
 * streams on a device with these limits, or why it cannot run there. `streams` asks for
 * that many streams per workgroup (calibrateStreams times the candidates; tests force
 * one); it is capped by what fits, and by default it is as many as fit. B is spread evenly
 * over the workgroups that needs, so the last one is not left nearly empty.
 */
export function lstmSeqShape(
  direction: 'forward' | 'backward',
  limits: SeqLimits,
  H: number,
  B: number,
  streams = SEQ_MAX_STREAMS,
): SeqShape | { reason: string } {
  const layout = lstmSeqLayout(direction, limits, H);
  if ('reason' in layout) return layout;
  const fit = Math.min(layout.fit, Math.max(1, Math.floor(streams)));
  const groups = Math.ceil(Math.max(1, B) / fit);
  return { sb: Math.ceil(Math.max(1, B) / groups), wg: layout.wg, parts: layout.parts, stateInWorkgroup: layout.stateInWorkgroup };
}

/**
 * The streams per workgroup worth timing for B streams where `fit` fit a workgroup: 1, 2,
 * 4 and 8 streams (as lstmSeqShape spreads B, distinct), up to what fits. One stream a
 * workgroup gives the most workgroups (B of them: enough to fill a laptop GPU at B 32); more
 * share each W_hh value loaded among more streams. Which wins depends on the device.
 */
export function seqStreamCandidates(fit: number, B: number): number[] {
  const out: number[] = [];
  for (const c of [1, 2, 4, 8]) {
    if (c > fit) break;
    const sb = Math.ceil(Math.max(1, B) / Math.ceil(Math.max(1, B) / c));
    if (!out.includes(sb)) out.push(sb);
  }
  return out;
}

function seqGroups(shape: SeqShape, B: number): number {
  if (!Number.isInteger(shape.sb) || shape.sb < 1 || shape.sb > SEQ_MAX_STREAMS)
    throw new Error(`streams per workgroup must be 1 … ${SEQ_MAX_STREAMS}, got ${shape.sb}`);
  return Math.ceil(B / shape.sb);
}

/**
 * Positions per segment of the embedding gradient: the longest serial sum a thread of
 * embedding_backward runs in its first pass. A token with c positions needs ⌈c/32⌉
 * segments, which its second pass adds up.
 */
export const EMBED_GRAD_SEGMENT = 32;

/** Segments the embedding gradient of N positions over V tokens can need: ⌈N/32⌉ + V bounds Σ⌈c_v/32⌉. */
export function embeddingGradMaxSegments(N: number, V: number): number {
  return Math.ceil(N / EMBED_GRAD_SEGMENT) + V;
}

/**
 * The index embedding_backward reads (no float atomics), built on the CPU, which
 * already holds the tokens: positions grouped by token; each token's run cut into
 * segments of at most EMBED_GRAD_SEGMENT positions (segStart[s]..segStart[s+1]; the
 * unused tail repeats N); token v owns segments rowSegStart[v]..rowSegStart[v+1].
 */
export function embeddingGradIndex(tokens: ArrayLike<number>, V: number): { positions: Uint32Array; segStart: Uint32Array; rowSegStart: Uint32Array } {
  const N = tokens.length;
  const rowStart = new Uint32Array(V + 1); // (V + 1) into positions
  for (let i = 0; i < N; i++) rowStart[tokens[i] + 1]++;
  for (let v = 0; v < V; v++) rowStart[v + 1] += rowStart[v];
  const cursor = rowStart.slice(0, V);
  const positions = new Uint32Array(N); // (N)
  for (let i = 0; i < N; i++) positions[cursor[tokens[i]]++] = i;
  const segStart = new Uint32Array(embeddingGradMaxSegments(N, V) + 1).fill(N); // (S_MAX + 1)
  const rowSegStart = new Uint32Array(V + 1); // (V + 1)
  let s = 0;
  for (let v = 0; v < V; v++) {
    rowSegStart[v] = s;
    for (let k = rowStart[v]; k < rowStart[v + 1]; k += EMBED_GRAD_SEGMENT) segStart[s++] = k;
  }
  rowSegStart[V] = s;
  return { positions, segStart, rowSegStart };
}

/** Encodes prepared dispatches into one compute pass. Returns how many it encoded. */
export function encodeDispatches(pass: GPUComputePassEncoder, dispatches: Dispatch[]): number {
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
  }
  return dispatches.length;
}

/**
 * Wall time (ms) of `dispatches` encoded `repeat` times in one compute pass, submitted and
 * waited for: what the start-up calibrations and the bench's GEMM timing measure.
 */
export async function timeSubmission(device: GPUDevice, dispatches: Dispatch[], repeat: number, label: string): Promise<number> {
  const enc = device.createCommandEncoder({ label });
  const pass = enc.beginComputePass({ label });
  for (let i = 0; i < repeat; i++) encodeDispatches(pass, dispatches);
  pass.end();
  const t0 = performance.now();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - t0;
}

/** Frees the uniform buffers of prepared dispatches: whoever built them calls this in its destroy(). */
export function destroyDispatches(dispatches: Iterable<Dispatch>): void {
  for (const d of dispatches) d.uniform.destroy();
}
