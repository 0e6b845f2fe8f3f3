/**
 * Chromium for the browser tests: Debian's (or `$CHROMIUM_PATH`) driven by playwright-core,
 * headless, with a fresh profile, and the flags that keep it off the network (this machine's
 * network is closed; without them Chromium keeps trying to reach Google).
 *
 * A missing Chromium is a test failure with an install hint, never a skip: these tests guard
 * what people see, and a silently skipped guard guards nothing.
 */
import { accessSync, constants, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { PROJECT_ROOT } from '../../scripts/temporal-cli';

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export const SCREENSHOT_DIR = path.join(PROJECT_ROOT, 'test-results', 'screenshots');
export const DOCS_DIR = path.join(PROJECT_ROOT, 'docs');

/** The Chromium executable, or an error saying how to get one. */
export function chromiumPath(): string {
  const file = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  try {
    accessSync(file, constants.X_OK);
  } catch {
    throw new Error(
      `Chromium not found at ${file}. The browser tests need it: on Debian/Ubuntu run ` +
        '`apt-get install -y chromium`, or set CHROMIUM_PATH to a Chromium or Chrome executable.',
    );
  }
  return file;
}

export interface Browser {
  context: BrowserContext;
  /** A new tab with the given viewport. */
  page(viewport: { width: number; height: number }): Promise<Page>;
  /** Closes the browser and removes its profile directory. */
  close(): Promise<void>;
}

/** Launches headless Chromium on a fresh, temporary profile. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'otpflow-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 800 },
      timeout: 60_000,
    });
  } catch (err) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw new Error(`Chromium at ${executablePath} did not start: ${(err as Error).message}`, { cause: err });
  }
  // The persistent context opens one blank tab; close it so only the tests' tabs exist.
  for (const p of context.pages()) await p.close().catch(() => undefined);
  return {
    context,
    async page(viewport) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      page.setDefaultTimeout(20_000);
      return page;
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Saves a screenshot as test-results/screenshots/<name>.png; for `docs: true` and with
 * OTPFLOW_UPDATE_DOCS_SCREENSHOTS=1 also as docs/<name>.png (the README's pictures).
 */
export async function screenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean; docs?: boolean } = {},
): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: options.fullPage ?? false });
  if (options.docs && process.env.OTPFLOW_UPDATE_DOCS_SCREENSHOTS === '1') {
    mkdirSync(DOCS_DIR, { recursive: true });
    copyFileSync(file, path.join(DOCS_DIR, `${name}.png`));
  }
  return file;
}

/**
 * Runs `setup` once before the file's tests and returns a getter for its result. A failed
 * setup (no Chromium, a stack that did not start) fails every test with its error, so the
 * report counts failed tests rather than tests vitest marks skipped after a failed hook.
 * `teardown` runs after all tests when setup succeeded.
 */
export function setupOnce<T>(setup: () => Promise<T>, teardown?: (value: T) => Promise<void>): () => T {
  let result: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  beforeAll(async () => {
    try {
      result = { ok: true, value: await setup() };
    } catch (error) {
      result = { ok: false, error };
    }
  });
  afterAll(async () => {
    if (result?.ok && teardown) await teardown(result.value);
  });
  return () => {
    if (!result) throw new Error('setup has not run');
    if (!result.ok) throw result.error;
    return result.value;
  };
}

/** Chromium for the file's tests: launched before them, closed after them. */
export function useChromium(): () => Browser {
  return setupOnce(launchChromium, (b) => b.close());
}
