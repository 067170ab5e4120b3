/**
 * Webhook endpoints (admin): create (the secret shown once), list, read, change, disable and
 * enable, delete, rotate the secret, the delivery log, a test event and a resend. Delivery
 * itself is the `webhookEndpointDelivery` workflow (workflows/webhook.ts), one per endpoint:
 * started (or woken) here on create and enable, cancelled on disable and delete.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type {
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointCreate,
  WebhookEndpointCreated,
  WebhookEndpointDeleted,
  WebhookEndpointPatch,
  WebhookResendAccepted,
  WebhookSecretRotated,
  WebhookTestResult,
} from '../contracts/index.js';
import { lastEventSequence } from '../db/events-repository.js';
import type { WebhookDeliveryRow, WebhookEndpointRow } from '../db/schema.js';
import {
  deleteWebhookEndpoint,
  findEventById,
  getWebhookEndpoint,
  insertWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  type WebhookEndpointChange,
} from '../db/webhook-repository.js';
import { DomainError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { newWebhookSecret } from '../domain/webhook-signature.js';
import {
  wakeSignal,
  webhookDeliveryInput,
  webhookEndpointDelivery,
  webhookRetryPolicy,
  webhookSingleDelivery,
  webhookWorkflowId,
} from '../../workflows/webhook.js';
import type { Actor, AppDeps } from './deps.js';

export function toWebhookEndpoint(row: WebhookEndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    types: row.types as WebhookEndpoint['types'],
    description: row.description,
    status: row.status,
    disabled:
      row.status === 'disabled' && row.disabledAt
        ? { at: row.disabledAt.toISOString(), by: row.disabledBy ?? '', reason: row.disabledReason ?? '' }
        : null,
    lastDeliveredSequence: row.cursor,
    previousSecretExpiresAt:
      row.previousSecretExpiresAt && row.previousSecretExpiresAt > new Date()
        ? row.previousSecretExpiresAt.toISOString()
        : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    workflowId: webhookWorkflowId(row.id),
  };
}

export function toWebhookDelivery(row: WebhookDeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: row.eventType,
    eventSequence: row.eventSequence,
    kind: row.kind,
    attempt: row.attempt,
    succeeded: row.succeeded,
    httpStatus: row.httpStatus,
    error: row.error,
    durationMs: row.durationMs,
    nextRetryAt: row.nextRetryAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

function notFound(id: string): DomainError {
  return new DomainError('webhook_endpoint_not_found', `No webhook endpoint ${id}.`);
}

/** http:// only where the deployment allows it; https always. */
function checkUrl(deps: AppDeps, url: string): void {
  if (new URL(url).protocol === 'http:' && !deps.config.webhooks.allowHttp) {
    throw new DomainError('webhook_url_not_allowed', 'Webhook URLs must use https.', { url });
  }
}

/** Starts the endpoint's delivery workflow, or wakes the running one. */
export async function startWebhookDelivery(deps: AppDeps, endpointId: string): Promise<void> {
  await deps.temporal.workflow.signalWithStart(webhookEndpointDelivery, {
    workflowId: webhookWorkflowId(endpointId),
    taskQueue: deps.config.temporal.taskQueue,
    args: [webhookDeliveryInput(deps.config.webhooks, endpointId)],
    signal: wakeSignal,
    signalArgs: [],
  });
}

/** Best effort: the worker's dispatcher starts any enabled endpoint's workflow within its sweep interval. */
async function startOrLog(deps: AppDeps, endpointId: string): Promise<void> {
  try {
    await startWebhookDelivery(deps, endpointId);
  } catch (error) {
    deps.logger.warn(
      { err: error, endpointId },
      'could not start the webhook delivery workflow; the dispatcher will start it',
    );
  }
}

async function stopWebhookDelivery(deps: AppDeps, endpointId: string): Promise<void> {
  try {
    await deps.temporal.workflow.getHandle(webhookWorkflowId(endpointId)).cancel();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return;
    // The workflow also stops by itself: its next read or attempt finds the endpoint disabled.
    deps.logger.warn({ err: error, endpointId }, 'could not cancel the webhook delivery workflow');
  }
}

export async function createWebhookEndpoint(
  deps: AppDeps,
  body: WebhookEndpointCreate,
  actor: Actor,
): Promise<WebhookEndpointCreated> {
  checkUrl(deps, body.url);
  const secret = newWebhookSecret();
  const db = deps.database.db;
  // Deliveries start with the first event committed after the endpoint exists.
  const row = await insertWebhookEndpoint(db, {
    url: body.url,
    types: body.types,
    description: body.description ?? null,
    secret,
    cursor: await lastEventSequence(db),
    createdBy: actor.name,
  });
  await startOrLog(deps, row.id);
  return { ...toWebhookEndpoint(row), secret };
}

export interface WebhookEndpointPage {
  readonly data: WebhookEndpoint[];
  readonly hasMore: boolean;
}

export async function listWebhookEndpointsPage(
  deps: AppDeps,
  limit: number,
  beforeId: string | null,
): Promise<WebhookEndpointPage> {
  const page = await listWebhookEndpoints(deps.database.db, limit, beforeId);
  return { data: page.rows.map(toWebhookEndpoint), hasMore: page.hasMore };
}

async function existing(deps: AppDeps, id: string): Promise<WebhookEndpointRow> {
  const row = await getWebhookEndpoint(deps.database.db, id);
  if (!row) throw notFound(id);
  return row;
}

