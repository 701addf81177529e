/**
 * What the cell explorer ranks hidden units by: simple features of the text, one value per
 * character, and how well each unit's activation tracks each of them (|Pearson correlation|
 * over a stretch of text), as in Karpathy, Johnson & Fei-Fei, "Visualizing and understanding
 * recurrent networks" (2015): cells that follow quotes, the position in a line, word starts.
 *
 * A unit's activation at character t is h after reading characters 0..t, so a feature is the
 * state of the text once character t has been read.
 *
 * Legend: n characters, H hidden, L layers.
 */

export type FeatureKey = 'quote' | 'line' | 'space' | 'capital';

interface Feature {
  key: FeatureKey;
  /** For the table of best units. */
  title: string;
  /** What it is, in one line (shown under its name). */
  help: string;
}

const FEATURES: readonly Feature[] = [
  { key: 'quote', title: 'inside quotes', help: '1 from an opening quotation mark (" or “) to its closing one, else 0' },
  { key: 'line', title: 'position in line', help: 'characters since the last line break' },
  { key: 'space', title: 'after a space', help: '1 once a space is read (a word starts next), else 0' },
  { key: 'capital', title: 'capital letter', help: '1 once a capital letter is read, else 0' },
];

/**
 * A 0/1 feature is ranked only when it holds on at least this many characters of the stretch,
 * and fails on as many: with fewer, a unit's r says more about a few characters than about the feature.
 */
const MIN_CHARACTERS_EACH_WAY = 10;
/** Position in line is ranked only over at least this many line breaks: with none it is the position in the text, with one it is two ramps. */
const MIN_LINE_BREAKS = 2;

const count = (f: Float64Array, v: number) => f.reduce((k, x) => k + (x === v ? 1 : 0), 0);
const plural = (k: number, one: string, many = `${one}s`) => `${k.toLocaleString('en')} ${k === 1 ? one : many}`;

/**
 * Why a feature says nothing about the units over this stretch ('' when it can be ranked):
 * a feature that does not vary meaningfully in it is shown as absent rather than ranked.
 */
export function featureProblem(key: FeatureKey, chars: readonly string[], values: Record<FeatureKey, Float64Array>): string {
  const n = chars.length;
  if (key === 'line') {
    const breaks = chars.reduce((k, c) => k + (c === '\n' ? 1 : 0), 0);
    if (breaks === 0) return 'no line breaks: the position in line would be the position in the text';
    if (breaks < MIN_LINE_BREAKS) return `only ${plural(breaks, 'line break')}: too few lines to compare`;
    return '';
  }
  const on = count(values[key], 1);
  const off = n - on;
  // What holds on `on` characters and on the `off` others, in words.
  const words = {
    quote: {
      none: 'no quotation marks',
      on: (k: number) => `${plural(k, 'character')} inside quotes`,
      off: (k: number) => `${plural(k, 'character')} outside quotes`,
    },
    space: {
      none: 'no spaces',
      on: (k: number) => `${plural(k, 'character')} after a space`,
      off: (k: number) => `${plural(k, 'character')} not after a space`,
    },
    capital: { none: 'no capital letters', on: (k: number) => plural(k, 'capital letter'), off: (k: number) => `${plural(k, 'character')} not a capital` },
  }[key];
  if (on === 0) return words.none;
  if (on < MIN_CHARACTERS_EACH_WAY) return `only ${words.on(on)}: too few to rank by`;
  if (off < MIN_CHARACTERS_EACH_WAY) return `only ${words.off(off)}: too few to rank by`;
  return '';
}

/** Each feature's value after each character, (n) per feature. */
export function featureValues(chars: readonly string[]): Record<FeatureKey, Float64Array> {
  const n = chars.length;
  const quote = new Float64Array(n);
  const line = new Float64Array(n);
  const space = new Float64Array(n);
  const capital = new Float64Array(n);
  let inQuote = false;
  let col = 0;
  for (let t = 0; t < n; t++) {
    const c = chars[t];
    if (c === '“') inQuote = true;
    else if (c === '”') inQuote = false;
    else if (c === '"') inQuote = !inQuote;
    quote[t] = inQuote ? 1 : 0;
    col = c === '\n' ? 0 : col + 1;
    line[t] = col;
    space[t] = c === ' ' ? 1 : 0;
    capital[t] = c !== c.toLowerCase() && c === c.toUpperCase() ? 1 : 0;
  }
  return { quote, line, space, capital };
}

/** A hidden unit: layer and index in it. */
export interface UnitRef {
  layer: number;
  unit: number;
}

interface RankedUnit extends UnitRef {
  /** Pearson correlation of the unit's activation with the feature (its sign says which way the unit moves). */
  r: number;
}

export interface FeatureRanking {
  feature: Feature;
  /** The units that track it best, by |r|, best first (empty when the feature is absent). */
  best: RankedUnit[];
  /** Why the feature is not ranked over this stretch (featureProblem), '' when it is. */
  absent: string;
}

/**
 * Ranks every unit of every layer by |correlation| with each feature the stretch has (a
 * feature that does not vary meaningfully in it is absent: featureProblem). `h` is per layer
 * (n, H); a unit that never moves correlates with nothing (r = 0). One pass over the stretch
 * per layer: O(n · L · H · features).
 */
