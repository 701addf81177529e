/**
 * What <char-lm-demo persist> remembers across reloads in localStorage: where the last
 * text came from and the settings form as typed. A file's or pasted text is not kept
 * here (it can be large, and private): only that it was one, so that the page falls
 * back to its preset; the text itself is kept with a saved run (RunStore).
 */
import { FORM_NUMBERS, type SettingsDraft } from './settings-form.ts';

/** Where the last text came from: a preset or a URL (loaded again), or a file, pasted or slotted text (not kept). */
export type RememberedText = { kind: 'preset'; id: string } | { kind: 'url'; url: string } | { kind: 'file' | 'paste' | 'slot' };

export interface Remembered {
  text: RememberedText | null;
  draft: SettingsDraft | null;
}

const KEY = 'char-lm:remembered';

/** The storage where it lives: window.localStorage, or null where the browser blocks it (it is only a convenience). */
export function pageStorage(): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // a SecurityError where site data is blocked
  }
}

type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** What was remembered; anything unreadable or of another shape is ignored (null). */
export function readRemembered(storage: Store | null): Remembered {
  const none: Remembered = { text: null, draft: null };
  let raw: unknown;
  try {
    raw = JSON.parse(storage?.getItem(KEY) ?? 'null');
  } catch {
    return none;
  }
  if (!raw || typeof raw !== 'object') return none;
  const r = raw as { text?: unknown; draft?: unknown };
  return { text: checkText(r.text), draft: checkDraft(r.draft) };
}

function checkText(t: unknown): RememberedText | null {
  const x = t as { kind?: unknown; id?: unknown; url?: unknown } | null;
  if (!x || typeof x !== 'object') return null;
  if (x.kind === 'preset' && typeof x.id === 'string') return { kind: 'preset', id: x.id };
  if (x.kind === 'url' && typeof x.url === 'string') return { kind: 'url', url: x.url };
  if (x.kind === 'file' || x.kind === 'paste' || x.kind === 'slot') return { kind: x.kind };
  return null;
}

function checkDraft(d: unknown): SettingsDraft | null {
  const x = d as { numbers?: Record<string, unknown>; schedule?: unknown } | null;
  if (!x || typeof x !== 'object' || !x.numbers || typeof x.schedule !== 'string') return null;
  const numbers = {} as SettingsDraft['numbers'];
  for (const f of FORM_NUMBERS) {
    const v = x.numbers[f];
    if (typeof v !== 'string') return null;
    numbers[f] = v;
  }
  return { numbers, schedule: x.schedule };
}

/** Remembers part of it (the rest stays); a full or blocked storage is ignored: this is a convenience, not the saved run. */
export function remember(storage: Store | null, part: Partial<Remembered>): void {
  if (!storage) return;
  try {
    storage.setItem(KEY, JSON.stringify({ ...readRemembered(storage), ...part }));
  } catch {
    // QuotaExceededError: the saved runs (IndexedDB) report storage problems; the form is only convenience.
  }
}

export function forgetRemembered(storage: Store | null): void {
  try {
    storage?.removeItem(KEY);
  } catch {
    // nothing to forget where storage is blocked
  }
}
