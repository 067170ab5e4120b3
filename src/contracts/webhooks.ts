/** Webhook endpoints (admin) and their delivery log. */
import { z } from 'zod';
import { ListQuery, Timestamp, freeText, listOf } from './common.js';
import { EVENT_TYPES, Event, EventType } from './events.js';
import { notEmpty, withRules, type CrossFieldRule } from './rules.js';

/** The event types an endpoint can subscribe to: those of the events feed. */
export const WEBHOOK_EVENT_TYPES = EVENT_TYPES;
export const WebhookEventType = EventType;
export type WebhookEventType = EventType;

/** The type of the test event (`POST …/test`): never part of the feed, sent to one endpoint only. */
export const WEBHOOK_TEST_EVENT_TYPE = 'webhook.test';

export const WebhookEndpointId = z
  .string()
  .regex(/^whe_[0-9A-HJKMNP-TV-Z]{26}$/, 'a webhook endpoint id (whe_ + 26 characters)')
  .meta({ example: 'whe_01JDQ3Y9V4T8K2M6N0P5R7S9W1' });

export const WebhookEndpointParam = z.object({ id: WebhookEndpointId });
export type WebhookEndpointParam = z.infer<typeof WebhookEndpointParam>;

export const WebhookUrl = z
  .string()
  .max(2048)
  .url()
  .refine((v) => /^https?:\/\//i.test(v), 'an http(s) URL')
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.username === '' && u.password === '' && u.hash === '';
    } catch {
      return false;
    }
  }, 'no credentials or fragment in the URL')
  .meta({
    description:
      'Absolute https URL (http only where the deployment allows it: not in production, unless WEBHOOK_ALLOW_HTTP=true; otherwise 422 `webhook_url_not_allowed`). No user:password@, no #fragment. Up to 2048 characters.',
    example: 'https://hooks.example.com/purchase-ledger',
  });

const Types = z
  .array(WebhookEventType)
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((t) => new Set(t).size === t.length, 'each type once')
  .meta({ description: 'The event types to deliver (at least one, each once)', uniqueItems: true });

const Description = z
  .string()
  .trim()
  .max(500)
  .regex(new RegExp(`^[^\\x00]*$`), 'must not hold a NUL character')
  .meta({ description: 'Free text for operators, up to 500 characters, no NUL character (U+0000)' });

export const WebhookEndpointCreate = z
  .strictObject({ url: WebhookUrl, types: Types, description: Description.nullable().optional() })
  .meta({ id: 'WebhookEndpointCreate' });
export type WebhookEndpointCreate = z.infer<typeof WebhookEndpointCreate>;

/** `reason` says why an endpoint is disabled: only with `status: disabled`. */
const reasonOnlyWhenDisabling: CrossFieldRule = {
  jsonSchema: {
    if: { properties: { reason: { type: 'string' } }, required: ['reason'] },
    then: { required: ['status'], properties: { status: { const: 'disabled' } } },
  },
  check: (value) =>
    value.reason !== undefined && value.status !== 'disabled'
      ? { path: 'reason', message: 'reason goes with status: disabled' }
      : null,
};

export const WebhookEndpointPatch = withRules(
  z.strictObject({
    url: WebhookUrl.optional(),
    types: Types.optional(),
    description: Description.nullable().optional(),
    status: z.enum(['enabled', 'disabled']).optional().meta({
      description:
        '`disabled` stops delivery (who and `reason` are recorded); `enabled` resumes it from the first event not yet acknowledged — nothing is skipped.',
    }),
    reason: freeText(1, 500).optional().meta({
      description:
        'Why the endpoint is disabled (with `status: disabled` only): not only whitespace, no NUL character (U+0000)',
    }),
  }),
  [notEmpty('send at least one field'), reasonOnlyWhenDisabling],
  {
    id: 'WebhookEndpointPatch',
    description:
      'At least one field. `reason` only with `status: disabled` (else 400 `validation_failed`). A change of `types` applies from the next event delivered.',
  },
);
export type WebhookEndpointPatch = z.infer<typeof WebhookEndpointPatch>;

export const WebhookEndpointDisabled = z
  .object({
    at: Timestamp,
    by: z.string().meta({ description: 'The admin token name, or `system` when the retry budget ran out' }),
    reason: z.string(),
  })
  .meta({ id: 'WebhookEndpointDisabled' });

