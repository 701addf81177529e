/**
 * The colour scales of the inspection panels: a diverging blue–white–red scale for
 * activations (heatmap, cell explorer) and a white–orange scale for surprise, each with a
 * text colour that stays readable on it (WCAG contrast ≥ 4.5 against the background).
 */

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

/** Background and text colour for a character by its surprise: white (0 nats) to deep orange (`max` nats and above). */
export function surpriseColours(nats: number, max: number): { bg: string; fg: string } {
  const a = Math.max(0, Math.min(1, Number.isFinite(nats) ? nats / max : 1));
  const rgb: [number, number, number] = [Math.round(255 - a * (255 - 217)), Math.round(255 - a * (255 - 72)), Math.round(255 - a * (255 - 15))];
  return { bg: `rgb(${rgb.join(',')})`, fg: textOn(rgb) };
}
