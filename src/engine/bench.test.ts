import { describe, expect, it } from 'vitest';
import { buildParamTable } from '../model/params.ts';
import {
  BENCH_CONFIGS,
  flopsByKernel,
  formatMiB,
  formatNumber,
  kernelKind,
  kindFlops,
  paramCount,
  spread,
  stepFlops,
  totalFlops,
  type StepShape,
} from './bench.ts';

const notebook: StepShape = { vocab: 38, embed: 32, hidden: 128, layers: 1, batch: 1, seqLen: 40 };

describe('stepFlops', () => {
  it('counts the notebook step term by term (written out by hand)', () => {
    const N = 40;
    const P = 38 * 32 + 38 * 128 + 38 + 4 * 128 * (32 + 128 + 2);
    const want = {
      'input projection': 2 * N * 512 * 32 + 2 * N * 512,
      'lstm forward': 40 * 2 * 1 * 512 * 128 + 13 * N * 128,
      head: 2 * N * 38 * 128 + N * 38,
      softmax_cross_entropy: N * (6 * 38 + 4),
      dW_out: 2 * 38 * 128 * N,
      db_out: N * 38,
      'dH top': 2 * N * 128 * 38,
      'lstm backward': 39 * 2 * 1 * 128 * 512 + 24 * N * 128,
      dW_ih: 2 * 512 * 32 * N,
      dW_hh: 2 * 512 * 128 * N,
      db: N * 512,
      dX: 2 * N * 32 * 512,
      embedding_backward: N * 32,
      grad_norm: 2 * P + 3,
      adam: 14 * P,
    };
    const terms = stepFlops(notebook);
    expect(Object.fromEntries(flopsByKernel(terms))).toEqual(want);
    expect(totalFlops(terms)).toBe(Object.values(want).reduce((a, b) => a + b, 0));
    expect(totalFlops(terms)).toBe(22_386_563);
  });

  it('has each GEMM with its shape and count, layer by layer, and elementwise terms without one', () => {
    const terms = stepFlops({ vocab: 75, embed: 64, hidden: 256, layers: 2, batch: 64, seqLen: 128 });
    for (const t of terms) {
      if (t.kind === 'gemm') expect(t.flops).toBe(2 * t.gemm!.m * t.gemm!.n * t.gemm!.k * t.gemm!.count);
      else expect(t.gemm).toBeUndefined();
    }
    const dwih = terms.filter((t) => t.kernel === 'dW_ih');
    expect(dwih.map((t) => [t.layer, t.gemm!.n])).toEqual([
      [1, 256],
      [0, 64],
    ]);
    const rec = terms.find((t) => t.kernel === 'lstm forward' && t.kind === 'gemm')!;
    expect(rec.gemm).toEqual({ m: 64, n: 1024, k: 256, transA: false, transB: true, count: 128 });
    // Backward GEMMs are twice the forward ones, less the last timestep's recurrent product.
    const gemm = (names: string[]) => terms.filter((t) => t.kind === 'gemm' && names.includes(t.kernel)).reduce((s, t) => s + t.flops, 0);
    const forward = gemm(['input projection', 'lstm forward', 'head']);
    const backward = gemm(['dW_out', 'dH top', 'lstm backward', 'dW_ih', 'dW_hh', 'dX']);
    expect(backward).toBe(2 * forward - 2 * (2 * 64 * 256 * 1024));
  });

  it('is linear in the batch but for the optimizer, and T = 1 has no recurrent backward GEMM', () => {
    const one = stepFlops({ ...notebook, batch: 1 });
    const two = stepFlops({ ...notebook, batch: 2 });
    const perBatch = (ts: ReturnType<typeof stepFlops>) => totalFlops(ts.filter((t) => t.kernel !== 'adam' && t.kernel !== 'grad_norm'));
    expect(perBatch(two)).toBe(2 * perBatch(one));
    expect(stepFlops({ ...notebook, seqLen: 1 }).some((t) => t.kernel === 'lstm backward' && t.kind === 'gemm')).toBe(false);
  });

  it('counts the parameters the table has (its entries, not the padding between them)', () => {
    for (const c of BENCH_CONFIGS) {
      const table = buildParamTable({ vocabSize: 75, embedSize: c.embed, hiddenSize: c.hidden, layers: c.layers });
      expect(paramCount({ vocab: 75, ...c })).toBe(table.entries.reduce((s, e) => s + e.size, 0));
    }
    expect(paramCount({ vocab: 75, embed: 32, hidden: 128, layers: 1 })).toBe(95_019); // the shipped model (README)
  });
});

