/**
 * The activations of one (T, B) window and the dispatches of its forward pass.
 * Training, evaluation and hidden-state read-out each own one of these, sized for
 * their T and B, with bind groups built once.
 *
 * Legend: V vocab, E embed, H hidden, L layers, B streams, T timesteps, N = T·B.
 * Positions are time-major: r = t·B + b.
 */
import type { ParamTable } from '../../model/params.ts';
import { storageBuffer } from '../../gpu/buffers.ts';
import type { Dispatch, Kernels, SeqShape } from '../../gpu/kernels.ts';

export class SequenceBuffers {
  readonly n: number;
  readonly tokens: GPUBuffer; // (N) i32
  readonly targets: GPUBuffer; // (N) i32
  readonly x0: GPUBuffer; // (N, E) embeddings
  readonly zx: GPUBuffer[]; // per layer (N, 4H): W_ih·x + b_ih + b_hh, all timesteps
  readonly hs: GPUBuffer[]; // per layer (T+1, B, H); slot 0 = carried state
  readonly cs: GPUBuffer[]; // per layer (T+1, B, H)
  readonly gates: GPUBuffer[]; // per layer (T, B, 4H) activated i, f, g, o
  readonly whhT: GPUBuffer; // (H, 4H) scratch: W_hhᵀ of the layer being run
  readonly logits: GPUBuffer; // (N, V); dlogits in place after the loss kernel
  readonly losses: GPUBuffer; // (N)
  readonly stateH: GPUBuffer; // (L, B, H) carried between windows
  readonly stateC: GPUBuffer; // (L, B, H)
  private all: GPUBuffer[] = [];

  constructor(
    readonly device: GPUDevice,
    readonly table: ParamTable,
    readonly T: number,
    readonly B: number,
    label: string,
  ) {
    const { vocabSize: V, embedSize: E, hiddenSize: H, layers: L } = table.config;
    const n = (this.n = T * B);
    const buf = (name: string, floats: number) => {
      const b = storageBuffer(device, `${label} ${name}`, floats);
      this.all.push(b);
      return b;
    };
    this.tokens = buf('tokens', n);
    this.targets = buf('targets', n);
    this.x0 = buf('x0', n * E);
    this.zx = [];
    this.hs = [];
    this.cs = [];
    this.gates = [];
    for (let l = 0; l < L; l++) {
      this.zx.push(buf(`zx${l}`, n * 4 * H));
      this.hs.push(buf(`hs${l}`, (T + 1) * B * H));
      this.cs.push(buf(`cs${l}`, (T + 1) * B * H));
      this.gates.push(buf(`gates${l}`, n * 4 * H));
    }
    this.whhT = buf('whhT', 4 * H * H);
    this.logits = buf('logits', n * V);
    this.losses = buf('losses', n);
    this.stateH = buf('stateH', L * B * H);
    this.stateC = buf('stateC', L * B * H);
  }

  /** Bytes of one state slot (B, H). */
  get slotBytes(): number {
    return this.B * this.table.config.hiddenSize * 4;
  }

  /** Encodes: the carried state (or zeros) into slot 0 of every layer. */
  encodeLoadState(enc: GPUCommandEncoder, reset: boolean): void {
    const bytes = this.slotBytes;
    for (let l = 0; l < this.hs.length; l++) {
      if (reset) {
        enc.clearBuffer(this.hs[l], 0, bytes);
        enc.clearBuffer(this.cs[l], 0, bytes);
      } else {
        enc.copyBufferToBuffer(this.stateH, l * bytes, this.hs[l], 0, bytes);
        enc.copyBufferToBuffer(this.stateC, l * bytes, this.cs[l], 0, bytes);
      }
    }
  }

