import { describe, expect, it } from 'vitest';
import { PARITY_CASES, formatParity, worstRatio, type ParityOutcome } from './parity-check.ts';

describe('the whole-step parity check (what it prints and decides; bench-gpu.gpu.test.ts runs it on a device)', () => {
  it('measures the worst error as a share of the tolerance', () => {
    expect(worstRatio([1, 2.0002], [1, 2], 1e-6, 1e-4)).toBeCloseTo(0.0002 / (1e-6 + 2e-4), 6);
    expect(worstRatio([1, NaN], [1, 2], 1e-6, 1e-4)).toBeNaN();
    expect(worstRatio([5], [Infinity], 1e-6, 1e-4)).toBe(0); // non-finite reference values are skipped
  });

  it('passes only when every comparison is within the tolerance, and says loudly when one is not', () => {
    const good: ParityOutcome = {
      name: '5 Adam steps, streams',
      recurrence: 'persistent (…)',
      comparisons: [{ what: 'parameters', worst: 0.02, failure: null }],
      ok: true,
    };
    expect(formatParity([good])).toEqual([
      '  ok   5 Adam steps, streams: worst 0.020 of the tolerance; recurrence persistent (…)',
      "parity: all 1 cases agree with the float64 CPU reference (atol 0.000001 + rtol 0.0001·|ref|; the tests' tolerance)",
    ]);
    const bad: ParityOutcome = {
      name: 'gradients of one step',
      recurrence: 'per-timestep (forced)',
      comparisons: [
        { what: 'gradient embed.weight', worst: 0.5, failure: null },
        { what: 'gradient head.bias', worst: 37, failure: 'gradient head.bias: 3/7 mismatches (atol 0.000001, rtol 0.0001); …' },
      ],
      ok: false,
    };
    const lines = formatParity([good, bad]);
    expect(lines[1]).toBe('  FAIL gradients of one step: worst 37.000 of the tolerance; recurrence per-timestep (forced)');
    expect(lines[2]).toBe('       gradient head.bias: 3/7 mismatches (atol 0.000001, rtol 0.0001); …');
    expect(lines[3]).toMatch(/^parity: 1 of 2 cases DISAGREE with the float64 CPU reference .*its speed figures mean nothing$/);
  });

  it('covers the adapter’s own kernels, the per-timestep fallback, both schedules and a split-K size', () => {
    expect(PARITY_CASES.some((c) => c.kind === 'adam' && c.options.recurrence === 'per-timestep')).toBe(true);
    expect(new Set(PARITY_CASES.filter((c) => c.kind === 'adam').map((c) => c.train.schedule))).toEqual(new Set(['streams', 'windows']));
    expect(Math.max(...PARITY_CASES.map((c) => c.train.batch * c.train.seqLen))).toBeGreaterThanOrEqual(320);
  });
});
