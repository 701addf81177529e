import { test, expect, type Browser, type Locator, type Page } from '@playwright/test';
import { chartPoints, expectNoOverflow, fillSettings, snap, stepOf, waitReady, watchErrors } from './helpers.ts';

// The page (`/`) has `persist`: runs are kept in IndexedDB as they train. A tiny model
// (E 8, H 16): these tests are about keeping and continuing runs, not about the model.
const TINY = { embed: 8, hidden: 16 };

type Host = {
  ctl: { run: { history: { loss: Float64Array; length: number }; step: number; engine: { kind: string } } };
  keeper: { cost: { saveMs: number; saves: number } | null; savedStep: number };
};

/** The loss of every step so far, as the run holds it. */
function losses(demo: Locator): Promise<number[]> {
  return demo.evaluate((el) => {
    const h = (el as unknown as Host).ctl.run.history;
    return Array.from(h.loss.subarray(0, h.length));
  });
}

/** Waits until the run is stored at the step it shows (the training panel says so). */
async function expectKept(demo: Locator, step: number): Promise<void> {
  await expect(demo.getByTestId('save-status')).toHaveText(`Kept in this browser at step ${step.toLocaleString('en')}.`);
}

/** A fresh model with the given settings (and engine), trained until `stopAt` and paused there or soon after; returns the step. */
async function trainAndPause(demo: Locator, steps: number, stopAt: number): Promise<number> {
  await fillSettings(demo, { ...TINY, steps });
  await demo.getByTestId('reset').click();
  await expect(demo.getByTestId('step')).toHaveText('0');
  // Pause is pressed from the step event that reaches `stopAt`: a poll could come too late on a
  // fast machine, where the CPU engine runs a tiny model's steps in about a millisecond and the run
  // ends (Pause disabled) before the poll sees its step.
  const paused = demo.evaluate(
    (el, at) =>
      new Promise<void>((resolve) => {
        const check = (e: Event) => {
          if ((e as CustomEvent<{ step: number }>).detail.step < at) return;
          el.removeEventListener('char-lm-step', check);
          // The Pause button, inside the training panel's own shadow root.
          const find = (root: ParentNode): HTMLElement | null =>
            root.querySelector<HTMLElement>('[data-testid="pause"]') ??
            [...root.querySelectorAll('*')].reduce<HTMLElement | null>((hit, n) => hit ?? (n.shadowRoot ? find(n.shadowRoot) : null), null);
          find(el.shadowRoot!)!.click();
          resolve();
        };
        el.addEventListener('char-lm-step', check);
      }),
    stopAt,
  );
  await demo.getByTestId('train').click();
  await paused;
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'paused');
  const at = await stepOf(demo);
  await expectKept(demo, at);
  return at;
}

async function openPage(browser: Browser, engine: string): Promise<{ page: Page; demo: Locator; errors: string[] }> {
  const page = await (await browser.newContext()).newPage();
  const errors = watchErrors(page);
  await page.goto(`/?engine=${engine}`);
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  return { page, demo, errors };
}

