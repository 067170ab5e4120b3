/**
 * The internal customer-service app in a real Chromium against the real stack (Postgres,
 * Temporal, platform-mock, the API serving web/dist): what a rep does all day, end to end.
 * Screenshots of the main pages land in test-results/screenshots/.
 */
import type { Browser, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CreditBalance,
  LedgerEntryList,
  Purchase,
  PurchaseWithRefunds,
  Refund,
} from '../../src/contracts/index.js';
import { http, newKey } from '../support/http.js';
import { assertLedgerInvariants } from '../support/invariants.js';
import { startStack, TOKENS, type TestStack } from '../support/stack.js';
import {
  assertBrowserPrerequisites,
  expectText,
  focusedTestId,
  launchBrowser,
  money,
  openApp,
  screenshot,
  signIn,
  tabTo,
  type AppPage,
} from './browser-support.js';

let stack: TestStack;
let browser: Browser;
let app: AppPage | null = null;

beforeAll(async () => {
  assertBrowserPrerequisites();
  [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
});

afterAll(async () => {
  await app?.close().catch(() => undefined);
  await browser?.close();
  await stack?.close();
});

/** Each scenario gets a fresh browser context (and so a fresh session). */
async function freshApp(): Promise<AppPage> {
  await app?.close().catch(() => undefined);
  app = await openApp(browser, stack.apiUrl);
  return app;
}

function expectNoPageErrors(current: AppPage): void {
  expect(current.pageErrors, 'uncaught errors in the page').toEqual([]);
}

async function grantViaApi(customerId: string, amount: number): Promise<void> {
  const res = await http<{ credit: CreditBalance }>(
    'POST',
    `${stack.apiUrl}/v1/customers/${customerId}/credit/grants`,
    {
      token: TOKENS.admin,
      idempotencyKey: newKey('grant'),
      body: { amount, currency: 'USD', reason: 'promotion', note: 'e2e setup' },
    },
  );
  expect(res.status).toBe(201);
}

async function purchaseViaApi(customerId: string, productId: string, quantity: number): Promise<Purchase> {
  const res = await http<Purchase>('POST', `${stack.apiUrl}/v1/purchases`, {
    token: TOKENS.storefront,
    idempotencyKey: newKey('purchase'),
    body: { customerId, productId, quantity },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function entriesViaApi(customerId: string): Promise<LedgerEntryList> {
  const res = await http<LedgerEntryList>(
    'GET',
    `${stack.apiUrl}/v1/customers/${customerId}/credit/entries?limit=100`,
    { token: TOKENS.support },
  );
  expect(res.status).toBe(200);
  return res.body;
}

/** Idempotency-Key headers of the POSTs the page sends to URLs ending in `suffix`. */
function recordKeys(current: AppPage, suffix: string): string[] {
  const keys: string[] = [];
  current.page.on('request', (request: Request) => {
    if (request.method() === 'POST' && request.url().endsWith(suffix))
      keys.push(request.headers()['idempotency-key'] ?? '');
  });
  return keys;
}

describe('internal app in a browser', () => {
  it('signs in with an operator token and refuses unknown and storefront tokens', async () => {
    const current = await freshApp();
    const { page } = current;
    await page.goto('/customers/cus_ada');
    // Not signed in: the app asks for a token first, then returns where the rep was going.
    await page.getByTestId('sign-in-form').waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await screenshot(page, '01-sign-in');

    await page.getByTestId('sign-in-token').fill('not-a-real-token');
    await page.getByTestId('sign-in-submit').click();
    await expectText(page, 'sign-in-error', /not recognised/);

    await page.getByTestId('sign-in-token').fill(TOKENS.storefront);
    await page.keyboard.press('Enter');
    await expectText(page, 'sign-in-error', /storefront service token/);
    await screenshot(page, '02-sign-in-storefront-refused');
    const storedItems: unknown = await page.evaluate('window.sessionStorage.length');
    expect(storedItems, 'a refused token is not kept').toBe(0);

    await page.getByTestId('sign-in-token').fill(TOKENS.support);
    await page.getByTestId('sign-in-submit').click();
    await expectText(page, 'current-user-name', 'alice');
    await expectText(page, 'current-user-role', 'support');
    expect(new URL(page.url()).pathname).toBe('/customers/cus_ada');
    await expectText(page, 'customer-name', 'Ada Lovelace');

    // A reload keeps the session (sessionStorage); signing out ends it.
    await page.reload();
    await expectText(page, 'customer-name', 'Ada Lovelace');
    await page.getByTestId('sign-out').click();
    await page.getByTestId('sign-in-form').waitFor();
    expectNoPageErrors(current);
  });

  it('finds a customer by search and opens the customer page', async () => {
    const current = await freshApp();
    const { page } = current;
    await signIn(page, TOKENS.support);
    await page.goto('/customers');
    await page.getByTestId('customers-table').waitFor();
    expect(await page.getByTestId('customer-row').count()).toBeGreaterThanOrEqual(5);
    await screenshot(page, '03-customers');

    await page.getByTestId('customer-search').fill('zzz-nobody');
    await page.getByTestId('customer-search-submit').click();
    await page.getByTestId('customers-empty').waitFor();

    await page.getByTestId('customer-search').fill('Grace');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('customer-row').count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('q')).toBe('Grace');
    await page.getByTestId('customer-link-cus_grace').click();
    await expectText(page, 'customer-name', 'Grace Hopper');
    await expectText(page, 'credit-balance', money(0));
    await expectText(page, 'credit-available', money(0));
    await page.getByTestId('ledger-empty').waitFor();
    await page.getByTestId('customer-purchases-empty').waitFor();
    await screenshot(page, '04-customer-empty');

    await page.goto('/customers/cus_nobody');
    await expectText(page, 'customer-error', /The platform does not know this customer/);
    expect(await page.getByTestId('credit-section').count()).toBe(0);
    expectNoPageErrors(current);
  });

  it('grants and deducts credit with a confirmation; a double click and a retry move money once', async () => {
    const current = await freshApp();
    const { page } = current;
    await signIn(page, TOKENS.support);
    await page.goto('/customers/cus_grace');
    await expectText(page, 'credit-balance', money(0));

    // Grant $250.00: the confirmation shows the balance before and after.
    const grantKeys = recordKeys(current, '/credit/grants');
    await page.getByTestId('credit-grant-open').click();
    await page.getByTestId('credit-amount').fill('250');
    await page.getByTestId('credit-reason').selectOption('goodwill');
    await page.getByTestId('credit-note').fill('Late delivery in November');
    await page.getByTestId('credit-review').click();
    await expectText(page, 'credit-balance-change-before', money(0));
    await expectText(page, 'credit-balance-change-after', money(250_00));
    await expectText(page, 'credit-available-change-after', money(250_00));
    await screenshot(page, '05-credit-grant-confirmation');
    const formKey = await page.getByTestId('credit-form').getAttribute('data-idempotency-key');
    expect(formKey).toBeTruthy();

    await page.getByTestId('credit-confirm').dblclick();
    await page.getByTestId('credit-success').waitFor();
    await expectText(page, 'credit-success-balance', money(250_00));
    await expectText(page, 'credit-balance', money(250_00));
    await expectText(page, 'credit-available', money(250_00));
    await expect.poll(() => page.getByTestId('ledger-row').count()).toBe(1);
    const grantRow = page.getByTestId('ledger-row').first();
    expect(await grantRow.getAttribute('data-entry-type')).toBe('grant');
    expect((await grantRow.getByTestId('ledger-amount').textContent())?.trim()).toBe(`+${money(250_00)}`);
    expect((await grantRow.getByTestId('ledger-balance-after').textContent())?.trim()).toBe(money(250_00));
    expect(await grantRow.textContent()).toContain('Late delivery in November');
    expect(await grantRow.textContent()).toContain('alice');
    expect(grantKeys.length).toBeGreaterThanOrEqual(1);
    expect(new Set(grantKeys)).toEqual(new Set([formKey]));
    expect((await entriesViaApi('cus_grace')).data.filter((e) => e.type === 'grant')).toHaveLength(1);

    // Deduct $20.00 as a correction: the note is required, said in words before anything is sent.
    await page.getByTestId('credit-close').click();
    await page.getByTestId('credit-deduct-open').click();
    await page.getByTestId('credit-amount').fill('20');
    await page.getByTestId('credit-reason').selectOption('correction');
    await page.getByTestId('credit-review').click();
    await page.getByText('A note is required when the reason is “Correction”.').waitFor();
    await page.getByTestId('credit-note').fill('Goodwill granted twice by mistake');
    await page.getByTestId('credit-review').click();
    await expectText(page, 'credit-balance-change-before', money(250_00));
    await expectText(page, 'credit-balance-change-after', money(230_00));

    // The first answer is lost on the way back (the server did deduct): the outcome is unknown,
    // the retry reuses the same Idempotency-Key and the server replays instead of deducting again.
    const deductionKeys = recordKeys(current, '/credit/deductions');
    let lost = false;
    await page.route('**/credit/deductions', async (route) => {
      if (lost) return route.continue();
      lost = true;
      await route.fetch();
      await route.abort('connectionreset');
    });
    await page.getByTestId('credit-confirm').click();
    await expectText(page, 'credit-error', /could not be reached/);
    await expectText(page, 'credit-confirm', 'Retry deduction');
    await screenshot(page, '06-credit-outcome-unknown');
    const replayed = page.waitForResponse((response) => response.url().endsWith('/credit/deductions'));
    await page.getByTestId('credit-confirm').click();
    expect((await replayed).headers()['idempotent-replayed']).toBe('true');
    await page.getByTestId('credit-success').waitFor();
    await page.unroute('**/credit/deductions');
    expect(deductionKeys).toHaveLength(2);
    expect(deductionKeys[0]).toBe(deductionKeys[1]);

    await expectText(page, 'credit-balance', money(230_00));
    await expect.poll(() => page.getByTestId('ledger-row').count()).toBe(2);
    const deductionRow = page.getByTestId('ledger-row').first();
    expect(await deductionRow.getAttribute('data-entry-type')).toBe('deduction');
    expect((await deductionRow.getByTestId('ledger-amount').textContent())?.trim()).toBe(`-${money(20_00)}`);
    expect((await deductionRow.getByTestId('ledger-balance-after').textContent())?.trim()).toBe(money(230_00));
    await screenshot(page, '07-customer-after-credit');
    const entries = (await entriesViaApi('cus_grace')).data;
    expect(entries.map((e) => e.type)).toEqual(['deduction', 'grant']);
    await assertLedgerInvariants(stack.database);
    expectNoPageErrors(current);
  });

  it('opens a purchase made through the API, refunds part of it and then the rest', async () => {
    await grantViaApi('cus_ada', 500_00);
    const purchase = await purchaseViaApi('cus_ada', 'prod_keyboard', 2);
    const total = purchase.total;
    const current = await freshApp();
    const { page } = current;
    await signIn(page, TOKENS.support);

    // Find it in the purchases list with the customer filter.
    await page.goto('/purchases');
    await page.getByTestId('purchase-filter-customer').fill('cus_ada');
    await page.getByTestId('purchase-filter-status').selectOption('completed');
    await page.getByTestId('purchase-filter-apply').click();
    await expect
      .poll(() => page.locator(`[data-testid="purchase-row"][data-purchase-id="${purchase.id}"]`).count())
      .toBe(1);
    expect(await page.getByTestId('purchase-row').count()).toBe(1);
    await screenshot(page, '08-purchases-filtered');
    await page.getByTestId(`purchase-link-${purchase.id}`).click();

    // The snapshot, the shipment and the link to the workflow.
    await expectText(page, 'purchase-status', 'Completed');
    expect(await page.getByTestId('purchase-product').textContent()).toContain(purchase.productName);
    await expectText(page, 'purchase-unit-price', money(purchase.unitPrice));
    await expectText(page, 'purchase-quantity', '2');
    await expectText(page, 'purchase-total', money(total));
    await expectText(page, 'purchase-refundable', money(total));
    await expectText(page, 'shipment-id', purchase.shipment.id);
    expect(await page.getByTestId('shipment-address').textContent()).toContain(purchase.shipment.address.line1);
    expect(await page.getByTestId('temporal-link').getAttribute('href')).toBe(
      `http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(purchase.workflowId)}`,
    );
    await page.getByTestId('refunds-empty').waitFor();
    await screenshot(page, '09-purchase');

    // Part of it: $50.00.
    await page.getByTestId('refund-open').click();
    await expectText(page, 'refund-refundable', money(total));
    await page.getByTestId('refund-mode-partial').click();
    await page.getByTestId('refund-amount').fill('50.00');
    await page.getByTestId('refund-reason').selectOption('damaged');
    await page.getByTestId('refund-note').fill('Arrived with a cracked key cap');
    await page.getByTestId('refund-review').click();
    await expectText(page, 'refund-confirm-amount', money(50_00));
    await expectText(page, 'refund-refundable-after', money(total - 50_00));
    await expectText(page, 'refund-status-after', 'Partially refunded');
    await screenshot(page, '10-refund-confirmation');
    await page.getByTestId('refund-confirm').dblclick();
    await page.getByTestId('refund-success').waitFor();
    await expectText(page, 'purchase-status', 'Partially refunded');
    await expectText(page, 'purchase-refunded', money(50_00));
    await expectText(page, 'purchase-refundable', money(total - 50_00));
    await expect.poll(() => page.getByTestId('refund-row').count()).toBe(1);
    await page.getByTestId('refund-close').click();
    await screenshot(page, '11-purchase-partially-refunded');

    // The customer's balance and ledger show the refund, linked to the purchase.
    await page.getByTestId('purchase-customer-link').click();
    await expectText(page, 'credit-balance', money(500_00 - total + 50_00));
    await expect.poll(() => page.getByTestId('ledger-row').count()).toBe(3);
    const refundRow = page.getByTestId('ledger-row').first();
    expect(await refundRow.getAttribute('data-entry-type')).toBe('refund');
    expect((await refundRow.getByTestId('ledger-amount').textContent())?.trim()).toBe(`+${money(50_00)}`);
    expect(await refundRow.getByTestId('ledger-source-link').getAttribute('href')).toMatch(
      new RegExp(`^/purchases/${purchase.id}#ref_`),
    );
    expect(await page.getByTestId('ledger-row').nth(1).getAttribute('data-entry-type')).toBe('purchase');
    await expectText(page, 'customer-purchases-table', new RegExp(purchase.id));

    // Then the rest, from the ledger's link back to the purchase.
    await refundRow.getByTestId('ledger-source-link').click();
    await expectText(page, 'purchase-status', 'Partially refunded');
    await page.getByTestId('refund-open').click();
    await page.getByTestId('refund-reason').selectOption('requested_by_customer');
    await page.getByTestId('refund-review').click();
    await expectText(page, 'refund-confirm-amount', money(total - 50_00));
    await expectText(page, 'refund-status-after', 'Refunded');
    await page.getByTestId('refund-confirm').click();
    await page.getByTestId('refund-success').waitFor();
    await expectText(page, 'purchase-status', 'Refunded');
    await expectText(page, 'purchase-refundable', money(0));
    await expect.poll(() => page.getByTestId('refund-row').count()).toBe(2);
    await page.getByTestId('refund-close').click();
    await page.getByTestId('fully-refunded-note').waitFor();
    expect(await page.getByTestId('refund-open').count()).toBe(0);
    await screenshot(page, '12-purchase-refunded');

    await page.getByTestId('purchase-customer-link').click();
    await expectText(page, 'credit-balance', money(500_00));
    await expect.poll(() => page.getByTestId('ledger-row').count()).toBe(4);
    expect((await page.getByTestId('ledger-row').first().getByTestId('ledger-amount').textContent())?.trim()).toBe(
      `+${money(total - 50_00)}`,
    );
    await screenshot(page, '13-customer-after-refunds');

    const after = await http<PurchaseWithRefunds>('GET', `${stack.apiUrl}/v1/purchases/${purchase.id}`, {
      token: TOKENS.support,
    });
    expect(after.body.status).toBe('refunded');
    expect(after.body.refundedAmount).toBe(total);
    expect(after.body.refunds.map((r) => r.amount).sort((a, b) => a - b)).toEqual(
      [50_00, total - 50_00].sort((a, b) => a - b),
    );
    await assertLedgerInvariants(stack.database);
    expectNoPageErrors(current);
  });

  it("shows the API's error in words when a refund exceeds what is still refundable", async () => {
    await grantViaApi('cus_alan', 300_00);
    const purchase = await purchaseViaApi('cus_alan', 'prod_mouse', 1);
    const current = await freshApp();
    const { page } = current;
    await signIn(page, TOKENS.support);
    await page.goto(`/purchases/${purchase.id}`);
    await expectText(page, 'purchase-status', 'Completed');

    // The rep prepares a refund of everything …
    await page.getByTestId('refund-open').click();
    await page.getByTestId('refund-mode-partial').click();
    await page.getByTestId('refund-amount').fill((purchase.total / 100).toFixed(2));
    await page.getByTestId('refund-reason').selectOption('duplicate');
    await page.getByTestId('refund-review').click();
    await expectText(page, 'refund-confirm-amount', money(purchase.total));

    // … while another rep refunds $10.00 of it.
    const other = await http<Refund>('POST', `${stack.apiUrl}/v1/purchases/${purchase.id}/refunds`, {
      token: TOKENS.support2,
      idempotencyKey: newKey('refund'),
      body: { amount: 10_00, reason: 'goodwill' },
    });
    expect(other.status).toBe(201);

    await page.getByTestId('refund-confirm').click();
    const error = page.getByTestId('refund-error');
    await error.waitFor();
    expect(await error.getAttribute('data-error-code')).toBe('refund_exceeds_refundable');
    expect(await error.textContent()).toContain(
      `only ${money(purchase.total - 10_00)} is refundable on this purchase now. Nothing was refunded.`,
    );
    expect(await page.getByTestId('refund-confirm').isDisabled()).toBe(true);
    await screenshot(page, '14-over-refund-error');

    // Back in the form, the refundable amount is the current one.
    await page.getByTestId('refund-back').click();
    await expectText(page, 'refund-refundable', money(purchase.total - 10_00));
    await expectText(page, 'purchase-status', 'Partially refunded');
    const after = await http<PurchaseWithRefunds>('GET', `${stack.apiUrl}/v1/purchases/${purchase.id}`, {
      token: TOKENS.support,
    });
    expect(after.body.refunds.map((r) => r.actor)).toEqual(['bob']);
    await assertLedgerInvariants(stack.database);
    expectNoPageErrors(current);
  });

  it('pages through a long ledger history', async () => {
    for (let i = 1; i <= 23; i++) await grantViaApi('cus_edsger', i * 100);
    const current = await freshApp();
    const { page } = current;
    await signIn(page, TOKENS.support);
    await page.goto('/customers/cus_edsger');
    await expect.poll(() => page.getByTestId('ledger-row').count()).toBe(20);
    // Newest first: the last grant ($23.00) heads the first page.
    expect((await page.getByTestId('ledger-row').first().getByTestId('ledger-amount').textContent())?.trim()).toBe(
      `+${money(23_00)}`,
    );
    expect(await page.getByTestId('ledger-pager-prev').isDisabled()).toBe(true);
    await page.getByTestId('ledger-pager-next').click();
    await expect.poll(() => page.getByTestId('ledger-row').count()).toBe(3);
    expect((await page.getByTestId('ledger-row').last().getByTestId('ledger-amount').textContent())?.trim()).toBe(
      `+${money(1_00)}`,
    );
    expect(await page.getByTestId('ledger-pager-next').isDisabled()).toBe(true);
    await screenshot(page, '15-ledger-page-2');
    await page.getByTestId('ledger-pager-prev').click();
    await expect.poll(() => page.getByTestId('ledger-row').count()).toBe(20);
    expectNoPageErrors(current);
  });

  it('hides admin pages from a support rep and shows them to an admin', async () => {
    const current = await freshApp();
    const { page } = current;
    await signIn(page, TOKENS.support);
    await page.getByTestId('nav-customers').waitFor();
    expect(await page.getByTestId('nav-section-admin').count()).toBe(0);
    expect(await page.getByTestId('nav-admin').count()).toBe(0);
    expect(await page.getByTestId('nav-api-reference').count()).toBe(0);
    await page.goto('/admin');
    await page.getByTestId('forbidden').waitFor();
    expect(await page.getByTestId('admin-page').count()).toBe(0);
    await screenshot(page, '16-support-no-admin');

    await page.getByTestId('sign-out').click();
    await signIn(page, TOKENS.admin);
    await expectText(page, 'current-user-role', 'admin');
    await page.getByTestId('nav-admin').click();
    await page.getByTestId('admin-page').waitFor();
    expect(await page.getByTestId('nav-api-reference').getAttribute('href')).toBe('/docs');
    await screenshot(page, '17-admin');
    expectNoPageErrors(current);
  });

  it('lets a rep sign in and grant credit with the keyboard alone', async () => {
    const current = await freshApp();
    const { page } = current;
    await page.goto('/customers/cus_barbara');
    await page.getByTestId('sign-in-form').waitFor();
    expect(await focusedTestId(page)).toBe('sign-in-token');
    await page.keyboard.type(TOKENS.support);
    await page.keyboard.press('Enter');
    await expectText(page, 'customer-name', 'Barbara Liskov');

    await tabTo(page, 'credit-grant-open');
    await page.keyboard.press('Enter');
    await expect.poll(() => focusedTestId(page)).toBe('credit-amount');
    await page.keyboard.type('15');
    await page.keyboard.press('Tab');
    expect(await focusedTestId(page)).toBe('credit-reason');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Tab');
    expect(await focusedTestId(page)).toBe('credit-note');
    await page.keyboard.type('Typed without a mouse');
    await tabTo(page, 'credit-review');
    await page.keyboard.press('Enter');
    await expectText(page, 'credit-balance-change-after', money(15_00));
    await tabTo(page, 'credit-confirm');
    await page.keyboard.press('Enter');
    await page.getByTestId('credit-success').waitFor();
    await expectText(page, 'credit-balance', money(15_00));
    await tabTo(page, 'credit-close');
    await page.keyboard.press('Enter');
    // Closing the form gives the focus back to the button that opened it.
    await expect.poll(() => focusedTestId(page)).toBe('credit-grant-open');
    const entries = (await entriesViaApi('cus_barbara')).data;
    expect(entries.map((e) => [e.type, e.amount, e.reason, e.note])).toEqual([
      ['grant', 15_00, 'goodwill', 'Typed without a mouse'],
    ]);
    expectNoPageErrors(current);
  });

  it('leaves the ledger consistent', async () => {
    await assertLedgerInvariants(stack.database);
  });
});
