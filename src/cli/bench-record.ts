/**
 * The speed record: how `npm run bench` prints a GPU bench report, the previous figures
 * beside the new ones, and the record sections of BENCHMARKS.md (`--record` writes one,
 * every run reads them). One section per adapter — its `- Adapter:` line, the adapter's
 * name and how it was reached (headless Chromium or Dawn), is the key — so a run is only
 * compared with, and only replaces, the record of the same adapter: a GPU run never reads
 * as ×N against SwiftShader nor overwrites its baseline. Pure functions but for
 * readRecord/writeRecord.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { formatMiB, formatNumber } from '../engine/bench.ts';
import { dispatchReport } from '../engine/contract.ts';
import type { GpuBenchReport, GpuCaseResult, StepProfile } from '../engine/gpu/bench-gpu.ts';

export const RECORD_BEGIN = '<!-- bench:record:begin — written by `npm run bench -- --record`; edit outside these markers -->';
export const RECORD_END = '<!-- bench:record:end -->';

/** The record's table columns, in order. */
const COLUMNS = [
  'config',
  'shape',
  'chars/s (median)',
  'chars/s (min–max)',
  'ms/step',
  'first step ms',
  'dispatches/step',
  'GFLOP/step',
  'GFLOP/s',
  'GEMM GFLOP/s',
  'step / GEMM time',
  'GPU memory',
  'sampling chars/s per row',
  'sampling chars/s (all rows)',
] as const;

export interface RecordMeta {
  date: string;
  command: string;
  /** The adapter and how it was reached, e.g. "google swiftshader — WebGPU in headless Chromium": the record's key. */
  adapter: string;
  where: string;
  notes: string[];
  /** What the run printed (profile tables, TF.js comparison), kept in the record as a text block. */
  output?: string[];
}

/** A parsed record: its meta lines and one row per configuration, by column name. */
export interface ParsedRecord {
  meta: Record<string, string>;
  rows: Map<string, Record<string, string>>;
}

const gflop = (flops: number) => flops / 1e9;

/** The table row of one configuration. */
function row(r: GpuCaseResult): string[] {
  const gflops = gflop(r.flopsPerStep) / (r.stepMs.median / 1000);
  return [
    r.name,
    r.shape,
    formatNumber(r.charsPerSecond.median),
    `${formatNumber(r.charsPerSecond.min)}–${formatNumber(r.charsPerSecond.max)}`,
    formatNumber(r.stepMs.median),
    formatNumber(r.firstStepMs),
    String(r.dispatchesPerStep),
    formatNumber(gflop(r.flopsPerStep)),
    formatNumber(gflops),
    r.gemm ? formatNumber(gflop(r.gemm.flopsPerSecond)) : '—',
    r.gemm ? `${formatNumber(r.stepMs.median / ((r.flopsPerStep / r.gemm.flopsPerSecond) * 1000))}×` : '—',
    formatMiB(r.memoryBytes),
    formatNumber(r.sampleRowCharsPerSecond),
    formatNumber(r.sampleCharsPerSecond),
  ];
}

/** The BENCHMARKS.md record section (markers included) for a report. */
export function renderRecord(report: GpuBenchReport, meta: RecordMeta): string {
  const lines = [
    RECORD_BEGIN,
    '',
    `- Date: ${meta.date}`,
    `- Command: \`${meta.command}\``,
    `- Adapter: ${meta.adapter}`,
    `- Where: ${meta.where}`,
    ...meta.notes.map((n) => `- Note: ${n}`),
    '',
    `| ${COLUMNS.join(' | ')} |`,
    `| ${COLUMNS.map(() => '---').join(' | ')} |`,
    ...report.results.map((r) => `| ${row(r).join(' | ')} |`),
    '',
  ];
  if (report.skipped.length) lines.push(`Not run here: ${report.skipped.map((s) => `${s.name} (${s.shape})`).join(', ')} — a software adapter.`, '');
  if (meta.output?.length) lines.push('What the run printed:', '', '```text', ...meta.output, '```', '');
  lines.push(RECORD_END);
  return lines.join('\n');
}

/** Where each record section lies in a markdown text: [start of its begin marker, end of its end marker). */
function sections(markdown: string): [number, number][] {
  const out: [number, number][] = [];
  let from = 0;
  for (;;) {
    const b = markdown.indexOf(RECORD_BEGIN, from);
    if (b < 0) return out;
    const e = markdown.indexOf(RECORD_END, b);
    if (e < 0) return out;
    out.push([b, e + RECORD_END.length]);
    from = e + RECORD_END.length;
  }
}

