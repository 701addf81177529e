import AxeBuilder from '@axe-core/playwright';
import { test, expect, type Browser, type Locator, type Page } from '@playwright/test';
import { cpuEngineBeforeConnect, fillSettings, generate, openDemo, snap, waitReady } from './helpers.ts';

// The page as a keyboard or screen-reader user meets it: axe-core (WCAG 2.x A/AA rules,
// through the element's open shadow roots) finds no serious or critical violation in the
// page's main states (first view, trained, after generating, with inspection shown, the
// next-character bars for a typed text, the cell explorer ranked with a unit picked, an
// error shown); every control has a name and Tab reaches it; at 390 px wide nothing
// reaches past the right edge. One page, a tiny model: the states follow one another.

const NARROW = { width: 390, height: 844 };

let page: Page;
let demo: Locator;
let errors: string[];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }: { browser: Browser }) => {
  // axe needs a page of an explicit context (it opens a blank page in it to assemble its results).
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  // The CPU engine: where the model runs changes nothing that is checked here.
  await cpuEngineBeforeConnect(page);
  ({ demo, errors } = await openDemo(page, '/'));
});

test.afterAll(async () => {
  expect(errors).toEqual([]);
  await page.context().close();
});

/**
 * The characters of the texts coloured by surprise and by a unit: a thousand spans or more each,
 * which axe takes about 20 s over; colourContrast() checks them. Their readout lines and legends are checked.
 */
const COLOURED_TEXTS: { fromShadowDom: [string, string, ...string[]] }[] = [
  { fromShadowDom: ['char-lm-demo', 'char-lm-inspector', '[data-testid="surprise"]', '.text'] },
  { fromShadowDom: ['char-lm-demo', 'char-lm-inspector', 'char-lm-cell-explorer', '[data-testid="cell-text"]', '.text'] },
];

/** Serious and critical axe violations, one line each: rule, impact, what to fix, and where. */
async function seriousViolations(): Promise<string[]> {
  const axe = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']);
  for (const text of COLOURED_TEXTS) axe.exclude(text);
  const { violations } = await axe.analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) =>
      v.nodes.map((n) => `${v.id} (${v.impact}): ${v.help} — ${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1, 2).join('').trim()}`),
    );
}

/**
 * Elements whose box reaches past the viewport's right edge where a person would see it:
 * the part of an element inside a scrolling or clipping ancestor (a wide heatmap in its
 * panel) counts only up to that ancestor's edge. Shadow roots included.
 */
async function pastRightEdge(): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const view = document.documentElement.clientWidth;
    const parentOf = (e: Element): Element | null => e.assignedSlot ?? e.parentElement ?? ((e.getRootNode() as ShadowRoot).host || null);
    const visibleRight = (e: Element): number => {
      let right = e.getBoundingClientRect().right;
      for (let a = parentOf(e); a; a = parentOf(a)) {
        const s = getComputedStyle(a);
        if (s.overflowX !== 'visible') right = Math.min(right, a.getBoundingClientRect().right);
      }
      return right;
    };
    const visit = (root: Document | ShadowRoot) => {
      for (const e of root.querySelectorAll('*')) {
        const r = e.getBoundingClientRect();
        if (r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden' && visibleRight(e) > view + 1) {
          const what = e.getAttribute('data-testid') ?? e.getAttribute('name') ?? e.className.toString();
          out.push(`<${e.localName}${what ? ` ${what}` : ''}> right ${Math.round(visibleRight(e))} > ${view}`);
        }
        if (e.shadowRoot) visit(e.shadowRoot);
      }
    };
    visit(document);
    if (document.documentElement.scrollWidth > view) out.unshift(`page scrollWidth ${document.documentElement.scrollWidth} > ${view}`);
    return out;
  });
}

/**
 * The lowest WCAG contrast ratio of a coloured text (<char-lm-char-text>, by its test id): each
 * character's text colour against its background (a translucent shade composited over the
 * box's white), as axe computes it.
 */