export const WebhookEndpoint = z
  .object({
    id: WebhookEndpointId,
    url: z.string(),
    types: z.array(WebhookEventType),
    description: z.string().nullable(),
    status: z.enum(['enabled', 'disabled']),
    disabled: WebhookEndpointDisabled.nullable().meta({
      description: 'Who disabled it, when and why; null while enabled',
    }),
    lastDeliveredSequence: z
      .number()
      .int()
      .meta({ description: 'Sequence of the last event this endpoint acknowledged (2xx); delivery resumes after it' }),
    previousSecretExpiresAt: Timestamp.nullable().meta({
      description: 'After a rotation: until when the previous secret still signs too; null otherwise',
    }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    workflowId: z.string().meta({ description: 'The delivery workflow in the Temporal Web UI' }),
  })
  .meta({
    id: 'WebhookEndpoint',
    description: 'An endpoint. The signing secret is never shown after creation or rotation.',
  });
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

const Secret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/=]+$/)
  .meta({
    description:
      'The signing secret (Standard Webhooks: `whsec_` + base64 of 32 random bytes). Shown once, in this response only: store it now.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  });

export const WebhookEndpointCreated = WebhookEndpoint.extend({ secret: Secret }).meta({
  id: 'WebhookEndpointCreated',
});
export type WebhookEndpointCreated = z.infer<typeof WebhookEndpointCreated>;

export const WebhookEndpointListQuery = ListQuery.strict();
export type WebhookEndpointListQuery = z.infer<typeof WebhookEndpointListQuery>;
export const WebhookEndpointList = listOf(WebhookEndpoint, 'WebhookEndpointList');
export type WebhookEndpointList = z.infer<typeof WebhookEndpointList>;

export const WebhookEndpointDeleted = z
  .object({ id: WebhookEndpointId, deleted: z.literal(true) })
  .meta({ id: 'WebhookEndpointDeleted' });
export type WebhookEndpointDeleted = z.infer<typeof WebhookEndpointDeleted>;

export const WebhookSecretRotated = z
  .object({
    secret: Secret,
    previousSecretExpiresAt: Timestamp.meta({
      description: 'Until then deliveries carry two signatures (old and new secret); afterwards the new one only',
    }),
  })
  .meta({ id: 'WebhookSecretRotated' });
export type WebhookSecretRotated = z.infer<typeof WebhookSecretRotated>;

export const WebhookDelivery = z
  .object({
    id: z.string(),
    eventId: z.string().meta({ description: 'Also the `webhook-id` header: a redelivery carries the same one' }),
    eventType: z.string(),
    eventSequence: z.number().int().nullable().meta({ description: 'Null for a test event' }),
    kind: z.enum(['event', 'resend', 'test']),
    attempt: z.number().int().min(1),
    succeeded: z.boolean(),
    httpStatus: z.number().int().nullable().meta({ description: 'The answer status; null when none came' }),
    error: z.string().nullable().meta({ description: 'Why the attempt failed (timeout, connection refused, status)' }),
    durationMs: z.number().int(),
    nextRetryAt: Timestamp.nullable().meta({
      description: 'When the next attempt is due; null after a success or the last attempt',
    }),
    createdAt: Timestamp,
  })
  .meta({ id: 'WebhookDelivery', description: 'One delivery attempt' });
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const WebhookDeliveryListQuery = ListQuery.extend({
  eventId: z.string().min(1).max(64).optional().meta({ description: 'Only the attempts of this event' }),
}).strict();
export type WebhookDeliveryListQuery = z.infer<typeof WebhookDeliveryListQuery>;
export const WebhookDeliveryList = listOf(WebhookDelivery, 'WebhookDeliveryList');
export type WebhookDeliveryList = z.infer<typeof WebhookDeliveryList>;

export const WebhookResend = z
  .strictObject({ eventId: z.string().regex(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/, 'an event id (evt_ + 26 characters)') })
  .meta({ id: 'WebhookResend' });
export type WebhookResend = z.infer<typeof WebhookResend>;

export const WebhookResendAccepted = z
  .object({
    endpointId: WebhookEndpointId,
    eventId: z.string(),
    workflowId: z
      .string()
      .meta({ description: 'The resend workflow; its attempts appear in the delivery log as kind `resend`' }),
  })
  .meta({ id: 'WebhookResendAccepted' });
export type WebhookResendAccepted = z.infer<typeof WebhookResendAccepted>;

export const WebhookTestResult = z
  .object({
    eventId: z.string(),
    delivery: WebhookDelivery.meta({ description: 'The one attempt (a test is not retried)' }),
  })
  .meta({ id: 'WebhookTestResult' });
export type WebhookTestResult = z.infer<typeof WebhookTestResult>;

/** The body of a test delivery (`POST …/test`): not an event of the feed, so no sequence. */
export const WebhookTestEvent = z
  .object({
    id: z.string().meta({ description: "'evt_' + a ULID, new for each test; also the `webhook-id`" }),
    sequence: z.null(),
    type: z.literal('webhook.test'),
    createdAt: Timestamp,
    data: z.object({ endpointId: z.string(), requestedBy: z.string(), message: z.string() }),
  })
  .meta({ id: 'WebhookTestEvent' });
export type WebhookTestEvent = z.infer<typeof WebhookTestEvent>;

/**
 * The body of every delivery: the event exactly as GET /v1/events shows it (so a consumer
 * parses the feed and its webhooks alike), or a test event.
 */
export const WebhookPayload = z.union([Event, WebhookTestEvent]).meta({ id: 'WebhookPayload' });
export type WebhookPayload = z.infer<typeof WebhookPayload>;
