/**
 * Where a model comes from — a file picked or dropped, a URL, the model shipped with the
 * page — turned into checked checkpoint contents and the settings a run needs for them.
 * Plain functions: the element decides when to load and shows the progress and errors.
 */
import { loadCheckpoint, type CheckpointContents } from '../model/checkpoint.ts';
import type { RunSettings } from '../run/settings.ts';

/** A checkpoint read and checked, with the name messages and the status line use. */
export interface ModelFile {
  contents: CheckpointContents;
  name: string;
}

/** Bytes received so far and the total the server announced (null when it did not). */
export interface FetchProgress {
  received: number;
  total: number | null;
}

/** Reads a checkpoint's bytes; errors name the file and say what to load instead. */
export function readModelFile(bytes: Uint8Array, name: string): ModelFile {
  try {
    return { contents: loadCheckpoint(bytes), name };
  } catch (e) {
    throw new Error(`could not load ${JSON.stringify(name)}: ${(e as Error).message}`);
  }
}

/** Whether the file holds only the model (no Adam moments or data cursor): training onward starts with a fresh optimizer. */
export function isModelOnly(c: CheckpointContents): boolean {
  return c.optimizer === undefined || c.trainingState === undefined;
}

/**
 * The run settings for a checkpoint on a text of `characters` characters: its model, and
 * its training configuration where it has one that this text can feed (the form's
 * otherwise: a model trained with 32 streams of 64 still samples on a short text).
 */
export function settingsForModel(c: CheckpointContents, current: RunSettings, characters: number): RunSettings {
  const m = c.config;
  const t = c.trainConfig;
  // The training split (90% of a text over 10,000 characters) must hold B streams of T, or one window of T.
  const trainChars = characters > 10_000 ? characters - Math.floor(characters * 0.1) : characters;
  const fits = t !== undefined && trainChars - 1 >= (t.schedule === 'streams' ? t.batch * t.seqLen : t.seqLen);
  return { ...current, model: { embedSize: m.embedSize, hiddenSize: m.hiddenSize, layers: m.layers }, train: fits ? t : current.train };
}

/**
 * Fetches a checkpoint, reporting bytes as they arrive (from the response body stream).
 * Errors name the URL and what to check.
 */
export async function fetchModel(url: string, onProgress: (p: FetchProgress) => void): Promise<ModelFile> {
  const what = `the model at ${url}`;
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`could not fetch ${what}: ${(e as Error).message} (check the address, and that the server allows cross-origin requests)`);
  }
  if (!res.ok) {
    throw new Error(`could not fetch ${what}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  }
  // A server that answers every address with its page (a single-page app's fallback) has no such file.
  if (res.headers.get('content-type')?.startsWith('text/html')) {
    throw new Error(`could not fetch ${what}: the server answered with an HTML page, not a .safetensors file (is the address right?)`);
  }
  const length = Number(res.headers.get('content-length'));
  const total = Number.isFinite(length) && length > 0 ? length : null;
  let bytes: Uint8Array;
  try {
    bytes = await readBody(res, total, onProgress);
  } catch (e) {
    throw new Error(`could not fetch ${what}: the download broke off (${(e as Error).message}); try again`);
  }
  try {
    return { contents: loadCheckpoint(bytes), name: url };
  } catch (e) {
    throw new Error(`${what} is not a char-lm model: ${(e as Error).message}`);
  }
}

async function readBody(res: Response, total: number | null, onProgress: (p: FetchProgress) => void): Promise<Uint8Array> {
  onProgress({ received: 0, total });
  if (!res.body) {
    const all = new Uint8Array(await res.arrayBuffer());
    onProgress({ received: all.length, total });
    return all;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress({ received, total });
  }
  const out = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A character as a person can see it, with its code point: "Z" (U+005A), "⏎" newline (U+000A). */
export function describeCharacter(ch: string): string {
  const code = `U+${(ch.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
  const names: Record<string, string> = { ' ': 'space', '\n': 'newline', '\t': 'tab', '\r': 'carriage return' };
  const name = names[ch];
  return name ? `${name} (${code})` : `“${ch}” (${code})`;
}

/** The replacement offered first for characters a model lacks: the space where it has one, else its first character. */
export function defaultReplacement(vocab: readonly string[]): string {
  return vocab.includes(' ') ? ' ' : vocab[0];
}

/** The file name at the end of a URL (what the status line calls a model fetched from it). */
export function fileNameOf(url: string): string {
  try {
    const last = new URL(url, 'http://x/').pathname.split('/').pop();
    return last ? decodeURIComponent(last) : url;
  } catch {
    return url;
  }
}
