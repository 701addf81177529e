/**
 * The corpora the project ships (public domain). The notebook passage (1 KB) is part of
 * the module itself, so the element needs no other file for its default text; the two
 * large texts are plain files fetched only when chosen, from an address Vite resolves
 * against this module's own URL (`?url&no-inline`: `new URL('x.txt', import.meta.url)` in
 * the build), so an embedded char-lm.js finds them beside itself wherever it is served.
 * The command line reads the same texts from data/ (`file`).
 */
import notebookPassage from '../../data/notebook-passage.txt?raw';
import prideAndPrejudiceUrl from '../../data/pride-and-prejudice.txt?url&no-inline';
import tinyShakespeareUrl from '../../data/tinyshakespeare.txt?url&no-inline';

export interface CorpusPreset {
  id: string;
  name: string;
  description: string;
  /** The file in data/, and beside char-lm.js in the library build. */
  file: string;
  /** The text itself (inside the module) or the address it is fetched from. */
  source: { kind: 'inline'; text: string } | { kind: 'url'; url: string };
}

export const CORPUS_PRESETS: CorpusPreset[] = [
  {
    id: 'notebook',
    name: 'The notebook passage',
    description: 'the opening of Pride and Prejudice, as in the notebook (1,153 characters)',
    file: 'notebook-passage.txt',
    source: { kind: 'inline', text: notebookPassage },
  },
  {
    id: 'pride-and-prejudice',
    name: 'Pride and Prejudice',
    description: 'the whole novel by Jane Austen (about 685,000 characters)',
    file: 'pride-and-prejudice.txt',
    source: { kind: 'url', url: prideAndPrejudiceUrl },
  },
  {
    id: 'tinyshakespeare',
    name: 'Tiny Shakespeare',
    description: 'a selection of Shakespeare’s plays (about 1.1 million characters)',
    file: 'tinyshakespeare.txt',
    source: { kind: 'url', url: tinyShakespeareUrl },
  },
];

export function findPreset(id: string): CorpusPreset {
  const p = CORPUS_PRESETS.find((x) => x.id === id);
  if (!p) throw new Error(`unknown corpus preset "${id}"; choose one of ${CORPUS_PRESETS.map((x) => x.id).join(', ')}`);
  return p;
}