export async function webhookEndpoint(deps: AppDeps, id: string): Promise<WebhookEndpoint> {
  return toWebhookEndpoint(await existing(deps, id));
}

export async function changeWebhookEndpoint(
  deps: AppDeps,
  id: string,
  patch: WebhookEndpointPatch,
  actor: Actor,
): Promise<WebhookEndpoint> {
  const before = await existing(deps, id);
  if (patch.url !== undefined) checkUrl(deps, patch.url);
  const change: { -readonly [K in keyof WebhookEndpointChange]: WebhookEndpointChange[K] } = {};
  if (patch.url !== undefined) change.url = patch.url;
  if (patch.types !== undefined) change.types = patch.types;
  if (patch.description !== undefined) change.description = patch.description;
  if (patch.status === 'disabled' && before.status !== 'disabled') {
    change.status = { to: 'disabled', by: actor.name, reason: patch.reason ?? `disabled by ${actor.name}` };
  } else if (patch.status === 'enabled' && before.status !== 'enabled') {
    change.status = { to: 'enabled' };
  }
  const row = await updateWebhookEndpoint(deps.database.db, id, change);
  if (!row) throw notFound(id);
  if (row.status === 'disabled' && before.status === 'enabled') await stopWebhookDelivery(deps, id);
  // Enabled again, or another URL or types: (re)start or wake the workflow.
  if (row.status === 'enabled') await startOrLog(deps, id);
  return toWebhookEndpoint(row);
}

export async function removeWebhookEndpoint(deps: AppDeps, id: string, actor: Actor): Promise<WebhookEndpointDeleted> {
  const row = await deleteWebhookEndpoint(deps.database.db, id, actor.name);
  if (!row) throw notFound(id);
  await stopWebhookDelivery(deps, id);
  return { id, deleted: true };
}

export async function rotateWebhookEndpointSecret(deps: AppDeps, id: string): Promise<WebhookSecretRotated> {
  const secret = newWebhookSecret();
  const row = await rotateWebhookSecret(deps.database.db, id, secret, deps.config.webhooks.secretOverlapMs);
  if (!row?.previousSecretExpiresAt) throw notFound(id);
  return { secret, previousSecretExpiresAt: row.previousSecretExpiresAt.toISOString() };
}

export interface WebhookDeliveryPage {
  readonly data: WebhookDelivery[];
  readonly hasMore: boolean;
}

export async function webhookDeliveriesPage(
  deps: AppDeps,
  id: string,
  options: { readonly limit: number; readonly beforeId: string | null; readonly eventId?: string | undefined },
): Promise<WebhookDeliveryPage> {
  await existing(deps, id);
  const page = await listWebhookDeliveries(deps.database.db, id, options);
  return { data: page.rows.map(toWebhookDelivery), hasMore: page.hasMore };
}

/** One attempt of a `webhook.test` event, to this endpoint only (also when disabled: a check before enabling). */
export async function sendWebhookTest(deps: AppDeps, id: string, actor: Actor): Promise<WebhookTestResult> {
  await existing(deps, id);
  const eventId = newId('evt');
  const end = await deps.temporal.workflow.execute(webhookSingleDelivery, {
    workflowId: `webhook-test-${id}-${eventId}`,
    taskQueue: deps.config.temporal.taskQueue,
    args: [
      {
        endpointId: id,
        kind: 'test',
        test: { id: eventId, createdAt: new Date().toISOString(), requestedBy: actor.name },
        retry: webhookRetryPolicy(deps.config.webhooks),
        timeoutMs: deps.config.webhooks.timeoutMs,
      },
    ],
    workflowExecutionTimeout: deps.config.webhooks.timeoutMs + 60_000,
  });
  if (!end.delivery) throw notFound(id);
  const { rows } = await listWebhookDeliveries(deps.database.db, id, { limit: 1, beforeId: null, eventId });
  const row = rows[0];
  if (!row) throw new Error(`the test delivery ${end.delivery.deliveryId} was not recorded`);
  return { eventId, delivery: toWebhookDelivery(row) };
}

/** Delivers one event of the feed again (same `webhook-id`), outside the feed's order. */
export async function resendWebhookEvent(deps: AppDeps, id: string, eventId: string): Promise<WebhookResendAccepted> {
  const endpoint = await existing(deps, id);
  if (endpoint.status !== 'enabled') {
    throw new DomainError('webhook_endpoint_disabled', `Webhook endpoint ${id} is disabled: enable it first.`, {
      endpointId: id,
    });
  }
  const event = await findEventById(deps.database.db, eventId);
  if (!event || !endpoint.types.includes(event.type)) {
    throw new DomainError(
      'webhook_event_not_found',
      `No event ${eventId} of a type this endpoint receives (${endpoint.types.join(', ')}).`,
      { eventId },
    );
  }
  const workflowId = `webhook-resend-${id}-${newId('whd')}`;
  await deps.temporal.workflow.start(webhookSingleDelivery, {
    workflowId,
    taskQueue: deps.config.temporal.taskQueue,
    args: [
      {
        endpointId: id,
        kind: 'resend',
        eventId,
        retry: webhookRetryPolicy(deps.config.webhooks),
        timeoutMs: deps.config.webhooks.timeoutMs,
      },
    ],
  });
  return { endpointId: id, eventId, workflowId };
}
