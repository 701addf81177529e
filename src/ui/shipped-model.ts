/**
 * The model shipped with the page: a model-only checkpoint trained on the whole of
 * Pride and Prejudice (data/pride-and-prejudice.safetensors). Vite copies it into the
 * build and gives its address; "Try a trained model" loads it onto its novel.
 */
import url from '../../data/pride-and-prejudice.safetensors?url';

export const SHIPPED_MODEL = {
  /** The file's address in the build. */
  url,
  /** The corpus preset it was trained on. */
  preset: 'pride-and-prejudice',
  /** What the status line calls it. */
  name: 'pride-and-prejudice.safetensors',
} as const;
