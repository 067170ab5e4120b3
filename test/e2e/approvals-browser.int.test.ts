/**
 * Maker–checker in a real Chromium against the real stack (Postgres, Temporal with the
 * `creditApproval` workflow, platform-mock, the API serving web/dist): support asks for a
 * large grant and sees it sent for approval; the requester — promoted to admin meanwhile —
 * is refused; another admin approves it from the queue; the entry shows both names; and an
 * approval nobody decides expires. Screenshots in test-results/screenshots/approvals-*.png.
 */
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Approval, LedgerEntryList, Problem } from '../../src/contracts/index.js';
import { http } from '../support/http.js';
import { assertAllInvariants } from '../support/invariants.js';
import { PlatformControl } from '../support/platform.js';
import { startSecondApi, type SecondApi } from '../support/second-api.js';
import { API_TOKENS, startStack, TOKENS, type TestStack } from '../support/stack.js';
import { until } from '../support/wait.js';
import {
  assertBrowserPrerequisites,
  expectText,
  launchBrowser,
  money,
  openApp,
  screenshot,
  signIn,
  type AppPage,
} from './browser-support.js';

const ALICE_ADMIN = 'test_alice_admin_token';

let stack: TestStack;
let browser: Browser;
let platform: PlatformControl;
/** The same service after alice was promoted to admin (API_TOKENS changed while her request waits). */
let promoted: SecondApi;
/** The same service with approvals that expire after 4 s. */
let shortLived: SecondApi;
const pages: AppPage[] = [];

beforeAll(async () => {
  assertBrowserPrerequisites();
  [stack, browser] = await Promise.all([startStack({ env: { APPROVAL_THRESHOLD: '50000' } }), launchBrowser()]);
  platform = new PlatformControl(stack.platformUrl);
  promoted = await startSecondApi(stack, {
    API_TOKENS: API_TOKENS.replace(`alice:support:${TOKENS.support}`, `alice:admin:${ALICE_ADMIN}`),
  });
  shortLived = await startSecondApi(stack, { API_TOKENS, APPROVAL_TTL_MS: '4000' });
});

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => undefined);
  await browser?.close();
  await promoted?.close();
  await shortLived?.close();
  await stack?.close();
});

afterEach(async () => {
  for (const p of pages) expect(p.pageErrors, 'uncaught errors in the page').toEqual([]);
  await assertAllInvariants(stack);
});

async function appAt(baseUrl: string, token: string): Promise<AppPage> {
  const current = await openApp(browser, baseUrl);
  pages.push(current);
  await signIn(current.page, token);
  return current;
}

async function requestGrantInApp(current: AppPage, customerId: string, amount: string, note: string): Promise<string> {
  const { page } = current;
  await page.goto(`/customers/${customerId}`);
  await page.getByTestId('credit-grant-open').click();
  await page.getByTestId('credit-amount').fill(amount);
  await page.getByTestId('credit-reason').selectOption('compensation');
  await page.getByTestId('credit-note').fill(note);
  await page.getByTestId('credit-review').click();
  await page.getByTestId('credit-confirm').click();
  const sent = page.getByTestId('credit-sent-for-approval');
  await sent.waitFor();
  await expect.poll(() => page.getByTestId('approval-sent-status').getAttribute('data-status')).toBe('pending');
  const approvalId = await sent.getAttribute('data-approval-id');
  expect(approvalId).toMatch(/^apr_/);
  return approvalId ?? '';
}