async function colourContrast(testid: string): Promise<{ lowest: number; spans: number }> {
  return page
    .locator('char-lm-demo')
    .getByTestId(testid)
    .evaluate((host) => {
      const box = host.shadowRoot!.querySelector('.text')!;
      const rgba = (s: string) => (s.match(/[\d.]+/g) ?? []).map(Number);
      const lum = ([r, g, b]: number[]) => {
        const lin = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
        return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
      };
      const under = rgba(getComputedStyle(box).backgroundColor);
      let lowest = Infinity;
      const spans = box.querySelectorAll('span');
      for (const span of spans) {
        const s = getComputedStyle(span);
        const [r, g, b, a = 1] = rgba(s.backgroundColor);
        const bg = [r, g, b].map((v, i) => a * v + (1 - a) * under[i]);
        const [l1, l2] = [lum(rgba(s.color)), lum(bg)].sort((x, y) => y - x);
        lowest = Math.min(lowest, (l1 + 0.05) / (l2 + 0.05));
      }
      return { lowest, spans: spans.length };
    });
}

/** axe at the desktop size, then the narrow width: no serious violation, nothing past the right edge. */
async function checkState(name: string): Promise<void> {
  expect(await seriousViolations(), `axe, ${name}`).toEqual([]);
  await snap(page, `a11y-${name}`);
  await page.setViewportSize(NARROW);
  await expect.poll(pastRightEdge, { message: `past the right edge at 390 px, ${name}`, timeout: 5000 }).toEqual([]);
  await snap(page, `a11y-${name}-390`);
  await page.setViewportSize({ width: 1280, height: 800 });
}

test('first view: no serious axe violation; every control has a name and Tab reaches it; nothing past 390 px', async () => {
  await checkState('first-view');

  // Every enabled control, in the composed tree, has an accessible name and is in the tab order.
  const controls = await page.evaluate(() => {
    const found: { tag: string; name: string; tabIndex: number }[] = [];
    const visit = (root: Document | ShadowRoot) => {
      for (const e of root.querySelectorAll<HTMLElement>('button, input, select, textarea, summary, a[href]')) {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || (e as HTMLButtonElement).disabled || (e as HTMLInputElement).type === 'hidden') continue;
        found.push({ tag: e.localName, name: e.getAttribute('name') ?? e.textContent?.trim().slice(0, 30) ?? '', tabIndex: e.tabIndex });
      }
      for (const e of root.querySelectorAll('*')) if (e.shadowRoot) visit(e.shadowRoot);
    };
    visit(document);
    return found;
  });
  expect(controls.length).toBeGreaterThan(15);
  expect(controls.filter((c) => c.tabIndex < 0)).toEqual([]);

  // Tab from the top of the page reaches Train, the sampler's Generate and the inspector's buttons.
  const wanted = ['train', 'generate', 'analyse', 'heatmap-button', 'hidden', 'prime'];
  const reached = new Set<string>();
  await page.locator('body').focus();
  for (let i = 0; i < 80 && !wanted.every((w) => reached.has(w)); i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      let a: Element | null = document.activeElement;
      while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
      return a ? (a.getAttribute('data-testid') ?? a.getAttribute('name') ?? a.textContent?.trim() ?? '') : '';
    });
    reached.add(f);
  }
  for (const want of wanted) expect([...reached], `Tab reaches ${want}`).toContain(want);
});

test('trained: no serious axe violation; nothing past 390 px', async () => {
  await fillSettings(demo, { embed: 8, hidden: 16, steps: 8 });
  await demo.getByTestId('reset').click();
  await expect(demo.getByTestId('step')).toHaveText('0');
  await demo.getByTestId('train').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await checkState('trained');
});

test('after generating: no serious axe violation; nothing past 390 px', async () => {
  const texts = await generate(demo);
  expect(texts).toHaveLength(3);
  await checkState('generated');
});

