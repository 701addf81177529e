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

export function lossOf(text: string | null): number {
  return Number((text ?? '').trim());
}
