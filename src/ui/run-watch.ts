/**
 * A panel's subscription to the events of the run it shows: while the panel is on the
 * page, every step, status change, sample and validation of the current run asks it to
 * update (Lit folds a burst of steps into one render). Watching another run drops the
 * previous subscription.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { RunEvents, TrainingRun } from '../run/run.ts';

const EVENTS: (keyof RunEvents)[] = ['step', 'status', 'sample', 'validation'];

export class RunWatch implements ReactiveController {
  private run: TrainingRun | null = null;
  private off: (() => void)[] = [];
  private connected = false;

  constructor(
    private host: ReactiveControllerHost,
    private onEvent: () => void = () => undefined,
  ) {
    host.addController(this);
  }

  /** Follows `run` from now on (call from willUpdate with the panel's run property). */
  watch(run: TrainingRun | null): void {
    if (run === this.run) return;
    this.run = run;
    if (this.connected) this.subscribe();
  }

  hostConnected(): void {
    this.connected = true;
    this.subscribe();
  }

  hostDisconnected(): void {
    this.connected = false;
    this.unsubscribe();
  }

  private subscribe(): void {
    this.unsubscribe();
    const run = this.run;
    if (!run) return;
    this.off = EVENTS.map((type) =>
      run.on(type, () => {
        this.onEvent();
        this.host.requestUpdate();
      }),
    );
  }

  private unsubscribe(): void {
    for (const off of this.off) off();
    this.off = [];
  }
}