export function rankUnits(h: readonly Float32Array[], H: number, chars: readonly string[], top = 3): FeatureRanking[] {
  const n = chars.length;
  const values = featureValues(chars);
  const absent = FEATURES.map((feature) => featureProblem(feature.key, chars, values));
  // The features ranked, centred: d_k(t) = f_k(t) − mean f_k, and Σ d_k².
  const varying = FEATURES.map((feature) => {
    const f = values[feature.key];
    let mean = 0;
    for (let t = 0; t < n; t++) mean += f[t];
    mean /= Math.max(1, n);
    const d = f.map((x) => x - mean);
    let ss = 0;
    for (let t = 0; t < n; t++) ss += d[t] * d[t];
    return { feature, d, ss };
  }).filter((x, k) => !absent[k] && n >= 2 && x.ss > 1e-12);
  const K = varying.length;
  const ranked: RankedUnit[][] = varying.map(() => []);
  h.forEach((hl, layer) => {
    if (hl.length !== n * H) throw new Error(`layer ${layer} has ${hl.length} activations, expected ${n} characters × ${H} units`);
    // One pass over the stretch for every unit and feature: Σ h, Σ h², Σ h·d_k.
    const sum = new Float64Array(H);
    const sumSq = new Float64Array(H);
    const cross = new Float64Array(K * H); // (K, H)
    const dt = new Float64Array(K);
    for (let t = 0; t < n; t++) {
      for (let k = 0; k < K; k++) dt[k] = varying[k].d[t];
      const row = t * H;
      for (let u = 0; u < H; u++) {
        const x = hl[row + u];
        sum[u] += x;
        sumSq[u] += x * x;
        for (let k = 0; k < K; k++) cross[k * H + u] += x * dt[k];
      }
    }
    for (let u = 0; u < H; u++) {
      const varH = sumSq[u] - (sum[u] * sum[u]) / n;
      for (let k = 0; k < K; k++) {
        const r = varH > 1e-12 ? cross[k * H + u] / Math.sqrt(varH * varying[k].ss) : 0;
        ranked[k].push({ layer, unit: u, r: Math.max(-1, Math.min(1, r)) });
      }
    }
  });
  return FEATURES.map((feature, f) => {
    const k = varying.findIndex((v) => v.feature === feature);
    if (k < 0) return { feature, best: [], absent: absent[f] || 'it does not vary here' };
    const units = ranked[k].sort((a, b) => Math.abs(b.r) - Math.abs(a.r) || a.layer - b.layer || a.unit - b.unit);
    return { feature, best: units.slice(0, top), absent: '' };
  });
}

/** The unit that tracks a feature most closely (highest |r| over every feature ranked), with that feature; null when none is ranked. */
export function strongestUnit(ranking: readonly FeatureRanking[]): { unit: RankedUnit; feature: Feature } | null {
  let out: { unit: RankedUnit; feature: Feature } | null = null;
  for (const r of ranking) {
    const u = r.best[0];
    if (u && (!out || Math.abs(u.r) > Math.abs(out.unit.r))) out = { unit: u, feature: r.feature };
  }
  return out;
}

/** One unit's correlation r with each feature over the stretch (null for a feature absent from it), in the order of the ranking. */
export function unitCorrelations(acts: Float32Array, chars: readonly string[]): { key: FeatureKey; title: string; r: number | null }[] {
  const n = chars.length;
  if (n !== acts.length) throw new Error(`${acts.length} activations, expected one for each of ${n} characters`);
  const values = featureValues(chars);
  let mean = 0;
  for (let t = 0; t < n; t++) mean += acts[t];
  mean /= Math.max(1, n);
  return FEATURES.map(({ key, title }) => {
    if (featureProblem(key, chars, values)) return { key, title, r: null };
    const f = values[key];
    let fMean = 0;
    for (let t = 0; t < n; t++) fMean += f[t];
    fMean /= n;
    let cross = 0;
    let ssA = 0;
    let ssF = 0;
    for (let t = 0; t < n; t++) {
      const a = acts[t] - mean;
      const d = f[t] - fMean;
      cross += a * d;
      ssA += a * a;
      ssF += d * d;
    }
    return { key, title, r: ssA > 1e-12 && ssF > 1e-12 ? Math.max(-1, Math.min(1, cross / Math.sqrt(ssA * ssF))) : 0 };
  });
}

/**
 * tanh of a layer's cell state c after each character, (n, H) from the engine's (n, H): what
 * the explorer shows and ranks, in (−1, 1) like h while c itself is unbounded. The cell state
 * carries what the studies of LSTM cells found (quotes, line position) more directly than
 * h = o⊙tanh(c), which the output gate can hide.
 */
export function cellActivations(c: Float32Array): Float32Array {
  return c.map(Math.tanh);
}

/** One unit's activation over the stretch, (n), from its layer's (n, H). */
export function unitActivations(hLayer: Float32Array, H: number, unit: number): Float32Array {
  const n = hLayer.length / H;
  const out = new Float32Array(n);
  for (let t = 0; t < n; t++) out[t] = hLayer[t * H + unit];
  return out;
}

/**
 * Where the explorer's stretch starts: at the start of the line before the first quotation
 * mark within the first `within` characters (so that quote-tracking units have quotes to
 * track), else at the start of the text.
 */
export function stretchStart(text: readonly string[], within = 20_000): number {
  const limit = Math.min(text.length, within);
  for (let i = 0; i < limit; i++) {
    if (text[i] === '"' || text[i] === '“') {
      let s = i;
      while (s > 0 && text[s - 1] !== '\n') s--;
      return s;
    }
  }
  return 0;
}
