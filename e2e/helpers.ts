import { expect, type Locator, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';

/** Screenshots for a person to look at (git ignores the folder). */
export async function snap(page: Page | Locator, name: string): Promise<void> {
  mkdirSync('e2e/screenshots', { recursive: true });
  await page.screenshot({ path: `e2e/screenshots/${name}.png`, fullPage: 'url' in page ? true : undefined } as never);
}

/** Waits until the element is ready and returns the adapter line it shows (logged for the report). */
export async function waitReady(page: Page, demo: Locator): Promise<string> {
  await expect(demo).toHaveAttribute('data-state', 'ready', { timeout: 120_000 });
  const adapter = (await demo.getByTestId('adapter').or(demo.getByTestId('no-webgpu')).first().textContent())?.trim() ?? '';
  console.log(`[${page.url()}] ${adapter.replace(/\s+/g, ' ')}`);
  return adapter;
}

/** Collects uncaught page errors and console errors (WebGPU validation errors are logged with console.error). */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location().url;
    if (url.endsWith('/favicon.ico')) return; // the page has none; Chromium asks anyway
    errors.push(`console: ${m.text()}${url ? ` (${url})` : ''}`);
  });
  return errors;
}

/** The step count the status line shows. */
export async function stepOf(demo: Locator): Promise<number> {
  return Number((await demo.getByTestId('step').textContent())?.trim());
}

export interface FormSettings {
  embed?: number;
  hidden?: number;
  layers?: number;
  batch?: number;
  seqLen?: number;
  steps?: number;
}

/** Types settings into the "Model and training" form (they take effect on Reset or a new text). */
export async function fillSettings(demo: Locator, s: FormSettings): Promise<void> {
  const fields: [keyof FormSettings, string][] = [
    ['embed', 'embed'],
    ['hidden', 'hidden'],
    ['layers', 'layers'],
    ['batch', 'batch'],
    ['seqLen', 'seq-len'],
    ['steps', 'steps'],
  ];
  for (const [key, name] of fields) {
    const v = s[key];
    if (v !== undefined) await demo.locator(`input[name="${name}"]`).fill(String(v));
  }
}

/** Sets the form, presses Reset, then Train, and waits until the run is done. */
export async function trainFresh(demo: Locator, s: FormSettings, timeout = 120_000): Promise<void> {
  await fillSettings(demo, s);
  await demo.getByTestId('reset').click();
  await expect(demo.getByTestId('step')).toHaveText('0');
  await demo.getByTestId('train').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'done', { timeout });
  if (s.steps !== undefined) await expect(demo.getByTestId('step')).toHaveText(String(s.steps));
}

/** Points drawn by the loss chart (uPlot's data length). */
export async function chartPoints(demo: Locator): Promise<number> {
  return demo.locator('char-lm-loss-chart').evaluate((el) => (el as unknown as { pointCount: number }).pointCount);
}

/**
 * Pixels of a canvas, summarised as a person would see them: how many are painted
 * at all, how many are blue (the charts' series and bars: clearly more blue than red),
 * how many are not white, and for the blue ones, the most separate runs found along
 * one pixel row (bars side by side).
 */
export interface CanvasPixels {
  width: number;
  height: number;
  painted: number;
  blue: number;
  nonWhite: number;
  maxBlueRunsInARow: number;
  /** A cheap fingerprint of the RGBA bytes, to see whether the picture changed. */
  hash: number;
}

export async function canvasPixels(canvas: Locator): Promise<CanvasPixels> {
  return canvas.evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    let blue = 0;
    let nonWhite = 0;
    let maxRuns = 0;
    let hash = 0;
    for (let y = 0; y < c.height; y++) {
      let runs = 0;
      let inRun = false;
      for (let x = 0; x < c.width; x++) {
        const i = (y * c.width + x) * 4;
        const [r, g, b, a] = [d[i], d[i + 1], d[i + 2], d[i + 3]];
        hash = (Math.imul(hash, 31) + (r | (g << 8) | (b << 16)) + a) | 0;
        const isBlue = a > 40 && b > r + 60 && b > g + 40;
        if (a > 0) painted++;
        if (isBlue) blue++;
        if (a > 0 && (r < 250 || g < 250 || b < 250)) nonWhite++;
        if (isBlue && !inRun) runs++;
        inRun = isBlue;
      }
      maxRuns = Math.max(maxRuns, runs);
    }
    return { width: c.width, height: c.height, painted, blue, nonWhite, maxBlueRunsInARow: maxRuns, hash };
  });
}

/** Elements matching `selector` anywhere inside `root`'s shadow tree, nested shadow roots included. */
export async function countInShadow(root: Locator, selector: string): Promise<number> {
  return root.evaluate((host, sel) => {
    let n = 0;
    const walk = (r: ParentNode) => {
      n += r.querySelectorAll(sel).length;
      for (const el of r.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
    };
    walk(host.shadowRoot!);
    return n;
  }, selector);
}

/** Every matched element fits its own box (long runs of text wrap instead of spilling out), and the page has no horizontal scroll. */
export async function expectNoOverflow(page: Page, boxes: Locator): Promise<void> {
  // Retried for a few seconds: after a viewport change the charts shrink on their ResizeObserver's next frame.
  await expect(async () => {
    const over = await boxes.evaluateAll((els) =>
      els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => `${e.scrollWidth} > ${e.clientWidth}: ${(e.textContent ?? '').slice(0, 40)}…`),
    );
    expect(over, 'boxes whose text spills out').toEqual([]);
    const page_ = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }));
    expect(page_.scroll, 'page width').toBeLessThanOrEqual(page_.view);
  }).toPass({ timeout: 5000 });
}

/** Generates 40 characters at the three default temperatures and returns the texts. */
export async function generate(demo: Locator): Promise<string[]> {
  await demo.locator('input[name="length"]').fill('40');
  await demo.getByTestId('generate').click();
  const samples = demo.getByTestId('samples');
  await expect(samples.locator('[data-temperature]')).toHaveCount(3);
  await expect(demo.getByTestId('generate')).toBeEnabled();
  return samples.locator('pre').allTextContents();
}

/** Opens `url`, collecting page errors from the start, and waits until its <char-lm-demo> (or `selector`) is ready. */
export async function openDemo(page: Page, url: string, selector = 'char-lm-demo'): Promise<{ demo: Locator; errors: string[] }> {
  const errors = watchErrors(page);
  await page.goto(url);
  const demo = page.locator(selector);
  await waitReady(page, demo);
  return { demo, errors };
}

/**
 * Sets engine="cpu" on the page's first <char-lm-demo> before it connects (an init script, so the
 * page's own markup stays as it is): for checks where the engine changes nothing, and a tiny model's
 * steps take microseconds on the CPU engine instead of SwiftShader's tenths of a second.
 */
export async function cpuEngineBeforeConnect(page: Page): Promise<void> {
  await page.addInitScript(() =>
    new MutationObserver((_, observer) => {
      const el = document.querySelector('char-lm-demo');
      if (!el) return;
      el.setAttribute('engine', 'cpu');
      observer.disconnect();
    }).observe(document, { childList: true, subtree: true }),
  );
}

/** Collects the messages of the page's <char-lm-demo>'s char-lm-error from now on; the function returned reads them. */
export async function collectErrors(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const w = window as unknown as { charLmErrors: string[] };
    w.charLmErrors = [];
    document
      .querySelector('char-lm-demo')!
      .addEventListener('char-lm-error', (e) => w.charLmErrors.push((e as CustomEvent<{ message: string }>).detail.message));
  });
  return () => page.evaluate(() => (window as unknown as { charLmErrors: string[] }).charLmErrors);
}
