/**
 * Driving the internal app in Debian's Chromium through playwright-core (no browser
 * download): launch flags, one context per scenario, sign-in, screenshots, and the checks
 * that the built app and the browser exist before anything starts.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WEB_DIST_INDEX = path.join(repoRoot, 'web', 'dist', 'index.html');
export const SCREENSHOT_DIR = path.join(repoRoot, 'test-results', 'screenshots');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

/** Fails fast, in words, when a prerequisite of the browser tests is missing. */
export function assertBrowserPrerequisites(): void {
  if (!existsSync(WEB_DIST_INDEX)) {
    throw new Error(
      `${WEB_DIST_INDEX} is missing: build the internal app first with \`npm --prefix web ci && npm --prefix web run build\`.`,
    );
  }
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`,
    );
  }
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

export interface AppPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Uncaught exceptions in the page: a scenario ends by asserting there were none. */
  readonly pageErrors: string[];
  close(): Promise<void>;
}

/** A fresh context (its own sessionStorage) with a fixed locale and time zone. */
export async function openApp(browser: Browser, baseURL: string): Promise<AppPage> {
  const context = await browser.newContext({
    baseURL,
    locale: 'en-US',
    timezoneId: 'UTC',
    viewport: { width: 1400, height: 900 },
  });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return { context, page, pageErrors, close: () => context.close() };
}

export async function signIn(page: Page, token: string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByTestId('sign-in-token').fill(token);
  await page.getByTestId('sign-in-submit').click();
  await page.getByTestId('current-user-name').waitFor();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The trimmed text of the element with this test id, retried until it equals `expected`. */
export async function expectText(
  page: Page,
  testId: string,
  expected: string | RegExp,
  timeout = 15_000,
): Promise<void> {
  const read = async (): Promise<string> => ((await page.getByTestId(testId).first().textContent()) ?? '').trim();
  if (typeof expected === 'string') await expect.poll(read, { timeout }).toBe(expected);
  else await expect.poll(read, { timeout }).toMatch(expected);
}

/** `usd(12345)` → "$123.45", as the app formats amounts (en-US). */
export function money(minor: number, currency = 'USD', signed = false): string {
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency,
    signDisplay: signed ? 'exceptZero' : 'auto',
  }).format(minor / 100);
}

/** The test id of the focused element (or the tag name when it has none). */
export function focusedTestId(page: Page): Promise<string> {
  return page.evaluate<string>(
    'document.activeElement ? (document.activeElement.getAttribute("data-testid") ?? document.activeElement.tagName) : ""',
  );
}

/** Presses Tab until the element with this test id has the focus, as a keyboard user would. */
export async function tabTo(page: Page, testId: string, maxPresses = 40): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    if ((await focusedTestId(page)) === testId) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${testId} was not reachable with Tab within ${maxPresses} presses`);
}
