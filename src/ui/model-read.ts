/**
 * How an inspection panel reads the model through its TrainingRun, and the message it shows
 * next to the control that asked. The rules live here, once:
 *
 * - One read at a time: a request made while one runs waits for it, and a later request
 *   replaces a waiting one (the latest wins; a job reads the panel's fields when its turn comes).
 * - A read belongs to the run it started on: if the panel shows another run when it ends, or
 *   its run was closed, it leaves nothing behind (no result, no message). Another run forgets
 *   the read running and the one waiting, so a read hung on the previous run never holds up
 *   the new one.
 * - A failure is shown in the panel (renderPanelMessage) and reported (panel-error, which the
 *   element fires as `char-lm-error`) until its cause is gone: the next read of that control
 *   clears it when it starts. A message is reported when it appears or changes, never while it
 *   merely stays; an action's failure (`fail`) is reported each time.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { TrainingRun } from '../run/run.ts';
import { renderPanelMessage } from './error-box.ts';
import { panelError } from './events.ts';

type Host = ReactiveControllerHost & EventTarget;

/** The message next to one control of a panel ('' when none), reported by the element too. */
export class PanelMessage {
  private shown = '';

  constructor(private host: Host) {}

  get text(): string {
    return this.shown;
  }

  /** Shows `text` ('' clears); reported only when it appears or changes (typing the same mistake twice is one report). */
  say(text: string): void {
    if (text === this.shown) return;
    this.shown = text;
    this.host.requestUpdate();
    this.host.dispatchEvent(panelError(text || null));
  }

  /** An action failed or was refused: shown and reported, even when the same words are already there. */
  fail(text: string): void {
    this.say('');
    this.say(text);
  }

  /** A new run: the message its own state calls for ('' for none), not reported (nothing was done). */
  reset(text = ''): void {
    this.shown = text;
    this.host.requestUpdate();
  }

  /** The message, or nothing: role alert, `data-testid` naming the control. */
  render(testid: string) {
    return renderPanelMessage(this.shown, testid);
  }
}

/** One read of the model, as a panel asks for it. */
export interface ModelReadJob<T> {
  /**
   * When the read's turn comes, before anything is cleared: false skips it (the panel has said
   * why with `message.say`, or there is nothing to read). Without it the read always runs.
   */
  start?: (run: TrainingRun) => boolean;
  /** Reads the model (a failure, thrown or rejected, becomes the message). */
  read: (run: TrainingRun) => Promise<T>;
  /** Shows what was read: called only while the panel still shows `run`. */
  show: (result: T, run: TrainingRun) => void;
}

/** A panel's reads of the model for one control, and that control's message. */
export class ModelRead implements ReactiveController {
  /** The message next to the control. */
  readonly message: PanelMessage;
  private reading = false;
  private waiting: ModelReadJob<unknown> | null = null;
  /** The reads running now: settles when the last job taken up is done. */
  private running: Promise<void> = Promise.resolve();
  /** Bumped when the run changes: a read of an earlier generation no longer touches this controller. */
  private generation = 0;

  /** The run whose reads these are (see hostUpdate). */
  private seen: TrainingRun | null | undefined = undefined;

  constructor(
    private host: Host,
    /** The run the panel shows now. */
    private run: () => TrainingRun | null,
    /** The message a newly shown run starts with (e.g. why it cannot read what the panel holds); none by default. */
    private messageFor: (run: TrainingRun | null) => string = () => '',
  ) {
    this.message = new PanelMessage(host);
    host.addController(this);
  }

  /** A read is running (the first one on a GPU also builds its pipelines: seconds on a software adapter). */
  get busy(): boolean {
    return this.reading;
  }

  /** Asks for a read: it runs now, or when the read running ends (replacing any request waiting). Settles when that is done. */
  request<T>(job: ModelReadJob<T>): Promise<void> {
    if (this.reading) {
      this.waiting = job as ModelReadJob<unknown>;
      return this.running;
    }
    this.reading = true;
    this.host.requestUpdate();
    this.running = this.drain(job as ModelReadJob<unknown>, this.generation);
    return this.running;
  }

  /**
   * Before each render (after the panel's willUpdate): another run forgets the read running
   * and the one waiting, and its message becomes the new run's own (not reported: nothing was done).
   */
  hostUpdate(): void {
    const run = this.run();
    if (run === this.seen) return;
    this.seen = run;
    this.generation++;
    this.reading = false;
    this.waiting = null;
    this.running = Promise.resolve();
    this.message.reset(this.messageFor(run));
  }

  private async drain(first: ModelReadJob<unknown>, generation: number): Promise<void> {
    let job: ModelReadJob<unknown> | null = first;
    while (job && generation === this.generation) {
      this.waiting = null;
      const s = this.run();
      if (!s) break;
      if (!job.start || job.start(s)) {
        this.message.say('');
        try {
          const result = await job.read(s);
          if (this.run() === s) job.show(result, s);
        } catch (e) {
          if (this.run() === s && !s.closed && generation === this.generation) this.message.fail((e as Error).message);
        }
      }
      job = this.waiting;
    }
    if (generation !== this.generation) return;
    this.reading = false;
    this.host.requestUpdate();
  }
}
