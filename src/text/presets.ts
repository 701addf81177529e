/**
 * The corpora the project ships (public domain), loaded lazily: the page fetches a
 * preset's text only when it is chosen.
 */
export interface CorpusPreset {
  id: string;
  name: string;
  description: string;
  load: () => Promise<string>;
}

export const CORPUS_PRESETS: CorpusPreset[] = [
  {
    id: 'notebook',
    name: 'The notebook passage',
    description: 'the opening of Pride and Prejudice, as in the notebook (1,153 characters)',
    load: async () => (await import('../../data/notebook-passage.txt?raw')).default,
  },
  {
    id: 'pride-and-prejudice',
    name: 'Pride and Prejudice',
    description: 'the whole novel by Jane Austen (about 685,000 characters)',
    load: async () => (await import('../../data/pride-and-prejudice.txt?raw')).default,
  },
  {
    id: 'tinyshakespeare',
    name: 'Tiny Shakespeare',
    description: 'a selection of Shakespeare’s plays (about 1.1 million characters)',
    load: async () => (await import('../../data/tinyshakespeare.txt?raw')).default,
  },
];

export function findPreset(id: string): CorpusPreset {
  const p = CORPUS_PRESETS.find((x) => x.id === id);
  if (!p) throw new Error(`unknown corpus preset "${id}"; choose one of ${CORPUS_PRESETS.map((x) => x.id).join(', ')}`);
  return p;
}
