import { describe, it, expect } from 'vitest';
import { Batcher, type Batch } from './batcher.ts';
import { CorpusError } from './corpus.ts';
import { Vocab } from './vocab.ts';
import { Rng } from '../model/rng.ts';

const TEXT = 'abcdefghijk';
const vocab = Vocab.fromText(TEXT);
const data = vocab.encode(TEXT);
const show = (b: Batch) => ({ inputs: vocab.decode(b.inputs), targets: vocab.decode(b.targets), resetState: b.resetState });

describe('Batcher, streams', () => {
  it('lays out contiguous streams time-major and wraps (abcdefghijk, B=2, T=2)', () => {
    // N=11, S=floor(10/2)=5: stream 0 covers a..f (start 0), stream 1 covers f..k (start 5).
    const b = new Batcher(data, 2, 2, 'streams', new Rng(1));
    expect(b.windowsPerEpoch).toBe(2);
    // Time-major: r = t*B + b, so inputs read [s0 t0, s1 t0, s0 t1, s1 t1].
    expect(show(b.next())).toEqual({ inputs: 'afbg', targets: 'bgch', resetState: true });
    expect(show(b.next())).toEqual({ inputs: 'chdi', targets: 'diej', resetState: false });
    expect(b.getState().epoch).toBe(0);
    // Next window would be e,f -> f,g for stream 0: targets past the segment end (f at 5): wrap.
    expect(show(b.next())).toEqual({ inputs: 'afbg', targets: 'bgch', resetState: true });
    expect(b.getState().epoch).toBe(1);
    expect(show(b.next())).toEqual({ inputs: 'chdi', targets: 'diej', resetState: false });
    expect(show(b.next())).toEqual({ inputs: 'afbg', targets: 'bgch', resetState: true });
    expect(b.getState().epoch).toBe(2);
  });

  it('uses the whole segment when T divides it (B=1, T=5)', () => {
    const b = new Batcher(data, 1, 5, 'streams', new Rng(1));
    expect(b.windowsPerEpoch).toBe(2);
    expect(show(b.next())).toEqual({ inputs: 'abcde', targets: 'bcdef', resetState: true });
    expect(show(b.next())).toEqual({ inputs: 'fghij', targets: 'ghijk', resetState: false });
    expect(show(b.next())).toEqual({ inputs: 'abcde', targets: 'bcdef', resetState: true });
  });

  it('accepts the shortest corpus (B*T+1) and rejects one shorter', () => {
    const five = vocab.encode('abcde');
    const b = new Batcher(five, 2, 2, 'streams', new Rng(1));
    expect(show(b.next())).toEqual({ inputs: 'acbd', targets: 'bdce', resetState: true });
    expect(show(b.next()).resetState).toBe(true);
    const four = vocab.encode('abcd');
    expect(() => new Batcher(four, 2, 2, 'streams', new Rng(1))).toThrow(CorpusError);
    expect(() => new Batcher(four, 2, 2, 'streams', new Rng(1))).toThrow(
      'corpus of 4 characters is too short for 2 streams of 2 characters; it needs at least 5 characters: use fewer streams or a shorter sequence length',
    );
  });

  it('targets are the next character of each input', () => {
    const long = Int32Array.from({ length: 1000 }, (_, i) => i);
    const b = new Batcher(long, 7, 13, 'streams', new Rng(1));
    for (let k = 0; k < 30; k++) {
      const x = b.next();
      for (let r = 0; r < x.inputs.length; r++) expect(x.targets[r]).toBe(x.inputs[r] + 1);
      // Stream b stays inside its segment [b*S, b*S+S].
      const S = Math.floor(999 / 7);
      for (let t = 0; t < 13; t++)
        for (let s = 0; s < 7; s++) {
          const v = x.targets[t * 7 + s];
          expect(v).toBeGreaterThan(s * S);
          expect(v).toBeLessThanOrEqual(s * S + S);
        }
    }
  });
});

describe('Batcher, windows', () => {
  it('draws starts in [0, N-T-1], always resetting state', () => {
    const N = 6;
    const T = 2;
    const ids = Int32Array.from({ length: N }, (_, i) => i);
    const b = new Batcher(ids, 3, T, 'windows', new Rng(7));
    const seen = new Set<number>();
    for (let k = 0; k < 200; k++) {
      const x = b.next();
      expect(x.resetState).toBe(true);
      expect(x.inputs.length).toBe(T * 3);
      for (let s = 0; s < 3; s++) {
        const start = x.inputs[s];
        seen.add(start);
        for (let t = 0; t < T; t++) {
          expect(x.inputs[t * 3 + s]).toBe(start + t);
          expect(x.targets[t * 3 + s]).toBe(start + t + 1);
        }
      }
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
  });

  it('is reproducible by seed', () => {
    const ids = Int32Array.from({ length: 500 }, (_, i) => i % 31);
    const run = (seed: number) => {
      const b = new Batcher(ids, 4, 10, 'windows', new Rng(seed));
      return Array.from({ length: 5 }, () => Array.from(b.next().inputs));
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
  });

  it('needs T+1 characters', () => {
    const ids = vocab.encode('abc');
    expect(() => new Batcher(ids, 1, 3, 'windows', new Rng(1))).toThrow(CorpusError);
    expect(() => new Batcher(ids, 1, 3, 'windows', new Rng(1))).toThrow(/needs at least 4 characters/);
    const b = new Batcher(ids, 5, 2, 'windows', new Rng(1));
    expect(show(b.next()).inputs.length).toBe(10);
  });

  it('counts epochs every windowsPerEpoch batches', () => {
    const ids = Int32Array.from({ length: 101 }, (_, i) => i);
    const b = new Batcher(ids, 2, 10, 'windows', new Rng(1));
    expect(b.windowsPerEpoch).toBe(5);
    for (let k = 0; k < 5; k++) b.next();
    expect(b.getState().epoch).toBe(0);
    b.next();
    expect(b.getState().epoch).toBe(1);
  });
});

describe('Batcher state', () => {
  const ids = Int32Array.from({ length: 97 }, (_, i) => (i * 5) % 13);
  for (const schedule of ['streams', 'windows'] as const) {
    it(`a batcher restored from state yields the same next 5 batches (${schedule})`, () => {
      const a = new Batcher(ids, 3, 7, schedule, new Rng(11));
      for (let k = 0; k < 6; k++) a.next();
      const state = JSON.parse(JSON.stringify(a.getState()));
      const b = new Batcher(ids, 3, 7, schedule, new Rng(999));
      b.setState(state);
      for (let k = 0; k < 5; k++) expect(b.next()).toEqual(a.next());
      expect(b.getState()).toEqual(a.getState());
    });
  }

  it('restores a fresh state so the first batch still resets', () => {
    const a = new Batcher(data, 2, 2, 'streams', new Rng(1));
    const s = a.getState();
    a.next();
    a.next();
    a.setState(s);
    expect(show(a.next())).toEqual({ inputs: 'afbg', targets: 'bgch', resetState: true });
  });

  it('rejects state from another schedule or another corpus', () => {
    const a = new Batcher(ids, 3, 7, 'streams', new Rng(1));
    const w = new Batcher(ids, 3, 7, 'windows', new Rng(1));
    expect(() => a.setState(w.getState())).toThrow(/schedule/);
    const s = a.getState();
    expect(() => a.setState({ ...s, positions: [0, 1] })).toThrow(/do not fit/);
    expect(() => a.setState({ ...s, positions: [1000, 1032, 1064] })).toThrow(/do not fit/);
  });
});
