/**
 * The colour scales of the inspection panels: a diverging blue–white–red scale for
 * activations (heatmap, cell explorer) and a white–orange scale for surprise, each with a
 * text colour that stays readable on it (WCAG contrast ≥ 4.5 against the background).
 */

/** The diverging scale as a CSS gradient, for legends: blue (−1) at the left, red (+1) at the right. */
export const DIVERGING_RAMP = 'linear-gradient(to right, rgb(0,0,255), rgb(255,255,255), rgb(255,0,0))';

/** Blue (−1) – white (0) – red (+1). */
export function diverging(x: number): string {
  const [r, g, b] = divergingRgb(x);
  return `rgb(${r},${g},${b})`;
}

function divergingRgb(x: number): [number, number, number] {
  const t = Math.max(-1, Math.min(1, Number.isFinite(x) ? x : 0));
  const lo = Math.round(255 * (1 - Math.abs(t)));
  return t >= 0 ? [255, lo, lo] : [lo, lo, 255];
}

/** Relative luminance (WCAG 2) of an sRGB colour. */
function luminance([r, g, b]: [number, number, number]): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** Black or white text, whichever contrasts more with the background. */
function textOn(rgb: [number, number, number]): string {
  const l = luminance(rgb);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000' : '#fff';
}

/** Background and text colour for a character coloured by an activation in [−1, 1]. */
export function cellColours(x: number): { bg: string; fg: string } {
  const rgb = divergingRgb(x);
  return { bg: `rgb(${rgb.join(',')})`, fg: textOn(rgb) };
}

/** The surprise scale's deepest shade (its lightest is white). */
const SURPRISE_MAX: [number, number, number] = [217, 72, 15];

/** The surprise scale as a CSS gradient, for legends: white (0 nats) at the left, deep orange (`max`) at the right; sRGB interpolation, as surpriseColours. */
const SURPRISE_RAMP = `linear-gradient(to right, rgb(255,255,255), rgb(${SURPRISE_MAX.join(',')}))`;

/** Background and text colour for a character by its surprise: white (0 nats) to deep orange (`max` nats and above). */
export function surpriseColours(nats: number, max: number): { bg: string; fg: string } {
  const a = Math.max(0, Math.min(1, Number.isFinite(nats) ? nats / max : 1));
  const rgb = SURPRISE_MAX.map((m) => Math.round(255 - a * (255 - m))) as [number, number, number];
  return { bg: `rgb(${rgb.join(',')})`, fg: textOn(rgb) };
}

/** A colour scale as a legend shows it. */
export interface ColourScale {
  /** What the colour shows ("surprise", "tanh(c)"). */
  name: string;
  /** The ramp, as a CSS gradient from left to right. */
  ramp: string;
  /** Rows of labels under the ramp, each spread from its left end to its right end (one row per unit: nats, bits). */
  ticks: string[][];
  /** The scale in words, for a screen reader ("white 0 nats to orange 4.21 nats (6.07 bits)"). */
  description: string;
}

/** A value to 2 decimals, with a real minus sign. */
const fmt = (x: number) => x.toFixed(2).replace('-', '−');

/** The legend of surpriseColours(·, max): 0, max / 2 and max, in nats and in bits ("≥" at the top when larger values share its colour). */
export function surpriseScale(max: number, orMore = false): ColourScale {
  const top = orMore ? '≥ ' : '';
  const row = (unit: string, k: number) => ['0', fmt(max / 2 / k), `${top}${fmt(max / k)} ${unit}`];
  return {
    name: 'surprise',
    ramp: SURPRISE_RAMP,
    ticks: [row('nats', 1), row('bits', Math.LN2)],
    description: `white 0 to orange ${top}${fmt(max)} nats (${fmt(max / Math.LN2)} bits)`,
  };
}

/** The legend of cellColours: an activation from −1 to +1. */
export function activationScale(name: string): ColourScale {
  return { name, ramp: DIVERGING_RAMP, ticks: [['−1', '0', '+1']], description: 'blue −1, white 0, red +1' };
}
