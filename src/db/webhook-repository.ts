/**
 * Webhook endpoints and their delivery log. The endpoint row holds the delivery cursor, which
 * moves only forward and only after a 2xx (`advanceCursor`), and the signing secrets.
 */
import { and, desc, eq, isNull, lt, sql, type SQL } from 'drizzle-orm';
import type { Executor } from './client.js';
import { newId } from '../domain/ids.js';
import { listEventsAfter, type EventRecord } from './events-repository.js';
import {
  events,
  webhookDeliveries,
  webhookEndpoints,
  type WebhookDeliveryKind,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from './schema.js';

export interface NewWebhookEndpoint {
  readonly url: string;
  readonly types: readonly string[];
  readonly description: string | null;
  readonly secret: string;
  /** The sequence after which this endpoint's deliveries start (the last event at creation). */
  readonly cursor: number;
  readonly createdBy: string;
}

export async function insertWebhookEndpoint(db: Executor, input: NewWebhookEndpoint): Promise<WebhookEndpointRow> {
  const [row] = await db
    .insert(webhookEndpoints)
    .values({
      id: newId('whe'),
      url: input.url,
      types: [...input.types],
      description: input.description,
      secret: input.secret,
      cursor: input.cursor,
      createdBy: input.createdBy,
    })
    .returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** The endpoint unless deleted. */
export async function getWebhookEndpoint(db: Executor, id: string): Promise<WebhookEndpointRow | null> {
  const [row] = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), isNull(webhookEndpoints.deletedAt)));
  return row ?? null;
}

/** Newest first (ids are ULIDs: they sort by creation); `beforeId` is the last id of the previous page. */
export async function listWebhookEndpoints(
  db: Executor,
  limit: number,
  beforeId: string | null,
): Promise<{ rows: WebhookEndpointRow[]; hasMore: boolean }> {
  const conditions: SQL[] = [isNull(webhookEndpoints.deletedAt)];
  if (beforeId) conditions.push(lt(webhookEndpoints.id, beforeId));
  const rows = await db
    .select()
    .from(webhookEndpoints)
    .where(and(...conditions))
    .orderBy(desc(webhookEndpoints.id))
    .limit(limit + 1);
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}

export async function enabledWebhookEndpointIds(db: Executor): Promise<string[]> {
  const rows = await db
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.status, 'enabled'), isNull(webhookEndpoints.deletedAt)));
  return rows.map((r) => r.id);
}

export interface WebhookEndpointChange {
  readonly url?: string;
  readonly types?: readonly string[];
  readonly description?: string | null;
  /** `disabled` with who and why, or `enabled` (clears them). */
  readonly status?:
    { readonly to: 'enabled' } | { readonly to: 'disabled'; readonly by: string; readonly reason: string };
}

export async function updateWebhookEndpoint(
  db: Executor,
  id: string,
  change: WebhookEndpointChange,
): Promise<WebhookEndpointRow | null> {
  const set: Partial<typeof webhookEndpoints.$inferInsert> = { updatedAt: sql`clock_timestamp()` as unknown as Date };
  if (change.url !== undefined) set.url = change.url;
  if (change.types !== undefined) set.types = [...change.types];
  if (change.description !== undefined) set.description = change.description;
  if (change.status?.to === 'enabled') {
    Object.assign(set, { status: 'enabled', disabledAt: null, disabledBy: null, disabledReason: null });
  } else if (change.status?.to === 'disabled') {
    Object.assign(set, {
      status: 'disabled',
      disabledAt: sql`clock_timestamp()`,
      disabledBy: change.status.by,
      disabledReason: change.status.reason,
    });
  }
  const [row] = await db
    .update(webhookEndpoints)
    .set(set)
    .where(and(eq(webhookEndpoints.id, id), isNull(webhookEndpoints.deletedAt)))
    .returning();
  return row ?? null;
}

/** Disables an enabled endpoint (the delivery workflow, when an event's retry budget ran out); null when it was not enabled. */
export async function disableWebhookEndpointIfEnabled(
  db: Executor,
  id: string,
  by: string,
  reason: string,
): Promise<WebhookEndpointRow | null> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      status: 'disabled',
      disabledAt: sql`clock_timestamp()`,
      disabledBy: by,
      disabledReason: reason,
      updatedAt: sql`clock_timestamp()`,
    })
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.status, 'enabled'), isNull(webhookEndpoints.deletedAt)))
    .returning();
  return row ?? null;
}