describe('bench configurations', () => {
  it('are the four of issue #9, two of them for software adapters', () => {
    expect(BENCH_CONFIGS.map((c) => [c.name, c.batch, c.seqLen, c.embed, c.hidden, c.layers, c.software])).toEqual([
      ['notebook', 1, 40, 32, 128, 1, true],
      ['small', 32, 64, 32, 128, 1, true],
      ['medium', 64, 128, 64, 256, 2, false],
      ['large', 64, 128, 128, 512, 2, false],
    ]);
  });
});

describe('kernelKind', () => {
  it('drops layer and timestep suffixes and joins the grad-norm passes', () => {
    expect(kernelKind('dW_ih l1')).toBe('dW_ih');
    expect(kernelKind('lstm forward l0 t39')).toBe('lstm forward');
    expect(kernelKind('lstm backward l1')).toBe('lstm backward');
    expect(kernelKind('W_hh0ᵀ')).toBe('W_hhᵀ');
    expect(kernelKind('grad_norm partial')).toBe('grad_norm');
    expect(kernelKind('grad_norm finalize')).toBe('grad_norm');
    expect(kernelKind('input projection l0')).toBe('input projection');
    expect(kernelKind('adam')).toBe('adam');
  });

  it('joins the passes of one kernel, and gives a fused kernel the FLOPs of its parts', () => {
    expect(kernelKind('embedding_backward segments')).toBe('embedding_backward');
    expect(kernelKind('embedding_backward rows')).toBe('embedding_backward');
    expect(kernelKind('softmax_cross_entropy (thread)')).toBe('softmax_cross_entropy');
    expect(kernelKind('dW_ih dW_hh db l1 partial sums')).toBe('dW_ih dW_hh db');
    expect(kernelKind('dW_ih dW_hh db l0 reduce')).toBe('dW_ih dW_hh db');
    const f = flopsByKernel(stepFlops(notebook));
    expect(kindFlops('dW_out db_out', f)).toBe(f.get('dW_out')! + f.get('db_out')!);
    expect(kindFlops('dW_ih dW_hh db', f)).toBe(f.get('dW_ih')! + f.get('dW_hh')! + f.get('db')!);
    expect(kindFlops('lstm forward', f)).toBe(f.get('lstm forward'));
    expect(kindFlops('W_hhᵀ', f)).toBeNull();
    expect(kindFlops('dW_out mystery', f)).toBeNull();
  });

  it('names every kernel of the FLOP count as the trainer labels its dispatches', () => {
    const labels = ['input projection l0', 'lstm forward l0', 'head', 'softmax_cross_entropy', 'dW_out', 'db_out', 'dH top', 'lstm backward l0', 'dW_ih l0'];
    const kinds = new Set(stepFlops(notebook).map((t) => t.kernel));
    for (const l of labels) expect(kinds.has(kernelKind(l))).toBe(true);
  });
});

describe('spread', () => {
  it('gives median, quartiles and range', () => {
    expect(spread([5])).toEqual({ n: 1, median: 5, min: 5, max: 5, q1: 5, q3: 5 });
    expect(spread([4, 1, 3, 2])).toEqual({ n: 4, median: 2.5, min: 1, max: 4, q1: 1.75, q3: 3.25 });
    expect(spread([10, 1, 2, 3, 4])).toMatchObject({ median: 3, min: 1, max: 10, q1: 2, q3: 4 });
    expect(() => spread([])).toThrow('no samples');
  });
});

describe('formatting', () => {
  it('prints counts with separators and small figures with two significant digits', () => {
    expect(formatNumber(1234567.4)).toBe('1,234,567');
    expect(formatNumber(12.5)).toBe('13');
    expect(formatNumber(3.456)).toBe('3.5');
    expect(formatNumber(0.05234)).toBe('0.052');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(NaN)).toBe('NaN');
    expect(formatMiB(3 * 2 ** 20 + 2 ** 19)).toBe('3.5 MiB');
  });
});