// The CPU engine takes a tiny model's steps in well under a millisecond: more of them, so that Pause lands mid-run.
for (const { engine, TOTAL } of [
  { engine: 'gpu', TOTAL: 120 },
  { engine: 'cpu', TOTAL: 3000 },
]) {
  test(`a run paused, reloaded and continued gives the losses of one trained straight through (${engine} engine)`, async ({ page, browser }) => {
    test.setTimeout(400_000);
    const errors = watchErrors(page);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.type());
      void d.accept();
    });
    await page.goto(`/?engine=${engine}`);
    const demo = page.locator('char-lm-demo');
    await waitReady(page, demo);
    await expect(demo.getByTestId('last-run')).toHaveCount(0); // nothing saved yet
    const k = await trainAndPause(demo, TOTAL, 30);
    expect(await demo.evaluate((el) => (el as unknown as Host).ctl.run.engine.kind)).toBe(engine);
    const first = await losses(demo);
    expect(first).toHaveLength(k);

    await page.reload();
    await waitReady(page, demo);
    const last = demo.getByTestId('last-run');
    await expect(last).toContainText(`The notebook passage · step ${k} / ${TOTAL.toLocaleString('en')} · loss ${first[k - 1].toFixed(3)}`);
    await expect(last).toContainText('E 8, H 16, L 1 · saved just now');
    // The form and text were remembered too.
    await expect(demo.locator('input[name="hidden"]')).toHaveValue('16');
    await expect(demo.locator('select[name="preset"] option:checked')).toHaveText('The notebook passage');
    await snap(page, `persist-offer-${engine}`);

    await last.getByTestId('continue-run').click();
    await expect(demo.getByTestId('step')).toHaveText(String(k));
    await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'idle'); // it does not start by itself
    await expect(demo.getByTestId('status')).toContainText(`step ${k} / ${TOTAL}`);
    await expect(demo.getByTestId('model-source')).toContainText(`step ${k}`);
    await expect.poll(() => chartPoints(demo)).toBe(k);
    expect(await losses(demo)).toEqual(first);
    expect(await demo.evaluate((el) => (el as unknown as Host).ctl.run.engine.kind)).toBe(engine);
    await expect(demo.getByTestId('last-run')).toHaveCount(0); // the run in use is not offered

    await demo.getByTestId('train').click();
    await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
    await expect(demo.getByTestId('step')).toHaveText(String(TOTAL));
    await expectKept(demo, TOTAL);
    const continued = await losses(demo);

    // The same run straight through, on a page of its own (its own storage).
    const straight = await openPage(browser, engine);
    await fillSettings(straight.demo, { ...TINY, steps: TOTAL });
    await straight.demo.getByTestId('reset').click();
    await expect(straight.demo.getByTestId('step')).toHaveText('0');
    const t0 = Date.now();
    await straight.demo.getByTestId('train').click();
    await expect(straight.demo.getByTestId('status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
    const trainMs = Date.now() - t0;
    await expectKept(straight.demo, TOTAL);
    const want = await losses(straight.demo);
    const cost = await straight.demo.evaluate((el) => (el as unknown as Host).keeper.cost!);
    console.log(
      `[persist] ${engine}: ${TOTAL} steps in ${trainMs} ms; autosave ${cost.saves} saves, ${cost.saveMs.toFixed(1)} ms = ${((100 * cost.saveMs) / trainMs).toFixed(2)}% of training time`,
    );

    expect(continued).toHaveLength(TOTAL);
    if (engine === 'cpu') expect(continued).toEqual(want);
    else for (let i = 0; i < TOTAL; i++) expect(Math.abs(continued[i] - want[i]), `step ${i + 1}`).toBeLessThanOrEqual(1e-5 * Math.abs(want[i]));
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    expect(straight.errors).toEqual([]);
    await straight.page.context().close();
  });
}

test('earlier runs are listed with Continue and Delete; Delete removes one for good', async ({ page }) => {
  test.setTimeout(300_000);
  const errors = watchErrors(page);
  await page.goto('/');
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  const a = await trainAndPause(demo, 200, 5);
  const b = await trainAndPause(demo, 300, 8); // Reset: a new run, the first one stays saved
  await page.reload();
  await waitReady(page, demo);
  await expect(demo.getByTestId('last-run')).toContainText(`step ${b} / 300`);
  const list = demo.getByTestId('saved-run-list').locator('li');
  await expect(list).toHaveCount(1);
  await expect(list).toContainText(`step ${a} / 200`);

  for (const size of [
    { name: 'desktop', width: 1280, height: 800 },
    { name: 'phone', width: 390, height: 844 },
  ]) {
    await page.setViewportSize(size);
    await expectNoOverflow(page, demo.locator('char-lm-saved-runs').locator('section, li, .row'));
    await snap(demo.locator('char-lm-saved-runs'), `persist-saved-runs-${size.name}`);
    await snap(page, `persist-page-${size.name}`);
  }
  await page.setViewportSize({ width: 1200, height: 900 });

  await list.getByTestId('delete-run').click();
  await expect(demo.getByTestId('saved-run-list')).toHaveCount(0);
  await page.reload();
  await waitReady(page, demo);
  await expect(demo.getByTestId('last-run')).toContainText(`step ${b} / 300`);
  await expect(demo.getByTestId('saved-run-list')).toHaveCount(0);

  // Reset to defaults: the remembered form goes back to the page's settings.
  await expect(demo.locator('input[name="hidden"]')).toHaveValue('16');
  await demo.getByTestId('reset-defaults').click();
  await expect(demo.locator('input[name="hidden"]')).toHaveValue('128');
  await page.reload();
  await waitReady(page, demo);
  await expect(demo.locator('input[name="hidden"]')).toHaveValue('128');
  expect(errors).toEqual([]);
});

