import { describe, expect, it } from 'vitest';
import { LossHistory } from '../run/history.ts';
import { LossColumns } from './loss-columns.ts';

const history = (points: [step: number, loss: number][]): LossHistory => {
  const h = new LossHistory();
  for (const [s, l] of points) h.push(s, l);
  return h;
};

/** The columns as plain arrays, to compare by value. */
const plain = (c: LossColumns) => c.data.map((col) => Array.from(col));

describe('LossColumns: the current run alone', () => {
  it('rebuilds nothing on a frame with no new points, and takes up appended points and validation in place', () => {
    const h = history([
      [1, 3],
      [2, 2],
    ]);
    const c = new LossColumns();
    expect(c.update(h)).toBe(true);
    const data = c.data;
    const [steps, , , val] = data;
    expect(plain(c)).toEqual([
      [1, 2],
      [3, 2],
      [3, 2.5],
      [null, null],
    ]);

    // No new point: nothing changes, not even the views.
    expect(c.update(h)).toBe(false);
    expect(c.data).toBe(data);
    expect(c.data[0]).toBe(steps);
    expect(c.data[3]).toBe(val);

    // The last point's validation: the same views, the validation column set in place.
    h.pushVal(2.2);
    expect(c.update(h)).toBe(true);
    expect(c.data[0]).toBe(steps);
    expect(c.data[3]).toBe(val);
    expect(val).toEqual([null, 2.2]);

    // A point appended: new views of the history's own arrays (no copy), validation grown in place.
    h.push(3, 1);
    expect(c.update(h)).toBe(true);
    expect(c.data).toBe(data);
    expect(c.data[3]).toBe(val);
    expect((c.data[1] as Float64Array).buffer).toBe(h.loss.buffer);
    expect(plain(c)).toEqual([
      [1, 2, 3],
      [3, 2, 1],
      [3, 2.5, 2],
      [null, 2.2, null],
    ]);
    expect(c.length).toBe(3);
  });

  it('rebuilds after points are forgotten, and for another history', () => {
    const h = history([
      [1, 3],
      [2, 2],
      [3, 1],
    ]);
    h.pushVal(1.5);
    const c = new LossColumns();
    c.update(h);
    h.truncate(1);
    h.push(2, 4);
    expect(c.update(h)).toBe(true);
    expect(plain(c)).toEqual([
      [1, 2],
      [3, 4],
      [3, 3.5],
      [null, null],
    ]);
    // Cutting back to where it is changes nothing.
    h.truncate(2);
    expect(c.update(h)).toBe(false);
    expect(c.update(history([[5, 1]]))).toBe(true);
    expect(plain(c)).toEqual([[5], [1], [1], [null]]);
  });
});

describe('LossColumns: beside earlier runs', () => {
  const earlier = { steps: new Float64Array([2, 4, 6]), avg: new Float64Array([5, 4, 3]) };

  it('places new points at their steps in the same arrays, and rebuilds nothing when none came', () => {
    const h = new LossHistory();
    const c = new LossColumns([earlier]);
    expect(c.update(h)).toBe(true);
    expect(plain(c)).toEqual([
      [2, 4, 6],
      [null, null, null],
      [null, null, null],
      [null, null, null],
      [5, 4, 3],
    ]);
    const data = c.data;
    const columns = [...data];
    h.push(1, 9);
    h.push(2, 7);
    expect(c.update(h)).toBe(true);
    h.pushVal(6);
    h.push(5, 5);
    h.push(7, 3);
    expect(c.update(h)).toBe(true);
    expect(c.data).toBe(data);
    c.data.forEach((col, k) => expect(col).toBe(columns[k]));
    expect(plain(c)).toEqual([
      [1, 2, 4, 5, 6, 7],
      [9, 7, null, 5, null, 3],
      [9, 8, null, 7, null, 6],
      [null, 6, null, null, null, null],
      [null, 5, 4, null, 3, null],
    ]);
    expect(c.update(h)).toBe(false);
    c.data.forEach((col, k) => expect(col).toBe(columns[k]));
  });

  it('comes to the same columns point by point as in one pass, whatever the steps', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 20; trial++) {
      const curve = () => {
        const steps: number[] = [];
        for (let s = 1; s < 60; s++) if (rand() < 0.4) steps.push(s);
        return { steps: new Float64Array(steps), avg: new Float64Array(steps.map(() => rand())) };
      };
      const compared = [curve(), curve()];
      const h = new LossHistory();
      const c = new LossColumns(compared);
      // Points, validation, cuts and frames in any order.
      for (let s = 1; s < 70; s++) {
        if (rand() < 0.5) h.push(s, rand());
        if (rand() < 0.5) c.update(h);
        if (rand() < 0.2) h.pushVal(rand());
        if (rand() < 0.1) h.truncate(s - 3);
        if (rand() < 0.5) c.update(h);
      }
      c.update(h);
      const fresh = new LossColumns(compared);
      fresh.update(h);
      expect(plain(c)).toEqual(plain(fresh));
      expect(c.length).toBe(h.length);
    }
  });
});
