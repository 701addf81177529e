import { describe, expect, it } from 'vitest';
import type { GpuBenchReport, GpuCaseResult } from '../engine/gpu/bench-gpu.ts';
import { spread } from '../engine/bench.ts';
import {
  RECORD_BEGIN,
  RECORD_END,
  findRecord,
  formatProfile,
  formatReport,
  parseRecords,
  recordNumber,
  renderRecord,
  replaceRecord,
  type ParsedRecord,
} from './bench-record.ts';

/** The one record of a text (the tests' texts have one). */
const parseRecord = (md: string): ParsedRecord | null => parseRecords(md)[0] ?? null;

function result(name: string, ms: number[], extra: Partial<GpuCaseResult> = {}): GpuCaseResult {
  const chars = 32 * 64;
  return {
    name,
    shape: 'E32 H128 L1 B32 T64 V75',
    recurrence: 'persistent (…)',
    dispatchesPerStep: 18,
    budget: 24,
    stepMs: spread(ms),
    charsPerSecond: spread(ms.map((m) => (chars * 1000) / m)),
    firstStepMs: 1500,
    flopsPerStep: 2e9,
    memoryBytes: 5 * 2 ** 20,
    sampleRowCharsPerSecond: 411.5,
    sampleCharsPerSecond: 1234.5,
    sample: '500 characters × 3 temperatures (0.5, 1, 1.5)',
    ...extra,
  };
}

const report: GpuBenchReport = {
  adapter: 'google swiftshader (SwiftShader driver)',
  software: true,
  timestamps: false,
  results: [result('small', [2000, 1000, 4000], { gemm: { flopsPerSecond: 4e9, msPerStep: 300, gemmFlops: 1.2e9 } })],
  skipped: [{ name: 'medium', shape: 'E64 H256 L2 B64 T128 V75', flopsPerStep: 40e9 }],
};
const meta = {
  date: '2026-11-29 10:50 UTC',
  command: 'npm run bench -- --record',
  adapter: 'google swiftshader — headless Chromium',
  where: '2 × CPU',
  notes: ['noisy'],
};

describe('BENCHMARKS.md record', () => {
  it('renders a section that parses back to the same figures', () => {
    const md = renderRecord(report, meta);
    expect(md.startsWith(RECORD_BEGIN) && md.endsWith(RECORD_END)).toBe(true);
    expect(md).toContain('Not run here: medium (E64 H256 L2 B64 T128 V75)');
    const p = parseRecord(`# Benchmarks\n\nprose\n\n${md}\n\nmore prose\n`)!;
    expect(p.meta).toMatchObject({ date: meta.date, command: '`npm run bench -- --record`', adapter: meta.adapter });
    const row = p.rows.get('small')!;
    expect(row).toMatchObject({
      shape: 'E32 H128 L1 B32 T64 V75',
      'chars/s (median)': '1,024',
      'chars/s (min–max)': '512–2,048',
      'ms/step': '2,000',
      'dispatches/step': '18',
      'GFLOP/step': '2',
      'GFLOP/s': '1',
      'GEMM GFLOP/s': '4',
      'step / GEMM time': '4×',
      'GPU memory': '5.0 MiB',
      'sampling chars/s per row': '412',
      'sampling chars/s (all rows)': '1,235',
    });
    expect([...p.rows.keys()]).toEqual(['small']);
  });

  it('keeps what the run printed as a text block that the parser passes over', () => {
    const md = renderRecord(report, { ...meta, output: ['| not | a | row |', '- Date: not the date'] });
    expect(md).toContain('```text\n| not | a | row |\n- Date: not the date\n```');
    const p = parseRecord(md)!;
    expect([...p.rows.keys()]).toEqual(['small']);
    expect(p.meta.date).toBe(meta.date);
  });

  it('replaces the old section and keeps the prose around it', () => {
    const old = `# Benchmarks\n\nintro\n\n${RECORD_BEGIN}\nold figures\n${RECORD_END}\n\n## How to run\n`;
    const now = replaceRecord(old, 'NEW');
    expect(now).toBe('# Benchmarks\n\nintro\n\nNEW\n\n## How to run\n');
    expect(replaceRecord('# Benchmarks\n', 'NEW')).toBe('# Benchmarks\n\nNEW\n');
    expect(parseRecord('# no record here')).toBeNull();
  });

  it('keeps one record per adapter: --record replaces its own and leaves the others', () => {
    const soft = renderRecord(report, meta);
    const gpuMeta = { ...meta, adapter: 'nvidia ampere — WebGPU through Dawn (webgpu npm package)', date: '2026-12-01 09:00 UTC' };
    const gpu = renderRecord({ ...report, adapter: 'nvidia ampere', software: false, results: [result('small', [10])] }, gpuMeta);
    // A first GPU record goes after the existing one, prose around both kept.
    const two = replaceRecord(`# Benchmarks\n\nintro\n\n${soft}\n\n## After\n`, gpu);
    expect(two).toBe(`# Benchmarks\n\nintro\n\n${soft}\n\n${gpu}\n\n## After\n`);
    expect(parseRecords(two).map((r) => r.meta.adapter)).toEqual([meta.adapter, gpuMeta.adapter]);
    // A new SwiftShader run replaces only the SwiftShader record.
    const later = renderRecord({ ...report, results: [result('small', [1000])] }, { ...meta, date: '2026-12-02 10:00 UTC' });
    const three = replaceRecord(two, later);
    const records = parseRecords(three);
    expect(records.map((r) => r.meta.date)).toEqual(['2026-12-02 10:00 UTC', gpuMeta.date]);
    expect(findRecord(records, gpuMeta.adapter)!.rows.get('small')!['chars/s (median)']).toBe('204,800');
    expect(findRecord(records, meta.adapter)!.rows.get('small')!['chars/s (median)']).toBe('2,048');
    expect(findRecord(records, 'apple m3 — WebGPU in headless Chromium')).toBeNull();
    expect(three).toContain('## After');
  });

  it('reads figures as numbers', () => {
    expect(recordNumber('12,345')).toBe(12345);
    expect(recordNumber('4.5×')).toBe(4.5);
    expect(recordNumber('5.0 MiB')).toBe(5);
    expect(recordNumber('—')).toBeNaN();
    expect(recordNumber(undefined)).toBeNaN();
  });
});

