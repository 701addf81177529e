/**
 * Which recurrent kernels a GPU pass runs, chosen once when the pass is built, from the
 * device's limits: the persistent kernels (lstm_seq_forward / lstm_seq_backward, one
 * dispatch per layer for the whole window) where a workgroup holds at least one
 * stream's state, else the per-timestep kernels (lstm_step_forward / lstm_step_backward,
 * one dispatch per layer and timestep). Each direction is decided on its own (see
 * lstmSeqLayout: with WebGPU's default 16 KiB of workgroup memory both run persistent
 * for every hidden size the model allows).
 *
 * Legend: H hidden, B streams.
 */
import { lstmSeqShape, type SeqLimits, type SeqShape } from '../../gpu/kernels.ts';

/** `per-timestep` forces the per-timestep kernels (to test or compare them). */
export type RecurrenceChoice = 'auto' | 'per-timestep';

/** Streams per workgroup asked of each direction (capped by what fits); absent: as many as fit. */
export interface StreamsPerWorkgroup {
  forward?: number;
  backward?: number;
}

export interface Recurrence {
  /** The persistent forward kernel's shape, or null: T per-timestep dispatches per layer. */
  forward: SeqShape | null;
  /** The persistent backward kernel's shape, or null: T per-timestep dispatches per layer. */
  backward: SeqShape | null;
  /** Both directions persistent: a training step's dispatches do not depend on T. */
  persistent: boolean;
  /** One line for people, e.g. "persistent (forward 1 stream × 32 workgroups of 128 threads; …)". */
  summary: string;
}

export function chooseRecurrence(limits: SeqLimits, H: number, B: number, choice: RecurrenceChoice, streams: StreamsPerWorkgroup = {}): Recurrence {
  if (choice === 'per-timestep') return { forward: null, backward: null, persistent: false, summary: 'per-timestep (forced)' };
  const fwd = lstmSeqShape('forward', limits, H, B, streams.forward);
  const bwd = lstmSeqShape('backward', limits, H, B, streams.backward);
  const forward = 'reason' in fwd ? null : fwd;
  const backward = 'reason' in bwd ? null : bwd;
  const describe = (name: string, s: SeqShape | { reason: string }) => {
    if ('reason' in s) return `${name} per-timestep: ${s.reason}`;
    const groups = Math.ceil(B / s.sb);
    const where = s.stateInWorkgroup ? '' : `, ${name === 'forward' ? 'h and c' : 'dz'} read back from global memory`;
    const parts = name === 'backward' ? `, ${s.parts} part${s.parts > 1 ? 's' : ''} a unit` : '';
    return `${name} ${s.sb} stream${s.sb > 1 ? 's' : ''} × ${groups} workgroup${groups > 1 ? 's' : ''} of ${s.wg} threads${parts}${where}`;
  };
  const persistent = forward !== null && backward !== null;
  const parts = `${describe('forward', fwd)}; ${describe('backward', bwd)}`;
  return {
    forward,
    backward,
    persistent,
    summary: persistent ? `persistent (${parts})` : forward || backward ? `mixed (${parts})` : `per-timestep (${parts})`,
  };
}
