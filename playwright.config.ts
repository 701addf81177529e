import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './e2e/browser.ts';

// The built page (`vite build`) served by `vite preview` on 127.0.0.1 (WebGPU needs a
// secure context), driven in headless Chromium with WebGPU enabled. Without a GPU
// Chromium uses SwiftShader; every run logs the adapter it got.
// CHAR_LM_E2E_PORT serves on another port (two checkouts testing at once).
const port = Number(process.env.CHAR_LM_E2E_PORT ?? 4173);

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: { executablePath: chromiumPath(), args: chromiumArgs() },
    viewport: { width: 1200, height: 900 },
  },
  webServer: {
    command: `npx vite preview --host 127.0.0.1 --port ${port} --strictPort`,
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