/**
 * Puts a record section in place of the one for the same adapter (its `- Adapter:` line),
 * or after the last section when this adapter has none yet (at the end when there is none).
 */
export function replaceRecord(markdown: string, section: string): string {
  const all = sections(markdown);
  const key = parseSection(section)?.meta.adapter;
  const same = all.find(([b, e]) => parseSection(markdown.slice(b, e))?.meta.adapter === key);
  if (same) return markdown.slice(0, same[0]) + section + markdown.slice(same[1]);
  if (!all.length) return `${markdown.trimEnd()}\n\n${section}\n`;
  const end = all[all.length - 1][1];
  return `${markdown.slice(0, end)}\n\n${section}${markdown.slice(end)}`;
}

/** One record section (markers included): its meta lines and table, or null when it has no table. */
function parseSection(text: string): ParsedRecord | null {
  const meta: Record<string, string> = {};
  const rows = new Map<string, Record<string, string>>();
  let header: string[] | null = null;
  let fenced = false;
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (l.startsWith('```')) fenced = !fenced;
    if (fenced || l.startsWith('```')) continue;
    const m = l.match(/^- ([A-Za-z]+): (.*)$/);
    if (m && m[1] !== 'Note') meta[m[1].toLowerCase()] = m[2];
    if (!l.startsWith('|')) continue;
    const cells = l
      .slice(1, l.endsWith('|') ? -1 : undefined)
      .split('|')
      .map((c) => c.trim());
    if (!header) header = cells;
    else if (!cells.every((c) => /^:?-+:?$/.test(c))) rows.set(cells[0], Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])));
  }
  return header ? { meta, rows } : null;
}

/** Every record section of BENCHMARKS.md (one per adapter), in order; unreadable ones left out. */
export function parseRecords(markdown: string): ParsedRecord[] {
  return sections(markdown)
    .map(([b, e]) => parseSection(markdown.slice(b, e)))
    .filter((r): r is ParsedRecord => r !== null);
}

/** The record of one adapter (as RecordMeta.adapter names it), or null when it has none. */
export function findRecord(records: ParsedRecord[], adapter: string): ParsedRecord | null {
  return records.find((r) => r.meta.adapter === adapter) ?? null;
}

/** A figure of the record as a number ("12,345" → 12345, "1.5×" → 1.5, "—" → NaN). */
export function recordNumber(cell: string | undefined): number {
  if (!cell) return NaN;
  const m = cell.replace(/,/g, '').match(/-?\d+(\.\d+)?(e-?\d+)?/);
  return m ? Number(m[0]) : NaN;
}

/** "(previous 1,234 chars/s, ×1.05)" or "" when the record has no such figure. */
function versus(now: number, before: number, unit: string): string {
  if (!Number.isFinite(before) || before <= 0) return '';
  return ` (previous ${formatNumber(before)}${unit}, ×${(now / before).toFixed(2)})`;
}

/**
 * The lines `npm run bench` prints for a report, with the figures of the previous record
 * on the same adapter beside the new ones. `adapter`: the record key of this run
 * (RecordMeta.adapter); `records`: BENCHMARKS.md's. Records of other adapters are never compared with.
 */
