/**
 * Where a text comes from: a preset shipped with the project, a URL, a file the user
 * picked, pasted text or text inside the element. Turns a choice into a Corpus; the
 * element encodes it (once) and opens a run on it.
 */
import { findPreset } from '../text/presets.ts';
import type { Corpus } from '../run/run.ts';

export type TextChoice =
  | { kind: 'preset'; id: string }
  | { kind: 'url'; url: string }
  | { kind: 'file'; file: File }
  | { kind: 'paste'; text: string }
  | { kind: 'slot'; text: string };

export async function loadCorpus(choice: TextChoice): Promise<Corpus> {
  switch (choice.kind) {
    case 'preset': {
      const p = findPreset(choice.id);
      return { name: p.name, text: await p.load() };
    }
    case 'url':
      return fetchCorpus(choice.url);
    case 'file':
      return { name: choice.file.name, text: await choice.file.text() };
    case 'paste':
      return { name: 'pasted text', text: choice.text };
    case 'slot':
      return { name: 'text in the page', text: choice.text };
  }
}

/** Fetches a plain-text corpus; errors say what to check. */
async function fetchCorpus(url: string): Promise<Corpus> {
  const where = url.trim();
  if (!where) throw new Error('type the address of a plain-text file (https://…/corpus.txt) to load a text from a URL');
  let res: Response;
  try {
    res = await fetch(where);
  } catch (e) {
    throw new Error(`could not fetch the corpus from ${where}: ${(e as Error).message} (check the address, and that the server allows cross-origin requests)`);
  }
  if (!res.ok) throw new Error(`could not fetch the corpus from ${where}: HTTP ${res.status} ${res.statusText}`);
  return { name: where, text: await res.text() };
}
