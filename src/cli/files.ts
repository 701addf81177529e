/**
 * Files for the command line: UTF-8 texts, checkpoints in and out, each failure a
 * UsageError naming the flag, the file and what to do.
 */
import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointError, loadCheckpoint, type CheckpointContents } from '../model/checkpoint.ts';
import { CLI_TEXT_LIMIT, TextRefusal, checkAnnounced, decodeTextBytes, type Announced } from '../text/read-text.ts';
import { UsageError } from './errors.ts';

/** A text shipped in data/ (the presets' files), resolved against the project, not the working directory. */
export function dataFile(file: string): string {
  return fileURLToPath(new URL(`../../data/${file}`, import.meta.url));
}

/** The notebook's passage. */
export const DEFAULT_CORPUS = dataFile('notebook-passage.txt');

function show(path: string): string {
  return JSON.stringify(path);
}

function systemReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return (e as Error).message;
  }
}

/**
 * `label` names the file in messages (`--corpus "a.txt"` by default); `before` checks the
 * file's size (from stat) before a byte is read.
 */
function readBytes(label: string, path: string, before?: (size: number) => void): Uint8Array {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${label}: ${systemReason(e)}; check the path`);
  }
  if (st.isDirectory()) throw new UsageError(`${label} is a directory; give a file`);
  before?.(st.size);
  try {
    const buf = readFileSync(path);
    // A plain Uint8Array over its own ArrayBuffer: a Node Buffer's slice() is a view, not a copy,
    // and may sit at any offset of a shared pool, which typed-array views over .buffer do not expect.
    return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  } catch (e) {
    throw new UsageError(`cannot read ${label}: ${systemReason(e)}`);
  }
}

/**
 * A UTF-8 text file (a leading BOM is dropped), checked as the page checks a file
 * (src/text/read-text.ts): its size against CLI_TEXT_LIMIT before it is read, then
 * binary signatures, NUL bytes and strict UTF-8, each refused with the same words.
 */
export function readText(flag: string, path: string, label = `--${flag} ${show(path)}`): string {
  const source: Announced = { name: label, origin: 'file', size: null };
  try {
    // A regular file's size is known before reading; a pipe's (size 0) is checked once read.
    const bytes = readBytes(label, path, (size) => size > 0 && checkAnnounced({ ...source, size }, CLI_TEXT_LIMIT));
    return decodeTextBytes(bytes, source, CLI_TEXT_LIMIT);
  } catch (e) {
    if (e instanceof TextRefusal) throw new UsageError(e.message);
    throw e;
  }
}

export function readCheckpoint(flag: string, path: string): CheckpointContents {
  const bytes = readBytes(`--${flag} ${show(path)}`, path);
  try {
    return loadCheckpoint(bytes);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CheckpointError(`--${flag} ${show(path)}: ${e.message}`);
    throw e;
  }
}

/**
 * Proves before a long run that `path` can be written: its directory exists, it is not
 * a directory itself, and a probe file can be created and removed next to it (where
 * writeAtomically puts its temporary file), so a read-only or full place fails now, not
 * after the training it would have stored.
 */
function checkWritable(flag: string, path: string): void {
  const full = resolve(path);
  const dir = dirname(full);
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new UsageError(`--${flag} ${show(path)}: the directory ${show(dir)} does not exist; create it or choose another path`);
  }
  if (!st.isDirectory()) throw new UsageError(`--${flag} ${show(path)}: ${show(dir)} is not a directory; choose a path inside a directory`);
  try {
    if (statSync(full).isDirectory()) throw new UsageError(`--${flag} ${show(path)} is a directory; give a file name such as model.safetensors`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
  }
  const probe = `${full}.${process.pid}.probe`;
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (e) {
    throw new UsageError(`cannot write --${flag} ${show(path)}: ${systemReason(e)} in ${show(dir)}; choose a directory you can write to`);
  }
  try {
    unlinkSync(probe);
  } catch {
    // written but not removable: writing the real file will tell
  }
}

/** Checks every output path of a command before it starts: each writable, no two the same file. */
export function checkOutputs(outputs: readonly (readonly [flag: string, path: string | null])[]): void {
  const seen = new Map<string, string>();
  for (const [flag, path] of outputs) {
    if (path === null) continue;
    const full = resolve(path);
    const other = seen.get(full);
    if (other) throw new UsageError(`--${other} and --${flag} name the same file ${show(path)}; give them different names`);
    seen.set(full, flag);
    checkWritable(flag, path);
  }
}

/** Writes through a temporary file and a rename, so an interrupted write never leaves half a checkpoint. */
export function writeAtomically(flag: string, path: string, bytes: Uint8Array): string {
  const full = resolve(path);
  const tmp = `${full}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, full);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean up
    }
    throw new UsageError(`cannot write --${flag} ${show(path)}: ${systemReason(e)}`);
  }
  return full;
}

export function displayName(path: string): string {
  return basename(path);
}
