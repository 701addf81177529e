/** Where a command writes: stdout (possibly a terminal) and single lines to stderr. */
import type { Output } from './progress.ts';

export interface Io {
  out: Output;
  /** One line on stderr (notes such as the engine fallback). */
  note(line: string): void;
  /** True after Ctrl-C during train (main installs the handler): stop at the next step. */
  interrupted: () => boolean;
}

export function line(io: Io, s = ''): void {
  io.out.write(s + '\n');
}
