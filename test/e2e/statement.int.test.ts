/**
 * "Download statement" on the customer page, in a real Chromium against the real stack: a rep
 * picks a period and gets a CSV whose opening row plus its entry rows make its closing row,
 * equal to the API's balance; a reversed period is refused in the form.
 */
import { readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreditBalance } from '../../src/contracts/index.js';
import { http, newKey } from '../support/http.js';
import { assertLedgerInvariants } from '../support/invariants.js';
import { PlatformControl } from '../support/platform.js';
import { startStack, TOKENS, type TestStack } from '../support/stack.js';
import {
  assertBrowserPrerequisites,
  launchBrowser,
  openApp,
  screenshot,
  signIn,
  type AppPage,
} from './browser-support.js';

let stack: TestStack;
let browser: Browser;
let app: AppPage | null = null;

beforeAll(async () => {
  assertBrowserPrerequisites();
  [stack, browser] = await Promise.all([startStack({ worker: false }), launchBrowser()]);
});

afterAll(async () => {
  await app?.close().catch(() => undefined);
  await browser?.close();
  await stack?.close();
});

async function move(customerId: string, kind: 'grants' | 'deductions', amount: number, note: string): Promise<void> {
  const res = await http('POST', `${stack.apiUrl}/v1/customers/${customerId}/credit/${kind}`, {
    token: TOKENS.support,
    idempotencyKey: newKey(kind),
    body: { amount, currency: 'USD', reason: kind === 'grants' ? 'goodwill' : 'correction', note },
  });
  expect(res.status).toBe(201);
}

describe('statement download in the internal app', () => {
  it('downloads a CSV with opening and closing rows that add up to the balance', async () => {
    const customerId = await new PlatformControl(stack.platformUrl).newCustomer();
    await move(customerId, 'grants', 12_500, 'welcome credit');
    await move(customerId, 'deductions', 2_000, 'duplicate grant, "corrected"');
    await move(customerId, 'grants', 750, '=HYPERLINK("x")');

    app = await openApp(browser, stack.apiUrl);
    const { page } = app;
    await signIn(page, TOKENS.support);
    await page.goto(`/customers/${customerId}`);
    await page.getByTestId('statement-form').waitFor();
    await page.getByTestId('ledger-section').getByText('welcome credit').first().waitFor();

    const today = new Date().toISOString().slice(0, 10);
    await page.getByTestId('statement-from').fill(today);
    await page.getByTestId('statement-to').fill(today);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('statement-download').click(),
    ]);
    expect(download.suggestedFilename()).toBe(`statement-${customerId}-${today}-${today}.csv`);
    await page.getByTestId('statement-done').waitFor();
    await page.getByTestId('statement-form').scrollIntoViewIfNeeded();
    await screenshot(page, 'statement-download');

    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'row,entry_id,created_at,type,reason,amount,balance_after,currency,note,actor,purchase_id,refund_id',
    );
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows[0]?.[0]).toBe('opening');
    expect(rows[rows.length - 1]?.[0]).toBe('closing');
    const entries = rows.filter((r) => r[0] === 'entry');
    expect(entries.map((r) => Number(r[5]))).toEqual([12_500, -2_000, 750]);
    const opening = Number(rows[0]?.[6]);
    const closing = Number(rows[rows.length - 1]?.[6]);
    expect(opening + entries.reduce((sum, r) => sum + Number(r[5]), 0)).toBe(closing);
    const credit = await http<CreditBalance>('GET', `${stack.apiUrl}/v1/customers/${customerId}/credit`, {
      token: TOKENS.support,
    });
    expect(closing).toBe(credit.body.balance);
    // Quoted free text survives, and a formula is neutralised for the spreadsheet.
    expect(csv).toContain('"duplicate grant, ""corrected"""');
    expect(csv).toContain('"\'=HYPERLINK(""x"")"');

    // A reversed period is refused in the form, before any request.
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.getByTestId('statement-to').fill(yesterday);
    await page.getByText('The last day must not be before the first.').waitFor();
    expect(await page.getByTestId('statement-download').isDisabled()).toBe(true);
    expect(app.pageErrors).toEqual([]);
    await assertLedgerInvariants(stack.database);
  });
});
