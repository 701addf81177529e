import { describe, expect, it } from 'vitest';
import { activationScale, cellColours, surpriseColours, surpriseScale } from './colours.ts';

describe('colour legends', () => {
  it('the surprise legend spans the colours drawn: white at 0, the deepest shade at max, in nats and bits', () => {
    const scale = surpriseScale(4.2);
    expect(scale.ticks).toEqual([
      ['0', '2.10', '4.20 nats'],
      ['0', '3.03', '6.06 bits'],
    ]);
    // The ramp's ends are the colours of 0 nats and of max.
    const stops = scale.ramp.match(/rgb\([^)]*\)/g);
    expect(stops).toEqual([surpriseColours(0, 4.2).bg, surpriseColours(4.2, 4.2).bg].map((c) => c.replace(/\s/g, '')));
    expect(surpriseColours(9, 4.2).bg).toBe(surpriseColours(4.2, 4.2).bg); // above max: the deepest shade, hence "≥"
    expect(surpriseScale(Math.log(38), true).ticks[0][2]).toBe('≥ 3.64 nats');
    expect(surpriseScale(Math.log(38), true).description).toBe('white 0 to orange ≥ 3.64 nats (5.25 bits)');
  });

  it('the activation legend runs blue −1, white 0, red +1, as cellColours', () => {
    const scale = activationScale('tanh(c)');
    expect(scale.ticks).toEqual([['−1', '0', '+1']]);
    expect(scale.ramp.match(/rgb\([^)]*\)/g)).toEqual([-1, 0, 1].map((x) => cellColours(x).bg));
  });
});
