// Shared launcher for browser tests: the system Chromium, headless, driven by playwright-core, with
// a fresh profile directory that is removed on close. Never downloads a browser.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Where Chromium lives; override with HERALD_CHROMIUM. */
export const chromiumPath = process.env.HERALD_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Why browser tests cannot run here (no Chromium), or undefined when they can. Pass as `skip`.
 * Under CI (which installs Chromium) a missing browser is a failure, never a silent skip.
 */
export const browserUnavailable: string | undefined = existsSync(chromiumPath)
  ? undefined
  : `no Chromium at ${chromiumPath} (set HERALD_CHROMIUM)`;
if (browserUnavailable !== undefined && process.env.CI)
  throw new Error(`${browserUnavailable}: .ci/run installs it (apt-get install chromium)`);

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

export interface LaunchedBrowser {
  context: BrowserContext;
  newPage(): Promise<Page>;
  /** Closes the browser and removes its profile directory. Safe to call twice. */
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Accept any certificate (for a hub on HTTPS with a certificate made by the test). */
  ignoreHTTPSErrors?: boolean;
}

export async function launchBrowser(options: LaunchOptions = {}): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'herald-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: ARGS,
      ignoreHTTPSErrors: options.ignoreHTTPSErrors === true,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  let closed = false;
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}