describe('formatReport', () => {
  it('prints the figures with the previous record beside them, and why a case did not run', () => {
    const previous = parseRecord(renderRecord({ ...report, results: [result('small', [4000])] }, meta));
    const lines = formatReport(report, [previous!], meta.adapter);
    expect(lines[0]).toBe(`previous record: ${meta.date} on ${meta.adapter} (BENCHMARKS.md)`);
    expect(lines[1]).toBe('small    E32 H128 L1 B32 T64 V75 — recurrence persistent (…)');
    expect(lines[2]).toBe('  train    1,024 chars/s median (previous 512, ×2.00), 512–2,048 over 3 steps; 2,000 ms/step (quartiles 1,500–3,000)');
    expect(lines.find((l) => l.startsWith('  dispatch'))).toBe('  dispatch 18/step (budget 24)');
    expect(lines.find((l) => l.startsWith('  sampling'))).toBe(
      '  sampling 412 chars/s per row (previous 412, ×1.00), 1,235 chars/s for all rows together (previous 1,235, ×1.00): 500 characters × 3 temperatures (0.5, 1, 1.5), one generation',
    );
    // A record from before the per-row column had only the total, as "sampling chars/s".
    const old = parseRecord(renderRecord({ ...report, results: [result('small', [4000])] }, meta).replace('sampling chars/s (all rows)', 'sampling chars/s'))!;
    expect(formatReport(report, [old], meta.adapter).find((l) => l.startsWith('  sampling'))).toBe(
      '  sampling 412 chars/s per row (previous 412, ×1.00), 1,235 chars/s for all rows together (previous 1,235, ×1.00): 500 characters × 3 temperatures (0.5, 1, 1.5), one generation',
    );
    expect(lines.find((l) => l.startsWith('  GEMM'))).toBe(
      "  GEMM     the matmul kernel alone at the step's whole-window GEMM shapes: 4 GFLOP/s (300 ms for their 1.2 GFLOP); the step takes 4× the 500 ms its FLOPs need at that rate",
    );
    expect(lines[lines.length - 1]).toBe(
      'medium   E64 H256 L2 B64 T128 V75: not run on a software adapter (40 GFLOP/step — at the 1 GFLOP/s small reached, a step would take ~40 s); run on a GPU',
    );
  });

  it('says a step over the dispatch budget is over it (the budget is 8·L + 16 whatever the recurrence)', () => {
    const over = formatReport(
      { ...report, results: [result('small', [2000], { recurrence: 'per-timestep (forced)', dispatchesPerStep: 144 })] },
      [],
      meta.adapter,
    );
    expect(over.find((l) => l.startsWith('  dispatch'))).toBe('  dispatch 144/step — over the budget of 24 (8·L + 16) by 120');
  });

  it('leaves the previous figure out when the record measured another shape', () => {
    const other = parseRecord(renderRecord({ ...report, results: [result('small', [4000], { shape: 'E32 H128 L1 B16 T64 V75' })] }, meta));
    expect(formatReport(report, [other!], meta.adapter).join('\n')).not.toContain('(previous');
  });

  it('compares only with the record of the same adapter, and says when there is none', () => {
    const soft = parseRecord(renderRecord({ ...report, results: [result('small', [4000])] }, meta))!;
    const gpu = `nvidia ampere — WebGPU through Dawn (webgpu npm package)`;
    const lines = formatReport({ ...report, adapter: 'nvidia ampere', software: false }, [soft], gpu);
    expect(lines[0]).toBe(`no earlier record on this adapter (${gpu}) in BENCHMARKS.md; it has records for ${meta.adapter}, not compared`);
    expect(lines.join('\n')).not.toContain('(previous');
    expect(formatReport(report, [], meta.adapter)[0]).toBe(`no earlier record on this adapter (${meta.adapter}) in BENCHMARKS.md`);
    // With both records there, each run reads its own.
    const mine = parseRecord(renderRecord({ ...report, results: [result('small', [500])] }, { ...meta, adapter: gpu }))!;
    const both = formatReport({ ...report, adapter: 'nvidia ampere', software: false }, [soft, mine], gpu);
    expect(both[0]).toBe(`previous record: ${meta.date} on ${gpu} (BENCHMARKS.md)`);
    expect(both[2]).toContain('(previous 4,096, ×0.25)');
  });

  it('prints a profile sorted as given, with shares and GFLOP/s, and says how it was timed', () => {
    const kernels = [
      { kernel: 'lstm forward', dispatches: 1, ms: 30, flops: 3e9 },
      { kernel: 'adam', dispatches: 1, ms: 10, flops: null },
    ];
    const ts = formatProfile({ method: 'timestamp-query', steps: 5, kernels }, 50);
    expect(ts[0]).toContain('GPU timestamps around each dispatch (timestamp-query), median of 5 profiled steps; kernels sum to 40 ms against 50 ms');
    expect(ts[2]).toBe('    lstm forward                      1        30  75.0%      100');
    expect(ts[3]).toBe('    adam                              1        10  25.0%        —');
    expect(formatProfile({ method: 'submit-wait', steps: 2, kernels }, 50)[0]).toContain('NO timestamp-query on this adapter');
  });
});