describe('approvals in the internal app', () => {
  it('support asks for a large grant; the requester as admin is refused; another admin approves from the queue; the entry shows both names', async () => {
    const customerId = await platform.newCustomer();
    const support = await appAt(stack.apiUrl, TOKENS.support);
    const approvalId = await requestGrantInApp(support, customerId, '750.00', 'parcel lost twice');
    await expectText(support.page, 'credit-balance', money(0));
    await support.page.locator(`[data-testid="customer-pending-approval"][data-approval-id="${approvalId}"]`).waitFor();
    await screenshot(support.page, 'approvals-01-sent-for-approval');

    // alice, now an admin, opens her own request: the app says so, and the service refuses her approval.
    const self = await appAt(promoted.apiUrl, ALICE_ADMIN);
    await self.page.goto(`/approvals/${approvalId}`);
    await self.page.getByTestId('approval-own-request').waitFor();
    await self.page.getByTestId('approval-approve').click();
    const refused = self.page.getByTestId('approval-decision-error');
    await refused.waitFor();
    expect(await refused.getAttribute('data-error-code')).toBe('approval_self_decision');
    await expectText(self.page, 'approval-status', 'Waiting for approval');
    await screenshot(self.page, 'approvals-02-self-approval-refused');

    // root works the queue.
    const admin = await appAt(stack.apiUrl, TOKENS.admin);
    await admin.page.getByTestId('nav-approvals').click();
    const row = admin.page.locator(`[data-approval-id="${approvalId}"]`);
    await row.waitFor();
    await screenshot(admin.page, 'approvals-03-queue');
    await row.getByTestId('approval-open').click();
    await expectText(admin.page, 'approval-requested-by', /^alice, /);
    await expectText(admin.page, 'approval-customer-available', money(0));
    await admin.page.getByTestId('approval-note').fill('checked the two lost parcels');
    await admin.page.getByTestId('approval-approve').click();
    await expectText(admin.page, 'approval-status', 'Approved');
    await expectText(admin.page, 'approval-decided-by', /^root, .*checked the two lost parcels/);
    await expectText(admin.page, 'approval-customer-available', money(75_000));
    await screenshot(admin.page, 'approvals-04-approved');

    // The entry: requested by alice, approved by root.
    await admin.page.getByTestId('approval-customer').click();
    const entryRow = admin.page.getByTestId('ledger-row').first();
    await entryRow.waitFor();
    expect((await entryRow.getByTestId('ledger-actor').textContent())?.trim()).toBe('aliceapproved by root');
    await expectText(admin.page, 'ledger-approved-by', 'approved by root');
    await screenshot(admin.page, 'approvals-05-entry-requester-and-approver');
    const entries = await http<LedgerEntryList>('GET', `${stack.apiUrl}/v1/customers/${customerId}/credit/entries`, {
      token: TOKENS.support,
    });
    expect(entries.body.data.map((e) => [e.amount, e.actor, e.approvedBy])).toEqual([[75_000, 'alice', 'root']]);

    // Support's form follows the approval to its end (it refreshes while pending).
    await expect
      .poll(() => support.page.getByTestId('approval-sent-status').getAttribute('data-status'), { timeout: 15_000 })
      .toBe('approved');
    await expectText(support.page, 'approval-sent-decided-by', 'root');
    await expectText(support.page, 'credit-balance', money(75_000));
    await expect.poll(() => support.page.getByTestId('customer-pending-approval').count(), { timeout: 20_000 }).toBe(0);
    await screenshot(support.page, 'approvals-06-requester-sees-approved');
  });

  it('an approval nobody decides expires; the app shows it expired and offers no decision', async () => {
    const customerId = await platform.newCustomer();
    const support = await appAt(shortLived.apiUrl, TOKENS.support);
    const approvalId = await requestGrantInApp(support, customerId, '600', 'goodwill after a complaint');
    await until(
      'the approval to expire',
      async () => {
        const res = await http<Approval>('GET', `${stack.apiUrl}/v1/approvals/${approvalId}`, {
          token: TOKENS.support,
        });
        return res.body.status === 'expired' ? res.body : null;
      },
      20_000,
    );
    await expect
      .poll(() => support.page.getByTestId('approval-sent-status').getAttribute('data-status'), { timeout: 15_000 })
      .toBe('expired');
    await screenshot(support.page, 'approvals-07-requester-sees-expired');

    const admin = await appAt(stack.apiUrl, TOKENS.admin);
    await admin.page.goto(`/approvals/${approvalId}`);
    await expectText(admin.page, 'approval-status', 'Expired');
    expect(await admin.page.getByTestId('approval-decision').count()).toBe(0);
    await screenshot(admin.page, 'approvals-08-expired');
    const late = await http<Problem>('POST', `${stack.apiUrl}/v1/approvals/${approvalId}/approve`, {
      token: TOKENS.admin,
      body: {},
    });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('approval_not_pending');
    await expectText(admin.page, 'approval-status', 'Expired');
    const entries = await http<LedgerEntryList>('GET', `${stack.apiUrl}/v1/customers/${customerId}/credit/entries`, {
      token: TOKENS.support,
    });
    expect(entries.body.data).toEqual([]);
  });
});
