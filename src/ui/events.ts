/**
 * The events of <char-lm-demo>. Public ones bubble and are composed (a page listens on
 * the element or above it) and are typed in HTMLElementEventMap. The panels inside the
 * element talk to it through panel events, which bubble only inside its shadow root.
 */
import type { EngineKind, StepResult } from '../engine/contract.ts';
import type { parameterCounts } from '../model/config.ts';
import type { TextChoice } from './corpus-source.ts';
import type { SettingsDraft } from './settings-form.ts';
import type { EngineAsked } from './engine-choice.ts';

export interface CharLmReadyDetail {
  /** The engine the model runs on. */
  engine: EngineKind;
  /** The WebGPU adapter, for people ("nvidia ampere (…)"); null without WebGPU. */
  adapter: string | null;
  /** Parameter counts of the model, as its header shows them. */
  parameters: ReturnType<typeof parameterCounts>;
}

export interface CharLmSampleDetail {
  temperatures: number[];
  /** One text per temperature: the prime and what followed it. */
  texts: string[];
}

export interface CharLmErrorDetail {
  message: string;
}

/** The public events, by type: what `detail` holds. */
export interface CharLmEventDetails {
  'char-lm-ready': CharLmReadyDetail;
  'char-lm-step': StepResult;
  'char-lm-sample': CharLmSampleDetail;
  'char-lm-error': CharLmErrorDetail;
}

export function charLmEvent<K extends keyof CharLmEventDetails>(type: K, detail: CharLmEventDetails[K]): CustomEvent<CharLmEventDetails[K]> {
  return new CustomEvent(type, { detail, bubbles: true, composed: true });
}

/** What a panel asks the training controls to do. */
export type TrainingCommand = 'train' | 'pause' | 'reset' | 'save' | 'download-model';

/** What the saved-runs panel asks for: continue or delete a saved run, or forget the remembered text and settings. */
export type SavedRunsAction = { action: 'continue' | 'delete'; id: string } | { action: 'reset-defaults' };

/** The panel events, by type. */
export interface PanelEventDetails {
  /** The text source chose a new text. */
  'panel-text': TextChoice;
  /** Stop reading the file or URL being read (the text in use stays). */
  'panel-cancel-text': null;
  /** The settings form changed (the whole form, as typed). */
  'panel-settings': SettingsDraft;
  'panel-command': TrainingCommand;
  /** A checkpoint file to load. */
  'panel-load-model': File;
  /** Load the model shipped with the page onto its text. */
  'panel-try-model': null;
  /** A model was refused for characters it lacks: load it with this character standing for them (null: keep the current model). */
  'panel-replacement': string | null;
  /** A generation completed. */
  'panel-sample': CharLmSampleDetail;
  'panel-saved-runs': SavedRunsAction;
  /** The Engine control: the engine to ask for (as the `engine` attribute). */
  'panel-engine': EngineAsked;
  /** Settings that fit this machine: stop at this step instead, or use the notebook settings (a fresh model). */
  'panel-fit': { stopAt: number } | { preset: 'notebook' };
  /**
   * A panel's action failed (a message) or started (null: clear the last message). The panel
   * shows the message next to its own controls; the element only reports it (char-lm-error).
   */
  'panel-error': CharLmErrorDetail | null;
}

export type PanelEvent<K extends keyof PanelEventDetails> = CustomEvent<PanelEventDetails[K]>;

/** A panel shows `message` next to its own controls (null: it cleared it); the element reports it with char-lm-error. */
export function panelError(message: string | null): PanelEvent<'panel-error'> {
  return panelEvent('panel-error', message === null ? null : { message });
}

export function panelEvent<K extends keyof PanelEventDetails>(type: K, detail: PanelEventDetails[K]): PanelEvent<K> {
  return new CustomEvent(type, { detail, bubbles: true, composed: false });
}

declare global {
  interface HTMLElementEventMap {
    'char-lm-ready': CustomEvent<CharLmReadyDetail>;
    'char-lm-step': CustomEvent<StepResult>;
    'char-lm-sample': CustomEvent<CharLmSampleDetail>;
    'char-lm-error': CustomEvent<CharLmErrorDetail>;
  }
}
