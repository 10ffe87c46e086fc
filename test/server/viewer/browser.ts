/**
 * Headless Chromium driven by playwright-core, with a fresh profile per
 * launch, and screenshots saved under test-results/viewer/ as artifacts. Which
 * Chromium: see find-chromium.ts (SKEIN_CHROMIUM_PATH or CHROME_PATH, else a
 * system one, else the one packed in the @sparticuz/chromium devDependency).
 */

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { findChromium } from './find-chromium.js';
import type { ChromiumChoice } from './find-chromium.js';
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
  /** The executable in use and where it was found. */
  chromium: ChromiumChoice;
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

/** Looked up once per test process; a failed look-up fails every launch with its message. */
let found: Promise<ChromiumChoice> | undefined;

export async function launchBrowser(): Promise<TestBrowser> {
  found ??= findChromium();
  const executable = await found;
  const profile = mkdtempSync(join(tmpdir(), 'skein-chromium-profile-'));
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: executable.path, args: ARGS, viewport: DESKTOP });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`launching Chromium ${executable.path} (from ${executable.source}) failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const errors: string[] = [];
  const pages = new Set<Page>();
  return {
    chromium: executable,
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
