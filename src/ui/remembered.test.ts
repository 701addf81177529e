import { describe, expect, it } from 'vitest';
import { NOTEBOOK_SETTINGS } from '../run/settings.ts';
import { forgetRemembered, readRemembered, remember } from './remembered.ts';
import { draftFrom } from './settings-form.ts';

/** A Storage in memory, or one that refuses every write (a full or blocked storage). */
function memoryStorage(full = false) {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => {
      if (full) throw Object.assign(new Error('quota'), { name: 'QuotaExceededError' });
      m.set(k, v);
    },
    removeItem: (k: string) => void m.delete(k),
    raw: m,
  };
}

describe('remembered text and settings', () => {
  it('keeps a preset or URL and the form as typed, each part apart, until forgotten', () => {
    const s = memoryStorage();
    expect(readRemembered(s)).toEqual({ text: null, draft: null });
    const draft = { ...draftFrom(NOTEBOOK_SETTINGS), schedule: 'streams' };
    draft.numbers.hiddenSize = '16';
    remember(s, { draft });
    remember(s, { text: { kind: 'url', url: 'https://example.org/a.txt' } });
    expect(readRemembered(s)).toEqual({ text: { kind: 'url', url: 'https://example.org/a.txt' }, draft });
    remember(s, { text: { kind: 'paste' } });
    expect(readRemembered(s).text).toEqual({ kind: 'paste' });
    forgetRemembered(s);
    expect(readRemembered(s)).toEqual({ text: null, draft: null });
  });

  it('ignores what it cannot read and storage that refuses writes', () => {
    const s = memoryStorage();
    s.raw.set('char-lm:remembered', '{not json');
    expect(readRemembered(s)).toEqual({ text: null, draft: null });
    s.raw.set('char-lm:remembered', JSON.stringify({ text: { kind: 'preset', id: 3 }, draft: { numbers: { hiddenSize: '16' }, schedule: 'windows' } }));
    expect(readRemembered(s)).toEqual({ text: null, draft: null });
    expect(() => remember(memoryStorage(true), { text: { kind: 'preset', id: 'notebook' } })).not.toThrow();
    expect(readRemembered(null)).toEqual({ text: null, draft: null });
  });
});