export async function deleteWebhookEndpoint(db: Executor, id: string, by: string): Promise<WebhookEndpointRow | null> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      deletedAt: sql`clock_timestamp()`,
      deletedBy: by,
      status: 'disabled',
      disabledAt: sql`coalesce(${webhookEndpoints.disabledAt}, clock_timestamp())`,
      disabledBy: sql`coalesce(${webhookEndpoints.disabledBy}, ${by})`,
      disabledReason: sql`coalesce(${webhookEndpoints.disabledReason}, 'deleted')`,
      updatedAt: sql`clock_timestamp()`,
    })
    .where(and(eq(webhookEndpoints.id, id), isNull(webhookEndpoints.deletedAt)))
    .returning();
  return row ?? null;
}

/** The new secret signs from now on; the current one keeps signing until `overlapMs` from now. */
export async function rotateWebhookSecret(
  db: Executor,
  id: string,
  secret: string,
  overlapMs: number,
): Promise<WebhookEndpointRow | null> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      previousSecret: sql`${webhookEndpoints.secret}`,
      previousSecretExpiresAt: sql`clock_timestamp() + make_interval(secs => ${overlapMs / 1000})`,
      secret,
      updatedAt: sql`clock_timestamp()`,
    })
    .where(and(eq(webhookEndpoints.id, id), isNull(webhookEndpoints.deletedAt)))
    .returning();
  return row ?? null;
}

/** The secrets that sign a delivery now: the current one, and the previous one during its overlap. */
export function signingSecrets(row: WebhookEndpointRow, now: Date): string[] {
  const secrets = [row.secret];
  if (row.previousSecret && row.previousSecretExpiresAt && row.previousSecretExpiresAt > now) {
    secrets.push(row.previousSecret);
  }
  return secrets;
}

/** Moves the cursor to `sequence` after that event's 2xx; never backwards. */
export async function advanceWebhookCursor(db: Executor, id: string, sequence: number): Promise<void> {
  await db
    .update(webhookEndpoints)
    .set({ cursor: sequence })
    .where(and(eq(webhookEndpoints.id, id), lt(webhookEndpoints.cursor, sequence)));
}

export interface NewWebhookDelivery {
  readonly endpointId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly eventSequence: number | null;
  readonly kind: WebhookDeliveryKind;
  readonly attempt: number;
  readonly succeeded: boolean;
  readonly httpStatus: number | null;
  readonly error: string | null;
  readonly durationMs: number;
  readonly nextRetryAt: Date | null;
}

export async function insertWebhookDelivery(db: Executor, input: NewWebhookDelivery): Promise<WebhookDeliveryRow> {
  const [row] = await db
    .insert(webhookDeliveries)
    .values({ id: newId('whd'), ...input })
    .returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** Newest first; `beforeId` is the last id of the previous page. */
export async function listWebhookDeliveries(
  db: Executor,
  endpointId: string,
  options: { readonly limit: number; readonly beforeId: string | null; readonly eventId?: string | undefined },
): Promise<{ rows: WebhookDeliveryRow[]; hasMore: boolean }> {
  const conditions: SQL[] = [eq(webhookDeliveries.endpointId, endpointId)];
  if (options.beforeId) conditions.push(lt(webhookDeliveries.id, options.beforeId));
  if (options.eventId) conditions.push(eq(webhookDeliveries.eventId, options.eventId));
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(and(...conditions))
    .orderBy(desc(webhookDeliveries.id))
    .limit(options.limit + 1);
  return { rows: rows.slice(0, options.limit), hasMore: rows.length > options.limit };
}

/** The latest attempt of an event at an endpoint (for the reason an endpoint is disabled). */
export async function lastWebhookDelivery(
  db: Executor,
  endpointId: string,
  eventId: string,
): Promise<WebhookDeliveryRow | null> {
  const [row] = await db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.eventId, eventId)))
    .orderBy(desc(webhookDeliveries.id))
    .limit(1);
  return row ?? null;
}

/** One event of the feed by its id (a resend), or null. */
export async function findEventById(db: Executor, id: string): Promise<EventRecord | null> {
  const [row] = await db.select().from(events).where(eq(events.id, id));
  return row
    ? {
        id: row.id,
        sequence: row.sequence,
        type: row.type,
        customerId: row.customerId,
        createdAt: row.createdAt,
        data: row.data,
      }
    : null;
}

/** One event of the feed by its sequence, or null. */
export async function findEventBySequence(db: Executor, sequence: number): Promise<EventRecord | null> {
  const [event] = await listEventsAfter(db, { after: sequence - 1, limit: 1 });
  return event && event.sequence === sequence ? event : null;
}
