/**
 * Headless Chromium (Debian's /usr/bin/chromium, installed by .ci/run) driven
 * by playwright-core, with a fresh profile per launch, and screenshots saved
 * under test-results/viewer/ as artifacts.
 */

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../../test-results/viewer/', import.meta.url));

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export interface TestBrowser {
  context: BrowserContext;
  /** A new page of this size; uncaught page errors are collected in `errors`. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  /** Uncaught exceptions thrown in any page (a broken module shows here). */
  errors: string[];
  screenshot(page: Page, name: string): Promise<string>;
  /** Closes the pages opened so far (each holds a live-stream connection; Chromium allows 6 per server). */
  closePages(): Promise<void>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'skein-chromium-'));
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, args: ARGS, viewport: DESKTOP });
  const errors: string[] = [];
  const pages = new Set<Page>();
  return {
    context,
    errors,
    async newPage(viewport = DESKTOP) {
      const page = await context.newPage();
      pages.add(page);
      await page.setViewportSize(viewport);
      page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
      return page;
    },
    async screenshot(page, name) {
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async closePages() {
      await Promise.all([...pages].map((page) => page.close()));
      pages.clear();
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
