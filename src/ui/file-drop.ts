/**
 * Drag and drop of a file onto an element, as a Lit controller: while a file is dragged
 * over the host it carries `data-drop-target` (the element's CSS shows a highlight), and a
 * dropped file goes to `onFile`. Anything else dragged (text, links) is left alone.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class FileDrop implements ReactiveController {
  /** dragenter/dragleave fire for every child crossed: count them so that the highlight does not flicker. */
  private depth = 0;

  constructor(
    private host: ReactiveControllerHost & HTMLElement,
    private onFile: (file: File) => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.host.addEventListener('dragenter', this.enter);
    this.host.addEventListener('dragover', this.over);
    this.host.addEventListener('dragleave', this.leave);
    this.host.addEventListener('drop', this.drop);
  }

  hostDisconnected(): void {
    this.host.removeEventListener('dragenter', this.enter);
    this.host.removeEventListener('dragover', this.over);
    this.host.removeEventListener('dragleave', this.leave);
    this.host.removeEventListener('drop', this.drop);
    this.highlight(false);
  }

  private highlight(on: boolean): void {
    if (!on) this.depth = 0;
    this.host.toggleAttribute('data-drop-target', on);
  }

  private enter = (e: DragEvent): void => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    this.depth++;
    this.highlight(true);
  };

  private over = (e: DragEvent): void => {
    if (!hasFiles(e)) return;
    e.preventDefault(); // allows the drop
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
  };

  private leave = (e: DragEvent): void => {
    if (!hasFiles(e)) return;
    if (--this.depth <= 0) this.highlight(false);
  };

  private drop = (e: DragEvent): void => {
    if (!hasFiles(e)) return;
    e.preventDefault(); // the browser would otherwise open the file
    this.highlight(false);
    const file = e.dataTransfer?.files[0];
    if (file) this.onFile(file);
  };
}

function hasFiles(e: DragEvent): boolean {
  return !!e.dataTransfer && [...e.dataTransfer.types].includes('Files');
}
