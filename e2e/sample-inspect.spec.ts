import { test, expect } from '@playwright/test';
import { canvasPixels, expectNoOverflow, snap, trainFresh, waitReady, watchErrors } from './helpers.ts';

// A small model on the notebook passage (1,153 characters, vocabulary 38): SwiftShader
// is slow, and nothing here needs the notebook's H 128.
const HIDDEN = 32;
const PRIME = 'Mr Bennet';
const LENGTH = 120;
const SENTENCE = 'It is a truth universally acknowledged';

test('generate, per-character loss and the heatmap show what the trained model computed', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  const demo = page.locator('char-lm-demo');
  await waitReady(page, demo);
  await trainFresh(demo, { embed: 16, hidden: HIDDEN, steps: 60 });

  // ---- Generate: three streaming columns, one per default temperature ----
  await expect(demo.locator('input[name="temperatures"]')).toHaveValue('0.5,1.0,1.5');
  await expect(demo.locator('input[name="prime"]')).toHaveValue(PRIME);
  await expect(demo.locator('input[name="length"]')).toHaveValue(String(LENGTH));
  // Record the first column's length every time the panel changes, to see it stream.
  await demo.evaluate((el) => {
    const panel = el.shadowRoot!.querySelector('char-lm-sampler')!.shadowRoot!.querySelector('[data-testid="samples"]')!;
    const lengths: number[] = [];
    (window as unknown as { sampleLengths: number[] }).sampleLengths = lengths;
    new MutationObserver(() => {
      const pre = panel.querySelector('pre');
      if (pre) lengths.push([...(pre.textContent ?? '')].length);
    }).observe(panel, { subtree: true, childList: true, characterData: true });
  });
  await demo.getByTestId('generate').click();
  const columns = demo.getByTestId('samples').locator('[data-temperature]');
  await expect(columns).toHaveCount(3);
  await expect.poll(() => columns.evaluateAll((els) => els.map((e) => e.getAttribute('data-temperature')))).toEqual(['0.5', '1', '1.5']);
  await expect(columns.nth(1).locator('strong')).toHaveText('Temperature 1');
  const final = PRIME.length + LENGTH;
  await expect
    .poll(() => columns.locator('pre').evaluateAll((els) => els.map((e) => [...(e.textContent ?? '')].length)), { timeout: 60_000 })
    .toEqual([final, final, final]);
  await expect(demo.getByTestId('generate')).toBeEnabled();
  const texts = await columns.locator('pre').allTextContents();
  for (const t of texts) {
    expect(t.startsWith(PRIME)).toBe(true);
    expect(t.length).toBeGreaterThan(PRIME.length);
  }
  // Different temperatures sample differently.
  expect(new Set(texts).size).toBeGreaterThan(1);
  const lengths = await page.evaluate(() => (window as unknown as { sampleLengths: number[] }).sampleLengths);
  const partial = [...new Set(lengths)].filter((n) => n > PRIME.length && n < final);
  expect(partial.length, `lengths seen while generating: ${lengths.join(',')}`).toBeGreaterThan(0);
  await expectNoOverflow(page, columns.locator('pre'));
  await snap(page, 'sample-columns');

  // ---- Per-character loss: 15 bars from the model and the text coloured by surprise ----
  await demo.getByTestId('analyse').click();
  const list = demo.getByTestId('hardest-list');
  await expect(list).toBeVisible();
  const entries = ((await list.textContent()) ?? '').trim().split(' · ');
  expect(entries).toHaveLength(15);
  const parsed = entries.map((e) => {
    const m = /^(\S+) (\d+\.\d\d)$/u.exec(e);
    expect(m, `entry "${e}"`).not.toBeNull();
    return { char: m![1], loss: Number(m![2]) };
  });
  const losses = parsed.map((p) => p.loss);
  for (const l of losses) expect(Number.isFinite(l) && l > 0).toBe(true);
  expect(new Set(parsed.map((p) => p.char)).size).toBe(15);
  // Hardest first, and not one value repeated: these came from the model.
  for (let i = 1; i < 15; i++) expect(losses[i]).toBeLessThanOrEqual(losses[i - 1]);
  expect(new Set(losses).size).toBeGreaterThan(5);
  expect(losses[0]).toBeGreaterThan(losses[14]);
  // The bar chart draws those values (public `values`) as 15 separate blue bars.
  const bars = demo.locator('char-lm-bars');
  const barValues = await bars.evaluate((el) => (el as unknown as { values: { loss: number }[] }).values.map((b) => b.loss));
  expect(barValues.map((v) => v.toFixed(2))).toEqual(losses.map((v) => v.toFixed(2)));
  const barPixels = await canvasPixels(bars.locator('canvas'));
  expect(barPixels.blue).toBeGreaterThan(1000);
  expect(barPixels.maxBlueRunsInARow).toBe(15);

  // The text coloured by surprise: one span per character, each read out (hover, tap, keyboard) in nats and bits.
  const surprise = demo.getByTestId('surprise');
  const spans = await surprise.evaluate((el) => {
    const t = el as unknown as { readout: (i: number) => string };
    return Array.from(el.shadowRoot!.querySelectorAll('.text span'), (e, i) => ({ text: e.textContent ?? '', readout: t.readout(i) }));
  });
  expect(spans).toHaveLength(1153);
  expect(spans.every((s) => [...s.text].length === 1)).toBe(true);
  expect(spans.map((s) => s.text).join('')).toMatch(/^It is a truth universally acknowledged/);
  // Nothing but the characters is shown (the box keeps whitespace: no template indentation before the text).
  expect(await surprise.locator('.text').evaluate((e) => e.textContent)).toBe(spans.map((s) => s.text).join(''));
  expect(spans[0].readout).toBe('"I": the first character, not predicted');
  const nats: number[] = [];
  for (const s of spans.slice(1)) {
    const m = /^(".+"): (\d+\.\d{3}) nats \((\d+\.\d{3}) bits\), p = \d+\.\d%$/u.exec(s.readout);
    expect(m, `readout "${s.readout}"`).not.toBeNull();
    expect(JSON.parse(m![1])).toBe(s.text);
    nats.push(Number(m![2]));
    expect(Number(m![3])).toBeCloseTo(Number(m![2]) / Math.LN2, 2);
  }
  expect(nats.every(Number.isFinite)).toBe(true);
  expect(new Set(nats).size).toBeGreaterThan(50);
  // The colour legend tops out at the largest surprise in the text.
  const top = surprise.getByTestId('legend').locator('.ticks').first().locator('span').last();
  await expect(top).toHaveText(/^\d+\.\d\d nats$/u);
  expect(Math.abs(parseFloat((await top.textContent())!) - Math.max(...nats))).toBeLessThan(0.006);
  await surprise.locator('.text span').nth(1).hover();
  await expect(surprise.getByTestId('readout')).toHaveText(spans[1].readout);
  await expectNoOverflow(page, surprise);
  await surprise.scrollIntoViewIfNeeded();
  await snap(page, 'per-character-loss');

  // ---- Heatmap: chars × units cells, h then gate f, hover readout ----
  await expect(demo.locator('input[name="sentence"]')).toHaveValue(SENTENCE);
  await demo.getByTestId('heatmap-button').click();
  const heatmap = demo.getByTestId('heatmap');
  const canvas = heatmap.locator('canvas');
  await expect(canvas).toBeVisible();
  await expect(heatmap.locator('.tip')).toHaveText('hidden state h, layer 0: hover a cell for its value (or focus the map and use the arrow keys)');
  await expect(heatmap.locator('.axis')).toHaveText(SENTENCE);
  // The cell size rule in heatmap.ts: w = 14 px (one character of the axis), h = clamp(floor(480 / units), 10, 16): 15 px for 32 units.
  const cellW = 14;
  const cellH = Math.max(10, Math.min(16, Math.floor(480 / HIDDEN)));
  expect(cellH).toBe(15);
  const hPixels = await canvasPixels(canvas);
  expect([hPixels.width, hPixels.height]).toEqual([SENTENCE.length * cellW, HIDDEN * cellH]);
  expect(hPixels.painted).toBe(hPixels.width * hPixels.height);
  expect(hPixels.nonWhite).toBeGreaterThan(hPixels.width * hPixels.height * 0.2);
  await heatmap.scrollIntoViewIfNeeded();
  await snap(page, 'heatmap-h');

  await demo.locator('select[name="gate"]').selectOption('f');
  await expect(heatmap.locator('.tip')).toHaveText('gate f, layer 0: hover a cell for its value (or focus the map and use the arrow keys)');
  await expect.poll(async () => (await canvasPixels(canvas)).hash).not.toBe(hPixels.hash);
  const fPixels = await canvasPixels(canvas);
  expect([fPixels.width, fPixels.height]).toEqual([hPixels.width, hPixels.height]);
  expect(fPixels.nonWhite).toBeGreaterThan(fPixels.width * fPixels.height * 0.2);

  // Hover the cell of character #1 ("t"), unit 5: the readout names both and the value drawn there.
  const [c, u] = [1, 5];
  await canvas.hover({ position: { x: (c + 0.5) * cellW, y: (u + 0.5) * cellH } });
  const value = await heatmap.evaluate(
    (el, [c, u]) => {
      const d = (el as unknown as { data: { units: number; values: Float32Array } }).data;
      return d.values[c * d.units + u].toFixed(4);
    },
    [c, u] as const,
  );
  await expect(heatmap.locator('.tip')).toHaveText(`character "t" (#${c}), unit ${u}: f = ${value} (scale 0.00 … 1.00)`);
  expect(Number(value)).toBeGreaterThan(0); // a forget gate is a sigmoid: in (0, 1)
  expect(Number(value)).toBeLessThan(1);
  await snap(page, 'heatmap-gate-f');

  await expect(demo.getByTestId('error')).toHaveCount(0);
  expect(errors).toEqual([]);
});