test('errors shown (training stopped, a text that failed to load, a bad field): no serious axe violation; nothing past 390 px', async () => {
  // A learning rate of 10 diverges at once: the run notice says what happened, with its download button.
  await demo.getByRole('spinbutton', { name: 'Learning rate' }).fill('10');
  await demo.getByTestId('train').click();
  await expect(demo.getByTestId('run-notice')).toContainText('Training stopped', { timeout: 30_000 });
  await demo.getByRole('spinbutton', { name: 'Learning rate' }).fill('0.005');
  await demo.getByRole('textbox', { name: 'URL' }).fill('/no-such-text.txt');
  await demo.getByRole('button', { name: 'Load URL' }).click();
  await expect(
    demo
      .getByRole('alert')
      .filter({ hasText: /no-such-text\.txt/ })
      .first(),
  ).toBeVisible();
  await demo.locator('input[name="hidden"]').fill('5000');
  await expect(demo.getByText(/Hidden H must be an integer from 1 to 2048, got "5000"/).first()).toBeVisible();
  await checkState('errors');
  // The missing text asked for above is the only error the page logged.
  errors.splice(0, errors.length, ...errors.filter((e) => !/status of 404/.test(e)));
  await demo.locator('input[name="hidden"]').fill('16');
});

test('after a reload, "Continue your last run": no serious axe violation; nothing past 390 px', async () => {
  await page.reload();
  await waitReady(page, demo);
  await expect(demo.getByRole('heading', { name: 'Continue your last run' })).toBeVisible();
  await checkState('saved-runs');
  await demo.getByTestId('continue-run').first().click();
  await expect(demo.getByTestId('step')).not.toHaveText('0');
});

test('inspection shown, as on a phone: nothing past 390 px; no serious axe violation', async () => {
  // Asked for at 390 px, as a phone user would (following a window that narrows after drawing is the inspector's own test).
  await page.setViewportSize(NARROW);
  await demo.getByTestId('analyse').click();
  await expect(demo.getByTestId('surprise')).toBeVisible();
  await demo.getByTestId('heatmap-button').click();
  await expect(demo.getByTestId('heatmap').locator('canvas')).toBeVisible();
  await expect.poll(pastRightEdge, { message: 'past the right edge at 390 px, inspection', timeout: 5000 }).toEqual([]);
  await snap(page, 'a11y-inspection-390');
  await page.setViewportSize({ width: 1280, height: 800 });
  expect(await seriousViolations(), 'axe, inspection').toEqual([]);
  const contrast = await colourContrast('surprise');
  expect(contrast.spans).toBeGreaterThan(100);
  expect(contrast.lowest, 'contrast of the text coloured by surprise (WCAG AA: 4.5)').toBeGreaterThanOrEqual(4.5);
  await snap(page, 'a11y-inspection');
});

test('next-character bars for a typed text, and the cell explorer ranked with a unit picked: no serious axe violation; nothing past 390 px', async () => {
  await demo.locator('textarea[name="next-text"]').fill('It is a tru');
  await expect(demo.getByTestId('next-bars').locator('li')).toHaveCount(10);
  // The typed characters' values, from the keyboard: the readout line names the probability.
  await demo.getByTestId('next-typed').locator('.text').focus();
  for (const key of ['ArrowRight', 'ArrowRight']) await page.keyboard.press(key);
  await expect(demo.getByTestId('next-typed').getByTestId('readout')).toHaveText(/^"t": p = /u);
  await demo.getByTestId('rank-units').click();
  const table = demo.getByTestId('cell-ranking');
  await expect(table).toBeVisible();
  await table.locator('tr[data-feature="capital"] button').first().click();
  await expect(table.locator('tr[data-feature="capital"] button').first()).toHaveAttribute('aria-pressed', 'true');
  const cells = demo.getByTestId('cell-text');
  await cells.locator('.text').focus();
  await page.keyboard.press('ArrowRight');
  await expect(cells.getByTestId('readout')).toHaveText(/^"I" \(character 0\): tanh\(c\) = /u);
  await demo.locator('char-lm-cell-explorer').scrollIntoViewIfNeeded();
  await checkState('next-char-and-cells');
  for (const testid of ['cell-text', 'next-typed']) {
    const contrast = await colourContrast(testid);
    expect(contrast.spans).toBeGreaterThan(10);
    expect(contrast.lowest, `contrast of the coloured text ${testid} (WCAG AA: 4.5)`).toBeGreaterThanOrEqual(4.5);
  }
});
