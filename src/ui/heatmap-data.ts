/**
 * What the heatmap shows of a model's hidden states over a sentence: the hidden state h
 * or one gate (as GATE_SLICES lays them out), of one layer, coloured around the middle
 * of its activation's range.
 */
import { GATE_SLICES, gateActivations, type GateName, type HiddenStates } from '../engine/contract.ts';
import type { HeatmapData } from './heatmap.ts';

export type HeatmapChoice = 'h' | GateName;

/** The menu of the heatmap: h, then each gate in the order of the LSTM weights. */
export const HEATMAP_CHOICES: readonly { value: HeatmapChoice; title: string }[] = [
  { value: 'h', title: 'hidden state h' },
  ...GATE_SLICES.map((g) => ({ value: g.name, title: g.title })),
];

/**
 * The heatmap of `chars` (the sentence, one entry per character) for a layer and a choice.
 * states.h[layer] is (n, H); states.gates[layer] is (n, 4H).
 */
export function heatmapOf(states: HiddenStates, chars: string[], H: number, layer: number, choice: HeatmapChoice): HeatmapData {
  if (choice === 'h') {
    return { chars, units: H, values: states.h[layer], center: 0, range: 1, label: `hidden state h, layer ${layer}`, symbol: 'h' };
  }
  const [lo, hi] = GATE_SLICES.find((g) => g.name === choice)!.range;
  return {
    chars,
    units: H,
    values: gateActivations(states.gates[layer], H, choice),
    center: (lo + hi) / 2,
    range: (hi - lo) / 2,
    label: `gate ${choice}, layer ${layer}`,
    symbol: choice,
  };
}

/** At most `max` characters of `line`, cut at the last space when it is longer (a sentence for the heatmap). */
export function sentenceOf(line: string, max: number): string {
  const chars = [...line];
  if (chars.length <= max) return line;
  const cut = chars.slice(0, max + 1).lastIndexOf(' ');
  return chars.slice(0, cut > 0 ? cut : max).join('');
}
