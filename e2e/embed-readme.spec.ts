import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { cpuEngineBeforeConnect, snap, stepOf, waitReady, watchErrors } from './helpers.ts';

// The element embedded as a page author would, by the README alone: the library build
// (`vite build --mode lib`), the files the README's "Embedding" section says to copy, and a
// page made of its snippet, word for word, served by a plain HTTP server of its own on
// another origin (no Vite). Then the module one folder away from its page: the larger
// texts and the trained model must come from beside the module, not the page.

const README = readFileSync('README.md', 'utf8');

/** The README's "Embedding" section: its first html snippet and its table of files to copy. */
function readmeEmbedding(): { snippet: string; files: { name: string; when: string }[] } {
  const start = README.indexOf('\n## Embedding\n');
  expect(start, 'README.md has an "## Embedding" section').toBeGreaterThan(0);
  const end = README.indexOf('\n## ', start + 1);
  const section = README.slice(start, end < 0 ? undefined : end);
  const snippet = section.match(/```html\n([\s\S]*?)```/)?.[1];
  expect(snippet, 'the Embedding section opens with an html snippet').toBeTruthy();
  const files = [...section.matchAll(/^\| `([^`]+)` \|[^|]*\| (.*) \|$/gm)].map((m) => ({ name: m[1], when: m[2] }));
  return { snippet: snippet!, files };
}

const page = (body: string) =>
  `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>A page that embeds char-lm</title></head>\n<body>\n<h1>My page</h1>\n${body}</body>\n</html>\n`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream',
};

let root: string;
let build: string;
let server: Server;
let origin: string;
const served: string[] = [];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'char-lm-embed-'));
  build = join(root, 'dist-lib');
  execFileSync('npx', ['vite', 'build', '--mode', 'lib', '--outDir', build, '--emptyOutDir', '--logLevel', 'warn'], { stdio: 'inherit' });
  const { snippet, files } = readmeEmbedding();
  // site/: the page made of the snippet and the files the README says to copy always.
  mkdirSync(join(root, 'site'));
  writeFileSync(join(root, 'site', 'index.html'), page(snippet));
  const always = files.filter((f) => f.when === 'always').map((f) => f.name);
  expect(always).toEqual(['char-lm.js']);
  for (const name of always) copyFileSync(join(build, name), join(root, 'site', name));

  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    served.push(path);
    try {
      const body = readFileSync(join(root, path));
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

/** Errors other than the 404s a test asks for on purpose. */
function unexpected(errors: string[]): string[] {
  return errors.filter((e) => !/Failed to load resource: the server responded with a status of 404/.test(e));
}

test("the README's snippet, with only char-lm.js copied beside it: ready, trains, generates; a text not copied says which file to copy", async ({
  page: p,
}) => {
  const errors = watchErrors(p);
  const messages: string[] = [];
  await p.exposeFunction('charLmErrorSeen', (m: string) => messages.push(m));
  await p.addInitScript(() =>
    document.addEventListener('char-lm-error', (e) =>
      (window as unknown as { charLmErrorSeen: (m: string) => void }).charLmErrorSeen((e as CustomEvent).detail.message),
    ),
  );
  // The CPU engine, set on the element before it connects (the page stays the snippet, word for word):
  // where files come from does not depend on the engine, and SwiftShader's WebGPU takes 10-20 s to get ready here.
  await cpuEngineBeforeConnect(p);
  served.length = 0;
  await p.goto(`${origin}/site/index.html`);
  const demo = p.locator('char-lm-demo');
  await waitReady(p, demo);
  await expect(demo.getByText('The notebook passage').first()).toBeVisible();

  // autotrain: it trains (500 steps of the notebook model; a few are enough here).
  await expect.poll(() => stepOf(demo), { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
  await demo.getByTestId('pause').click();
  await expect(demo.getByTestId('status')).toHaveAttribute('data-status', 'paused');
  await snap(p, 'embed-readme-trained');

  // It generates, with the model it trained.
  await demo.getByRole('spinbutton', { name: 'Length', exact: true }).fill('40');
  await demo.getByTestId('generate').click();
  const outputs = demo.getByTestId('samples').locator('pre');
  await expect(outputs).toHaveCount(3);
  for (const o of await outputs.all()) await expect(o).toHaveText(/^Mr Bennet.{40}$/s, { timeout: 60_000 });

  // One module: nothing else was fetched to run it (no chunks, no text files).
  expect(served.filter((s) => s !== '/site/index.html' && s !== '/favicon.ico')).toEqual(['/site/char-lm.js']);

  // A text the page did not copy: the message names the file and what to do; the text in use stays.
  await demo.getByRole('combobox', { name: 'Preset' }).selectOption('tinyshakespeare');
  const why =
    /Tiny Shakespeare could not be loaded \(.*HTTP 404.*\); where char-lm\.js is embedded in a page, copy tinyshakespeare\.txt from dist\/lib\/ into the same folder as char-lm\.js/;
  await expect(demo.getByText(why)).toBeVisible();
  expect(messages.some((m) => why.test(m))).toBe(true);
  expect(served).toContain('/site/tinyshakespeare.txt'); // asked for beside the module
  await expect(demo.getByText('The notebook passage').first()).toBeVisible();
  await expect(demo.getByRole('combobox', { name: 'Preset' })).toHaveValue('notebook'); // the menu shows the text in use
  expect(await stepOf(demo)).toBeGreaterThanOrEqual(3);
  await snap(p, 'embed-readme-missing-text');
  await p.setViewportSize({ width: 390, height: 844 });
  await snap(p, 'embed-readme-missing-text-390');
  expect(unexpected(errors)).toEqual([]);
});

test('the module in another folder than its page: the novel and the trained model come from beside the module', async ({ page: p }) => {
  const errors = watchErrors(p);
  const { files } = readmeEmbedding();
  // As the README says for the novel and "Try a trained model". The CPU engine, as above.
  for (const f of files.filter((x) => /pride-and-prejudice"|Try a trained model/.test(x.when))) copyFileSync(join(build, f.name), join(root, 'site', f.name));
  mkdirSync(join(root, 'elsewhere'), { recursive: true });
  writeFileSync(
    join(root, 'elsewhere', 'index.html'),
    page(
      '<script type="module" src="../site/char-lm.js"></script>\n<char-lm-demo preset="pride-and-prejudice" engine="cpu" embed-size="8" hidden-size="16" steps="5"></char-lm-demo>\n',
    ),
  );
  served.length = 0;
  await p.goto(`${origin}/elsewhere/index.html`);
  const demo = p.locator('char-lm-demo');
  await waitReady(p, demo);
  await expect(demo.getByTestId('corpus')).toContainText('Pride and Prejudice');
  expect(served).toContain('/site/pride-and-prejudice.txt');

  await demo.getByTestId('try-model').click();
  await expect(demo.getByText(/loaded from pride-and-prejudice\.safetensors/).first()).toBeVisible({ timeout: 60_000 });
  expect(served).toContain('/site/pride-and-prejudice.safetensors');
  expect(served.filter((s) => s.startsWith('/elsewhere/') && s !== '/elsewhere/index.html')).toEqual([]);
  await snap(p, 'embed-readme-elsewhere-trained-model');
  expect(unexpected(errors)).toEqual([]);
});
