/**
 * The look shared by <char-lm-demo> and its panels: panels, rows of labelled fields,
 * buttons. Colours come from the host's --char-lm-* custom properties, which inherit
 * into every panel's shadow root.
 */
import { css } from 'lit';

export const panelStyles = css`
  :host {
    display: block;
    --accent: var(--char-lm-accent, #1f4fbf);
    --muted: var(--char-lm-muted, #5f6368);
    --bg: var(--char-lm-bg, #f6f7f9);
  }
  section {
    background: var(--bg);
    border-radius: 8px;
    padding: 0.8em 1em;
    margin: 0.8em 0;
  }
  h2 {
    font-size: 1.05em;
    margin: 0 0 0.4em;
  }
  h3 {
    font-size: 0.98em;
    margin: 0.8em 0 0.3em;
  }
  .muted {
    color: var(--muted);
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 0.6em 1em;
    align-items: end;
  }
  label {
    display: inline-flex;
    flex-direction: column;
    font-size: 0.85em;
    color: var(--muted);
    min-width: 0;
    max-width: 100%;
  }
  label[title] {
    cursor: help;
  }
  input,
  select,
  textarea {
    font: inherit;
    font-size: 0.95em;
    max-width: 100%;
    box-sizing: border-box;
  }
  input[type='number'] {
    width: 6.5em;
  }
  input[aria-invalid='true'] {
    outline: 2px solid #d93025;
  }
  /* A message about the panel's own fields or action, next to its controls. */
  .error {
    background: #fdecea;
    color: #8a1c12;
    border-left: 4px solid #d93025;
    padding: 0.4em 0.8em;
    border-radius: 4px;
    margin-top: 0.5em;
    overflow-wrap: anywhere;
  }
  button,
  label.file-button {
    font: inherit;
    padding: 0.35em 0.9em;
    border-radius: 6px;
    border: 1px solid var(--accent);
    background: white;
    color: var(--accent);
    cursor: pointer;
  }
  button.primary {
    background: var(--accent);
    color: white;
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  .error .why {
    margin-top: 0.2em;
  }
  .error .why summary {
    color: inherit;
    text-decoration: underline;
  }
  details summary {
    cursor: pointer;
    color: var(--accent);
  }
`;

/** A panel shown inside another (the inspector's "What comes next?" and cell explorer): no box of its own. */
export const nestedPanelStyles = [
  panelStyles,
  css`
    section {
      background: none;
      padding: 0;
      margin: 0.8em 0 0;
    }
  `,
];