test('leaving asks for confirmation only while trained steps are not yet stored', async ({ browser }) => {
  test.setTimeout(300_000);
  /** Closes the page as a person would (beforeunload runs) and says whether it asked. */
  const closeAsks = async (page: Page): Promise<boolean> => {
    let asked = false;
    page.on('dialog', (d) => {
      asked ||= d.type() === 'beforeunload';
      void d.accept();
    });
    const closed = page.waitForEvent('close');
    await page.close({ runBeforeUnload: true });
    await closed;
    return asked;
  };

  // Touched but not trained: nothing to lose.
  const idle = await openPage(browser, 'gpu');
  await fillSettings(idle.demo, { ...TINY, steps: 5000 });
  await idle.demo.getByTestId('reset').click();
  await expect(idle.demo.getByTestId('step')).toHaveText('0');
  expect(await closeAsks(idle.page)).toBe(false);

  // Paused: stored at once, nothing to lose.
  const paused = await openPage(browser, 'gpu');
  await trainAndPause(paused.demo, 5000, 3);
  expect(await closeAsks(paused.page)).toBe(false);

  // Training (the first save comes at step 25): steps would be lost.
  const training = await openPage(browser, 'gpu');
  await fillSettings(training.demo, { ...TINY, steps: 5000 });
  await training.demo.getByTestId('reset').click();
  await expect(training.demo.getByTestId('step')).toHaveText('0');
  await training.demo.getByTestId('train').click();
  await expect.poll(() => stepOf(training.demo), { timeout: 120_000 }).toBeGreaterThanOrEqual(2);
  expect(await training.demo.evaluate((el) => (el as unknown as { keeper: { unsaved: boolean } }).keeper.unsaved)).toBe(true);
  expect(await closeAsks(training.page)).toBe(true);
});

test('blocked storage is shown in the saved-runs panel, reported, and training goes on', async ({ page }) => {
  const errors = watchErrors(page);
  await page.addInitScript(() => {
    const w = window as unknown as { charLmErrors: string[] };
    w.charLmErrors = [];
    document.addEventListener('char-lm-error', (e) => w.charLmErrors.push((e as CustomEvent<{ message: string }>).detail.message));
    indexedDB.open = () => {
      throw new DOMException('site data is blocked', 'SecurityError');
    };
  });
  await page.goto('/');
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  const message = 'could not open saved runs: the browser does not let this page store data (SecurityError: site data is blocked)';
  await expect(demo.getByTestId('storage-error')).toContainText(message);
  await expect(demo.getByTestId('storage-error')).toContainText('allow site data for this page');
  expect(await page.evaluate(() => (window as unknown as { charLmErrors: string[] }).charLmErrors)).toEqual([
    expect.stringContaining(message) as unknown as string,
  ]);
  await fillSettings(demo, { ...TINY, steps: 30 });
  await demo.getByTestId('reset').click();
  await demo.getByTestId('train').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(demo.getByTestId('step')).toHaveText('30');
  await expect(demo.getByTestId('save-status')).toContainText('not kept in the browser');
  await snap(page, 'persist-blocked');
  expect(errors).toEqual([]);
});
