/**
 * Saved runs in IndexedDB (through `idb`): everything a run needs to continue exactly
 * after a reload — its training-state checkpoint, its settings, its text, and what it
 * has shown (loss history, samples). Listing reads only small records; the checkpoint
 * and log of a run, and each text (shared by the runs on it), are stored apart.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { EngineKind } from '../engine/contract.ts';
import type { RunLog } from './run.ts';
import type { RunSettings } from './settings.ts';

/** What a list of saved runs shows of each. */
export interface SavedRunInfo {
  id: string;
  /** The text's name: a preset, a file, a URL, "pasted text". */
  corpusName: string;
  fingerprint: string;
  /** The text's length in characters. */
  characters: number;
  settings: RunSettings;
  engine: EngineKind;
  step: number;
  /** The step training stops at by itself. */
  target: number;
  lastLoss: number | null;
  /** ms since the epoch. */
  created: number;
  updated: number;
}

export interface SavedRun {
  info: SavedRunInfo;
  checkpoint: Uint8Array;
  log: RunLog;
  text: string;
}

interface Schema extends DBSchema {
  runs: { key: string; value: SavedRunInfo; indexes: { updated: number } };
  states: { key: string; value: { id: string; checkpoint: Uint8Array; log: RunLog } };
  texts: { key: string; value: { fingerprint: string; text: string } };
}

/** Storage that cannot be used or is full: the message says what happened and what to do. */
export class StorageError extends Error {
  override name = 'StorageError';
}

/** A clear message for IndexedDB's failures (quota, blocked or unavailable storage). */
export function storageError(e: unknown, doing: string): StorageError {
  const name = (e as { name?: string })?.name ?? '';
  const detail = (e as Error)?.message || String(e);
  if (name === 'QuotaExceededError') {
    return new StorageError(
      `could not ${doing}: the browser's storage for this page is full (${detail}); delete earlier saved runs, or use "Save training state" to keep this one as a file`,
    );
  }
  return new StorageError(
    `could not ${doing}: the browser does not let this page store data (${name || 'error'}: ${detail}); allow site data for this page (private windows may block it), or use "Save training state" to keep the run as a file`,
  );
}

const DB_VERSION = 1;

export class RunStore {
  private constructor(private db: IDBPDatabase<Schema>) {}

  /** Opens (creating on first use) the page's store; StorageError when the browser refuses. */
  static async open(name = 'char-lm'): Promise<RunStore> {
    if (typeof indexedDB === 'undefined') throw storageError(new Error('IndexedDB is not available'), 'open saved runs');
    try {
      const db = await openDB<Schema>(name, DB_VERSION, {
        upgrade(db) {
          db.createObjectStore('runs', { keyPath: 'id' }).createIndex('updated', 'updated');
          db.createObjectStore('states', { keyPath: 'id' });
          db.createObjectStore('texts', { keyPath: 'fingerprint' });
        },
      });
      return new RunStore(db);
    } catch (e) {
      throw storageError(e, 'open saved runs');
    }
  }

  /** Saves (or overwrites) a run: its info, checkpoint and log in one transaction, its text once per fingerprint. */
  async save(run: SavedRun): Promise<void> {
    try {
      const tx = this.db.transaction(['runs', 'states', 'texts'], 'readwrite');
      const texts = tx.objectStore('texts');
      const writes: Promise<unknown>[] = [
        tx.objectStore('runs').put(run.info),
        tx.objectStore('states').put({ id: run.info.id, checkpoint: run.checkpoint, log: run.log }),
      ];
      if ((await texts.getKey(run.info.fingerprint)) === undefined) writes.push(texts.put({ fingerprint: run.info.fingerprint, text: run.text }));
      await Promise.all([...writes, tx.done]);
    } catch (e) {
      throw storageError(e, `save the run at step ${run.info.step}`);
    }
  }

  /** Saved runs, the most recently saved first. */
  async list(): Promise<SavedRunInfo[]> {
    try {
      return (await this.db.getAllFromIndex('runs', 'updated')).reverse();
    } catch (e) {
      throw storageError(e, 'list saved runs');
    }
  }

  /** A saved run, whole; null when it is not there (deleted meanwhile). */
  async load(id: string): Promise<SavedRun | null> {
    try {
      const tx = this.db.transaction(['runs', 'states', 'texts'], 'readonly');
      const info = await tx.objectStore('runs').get(id);
      const state = await tx.objectStore('states').get(id);
      const text = info ? await tx.objectStore('texts').get(info.fingerprint) : undefined;
      await tx.done;
      if (!info || !state || !text) return null;
      return { info, checkpoint: state.checkpoint, log: state.log, text: text.text };
    } catch (e) {
      throw storageError(e, 'read the saved run');
    }
  }

  /** Deletes a run, and its text when no other run uses it. */
  async delete(id: string): Promise<void> {
    try {
      const tx = this.db.transaction(['runs', 'states', 'texts'], 'readwrite');
      const runs = tx.objectStore('runs');
      const info = await runs.get(id);
      await runs.delete(id);
      await tx.objectStore('states').delete(id);
      if (info) {
        const others = (await runs.getAll()).some((r) => r.fingerprint === info.fingerprint);
        if (!others) await tx.objectStore('texts').delete(info.fingerprint);
      }
      await tx.done;
    } catch (e) {
      throw storageError(e, 'delete the saved run');
    }
  }

  close(): void {
    this.db.close();
  }
}

/** A new run id: time-ordered and unique enough for one browser's runs. */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${Math.floor(Math.random() * 36 ** 6).toString(36)}`;
}