  /** Encodes: the state after the last timestep (slot T) becomes the carried state. */
  encodeSaveState(enc: GPUCommandEncoder): void {
    const bytes = this.slotBytes;
    for (let l = 0; l < this.hs.length; l++) {
      enc.copyBufferToBuffer(this.hs[l], this.T * bytes, this.stateH, l * bytes, bytes);
      enc.copyBufferToBuffer(this.cs[l], this.T * bytes, this.stateC, l * bytes, bytes);
    }
  }

  destroy(): void {
    for (const b of this.all) b.destroy();
    this.all = [];
  }
}

/**
 * Forward dispatches over a whole window: embedding gather, then per layer W_hhᵀ,
 * the input projection for all timesteps as one GEMM and the recurrence — one
 * persistent dispatch over the T timesteps when `recurrent` gives its shape, else T
 * fused LSTM steps — then the head GEMM and the fused softmax/cross-entropy (with
 * dlogits when training). Count: 1 + 3·L + 2, or 1 + L·(2 + T) + 2 per timestep.
 */
export function buildForward(k: Kernels, s: SequenceBuffers, params: GPUBuffer, withGrad: boolean, recurrent: SeqShape | null): Dispatch[] {
  const table = s.table;
  const { vocabSize: V, embedSize: E, hiddenSize: H, layers: L } = table.config;
  const { T, B, n } = s;
  const out: Dispatch[] = [];
  out.push(k.embeddingForward({ n, e: E, embedOff: table.embed.offset, outOff: 0, tokOff: 0, params, tokens: s.tokens, out: s.x0 }));
  for (let l = 0; l < L; l++) {
    const p = table.layers[l];
    const I = l === 0 ? E : H;
    out.push(k.transpose({ label: `W_hh${l}ᵀ`, rows: 4 * H, cols: H, inOff: p.weightHh.offset, src: params, dst: s.whhT }));
    out.push(
      k.matmul({
        label: `input projection l${l}`,
        m: n,
        n: 4 * H,
        k: I,
        transA: false,
        transB: true,
        a: l === 0 ? s.x0 : s.hs[l - 1],
        aOff: l === 0 ? 0 : B * H,
        b: params,
        bOff: p.weightIh.offset,
        c: s.zx[l],
        cOff: 0,
        bias: { buffer: params, off: p.biasIh.offset, off2: p.biasHh.offset },
      }),
    );
    if (recurrent) {
      out.push(
        k.lstmSeqForward({
          label: `lstm forward l${l}`,
          t: T,
          b: B,
          h: H,
          shape: recurrent,
          zxOff: 0,
          hsOff: 0,
          csOff: 0,
          gatesOff: 0,
          zx: s.zx[l],
          whhT: s.whhT,
          hs: s.hs[l],
          cs: s.cs[l],
          gates: s.gates[l],
        }),
      );
      continue;
    }
    for (let t = 0; t < T; t++) {
      out.push(
        k.lstmStepForward({
          label: `lstm forward l${l} t${t}`,
          b: B,
          h: H,
          zxOff: t * B * 4 * H,
          hPrevOff: t * B * H,
          hOff: (t + 1) * B * H,
          cPrevOff: t * B * H,
          cOff: (t + 1) * B * H,
          gatesOff: t * B * 4 * H,
          zx: s.zx[l],
          whhT: s.whhT,
          hs: s.hs[l],
          cs: s.cs[l],
          gates: s.gates[l],
        }),
      );
    }
  }
  out.push(
    k.matmul({
      label: 'head',
      m: n,
      n: V,
      k: H,
      transA: false,
      transB: true,
      a: s.hs[L - 1],
      aOff: B * H,
      b: params,
      bOff: table.headWeight.offset,
      c: s.logits,
      cOff: 0,
      bias: { buffer: params, off: table.headBias.offset },
    }),
  );
  out.push(
    k.softmaxCrossEntropy({
      n,
      v: V,
      logitsOff: 0,
      writeGrad: withGrad,
      scale: 1 / n,
      lossOff: 0,
      targetOff: 0,
      targets: s.targets,
      logits: s.logits,
      losses: s.losses,
    }),
  );
  return out;
}
