/**
 * The model shipped with the page: a model-only checkpoint trained on the whole of
 * Pride and Prejudice (data/pride-and-prejudice.safetensors). Vite copies it into the
 * build (`?url&no-inline`: beside char-lm.js in the library build, never inlined into
 * the module) and gives its address relative to this module's URL; "Try a trained
 * model" loads it onto its novel.
 */
import url from '../../data/pride-and-prejudice.safetensors?url&no-inline';

export const SHIPPED_MODEL = {
  /** The file's address in the build. */
  url,
  /** The corpus preset it was trained on. */
  preset: 'pride-and-prejudice',
  /** What the status line calls it, and the file an embedding page copies beside char-lm.js. */
  name: 'pride-and-prejudice.safetensors',
} as const;