export function formatReport(report: GpuBenchReport, records: ParsedRecord[], adapter: string): string[] {
  const out: string[] = [];
  const previous = findRecord(records, adapter);
  if (previous) out.push(`previous record: ${previous.meta.date ?? '?'} on ${previous.meta.adapter ?? '?'} (BENCHMARKS.md)`);
  else {
    const others = records.map((r) => r.meta.adapter).filter(Boolean);
    out.push(
      `no earlier record on this adapter (${adapter}) in BENCHMARKS.md${others.length ? `; it has records for ${others.join('; ')}, not compared` : ''}`,
    );
  }
  for (const r of report.results) {
    const p = previous?.rows.get(r.name);
    const same = p && p.shape === r.shape ? p : undefined;
    const gflops = gflop(r.flopsPerStep) / (r.stepMs.median / 1000);
    out.push(`${r.name.padEnd(8)} ${r.shape} — recurrence ${r.recurrence}`);
    out.push(
      `  train    ${formatNumber(r.charsPerSecond.median)} chars/s median${versus(r.charsPerSecond.median, recordNumber(same?.['chars/s (median)']), '')}, ` +
        `${formatNumber(r.charsPerSecond.min)}–${formatNumber(r.charsPerSecond.max)} over ${r.charsPerSecond.n} steps; ` +
        `${formatNumber(r.stepMs.median)} ms/step (quartiles ${formatNumber(r.stepMs.q1)}–${formatNumber(r.stepMs.q3)})`,
    );
    out.push(
      `  first    ${formatNumber(r.firstStepMs)} ms (trainer built, pipelines compiled, one step read back)${versus(r.firstStepMs, recordNumber(same?.['first step ms']), ' ms')}`,
    );
    out.push(`  dispatch ${dispatchReport(r.dispatchesPerStep, r.budget)}`);
    out.push(
      `  FLOPs    ${formatNumber(gflop(r.flopsPerStep))} GFLOP/step → ${formatNumber(gflops)} GFLOP/s achieved${versus(gflops, recordNumber(same?.['GFLOP/s']), ' GFLOP/s')}`,
    );
    if (r.gemm) {
      const need = (r.flopsPerStep / r.gemm.flopsPerSecond) * 1000;
      out.push(
        `  GEMM     the matmul kernel alone at the step's whole-window GEMM shapes: ${formatNumber(gflop(r.gemm.flopsPerSecond))} GFLOP/s ` +
          `(${formatNumber(r.gemm.msPerStep)} ms for their ${formatNumber(gflop(r.gemm.gemmFlops))} GFLOP); ` +
          `the step takes ${formatNumber(r.stepMs.median / need)}× the ${formatNumber(need)} ms its FLOPs need at that rate`,
      );
    }
    out.push(
      `  memory   ${formatMiB(r.memoryBytes)} of GPU buffers (trainer and model)${versus(r.memoryBytes / 2 ** 20, recordNumber(same?.['GPU memory']), ' MiB')}`,
    );
    out.push(
      `  sampling ${formatNumber(r.sampleRowCharsPerSecond)} chars/s per row${versus(r.sampleRowCharsPerSecond, recordNumber(same?.['sampling chars/s per row']), '')}, ` +
        `${formatNumber(r.sampleCharsPerSecond)} chars/s for all rows together${versus(r.sampleCharsPerSecond, recordNumber(same?.['sampling chars/s (all rows)'] ?? same?.['sampling chars/s']), '')}: ` +
        `${r.sample}, one generation`,
    );
    if (r.profile) out.push(...formatProfile(r.profile, r.stepMs.median));
  }
  for (const s of report.skipped) {
    const at = report.results.find((r) => r.name === 'small') ?? report.results[report.results.length - 1];
    const est = at
      ? ` — at the ${formatNumber(gflop(at.flopsPerStep) / (at.stepMs.median / 1000))} GFLOP/s ${at.name} reached, a step would take ~${formatNumber((s.flopsPerStep / at.flopsPerStep) * (at.stepMs.median / 1000))} s`
      : '';
    out.push(`${s.name.padEnd(8)} ${s.shape}: not run on a software adapter (${formatNumber(gflop(s.flopsPerStep))} GFLOP/step${est}); run on a GPU`);
  }
  return out;
}

/** A profile as a table sorted by time: kernel, dispatches, ms, share of the profiled step, GFLOP/s. */
export function formatProfile(p: StepProfile, stepMs: number): string[] {
  const total = p.kernels.reduce((s, k) => s + k.ms, 0);
  const how =
    p.method === 'timestamp-query'
      ? `GPU timestamps around each dispatch (timestamp-query), median of ${p.steps} profiled steps`
      : `NO timestamp-query on this adapter: wall time of one submit + onSubmittedWorkDone per dispatch (round trip included, so small kernels look slow), median of ${p.steps} profiled steps`;
  const out = [`  profile  ${how}; kernels sum to ${formatNumber(total)} ms against ${formatNumber(stepMs)} ms for a whole step`];
  out.push(`    ${'kernel'.padEnd(24)} ${'dispatches'.padStart(10)} ${'ms'.padStart(9)} ${'share'.padStart(6)} ${'GFLOP/s'.padStart(8)}`);
  for (const k of p.kernels) {
    const g = k.flops !== null && k.ms > 0 ? formatNumber(gflop(k.flops) / (k.ms / 1000)) : '—';
    out.push(
      `    ${k.kernel.padEnd(24)} ${String(k.dispatches).padStart(10)} ${formatNumber(k.ms).padStart(9)} ${`${((100 * k.ms) / total).toFixed(1)}%`.padStart(6)} ${g.padStart(8)}`,
    );
  }
  return out;
}

/** BENCHMARKS.md's records (none when the file is missing). */
export function readRecords(path: string): ParsedRecord[] {
  return existsSync(path) ? parseRecords(readFileSync(path, 'utf8')) : [];
}

/** Writes the record of meta.adapter into BENCHMARKS.md, leaving the other adapters' records as they are. */
export function writeRecord(path: string, report: GpuBenchReport, meta: RecordMeta): void {
  const before = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  writeFileSync(path, replaceRecord(before, renderRecord(report, meta)));
}
