import { test, expect, type Locator, type Page } from '@playwright/test';
import { expectNoOverflow, openDemo, snap, trainFresh } from './helpers.ts';

// Inspection that explains itself, on one page and one tiny model (E 8, H 16, 20 steps of
// the notebook passage, on the CPU engine): the bar chart follows its panel's width, the heatmap has a legend
// and axes and scrolls inside its panel on a phone, the next-character bars follow what is
// typed, the cell explorer ranks units and colours the text. Hover readouts carry units.

test.describe.configure({ mode: 'serial' });

const HIDDEN = 16;
let page: Page;
let demo: Locator;
let errors: string[];

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // The CPU engine (in its Worker): no shader compilation, and a tiny model trains in a moment.
  ({ demo, errors } = await openDemo(page, '/e2e/cpu-engine.html'));
  await trainFresh(demo, { embed: 8, hidden: HIDDEN, steps: 20 });
});

test.afterAll(async () => {
  await page.close();
});

test('next-character bars follow what is typed, with % and nats/bits; a character the model lacks is named next to the box', async () => {
  const box = demo.locator('textarea[name="next-text"]');
  await box.scrollIntoViewIfNeeded();
  await box.pressSequentially('Mr Ben');
  const after = demo.getByTestId('next-after');
  await expect(after).toContainText('After “Mr Ben”');
  const bars = demo.getByTestId('next-bars').locator('li');
  await expect(bars).toHaveCount(10);
  const read = async () =>
    bars.evaluateAll((els) =>
      els.map((e) => ({
        char: e.getAttribute('data-char') ?? '',
        value: e.querySelector('.value')?.textContent ?? '',
        width: (e.querySelector('.fill') as HTMLElement).style.width,
      })),
    );
  const first = await read();
  const pcts = first.map((b) => {
    const m = /^(\d+(?:\.\d+)?)% · (\d+\.\d\d) nats \((\d+\.\d\d) bits\)$/u.exec(b.value);
    expect(m, `bar "${b.value}"`).not.toBeNull();
    // Surprise is −ln p, and bits are nats / ln 2.
    expect(Number(m![2])).toBeCloseTo(-Math.log(Number(m![1]) / 100), 1);
    expect(Number(m![3])).toBeCloseTo(Number(m![2]) / Math.LN2, 1);
    return Number(m![1]);
  });
  for (let i = 1; i < pcts.length; i++) expect(pcts[i]).toBeLessThanOrEqual(pcts[i - 1]);
  expect(pcts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(100.1);
  expect(new Set(first.map((b) => b.char)).size).toBe(10);
  await snap(page, 'explore-next-char');
  await snap(demo.locator('char-lm-next-char'), 'explore-next-char-panel');

  // One more key: the bars are those of the longer text.
  await box.press('n');
  await expect(after).toContainText('After “Mr Benn”');
  await expect.poll(async () => JSON.stringify(await read())).not.toBe(JSON.stringify(first));
  // Each typed character after the first is coloured, with its probability and surprise on hover.
  const typed = demo.getByTestId('next-typed').locator('span');
  await expect(typed).toHaveCount(7);
  await expect(typed.nth(0)).toHaveAttribute('title', 'first character: not predicted');
  await expect(typed.nth(1)).toHaveAttribute('title', /^"r": p = \d+(\.\d+)?%, surprise \d+\.\d\d nats \(\d+\.\d\d bits\); the likeliest was ".+" \(\d/u);
  await expect(demo.getByTestId('next-mean')).toContainText(/Mean surprise of the characters typed: \d+\.\d{3} nats\/char \(\d+\.\d{3} bits\)/);

  // A character outside the model's vocabulary: named next to the box; the bars shown stay.
  await box.pressSequentially('€');
  const error = demo.getByTestId('next-error');
  await expect(error).toContainText('The model does not know "€"');
  await expect(box).toHaveAttribute('aria-invalid', 'true');
  await expect(bars).toHaveCount(10);
  await expect(error).toBeInViewport();
  await snap(page, 'explore-next-char-refused');
  await snap(demo.locator('char-lm-next-char'), 'explore-next-char-refused-panel');
  await box.press('Backspace');
  await expect(error).toHaveCount(0);
  await expect(box).toHaveAttribute('aria-invalid', 'false');
});

test('the cell explorer ranks units by features of the text and colours the text by the unit picked', async () => {
  await demo.getByTestId('rank-units').click();
  const table = demo.getByTestId('cell-ranking');
  await expect(table).toBeVisible();
  // The notebook passage is one line without quotation marks: quotes have no unit; the other features do.
  await expect(table.locator('tr[data-feature="quote"] td')).toHaveText('no quotation marks in this stretch');
  for (const f of ['line', 'space', 'capital']) await expect(table.locator(`tr[data-feature="${f}"] button`)).toHaveCount(3);
  await expect(demo.getByTestId('cell-stretch')).toContainText('1,153 characters from character 0 of the text, the model as trained at step 20');
  const text = demo.getByTestId('cell-text');
  await expect(text.locator('span')).toHaveCount(1153);

  // Jump to the unit that best follows "after a space": it is pressed and colours the text.
  const best = table.locator('tr[data-feature="space"] button').first();
  const label = (await best.textContent()) ?? '';
  const m = /unit (\d+) \(r = (−?\d\.\d\d)\)/u.exec(label.replace(/\s+/g, ' '));
  expect(m, label).not.toBeNull();
  const r = Math.abs(Number(m![2].replace('−', '-')));
  expect(r).toBeGreaterThan(0);
  expect(r).toBeLessThanOrEqual(1);
  await best.click();
  await expect(best).toHaveAttribute('aria-pressed', 'true');
  await expect(text).toHaveAttribute('data-unit', m![1]);
  await expect(demo.locator('input[name="cell-unit"]')).toHaveValue(m![1]);
  const colours = await text.locator('span').evaluateAll((els) => new Set(els.map((e) => (e as HTMLElement).style.background)).size);
  expect(colours).toBeGreaterThan(20);
  await expect(text).toHaveAttribute('data-signal', 'c');
  await text.locator('span').nth(1).hover();
  await expect(text.locator('span').nth(1)).toHaveAttribute(
    'title',
    new RegExp(`^"t": tanh\\(c\\) = -?\\d\\.\\d{3} \\(layer 0, unit ${m![1]}; −1 … 1\\)$`, 'u'),
  );
  await table.scrollIntoViewIfNeeded();
  await snap(page, 'explore-cells');
  await snap(demo.locator('char-lm-cell-explorer'), 'explore-cells-panel');

  // Any unit by hand; a unit past the hidden size is named next to the field and the text stays.
  const unit = demo.locator('input[name="cell-unit"]');
  await unit.fill('99');
  await expect(demo.getByTestId('cells-unit-error')).toHaveText(`Unit must be a whole number from 0 to ${HIDDEN - 1} (the hidden size is ${HIDDEN}), got "99"`);
  await expect(text).toHaveAttribute('data-unit', m![1]);
  // Each message has its own place: a refused Rank units does not wipe the unit's, whose cause is still there.
  const length = demo.locator('input[name="cell-length"]');
  await length.fill('10');
  await demo.getByTestId('rank-units').click();
  await expect(demo.getByTestId('cells-rank-error')).toHaveText('Characters must be a whole number from 50 to 5,000, got "10"');
  await expect(demo.getByTestId('cells-unit-error')).toContainText('got "99"');
  await length.fill('2000');
  await demo.getByTestId('rank-units').click(); // ranked again: both messages go (the best unit is picked)
  await expect(demo.getByTestId('cells-rank-error')).toHaveCount(0);
  await expect(demo.getByTestId('cells-unit-error')).toHaveCount(0);
  await unit.fill('3');
  await expect(demo.getByTestId('cells-unit-error')).toHaveCount(0);
  await expect(text).toHaveAttribute('data-unit', '3');
  // The hidden state h instead of the cell state: its own ranking, its best unit shown.
  await demo.locator('select[name="cell-signal"]').selectOption('h');
  await expect(text).toHaveAttribute('data-signal', 'h');
  await text.locator('span').nth(1).hover();
  await expect(text.locator('span').nth(1)).toHaveAttribute('title', /^"t": h = -?\d\.\d{3} \(layer 0, unit \d+; −1 … 1\)$/u);
  await expectNoOverflow(page, demo.locator('char-lm-inspector section'));
});

test('the bar chart follows its panel; its hover and the arrow keys read in nats and bits', async () => {
  await demo.getByTestId('analyse').click();
  const bars = demo.locator('char-lm-bars');
  const canvas = bars.locator('canvas').first();
  await expect(canvas).toBeVisible();
  const wide = await bars.evaluate((el) => ({ panel: el.clientWidth, chart: el.shadowRoot!.querySelector('.uplot')!.clientWidth }));
  expect(Math.abs(wide.chart - wide.panel)).toBeLessThanOrEqual(2);
  await bars.scrollIntoViewIfNeeded();
  const box = (await bars.locator('.u-over').boundingBox())!;
  await page.mouse.move(box.x + box.width / 30, box.y + box.height - 4);
  await expect(bars.locator('.tip')).toHaveText(/^".+": \d+\.\d{3} nats \(\d+\.\d{3} bits\) on average, over [\d,]+ occurrences$/u);
  // The keyboard reads the same: focus the chart, Home goes to the first bar, the arrow keys move on.
  await bars.locator('#chart').focus();
  for (const key of ['Home', 'ArrowRight', 'ArrowRight']) await page.keyboard.press(key);
  const third = (await bars.evaluate((el) => (el as unknown as { values: { char: string; loss: number; count: number }[] }).values))[2];
  await expect(bars.locator('.tip')).toHaveText(
    `${JSON.stringify(third.char)}: ${third.loss.toFixed(3)} nats (${(third.loss / Math.LN2).toFixed(3)} bits) on average, over ${third.count.toLocaleString('en')} occurrences`,
  );
  await bars.locator('#chart').blur();
  await snap(page, 'explore-bars-wide');
  await snap(bars, 'explore-bars-wide-panel');
  await expect(demo.getByTestId('surprise').locator('span').nth(1)).toHaveAttribute('title', /^"t": \d+\.\d{3} nats \(\d+\.\d{3} bits\), p = \d+\.\d%$/u);

  await page.setViewportSize({ width: 390, height: 844 });
  await expect
    .poll(() => bars.evaluate((el) => ({ panel: el.clientWidth, chart: el.shadowRoot!.querySelector('.uplot')!.clientWidth })))
    .toEqual(expect.objectContaining({ chart: expect.any(Number) }));
  await expect.poll(() => bars.evaluate((el) => el.shadowRoot!.querySelector('.uplot')!.clientWidth)).toBeLessThan(390);
  const narrow = await bars.evaluate((el) => ({ panel: el.clientWidth, chart: el.shadowRoot!.querySelector('.uplot')!.clientWidth }));
  expect(Math.abs(narrow.chart - narrow.panel)).toBeLessThanOrEqual(2);
  expect(narrow.chart).toBeLessThan(wide.chart);
  await expectNoOverflow(page, demo.locator('char-lm-inspector section'));
  await bars.scrollIntoViewIfNeeded();
  await snap(page, 'explore-bars-390');
  await snap(bars, 'explore-bars-390-panel');
});

test('the loss chart reads its points from the keyboard, as the legend does on hover', async () => {
  const chart = demo.locator('char-lm-loss-chart');
  await chart.locator('#chart').focus();
  // The arrow keys from the last point: the 19th of the 20 steps.
  for (const key of ['ArrowLeft', 'ArrowLeft']) await page.keyboard.press(key);
  const readout = chart.getByTestId('loss-readout');
  await expect(readout).toHaveText(
    /^step 19: loss (\d+\.\d{3}) nats \((\d+\.\d{3}) bits\), moving avg \(10\) \d+\.\d{3} nats \(\d+\.\d{3} bits\), validation (–|\d+\.\d{3} nats \(\d+\.\d{3} bits\))$/u,
  );
  // The legend reads the same point.
  const legend = chart.locator('.u-legend .u-value');
  await expect(legend.first()).toHaveText('19');
  const [, nats, bits] = /loss (\S+) nats \((\S+) bits\)/u.exec((await readout.textContent())!)!;
  await expect(legend.nth(1)).toHaveText(`${nats} nats (${bits} bits)`);
  expect(Number(bits)).toBeCloseTo(Number(nats) / Math.LN2, 2);
  await page.keyboard.press('Home');
  await expect(readout).toHaveText(/^step 1: loss /u);
  await chart.locator('#chart').blur();
  await expect(legend.first()).toHaveText('–');
});

test('at 390 px the heatmap has its legend and axes and scrolls inside its panel; its hover names the value', async () => {
  // A character the model lacks is named next to the heatmap as it is typed, and stays while it is there.
  const sentence = demo.locator('input[name="sentence"]');
  const typed = await sentence.inputValue();
  await sentence.fill(`${typed} €`);
  const sentenceError = demo.getByTestId('heatmap-error');
  await expect(sentenceError).toContainText('the sentence: character "€"');
  await expect(sentence).toHaveAttribute('aria-invalid', 'true');
  await demo.getByTestId('analyse').click();
  await expect(demo.getByTestId('hardest-list')).toBeVisible();
  await expect(sentenceError).toContainText('the sentence: character "€"');
  await sentence.fill(typed);
  await expect(sentenceError).toHaveCount(0);
  await demo.getByTestId('heatmap-button').click();
  const heatmap = demo.getByTestId('heatmap');
  await expect(heatmap.locator('canvas')).toBeVisible();
  const legend = heatmap.getByTestId('heatmap-legend');
  await expect(legend).toContainText('h =');
  await expect(legend.locator('.ticks')).toHaveText(/−1\.00\s*0\.00\s*1\.00/);
  await expect(legend).toContainText('hidden state h, layer 0');
  const units = heatmap.getByTestId('unit-axis').locator('span');
  expect(await units.count()).toBeGreaterThan(2);
  await expect(units.first()).toHaveText('0');
  await expect(heatmap.locator('.axis')).toHaveText('It is a truth universally acknowledged');
  // Wider than a phone: the heatmap scrolls inside its panel, the page does not.
  const scroll = heatmap.locator('.scroll');
  const s = await scroll.evaluate((el) => ({ sw: el.scrollWidth, cw: el.clientWidth }));
  expect(s.sw).toBeGreaterThan(s.cw);
  await expectNoOverflow(page, demo.locator('char-lm-inspector section'));
  await heatmap.scrollIntoViewIfNeeded();
  await snap(page, 'explore-heatmap-390');
  await snap(heatmap, 'explore-heatmap-390-panel');
  await scroll.evaluate((el) => (el.scrollLeft = el.scrollWidth));
  await snap(heatmap, 'explore-heatmap-390-panel-scrolled');
  // The unit axis stays in view while the cells scroll under it.
  await expect(units.first()).toBeInViewport({ timeout: 2000 });
  const canvas = heatmap.locator('canvas');
  const cb = (await canvas.boundingBox())!;
  const sb = (await scroll.boundingBox())!;
  await page.mouse.move(sb.x + sb.width - 10, cb.y + 6);
  await expect(heatmap.locator('.tip')).toHaveText(/^character "d" \(#37\), unit 0: h = −?-?\d\.\d{4} \(scale −1\.00 … 1\.00\)$/u);
  await snap(page, 'explore-heatmap-390-scrolled');
  // The keyboard reads the same values: focus the map, the arrow keys move from the first cell.
  await scroll.focus();
  for (const key of ['ArrowRight', 'ArrowRight', 'ArrowDown']) await page.keyboard.press(key);
  await expect(heatmap.locator('.tip')).toHaveText(/^character "\S+" \(#1\), unit 1: h = −?-?\d\.\d{4} \(scale −1\.00 … 1\.00\)$/u);
  expect(await scroll.evaluate((el) => el.scrollLeft)).toBe(0); // the cursor's column is brought into view
  // The other panels at a phone's width.
  await snap(demo.locator('char-lm-next-char'), 'explore-next-char-390');
  await snap(demo.locator('char-lm-cell-explorer'), 'explore-cells-390');
  await expect(demo.getByTestId('error')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('the shipped model, trained on the novel: next-character bars, and its units ranked on dialogue', async () => {
  await page.setViewportSize({ width: 1280, height: 800 });
  const t0 = Date.now();
  await demo.getByTestId('try-model').click();
  await expect(demo.getByTestId('model-source')).toContainText('pride-and-prejudice.safetensors', { timeout: 60_000 });
  await expect(demo.getByTestId('corpus')).toContainText('Pride and Prejudice');
  const t1 = Date.now();

  const box = demo.locator('textarea[name="next-text"]');
  await box.fill('Mr. Bennet sai');
  const bars = demo.getByTestId('next-bars').locator('li');
  await expect(bars).toHaveCount(10);
  await expect(bars.first()).toHaveAttribute('data-char', 'd');
  await snap(demo.locator('char-lm-next-char'), 'explore-shipped-next-char');

  // The main thread stays free while 2,000 characters go through the model (in the CPU engine's Worker) and are ranked and drawn.
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: 'longtask' });
  });
  await demo.getByTestId('rank-units').click();
  const table = demo.getByTestId('cell-ranking');
  await expect(table).toBeVisible({ timeout: 30_000 });
  await expect(demo.getByTestId('cell-text').locator('span')).toHaveCount(2000);
  const t2 = Date.now();
  const longest = await page.evaluate(async () => {
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    return Math.max(0, ...(window as unknown as { longTasks: number[] }).longTasks);
  });
  console.log(`[longtask] ranking 2,000 characters: longest main-thread task ${Math.round(longest)} ms`);
  expect(longest).toBeLessThan(200);
  const best = async (f: string) => {
    const label = ((await table.locator(`tr[data-feature="${f}"] button`).first().textContent()) ?? '').replace(/\s+/g, ' ');
    return { label, r: Math.abs(Number(/r = (−?\d\.\d\d)/u.exec(label)![1].replace('−', '-'))) };
  };
  // The cell state's ranking (the signal chosen last stays chosen: h, above).
  await demo.locator('select[name="cell-signal"]').selectOption('c');
  await expect(demo.getByTestId('cell-text')).toHaveAttribute('data-signal', 'c');
  const found = { quote: await best('quote'), line: await best('line'), space: await best('space'), capital: await best('capital') };
  console.log(`loaded ${t1 - t0} ms, ranked ${t2 - t1} ms`, JSON.stringify(found));
  // Every feature varies in the novel's dialogue. The shipped file (novel preset, H 256, L 2) has a
  // unit for word starts (r = 0.73), capitals (0.47) and quotes (0.39, in layer 1).
  for (const f of Object.values(found)) expect(f.r).toBeGreaterThan(0.2);
  expect(found.space.r).toBeGreaterThan(0.6);
  expect(found.quote.r).toBeGreaterThan(0.3);
  await expect(demo.getByTestId('cell-stretch')).toContainText('2,000 characters from character 429 of the text;');
  await table.locator('tr[data-feature="quote"] button').first().click();
  await demo.locator('char-lm-cell-explorer').scrollIntoViewIfNeeded();
  await snap(demo.locator('char-lm-cell-explorer'), 'explore-shipped-quote-unit');
  await table.locator('tr[data-feature="line"] button').first().click();
  await snap(demo.locator('char-lm-cell-explorer'), 'explore-shipped-line-unit');
  await expect(demo.getByTestId('error')).toHaveCount(0);
  expect(errors).toEqual([]);
});
