/**
 * What customer service can see and do beyond balances and refunds, in a real Chromium
 * against the real stack: why a purchase failed (from the customer page alone), purchases ⇄
 * attempts, cancelling a stuck purchase and seeing its credit released, promo codes (create,
 * edit, deactivate, audit trail, refused at purchase), reconciliation runs with a planted
 * finding, searching purchases, the not-found page, the grant limit before Confirm.
 * Screenshots land in test-results/screenshots/cs-*.png; invariants are checked after each test.
 */
import { sql } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Purchase, PurchasePending } from '../../src/contracts/index.js';
import { newId } from '../../src/domain/ids.js';
import { holdIdFor } from '../../src/domain/purchase.js';
import { http, newKey } from '../support/http.js';
import type { PlatformControl } from '../support/platform.js';
import { TOKENS, type TestStack } from '../support/stack.js';
import { useStack } from '../support/use-stack.js';
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

let stack: TestStack;
let platform: PlatformControl;
useStack(
  {
    env: {
      SHIPMENT_RETRY_BUDGET_MS: '120000',
      PURCHASE_SYNC_TIMEOUT_MS: '5000',
      MAX_GRANT_AMOUNT: '100000',
      RECONCILE_HOLD_AGE_MS: '1500',
    },
  },
  (started, control) => {
    stack = started;
    platform = control;
  },
);

let browser: Browser;
let app: AppPage | null = null;

beforeAll(async () => {
  assertBrowserPrerequisites();
  browser = await launchBrowser();
});

afterAll(async () => {
  await app?.close().catch(() => undefined);
  await browser?.close();
});

async function freshApp(token: string): Promise<Page> {
  await app?.close().catch(() => undefined);
  app = await openApp(browser, stack.apiUrl);
  await signIn(app.page, token);
  return app.page;
}

function expectNoPageErrors(): void {
  expect(app?.pageErrors ?? [], 'uncaught errors in the page').toEqual([]);
}

async function funded(amount: number, name = 'Test Customer'): Promise<string> {
  const customerId = await platform.newCustomer();
  if (name !== 'Test Customer') await platform.patchCustomer(customerId, { name });
  const res = await http('POST', `${stack.apiUrl}/v1/customers/${customerId}/credit/grants`, {
    token: TOKENS.admin,
    idempotencyKey: newKey('grant'),
    body: { amount, currency: 'USD', reason: 'goodwill' },
  });
  expect(res.status).toBe(201);
  return customerId;
}

async function buy(body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  return http('POST', `${stack.apiUrl}/v1/purchases`, {
    token: TOKENS.storefront,
    idempotencyKey: newKey('buy'),
    body,
  });
}

function rowOf(page: Page, testId: string, attribute: string, value: string): ReturnType<Page['locator']> {
  return page.locator(`[data-testid="${testId}"][${attribute}="${value}"]`);
}

