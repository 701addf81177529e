import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { cpuEngine } from '../engine/cpu.ts';
import { formatNotebookRun, lowestMovingAverage, notebookRun } from './notebook-run.ts';

describe('the notebook run as a regression check', () => {
  it('finds the lowest 10-step moving average and the step it ends at', () => {
    const losses = [...Array.from({ length: 10 }, () => 3), 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2];
    expect(lowestMovingAverage(losses)).toEqual({ average: 1, step: 20 });
    expect(lowestMovingAverage([5, 4, 3], 2)).toEqual({ average: 3.5, step: 3 });
    expect(lowestMovingAverage([1, 2], 10).average).toBeNaN();
  });

  it('trains the notebook settings on an engine and reports the passage loss (a few steps on the CPU engine)', async () => {
    const passage = readFileSync(new URL('../../data/notebook-passage.txt', import.meta.url), 'utf8');
    const engine = cpuEngine();
    try {
      const f = await notebookRun(engine, passage, 12);
      expect(f.steps).toBe(12);
      expect(f.engine).toBe('CPU reference (float64)');
      expect(f.firstLoss).toBeGreaterThan(3.4); // ln 38 = 3.64
      expect(f.firstLoss).toBeLessThan(3.9);
      expect(f.lowestAverageStep).toBeGreaterThanOrEqual(10);
      expect(f.characters).toBe([...passage].length);
      expect(f.passageLoss).toBeGreaterThan(2); // 12 steps learn little
      const lines = formatNotebookRun(f);
      expect(lines[0]).toMatch(/^notebook run: 12 steps of the notebook's settings \(seed 42, B1 T40 E32 H128\) on CPU reference \(float64\), [\d.]+ s$/);
      expect(lines[3]).toMatch(/^ {2}target {3}MISSED: [\d.]+ ≥ 0\.3 nats\/char on the passage/);
      expect(formatNotebookRun({ ...f, passageLoss: 0.24 })[3]).toBe('  target   met: < 0.3 nats/char on the passage');
    } finally {
      engine.close();
    }
  }, 60_000);
});
