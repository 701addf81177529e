import { describe, expect, it } from 'vitest';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { TrainingRun } from '../run/run.ts';
import type { PanelEvent } from './events.ts';
import { ModelRead, PanelMessage } from './model-read.ts';

/** A panel as the controller sees it: its run, its controllers (updated as Lit would) and the messages it reports. */
class FakePanel extends EventTarget implements ReactiveControllerHost {
  run: TrainingRun | null = fakeRun();
  reported: (string | null)[] = [];
  updates = 0;
  private controllers: ReactiveController[] = [];
  readonly updateComplete = Promise.resolve(true);
  constructor() {
    super();
    this.addEventListener('panel-error', (e) => this.reported.push((e as PanelEvent<'panel-error'>).detail?.message ?? null));
  }
  addController(c: ReactiveController): void {
    this.controllers.push(c);
  }
  removeController(): void {}
  requestUpdate(): void {
    this.updates++;
  }
  /** Another run is shown: Lit's update runs the controllers' hostUpdate. */
  show(run: TrainingRun | null): void {
    this.run = run;
    for (const c of this.controllers) c.hostUpdate?.();
  }
}

function fakeRun(): TrainingRun {
  return { closed: false } as unknown as TrainingRun;
}

/** A read that ends when the test says. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function setUp() {
  const panel = new FakePanel();
  const reads = new ModelRead(panel, () => panel.run);
  panel.show(panel.run);
  return { panel, reads };
}

describe('ModelRead', () => {
  it('reads one at a time: requests made meanwhile wait, and only the latest of them runs', async () => {
    const { reads } = setUp();
    const pending = [deferred<string>(), deferred<string>(), deferred<string>()];
    const started: number[] = [];
    const shown: string[] = [];
    const job = (i: number) => ({
      read: () => {
        started.push(i);
        return pending[i].promise;
      },
      show: (x: string) => shown.push(x),
    });
    expect(reads.busy).toBe(false);
    const first = reads.request(job(0));
    void reads.request(job(1));
    const last = reads.request(job(2));
    expect(reads.busy).toBe(true);
    expect(started).toEqual([0]);
    pending[0].resolve('a');
    await tick();
    expect(started).toEqual([0, 2]); // 1 was replaced by 2 while it waited
    expect(shown).toEqual(['a']);
    expect(reads.busy).toBe(true);
    pending[2].resolve('c');
    await Promise.all([first, last]);
    expect(shown).toEqual(['a', 'c']);
    expect(reads.busy).toBe(false);
  });

  it('shows a failure and reports it; the next read clears it when it starts', async () => {
    const { panel, reads } = setUp();
    await reads.request({ read: () => Promise.reject(new Error('device lost')), show: () => undefined });
    expect(reads.message.text).toBe('device lost');
    expect(panel.reported).toEqual(['device lost']);
    // The same failure again is reported again: each failed action is.
    await reads.request({ read: () => Promise.reject(new Error('device lost')), show: () => undefined });
    expect(panel.reported).toEqual(['device lost', null, 'device lost']);
    const d = deferred<number>();
    const done = reads.request({ read: () => d.promise, show: () => undefined });
    expect(reads.message.text).toBe(''); // gone as the new read starts
    expect(panel.reported.at(-1)).toBeNull();
    d.resolve(1);
    await done;
    expect(reads.message.text).toBe('');
  });

  it('a read of a run no longer shown leaves nothing, and never holds up the new run', async () => {
    const { panel, reads } = setUp();
    const hung = deferred<string>();
    const shown: string[] = [];
    void reads.request({ read: () => hung.promise, show: (x) => shown.push(x) });
    void reads.request({ read: () => Promise.resolve('waiting'), show: (x) => shown.push(x) });
    panel.show(fakeRun());
    expect(reads.busy).toBe(false); // the new run's button is enabled at once
    await reads.request({ read: () => Promise.resolve('new'), show: (x) => shown.push(x) });
    expect(shown).toEqual(['new']);
    hung.reject(new Error('the device was lost'));
    await tick();
    expect(shown).toEqual(['new']); // the request that waited on the old run was dropped with it
    expect(reads.message.text).toBe('');
    expect(panel.reported).toEqual([]);
    expect(reads.busy).toBe(false);
  });

  it('a failure of a closed run is not shown', async () => {
    const { panel, reads } = setUp();
    const d = deferred<string>();
    const done = reads.request({ read: () => d.promise, show: () => undefined });
    (panel.run as unknown as { closed: boolean }).closed = true;
    d.reject(new Error('closed'));
    await done;
    expect(reads.message.text).toBe('');
    expect(panel.reported).toEqual([]);
  });

  it('a job whose start says no is skipped and keeps the message the panel gave; a new run starts with its own message, unreported', async () => {
    const panel = new FakePanel();
    let problem = 'too long';
    const reads = new ModelRead(
      panel,
      () => panel.run,
      () => problem,
    );
    panel.show(panel.run);
    expect(reads.message.text).toBe('too long');
    expect(panel.reported).toEqual([]);
    let read = 0;
    const job = {
      start: () => {
        reads.message.say(problem);
        return !problem;
      },
      read: () => Promise.resolve(++read),
      show: () => undefined,
    };
    await reads.request(job);
    expect(read).toBe(0);
    expect(panel.reported).toEqual([]); // the same words: not reported again
    problem = '';
    await reads.request(job);
    expect(read).toBe(1);
    expect(reads.message.text).toBe('');
    expect(panel.reported).toEqual([null]);
  });
});

describe('PanelMessage', () => {
  it('reports a message when it appears or changes, a failure every time, and a reset never', () => {
    const panel = new FakePanel();
    const m = new PanelMessage(panel);
    m.say('a');
    m.say('a');
    m.say('b');
    m.fail('b');
    m.reset('c');
    expect(m.text).toBe('c');
    m.say('');
    expect(panel.reported).toEqual(['a', 'b', null, 'b', null]);
  });
});
