/**
 * <char-lm-saved-runs>: the runs this browser keeps (with `persist`). It offers to
 * continue the last one, lists the earlier ones (Continue, Delete), says when saved
 * runs are unavailable, and has "Reset to defaults" for the remembered text and
 * settings. What the buttons do is the element's business (`panel-saved-runs`).
 *
 * @csspart saved-runs - the panel
 */
import { LitElement, css, html, nothing } from 'lit';
import type { SavedRunInfo } from '../run/store.ts';
import { panelEvent, type SavedRunsAction } from './events.ts';
import { renderPanelMessage } from './error-box.ts';
import { panelStyles } from './styles.ts';

/** "3 minutes ago", "yesterday", … for a time in ms since the epoch. */
export function savedWhen(t: number, now = Date.now()): string {
  const s = Math.round((t - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ];
  if (Math.abs(s) < 60) return 'just now';
  for (const [unit, n] of units) if (Math.abs(s) >= n) return rtf.format(Math.round(s / n), unit);
  return rtf.format(s, 'second');
}

export class CharLmSavedRuns extends LitElement {
  static override properties = {
    runs: { attribute: false },
    error: { attribute: false },
    ready: { type: Boolean },
    offer: { type: Boolean },
  };

  /** Saved runs other than the current one, the most recent first. */
  declare runs: SavedRunInfo[];
  /** Why saved runs are unavailable or an action on them failed ('' when all is well). */
  declare error: string;
  /** Whether the buttons can act now. */
  declare ready: boolean;
  /** Offer the most recent run as "Continue your last run" (the page has not trained anything yet). */
  declare offer: boolean;

  constructor() {
    super();
    this.runs = [];
    this.error = '';
    this.ready = false;
    this.offer = false;
  }

  static override styles = [
    panelStyles,
    css`
      .last {
        background: white;
        border: 1px solid #d5dbe7;
        border-radius: 6px;
        padding: 0.5em 0.8em;
      }
      ul {
        list-style: none;
        margin: 0.3em 0 0;
        padding: 0;
      }
      li {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.3em 0.8em;
        padding: 0.3em 0;
        border-bottom: 1px solid #e3e6eb;
      }
      .what {
        flex: 1 1 16em;
        min-width: 0;
        overflow-wrap: anywhere;
        font-variant-numeric: tabular-nums;
      }
      .nw {
        white-space: nowrap;
      }
      h2.earlier {
        margin-top: 0.7em;
      }
      .buttons {
        display: flex;
        gap: 0.5em;
      }
      /* panelStyles' message box, spaced as the list around it. */
      .error {
        margin: 0.3em 0;
      }
      .foot {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: 0.3em 1em;
        margin-top: 0.4em;
        font-size: 0.9em;
      }
      .foot button {
        font-size: 0.9em;
        padding: 0.2em 0.7em;
      }
    `,
  ];

  private ask(a: SavedRunsAction): void {
    this.dispatchEvent(panelEvent('panel-saved-runs', a));
  }

  private describe(r: SavedRunInfo) {
    const n = (x: number) => x.toLocaleString('en');
    const m = r.settings.model;
    // Each figure stays on one line; the line breaks between them.
    return html`<span class="what"
      ><strong>${r.corpusName}</strong> ·
      <span class="nw">step ${n(r.step)} / ${n(r.target)}</span
      >${r.lastLoss === null ? nothing : html` · <span class="nw">loss ${r.lastLoss.toFixed(3)}</span>`} ·
      <span class="muted"
        ><span class="nw">E ${m.embedSize}, H ${m.hiddenSize}, L ${m.layers}</span> ·
        <span class="nw">saved <time title=${new Date(r.updated).toLocaleString('en')}>${savedWhen(r.updated)}</time></span></span
      ></span
    >`;
  }

  private buttons(r: SavedRunInfo, primary: boolean) {
    return html`<span class="buttons">
      <button class=${primary ? 'primary' : ''} data-testid="continue-run" ?disabled=${!this.ready} @click=${() => this.ask({ action: 'continue', id: r.id })}>
        Continue
      </button>
      <button
        data-testid="delete-run"
        ?disabled=${!this.ready}
        @click=${() => this.ask({ action: 'delete', id: r.id })}
        title="Delete this saved run from the browser"
      >
        Delete
      </button>
    </span>`;
  }

  override render() {
    const [last, ...earlier] = this.runs;
    const offered = this.offer && last;
    const listed = offered ? earlier : this.runs;
    return html`
      <section part="saved-runs" data-testid="saved-runs">
        ${
          offered
            ? html`<h2>Continue your last run</h2>
                <div class="last" data-testid="last-run" data-run-id=${last.id}>
                  <div class="row">${this.describe(last)} ${this.buttons(last, true)}</div>
                </div>`
            : nothing
        }
        ${
          listed.length
            ? html`<h2 class=${offered ? 'earlier' : ''}>${offered ? 'Earlier runs' : 'Saved runs'}</h2>
                <ul data-testid="saved-run-list">
                  ${listed.map((r) => html`<li data-run-id=${r.id}>${this.describe(r)} ${this.buttons(r, false)}</li>`)}
                </ul>`
            : nothing
        }
        ${renderPanelMessage(this.error, 'storage-error')}
        <div class="foot">
          <span class="muted">Runs are kept in this browser as they train; the text and settings are remembered.</span>
          <button
            data-testid="reset-defaults"
            ?disabled=${!this.ready}
            @click=${() => this.ask({ action: 'reset-defaults' })}
            title="Forget the remembered text and settings"
          >
            Reset to defaults
          </button>
        </div>
      </section>
    `;
  }
}

customElements.define('char-lm-saved-runs', CharLmSavedRuns);

declare global {
  interface HTMLElementTagNameMap {
    'char-lm-saved-runs': CharLmSavedRuns;
  }
}
