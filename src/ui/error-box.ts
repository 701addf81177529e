/**
 * A message shown where its action was taken: the element keeps one per place (the top of
 * the element for attributes and scripts, the text panel, the settings panel, the training
 * panel) and each panel draws its own next to the control that caused it. A message with a
 * `detail` (the rule behind a refusal, e.g. why texts have a size limit) shows it shortened,
 * with the detail behind a disclosure.
 */
import { html, nothing } from 'lit';
import { TextRefusal } from '../text/read-text.ts';

/** Where a message is shown. */
export type ErrorPlace = 'top' | 'text' | 'settings' | 'training';

export interface ShownError {
  /** The whole message (as `char-lm-error` reports it). */
  message: string;
  /** The explanation inside the message's parentheses, shown on demand. */
  detail?: string;
}

/** A failure as it is shown: a text refusal's explanation goes behind a disclosure. */
export function shownError(e: Error | string): ShownError {
  if (typeof e === 'string') return { message: e };
  return e instanceof TextRefusal && e.detail ? { message: e.message, detail: e.detail } : { message: e.message };
}

/**
 * A message as the page shows it: in sentence case, its first word capitalised when it is a
 * plain word ("could not load…" → "Could not load…"); a message that opens with a name as it
 * is written (a file "photo.png", an address "http://…", an attribute "model-url:", a call
 * "continueRun()") keeps it.
 * `char-lm-error` reports the message as it was made.
 */
export function sentenceCase(text: string): string {
  return /^[a-z]+(?=[\s,;]|:(?!\/)|$)/.test(text) ? text[0].toUpperCase() + text.slice(1) : text;
}

/** A panel's own message next to the control that caused it, or nothing: role alert, `data-testid` naming the control. */
export function renderPanelMessage(text: string | null | undefined, testid: string) {
  return text ? html`<div class="error" role="alert" data-testid=${testid}>${text}</div>` : nothing;
}

/** The message for a place, or nothing: role alert, `data-testid="error"`, `data-place` naming where it is. */
export function renderError(e: ShownError | null | undefined, place: ErrorPlace) {
  if (!e) return nothing;
  const whole = e.detail ? e.message.replace(` (${e.detail})`, '') : e.message;
  // The panels' messages in sentence case; at the top, a message names the attribute or call it is about as written ("steps must be…").
  const short = place === 'top' ? whole : sentenceCase(whole);
  const why =
    e.detail && short !== e.message
      ? html`<details class="why">
          <summary>Why?</summary>
          <span>${e.detail}.</span>
        </details>`
      : nothing;
  // No white space around the message: the top box keeps line breaks (white-space: pre-wrap) for messages of several lines.
  return html`<div class="error" part="error" role="alert" data-testid="error" data-place=${place}>${short}${why}</div>`;
}
