/**
 * Which Chromium the tests drive, and with which flags. Order: $CHROMIUM_PATH,
 * Debian's /usr/bin/chromium, then Playwright's own install (undefined here).
 */
import { existsSync } from 'node:fs';

export function chromiumPath(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  return undefined;
}

/**
 * WebGPU on Linux needs --enable-unsafe-webgpu; without a GPU Chromium falls back to
 * SwiftShader. On a machine with a GPU add CHROMIUM_FLAGS="--enable-features=Vulkan
 * --use-angle=vulkan" (see README).
 */
export function chromiumArgs(): string[] {
  const extra = (process.env.CHROMIUM_FLAGS ?? '').split(/\s+/).filter(Boolean);
  return [
    '--enable-unsafe-webgpu',
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--disable-dev-shm-usage',
    ...extra,
  ];
}
