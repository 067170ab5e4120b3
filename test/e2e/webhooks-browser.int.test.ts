/**
 * The Webhooks screen in a real Chromium against the real stack (Postgres, Temporal with the
 * delivery workflows and the dispatcher, platform-mock with its webhook receiver, which checks
 * every signature with the `standardwebhooks` library): an admin adds an endpoint and sees its
 * secret once, sends a test event, watches a delivery fail while the receiver is down and
 * succeed when it is up, resends it, disables and enables the endpoint (the event held while
 * disabled is delivered), rotates the secret and deletes the endpoint; a support user does not
 * get the page. Screenshots in test-results/screenshots/webhooks-*.png.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreditMovementResponse, WebhookEndpoint, WebhookEndpointList } from '../../src/contracts/index.js';
import { http, newKey } from '../support/http.js';
import type { PlatformControl } from '../support/platform.js';
import { startSecondApi } from '../support/second-api.js';
import { API_TOKENS, TOKENS, type TestStack } from '../support/stack.js';
import { useStack } from '../support/use-stack.js';
import { until } from '../support/wait.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import {
  assertBrowserPrerequisites,
  expectText,
  launchBrowser,
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
      // Retries 1 s apart, doubling to 4 s: a failed attempt is on screen with its next retry for a while.
      WEBHOOK_RETRY_INITIAL_MS: '1000',
      WEBHOOK_RETRY_MAX_INTERVAL_MS: '4000',
      WEBHOOK_TIMEOUT_MS: '3000',
      WEBHOOK_POLL_INTERVAL_MS: '3000',
    },
  },
  (started, control) => {
    stack = started;
    platform = control;
  },
);

let browser: Browser;
const apps: AppPage[] = [];

beforeAll(async () => {
  assertBrowserPrerequisites();
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const app of apps) await app.close().catch(() => undefined);
  await browser?.close();
});

async function appAs(token: string): Promise<AppPage> {
  const app = await openApp(browser, stack.apiUrl);
  apps.push(app);
  await signIn(app.page, token);
  return app;
}

/** A grant through the API: its `credit.granted` event goes to every endpoint that takes that type. */
async function grant(customerId: string, amount: number): Promise<CreditMovementResponse> {
  const res = await http<CreditMovementResponse>('POST', `${stack.apiUrl}/v1/customers/${customerId}/credit/grants`, {
    token: TOKENS.support,
    idempotencyKey: newKey('wh-ui'),
    body: { amount, currency: 'USD', reason: 'goodwill' },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

function deliveryRows(page: Page, filter: { eventId?: string; kind?: string; succeeded?: boolean }): Locator {
  let selector = '[data-testid="delivery-row"]';
  if (filter.eventId) selector += `[data-event-id="${filter.eventId}"]`;
  if (filter.kind) selector += `[data-kind="${filter.kind}"]`;
  if (filter.succeeded !== undefined) selector += `[data-succeeded="${String(filter.succeeded)}"]`;
  return page.locator(selector);
}

async function bodyText(page: Page): Promise<string> {
  return (await page.locator('body').textContent()) ?? '';
}

/** Every input's value on the page (a secret would be in one). */
async function inputValues(page: Page): Promise<string[]> {
  return page.evaluate<string[]>('Array.from(document.querySelectorAll("input, textarea"), (el) => el.value)');
}

describe('webhooks in the internal app', () => {
  it('admin adds an endpoint (secret once), tests it, sees a failure then success, resends, disables, enables, rotates, deletes', async () => {
    const receiver = new WebhookReceiver(stack.platformUrl);
    const customerId = await platform.newCustomer();
    const admin = await appAs(TOKENS.admin);
    const { page } = admin;
    await admin.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.apiUrl });

    // The page is in the admin navigation; nothing is there yet.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    await page.getByTestId('webhooks-empty').waitFor();
    await screenshot(page, 'webhooks-01-empty');

    // The form: refused in the browser without a type, then sent.
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const form = page.getByRole('region', { name: 'Add a webhook endpoint' });
    await form.getByLabel(/^URL/).fill(receiver.url);
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await expect.poll(async () => (await form.textContent()) ?? '').toContain('Choose at least one event type.');
    await form.getByRole('checkbox', { name: /^credit\.granted/ }).check();
    await form.getByLabel(/^Description/).fill('Finance ledger mirror');
    await screenshot(page, 'webhooks-02-form');
    await form.getByRole('button', { name: 'Add endpoint' }).click();

    // The secret, once, with a warning and a copy button.
    const reveal = page.getByRole('region', { name: 'Endpoint added: its signing secret' });
    await reveal.waitFor();
    expect(await reveal.getByRole('note').textContent()).toContain('shown only this once');
    const secret = await reveal.getByLabel('Signing secret').inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    await reveal.getByRole('button', { name: 'Copy secret' }).click();
    await expectText(page, 'webhook-created-secret-copy-status', 'Copied to the clipboard.');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret);
    await screenshot(page, 'webhooks-03-secret-once');
    await receiver.configure({ secrets: [secret] });
    await reveal.getByRole('button', { name: 'I have stored the secret' }).click();
    await expect.poll(() => reveal.count()).toBe(0);
    expect(await bodyText(page)).not.toContain(secret);

    const listed = await http<WebhookEndpointList>('GET', `${stack.apiUrl}/v1/webhook-endpoints`, {
      token: TOKENS.admin,
    });
    expect(listed.body.data).toHaveLength(1);
    const endpointId = listed.body.data[0]?.id ?? '';
    const row = page.locator(`[data-testid="webhook-row"][data-endpoint-id="${endpointId}"]`);
    await row.waitFor();
    expect(await row.getByTestId('webhook-link').textContent()).toBe(receiver.url);
    expect(await row.getByTestId('webhook-types').textContent()).toBe('credit.granted');
    expect(await row.getByTestId('webhook-status').getAttribute('data-status')).toBe('enabled');
    expect(await row.textContent()).toContain('Finance ledger mirror');
    await screenshot(page, 'webhooks-04-list');

    // Its page: never the secret again (the API does not have it to give).
    await row.getByTestId('webhook-link').click();
    await page.getByRole('heading', { level: 1, name: 'Webhook endpoint' }).waitFor();
    await expectText(page, 'webhook-url', receiver.url);
    await page.getByTestId('deliveries-empty').waitFor();
    expect(await bodyText(page)).not.toContain(secret);
    expect(await inputValues(page)).not.toContain(secret);

    // A test event: delivered, verified by the receiver, and in the log.
    await page.getByRole('button', { name: 'Send test event' }).click();
    const outcome = page.getByTestId('webhook-test-outcome');
    await outcome.waitFor();
    expect(await outcome.getAttribute('data-succeeded')).toBe('true');
    expect(await outcome.textContent()).toContain('HTTP 200');
    const testRow = deliveryRows(page, { kind: 'test', succeeded: true });
    await testRow.waitFor();
    const testEventId = (await testRow.getAttribute('data-event-id')) ?? '';
    expect(testEventId).toMatch(/^evt_/);
    expect(await testRow.getByTestId('delivery-answer').textContent()).toBe('HTTP 200');
    expect(await testRow.getByRole('button', { name: /^Resend/ }).count()).toBe(0);
    expect(await receiver.accepted()).toEqual([
      expect.objectContaining({ webhookId: testEventId, verified: true, answered: 200 }),
    ]);
    await screenshot(page, 'webhooks-05-test-delivered');

    // The receiver fails; a grant's event is attempted, marked failed, with its next retry.
    await receiver.configure({ secrets: [secret], mode: 'fail', status: 500 });
    await page.getByRole('button', { name: 'Dismiss' }).click();
    const granted = await grant(customerId, 2_500);
    const failedRow = deliveryRows(page, { kind: 'event', succeeded: false }).first();
    await failedRow.waitFor({ timeout: 20_000 });
    const eventId = (await failedRow.getAttribute('data-event-id')) ?? '';
    expect(await failedRow.getByTestId('delivery-outcome').textContent()).toBe('Failed');
    expect(await failedRow.getByTestId('delivery-answer').textContent()).toBe('HTTP 500');
    expect(await failedRow.getByTestId('delivery-event-type').textContent()).toBe('credit.granted');
    expect(await failedRow.getByTestId('delivery-next-retry').count()).toBe(1);
    const first = (await receiver.received()).find((r) => r.webhookId === eventId);
    expect(first?.body?.data).toEqual(granted.entry);
    expect(first).toMatchObject({ verified: true, answered: 500 });
    await screenshot(page, 'webhooks-06-failed-delivery');

    // Up again: the retry delivers it.
    await receiver.configure({ secrets: [secret] });
    const delivered = deliveryRows(page, { eventId, kind: 'event', succeeded: true });
    await delivered.waitFor({ timeout: 20_000 });
    expect(Number(await delivered.getByTestId('delivery-attempt').textContent())).toBeGreaterThan(1);
    expect(await delivered.getByTestId('delivery-answer').textContent()).toBe('HTTP 200');

    // Resend it: the same webhook-id once more, logged as a resend.
    await page
      .getByRole('button', { name: `Resend event ${eventId}` })
      .first()
      .click();
    await page.getByTestId('resend-started').waitFor();
    await deliveryRows(page, { eventId, kind: 'resend', succeeded: true }).waitFor({ timeout: 20_000 });
    const copies = (await receiver.accepted()).filter((r) => r.webhookId === eventId);
    expect(copies).toHaveLength(2);
    expect(copies[1]?.body).toEqual(copies[0]?.body);
    await screenshot(page, 'webhooks-07-resent');

    // Disable with a reason: nothing is delivered; the reason shows here and in the list.
    await page.getByRole('button', { name: 'Disable…' }).click();
    const confirm = page.getByRole('alertdialog');
    await confirm.getByLabel(/^Reason/).fill('receiver maintenance');
    await confirm.getByRole('button', { name: 'Disable endpoint' }).click();
    await expect.poll(() => page.getByTestId('webhook-status').getAttribute('data-status')).toBe('disabled');
    await expectText(page, 'webhook-disabled', /^Disabled by root on .*: receiver maintenance/);
    expect(
      await page
        .getByRole('button', { name: `Resend event ${eventId}` })
        .first()
        .isDisabled(),
    ).toBe(true);
    const held = await grant(customerId, 700);
    await screenshot(page, 'webhooks-08-disabled');
    await page.getByRole('link', { name: '← Webhooks' }).click();
    await expectText(page, 'webhook-disabled-reason', /receiver maintenance$/);
    await screenshot(page, 'webhooks-09-list-disabled');
    const heldEvent = (
      await http<{ data: { id: string; sequence: number; data: { id?: string } }[] }>(
        'GET',
        `${stack.apiUrl}/v1/events?type=credit.granted&limit=100`,
        { token: TOKENS.support },
      )
    ).body.data.find((e) => e.data.id === held.entry.id);
    expect(heldEvent).toBeDefined();
    expect((await receiver.received()).some((r) => r.webhookId === heldEvent?.id)).toBe(false);

    // Enable: delivery resumes with the event it missed.
    await page
      .locator(`[data-testid="webhook-row"][data-endpoint-id="${endpointId}"]`)
      .getByTestId('webhook-link')
      .click();
    await page.getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => page.getByTestId('webhook-status').getAttribute('data-status')).toBe('enabled');
    expect(await page.getByTestId('webhook-disabled').count()).toBe(0);
    await deliveryRows(page, { eventId: heldEvent?.id ?? '', kind: 'event', succeeded: true }).waitFor({
      timeout: 20_000,
    });
    await until(
      'the held event at the receiver',
      async () => ((await receiver.accepted()).some((r) => r.webhookId === heldEvent?.id) ? true : null),
      10_000,
    );
    // The endpoint is read again after a new attempt: its cursor shows the held event acknowledged.
    await expectText(page, 'webhook-cursor', `#${heldEvent?.sequence ?? 0}`);
    await screenshot(page, 'webhooks-10-enabled');

    // Rotate: the new secret once, and until when the old one still signs.
    await page.getByRole('button', { name: 'Rotate secret…' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = page.getByRole('region', { name: 'Secret rotated: the new signing secret' });
    await rotated.waitFor();
    const newSecret = await rotated.getByLabel('Signing secret').inputValue();
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(secret);
    const after = await http<WebhookEndpoint>('GET', `${stack.apiUrl}/v1/webhook-endpoints/${endpointId}`, {
      token: TOKENS.admin,
    });
    expect(after.body.previousSecretExpiresAt).not.toBeNull();
    expect(await rotated.getByTestId('webhook-rotated-overlap').textContent()).toMatch(/^Until \w{3} \d{2}, \d{4}/);
    await screenshot(page, 'webhooks-11-rotated');
    await rotated.getByRole('button', { name: 'I have stored the secret' }).click();
    expect(await bodyText(page)).not.toContain(newSecret);
    await expectText(page, 'webhook-secret-state', /^Rotated: the previous secret also signs until /);
    // Both secrets sign during the overlap: a receiver that knows only the new one accepts a test event.
    await receiver.configure({ secrets: [newSecret] });
    await page.getByRole('button', { name: 'Send test event' }).click();
    await expect.poll(() => page.getByTestId('webhook-test-outcome').getAttribute('data-succeeded')).toBe('true');

    // Delete, after a confirmation: gone from the list, and its address says so.
    await page.getByRole('button', { name: 'Delete…' }).click();
    const deleting = page.getByRole('alertdialog');
    expect(await deleting.textContent()).toContain('cannot be undone');
    await deleting.getByRole('button', { name: 'Delete endpoint' }).click();
    await page.getByTestId('webhooks-empty').waitFor();
    await screenshot(page, 'webhooks-12-deleted');
    await page.goto(`/admin/webhooks/${endpointId}`);
    await page.getByTestId('resource-not-found').waitFor();
    expect(await page.getByTestId('resource-not-found').textContent()).toContain(endpointId);

    expect(admin.pageErrors, 'uncaught errors in the page').toEqual([]);
  });

  it('a refused test event, a URL the deployment refuses, an unknown endpoint, an action on a deleted one: shown as the other screens show them', async () => {
    const receiver = new WebhookReceiver(stack.platformUrl);
    const admin = await appAs(TOKENS.admin);
    const { page } = admin;
    await page.goto('/admin/webhooks');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const form = page.getByRole('region', { name: 'Add a webhook endpoint' });
    await form.getByLabel(/^URL/).fill(receiver.url);
    await form.getByRole('checkbox', { name: /^refund\.created/ }).check();
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByRole('region', { name: 'Endpoint added: its signing secret' }).waitFor();
    // The receiver does not know this secret: it refuses the test event (401), one attempt only.
    await page.getByTestId('webhook-created-open').click();
    await page.getByRole('button', { name: 'Send test event' }).click();
    const outcome = page.getByTestId('webhook-test-outcome');
    await outcome.waitFor();
    expect(await outcome.getAttribute('data-succeeded')).toBe('false');
    expect(await outcome.textContent()).toContain('HTTP 401');
    const failed = deliveryRows(page, { kind: 'test', succeeded: false });
    await failed.waitFor();
    expect(await failed.textContent()).toContain('Not retried (test)');

    // An endpoint id that does not exist: the 404 problem is a not-found page, not an error box.
    await page.goto('/admin/webhooks/whe_00000000000000000000000000');
    await page.getByTestId('resource-not-found').waitFor();
    // A refusal of an action (the endpoint was deleted meanwhile): the problem in words, with its code.
    const listed = await http<WebhookEndpointList>('GET', `${stack.apiUrl}/v1/webhook-endpoints`, {
      token: TOKENS.admin,
    });
    const mine = listed.body.data.find((e) => e.url === receiver.url);
    expect(mine).toBeDefined();
    await page.goto(`/admin/webhooks/${mine?.id ?? ''}`);
    await page.getByRole('button', { name: 'Rotate secret…' }).click();
    const removed = await http('DELETE', `${stack.apiUrl}/v1/webhook-endpoints/${mine?.id ?? ''}`, {
      token: TOKENS.admin,
    });
    expect(removed.status).toBe(200);
    await page.getByRole('alertdialog').getByRole('button', { name: 'Rotate secret' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'The secret was not rotated' });
    await refused.waitFor();
    expect(await refused.getAttribute('data-error-code')).toBe('webhook_endpoint_not_found');
    expect(await refused.textContent()).toContain('There is no webhook endpoint with this id');
    // The page reads the endpoint again and finds it gone.
    await page.getByTestId('resource-not-found').waitFor();
    expect(await refused.isVisible()).toBe(true);
    await screenshot(page, 'webhooks-13-action-refused');
    expect(admin.pageErrors, 'uncaught errors in the page').toEqual([]);

    // A deployment that takes https only: the 422 problem in the form, in words, with its code.
    const httpsOnly = await startSecondApi(stack, { API_TOKENS, WEBHOOK_ALLOW_HTTP: 'false' });
    try {
      const strict = await openApp(browser, httpsOnly.apiUrl);
      apps.push(strict);
      await signIn(strict.page, TOKENS.admin);
      await strict.page.goto('/admin/webhooks');
      await strict.page.getByRole('button', { name: 'Add endpoint' }).click();
      const strictForm = strict.page.getByRole('region', { name: 'Add a webhook endpoint' });
      await strictForm.getByLabel(/^URL/).fill(receiver.url);
      await strictForm.getByRole('checkbox', { name: /^purchase\.completed/ }).check();
      await strictForm.getByRole('button', { name: 'Add endpoint' }).click();
      const problem = strictForm.getByRole('alert');
      await problem.waitFor();
      expect(await problem.getAttribute('data-error-code')).toBe('webhook_url_not_allowed');
      expect(await problem.textContent()).toContain('The endpoint was not added');
      expect(await problem.textContent()).toContain(
        'This URL cannot receive webhooks here. Webhook URLs must use https.',
      );
      expect(await strict.page.getByRole('region', { name: 'Endpoint added: its signing secret' }).count()).toBe(0);
      await screenshot(strict.page, 'webhooks-14-url-refused');
      expect(strict.pageErrors, 'uncaught errors in the page').toEqual([]);
    } finally {
      await httpsOnly.close();
    }
  });

  it('a support user does not see the page', async () => {
    const support = await appAs(TOKENS.support);
    const { page } = support;
    await page.getByTestId('nav-customers').waitFor();
    expect(await page.getByTestId('nav-webhooks').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
    await page.goto('/admin/webhooks');
    await page.getByTestId('forbidden').waitFor();
    expect(await page.getByTestId('webhooks-page').count()).toBe(0);
    await screenshot(page, 'webhooks-15-support-forbidden');
    // The API refuses it too.
    const res = await http('GET', `${stack.apiUrl}/v1/webhook-endpoints`, { token: TOKENS.support });
    expect(res.status).toBe(403);
    expect(support.pageErrors, 'uncaught errors in the page').toEqual([]);
  });
});