describe('customer service in a browser', () => {
  it('finds a failed attempt on the customer page and reads why; purchases ⇄ attempts; the grant limit before Confirm', async () => {
    const customerId = await funded(5_000, 'Grace Hopper');
    expect((await buy({ customerId, productId: 'prod_mouse' })).status).toBe(201);
    const broke = await buy({ customerId, productId: 'prod_mouse' });
    expect(broke.body).toMatchObject({ code: 'insufficient_credit' });
    expect((await buy({ customerId, productId: 'prod_cable', promoCode: 'NOSUCHCODE' })).body).toMatchObject({
      code: 'promo_code_invalid',
    });
    const attempts = await http<{ data: { id: string; error?: { code: string } }[] }>(
      'GET',
      `${stack.apiUrl}/v1/purchase-attempts?customerId=${customerId}&status=failed`,
      { token: TOKENS.support },
    );
    const creditFailure = attempts.body.data.find((a) => a.error?.code === 'insufficient_credit');
    expect(creditFailure).toBeDefined();

    const page = await freshApp(TOKENS.support);
    await page.goto(`/customers/${customerId}`);
    await page.getByTestId('customer-attempts-table').waitFor();
    const row = rowOf(page, 'attempt-row', 'data-attempt-id', creditFailure?.id ?? '');
    expect(await row.getAttribute('data-attempt-status')).toBe('failed');
    const reason = row.getByTestId('attempt-reason');
    expect(await reason.getAttribute('data-error-code')).toBe('insufficient_credit');
    expect(await reason.textContent()).toContain('Not enough available credit');
    expect(await row.getByTestId('attempt-temporal-link').getAttribute('href')).toBe(
      `http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(`purchase-${creditFailure?.id ?? ''}`)}`,
    );
    expect(await page.locator('[data-testid="attempt-row"][data-attempt-status="failed"]').count()).toBe(2);
    expect(await page.locator('[data-testid="attempt-row"][data-attempt-status="completed"]').count()).toBe(1);
    // Times carry their zone; words in cells never break inside.
    expect(await row.locator('time').first().textContent()).toMatch(/UTC$/);
    expect(
      await row
        .locator('td')
        .last()
        .evaluate((td: unknown): string => {
          // Runs in the page (the tests' TypeScript has no DOM types).
          const win = globalThis as unknown as {
            getComputedStyle: (this: void, e: unknown) => { wordBreak: string; overflowWrap: string };
          };
          const style = win.getComputedStyle(td);
          return `${style.wordBreak} ${style.overflowWrap}`;
        }),
    ).toBe('normal break-word');
    await page.getByTestId('customer-attempts').scrollIntoViewIfNeeded();
    await screenshot(page, 'cs-01-customer-attempts');

    // The purchases page switches to attempts, for this customer.
    await page.goto(`/purchases?customerId=${customerId}`);
    await page.getByTestId('purchases-table').waitFor();
    expect(await page.getByTestId('purchase-row').count()).toBe(1);
    await page.getByTestId('view-attempts').click();
    await page.getByTestId('attempts-table').waitFor();
    expect(await page.getByTestId('attempt-row').count()).toBe(3);
    expect(await page.getByTestId('view-attempts').getAttribute('aria-current')).toBe('page');
    await page.getByTestId('attempt-filter-status').selectOption('failed');
    await page.getByTestId('attempt-filter-apply').click();
    await expect.poll(() => page.getByTestId('attempt-row').count()).toBe(2);
    await screenshot(page, 'cs-02-purchases-attempts-switch');

    // The support grant limit is in the form before Review, and a larger amount is stopped there.
    await page.goto(`/customers/${customerId}`);
    await page.getByTestId('credit-grant-open').click();
    await expectText(
      page,
      'credit-grant-limit',
      `Your limit: ${money(100_000)} per grant. Larger grants need an admin.`,
    );
    await page.getByTestId('credit-amount').fill('1500');
    await page.getByTestId('credit-reason').selectOption('goodwill');
    await page.getByTestId('credit-review').click();
    expect(await page.getByTestId('credit-form').getAttribute('data-step')).toBe('edit');
    expect(await page.getByTestId('credit-form').textContent()).toContain(`Your limit is ${money(100_000)} per grant`);
    await screenshot(page, 'cs-03-credit-grant-limit');
    expectNoPageErrors();
  });

  it('cancels a stuck purchase from the admin view and sees the credit released', async () => {
    const customerId = await funded(10_000);
    await platform.fault({ operation: 'createShipment', mode: 'error', status: 503, times: -1 });
    const pending = await http<PurchasePending>('POST', `${stack.apiUrl}/v1/purchases`, {
      token: TOKENS.storefront,
      idempotencyKey: newKey('stuck'),
      body: { customerId, productId: 'prod_mouse' },
    });
    expect(pending.status).toBe(202);

    const page = await freshApp(TOKENS.admin);
    await page.getByTestId('nav-stuck-purchases').click();
    await page.getByTestId('stuck-threshold').selectOption('0');
    const row = rowOf(page, 'stuck-row', 'data-attempt-id', pending.body.id);
    await expect
      .poll(async () => ((await row.count()) > 0 ? row.getAttribute('data-stage') : null), { timeout: 20_000 })
      .toBe('shipping');
    await expectText(page, 'stuck-hold', money(2_999));
    await expect
      .poll(async () => row.getByTestId('stuck-last-error').textContent(), { timeout: 20_000 })
      .toMatch(/503/);
    await screenshot(page, 'cs-04-stuck-purchases');

    await row.getByTestId('stuck-cancel-open').click();
    await page.getByTestId('cancel-confirm').click();
    expect(await page.getByTestId('cancel-form').textContent()).toContain('Say why');
    await page.getByTestId('cancel-reason').fill('Platform outage INC-7, customer informed');
    await screenshot(page, 'cs-05-stuck-cancel-form');
    await page.getByTestId('cancel-confirm').click();
    const outcome = page.getByTestId('cancel-outcome');
    await expect.poll(() => outcome.getAttribute('data-outcome'), { timeout: 30_000 }).toBe('failed');
    await expectText(page, 'cancel-outcome-released', money(2_999));
    expect(await outcome.textContent()).toContain('purchase_cancelled');
    await expect.poll(() => row.count()).toBe(0);
    await screenshot(page, 'cs-06-stuck-cancelled');

    await page.getByTestId('cancel-outcome-customer').click();
    await expectText(page, 'credit-held', money(0));
    await expectText(page, 'credit-available', money(10_000));
    const attempt = rowOf(page, 'attempt-row', 'data-attempt-id', pending.body.id);
    expect(await attempt.getAttribute('data-attempt-status')).toBe('cancelled');
    expect(await attempt.getByTestId('attempt-cancellation').textContent()).toContain('Platform outage INC-7');
    expect(await attempt.getByTestId('attempt-cancellation').textContent()).toContain('root');
    await page.getByTestId('customer-attempts').scrollIntoViewIfNeeded();
    await screenshot(page, 'cs-07-customer-after-cancel');
    expectNoPageErrors();
  });

  it('creates, edits and deactivates a promo code with its audit trail; a purchase with it is then refused', async () => {
    const customerId = await funded(20_000);
    const code = `CS${Date.now().toString(36).toUpperCase()}`;
    const page = await freshApp(TOKENS.admin);
    await page.getByTestId('nav-promo-codes').click();
    await page.getByTestId('promo-new').click();
    await page.getByTestId('promo-form-code').fill(code.toLowerCase());
    await page.getByTestId('promo-form-percent').fill('10');
    await page.getByTestId('promo-form-max-customer').fill('3');
    await page.getByTestId('promo-form-save').click();
    await page.waitForURL(`**/admin/promo-codes/${code}`);
    await expectText(page, 'promo-status', 'Active');
    await expect.poll(() => page.getByTestId('promo-audit-row').count()).toBe(1);

    await page.getByTestId('promo-edit').click();
    await page.getByTestId('promo-form-max').fill('5');
    await page.getByTestId('promo-form-save').click();
    await expect.poll(() => page.getByTestId('promo-audit-row').count()).toBe(2);
    const update = page.locator('[data-testid="promo-audit-row"][data-action="update"]');
    expect(await update.getByTestId('promo-audit-changes').textContent()).toContain('maxRedemptions: — → 5');
    expect(await update.getByTestId('promo-audit-actor').textContent()).toBe('root');

    const used = await buy({ customerId, productId: 'prod_cable', promoCode: code });
    expect(used.status).toBe(201);
    expect(used.body).toMatchObject({ promoCode: code, discount: 99 });
    await page.reload();
    await expectText(page, 'promo-code-redemptions', '1 of 5 · 0 running');

    await page.getByTestId('promo-deactivate').click();
    await page.getByTestId('promo-confirm-yes').click();
    await expectText(page, 'promo-status', 'Inactive');
    await expect.poll(() => page.getByTestId('promo-audit-row').count()).toBe(3);
    expect(await page.getByTestId('promo-audit-changes').first().textContent()).toContain('active: true → false');
    await screenshot(page, 'cs-08-promo-code-audit');

    const refused = await buy({ customerId, productId: 'prod_cable', promoCode: code });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'promo_code_invalid' });

    await page.getByTestId('nav-promo-codes').click();
    const listed = rowOf(page, 'promo-row', 'data-code', code);
    await listed.waitFor();
    expect(await listed.getByTestId('promo-status').textContent()).toBe('Inactive');
    expect(await listed.getByTestId('promo-redemptions').textContent()).toBe('1 of 5');
    await screenshot(page, 'cs-09-promo-codes');

    // The rep sees the refusal on the customer page, in the words the storefront got.
    await page.goto(`/customers/${customerId}`);
    const failed = page.locator('[data-testid="attempt-row"][data-attempt-status="failed"]');
    await failed.waitFor();
    expect(await failed.getByTestId('attempt-reason').getAttribute('data-error-code')).toBe('promo_code_invalid');
    expectNoPageErrors();
  });

  it('starts a reconciliation run and sees a planted finding, linked to what it is about', async () => {
    const customerId = await funded(10_000);
    // Planted: an hour-old pending hold whose saga never existed (the books stay consistent: held moves with it).
    const purchaseId = newId('pur');
    await stack.database.db
      .execute(sql`insert into purchase_attempts (id, customer_id, product_id, quantity, workflow_id, actor, created_at)
      values (${purchaseId}, ${customerId}, 'prod_cable', 1, ${`purchase-${purchaseId}`}, 'web', now() - interval '1 hour')`);
    await stack.database.db
      .execute(sql`insert into credit_holds (id, customer_id, purchase_id, workflow_id, amount, currency, created_at)
      values (${holdIdFor(purchaseId)}, ${customerId}, ${purchaseId}, ${`purchase-${purchaseId}`}, 999, 'USD', now() - interval '1 hour')`);
    await stack.database.db.execute(
      sql`update credit_accounts set held = held + 999 where customer_id = ${customerId}`,
    );

    const page = await freshApp(TOKENS.admin);
    await page.getByTestId('nav-reconciliation').click();
    await page.getByTestId('recon-start').click();
    await page.waitForURL('**/admin/reconciliation/run_*');
    await expect
      .poll(() => page.getByTestId('run-status').getAttribute('data-status'), { timeout: 60_000 })
      .toBe('completed');
    const finding = page.locator('[data-testid="finding-row"][data-kind="orphaned_hold_released"]');
    await finding.waitFor();
    expect(await finding.textContent()).toContain(purchaseId);
    expect(await finding.getByTestId('finding-action').textContent()).toContain('Released the hold');
    await screenshot(page, 'cs-10-reconciliation-run');

    await page.getByTestId('nav-reconciliation').click();
    await page.getByTestId('runs-table').waitFor();
    await screenshot(page, 'cs-11-reconciliation-runs');

    // From the finding to what it is about: the attempt never became a purchase, and the page says where to look.
    await page.goBack();
    await finding.getByTestId('finding-entity-link').click();
    await page.getByTestId('resource-not-found').waitFor();
    await page.goto(`/customers/${customerId}`);
    await expectText(page, 'credit-held', money(0));
    const released = rowOf(page, 'attempt-row', 'data-attempt-id', purchaseId);
    expect(await released.getAttribute('data-attempt-status')).toBe('cancelled');
    expectNoPageErrors();
  });

  it('searches purchases by purchase id, shipment id and promo code; the purchase page names the customer; a bad id gets a real not-found page', async () => {
    const customerId = await funded(20_000, 'Ada Lovelace');
    const code = `FIND${Date.now().toString(36).toUpperCase()}`;
    expect(
      (
        await http('POST', `${stack.apiUrl}/v1/promo-codes`, {
          token: TOKENS.admin,
          body: { code, kind: 'percent', percentOff: 5 },
        })
      ).status,
    ).toBe(201);
    const plain = (await buy({ customerId, productId: 'prod_cable' })).body as unknown as Purchase;
    const promoted = (await buy({ customerId, productId: 'prod_cable', promoCode: code })).body as unknown as Purchase;

    const page = await freshApp(TOKENS.support);
    await page.getByTestId('nav-purchases').click();
    const search = async (field: string, value: string): Promise<string[]> => {
      await page.getByTestId(field).fill(value);
      await page.getByTestId('purchase-filter-apply').click();
      await expect.poll(async () => page.getByTestId('purchase-row').count()).toBe(1);
      return [(await page.getByTestId('purchase-row').getAttribute('data-purchase-id')) ?? ''];
    };
    expect(await search('purchase-filter-shipment', promoted.shipment.id)).toEqual([promoted.id]);
    await screenshot(page, 'cs-12-purchase-search-shipment');
    await page.goto('/purchases');
    expect(await search('purchase-filter-purchase', plain.id)).toEqual([plain.id]);
    await page.goto('/purchases');
    expect(await search('purchase-filter-promo', code.toLowerCase())).toEqual([promoted.id]);

    await page.getByTestId(`purchase-link-${promoted.id}`).click();
    await expectText(page, 'purchase-customer-link', 'Ada Lovelace');
    await screenshot(page, 'cs-13-purchase-with-customer-name');

    // A mistyped id and an unknown one: a not-found page that says what to do, without a useless Retry.
    for (const bad of ['pur_typo', 'pur_00000000000000000000000000']) {
      await page.goto(`/purchases/${bad}`);
      await page.getByTestId('resource-not-found').waitFor();
      expect(await page.getByTestId('resource-not-found').textContent()).toContain(`No purchase ${bad}`);
      expect(await page.getByTestId('purchase-error').count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    }
    await screenshot(page, 'cs-14-purchase-not-found');

    // The app has a favicon.
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toBe('/favicon.svg');
    const icon = await fetch(`${stack.apiUrl}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toContain('image/svg+xml');
    expectNoPageErrors();
  });
});
