/** OpenAPI registration of the webhook-endpoint routes. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  WebhookDeliveryList,
  WebhookDeliveryListQuery,
  WebhookEndpoint,
  WebhookEndpointCreate,
  WebhookEndpointCreated,
  WebhookEndpointDeleted,
  WebhookEndpointList,
  WebhookEndpointListQuery,
  WebhookEndpointParam,
  WebhookEndpointPatch,
  WebhookPayload,
  WebhookResend,
  WebhookResendAccepted,
  WebhookSecretRotated,
  WebhookTestResult,
} from '../../contracts/index.js';
import { bodyProblems, problems } from '../openapi-parts.js';

const DELIVERY = [
  "Delivery follows the Standard Webhooks specification: a `POST` of a JSON `WebhookPayload` with the headers `webhook-id` (the event id: a redelivery carries the same one, so consumers deduplicate on it), `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature` (`v1,` + base64 of HMAC-SHA256 over `<webhook-id>.<webhook-timestamp>.<body>` keyed with the base64-decoded part of the secret after `whsec_`; during a rotation's overlap two signatures, space-separated, and either one verifies).",
  '**At least once, in order per endpoint**: events are delivered one at a time in their feed order (`sequence`); an event is retried until it is answered 2xx, and the next waits for it. A 2xx within 10 s is a success; anything else (another status, a redirect, a timeout, no connection) is retried with exponential backoff — 5 s doubling to 1 h — for at least 24 h. If an event is still not accepted then, the endpoint is **disabled** with the reason (`disabled.by` = `system`) and delivery stops; enabling it again resumes with that same event, so nothing is skipped. A receiver may see an event twice (a crash after its 2xx but before it was recorded): deduplicate by `webhook-id`.',
  'An endpoint receives the events committed after its creation. Each endpoint is delivered by one Temporal workflow, `webhook-endpoint-<id>` (`workflowId`), visible in the Temporal Web UI.',
].join('\n\n');

export function registerWebhookPaths(registry: OpenAPIRegistry): void {
  const admin = 'Role: admin.';
  // What the service sends: OpenAPI 3.1's `webhooks` section.
  registry.registerWebhook({
    method: 'post',
    path: 'event',
    operationId: 'webhookEvent',
    tags: ['Webhooks'],
    summary: 'An event, POSTed to each endpoint subscribed to its type',
    description: DELIVERY,
    security: [],
    request: {
      headers: z.object({
        'webhook-id': z
          .string()
          .meta({ description: 'The event id; the same on every redelivery (deduplicate on it)' }),
        'webhook-timestamp': z.string().regex(/^\d+$/).meta({ description: 'Unix seconds of this attempt' }),
        'webhook-signature': z
          .string()
          .meta({ description: 'One or two (during a rotation) space-separated `v1,<base64 HMAC-SHA256>` signatures' }),
      }),
      body: { required: true, content: { 'application/json': { schema: WebhookPayload } } },
    },
    responses: {
      200: { description: 'Any 2xx within 10 s acknowledges the event' },
      default: { description: 'Anything else (or no answer within 10 s) is retried with backoff for at least 24 h' },
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/webhook-endpoints',
    operationId: 'createWebhookEndpoint',
    tags: ['Webhooks'],
    summary: 'Create a webhook endpoint',
    description: `${admin} Answers the signing secret (\`secret\`) once: it is never shown again (rotate it to get a new one).\n\n${DELIVERY}`,
    request: { body: { required: true, content: { 'application/json': { schema: WebhookEndpointCreate } } } },
    responses: {
      201: {
        description: 'Created; delivery starts with the next event',
        headers: { Location: { description: 'The endpoint', schema: { type: 'string' } } },
        content: { 'application/json': { schema: WebhookEndpointCreated } },
      },
      ...bodyProblems('webhook_url_not_allowed'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/webhook-endpoints',
    operationId: 'listWebhookEndpoints',
    tags: ['Webhooks'],
    summary: 'List webhook endpoints, newest first',
    description: `${admin} Deleted endpoints are not listed. Secrets are never shown.`,
    request: { query: WebhookEndpointListQuery },
    responses: {
      200: { description: 'A page', content: { 'application/json': { schema: WebhookEndpointList } } },
      ...problems('cursor_invalid'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/webhook-endpoints/{id}',
    operationId: 'getWebhookEndpoint',
    tags: ['Webhooks'],
    summary: 'A webhook endpoint',
    description: admin,
    request: { params: WebhookEndpointParam },
    responses: {
      200: { description: 'The endpoint', content: { 'application/json': { schema: WebhookEndpoint } } },
      ...problems('webhook_endpoint_not_found'),
    },
  });
  registry.registerPath({
    method: 'patch',
    path: '/v1/webhook-endpoints/{id}',
    operationId: 'updateWebhookEndpoint',
    tags: ['Webhooks'],
    summary: 'Change, disable or enable a webhook endpoint',
    description: `${admin} \`status: disabled\` stops delivery at once (the admin and \`reason\` are recorded in \`disabled\`); \`status: enabled\` resumes it from the first event the endpoint has not acknowledged, also after the system disabled it.`,
    request: {
      params: WebhookEndpointParam,
      body: { required: true, content: { 'application/json': { schema: WebhookEndpointPatch } } },
    },
    responses: {
      200: {
        description: 'The endpoint after the change',
        content: { 'application/json': { schema: WebhookEndpoint } },
      },
      ...bodyProblems('webhook_endpoint_not_found', 'webhook_url_not_allowed'),
    },
  });
  registry.registerPath({
    method: 'delete',
    path: '/v1/webhook-endpoints/{id}',
    operationId: 'deleteWebhookEndpoint',
    tags: ['Webhooks'],
    summary: 'Delete a webhook endpoint',
    description: `${admin} Delivery stops; the endpoint then answers 404. Its delivery log is kept in the database.`,
    request: { params: WebhookEndpointParam },
    responses: {
      200: { description: 'Deleted', content: { 'application/json': { schema: WebhookEndpointDeleted } } },
      ...problems('webhook_endpoint_not_found'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/webhook-endpoints/{id}/deliveries',
    operationId: 'listWebhookDeliveries',
    tags: ['Webhooks'],
    summary: "An endpoint's delivery attempts, newest first",
    description: `${admin} One row per attempt: the event, the HTTP status or the error, the duration, and when the next retry is due.`,
    request: { params: WebhookEndpointParam, query: WebhookDeliveryListQuery },
    responses: {
      200: { description: 'A page', content: { 'application/json': { schema: WebhookDeliveryList } } },
      ...problems('webhook_endpoint_not_found', 'cursor_invalid'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/webhook-endpoints/{id}/test',
    operationId: 'sendWebhookTest',
    tags: ['Webhooks'],
    summary: 'Send a test event to this endpoint',
    description: `${admin} Sends one event of type \`webhook.test\` (a new event id, signed like any delivery) to this endpoint only — also a disabled one, to check it before enabling it. It is not part of the events feed and not retried; the answer is the attempt, successful or not. Waits for the attempt (at most the 10 s delivery timeout).`,
    request: { params: WebhookEndpointParam },
    responses: {
      200: { description: 'The attempt', content: { 'application/json': { schema: WebhookTestResult } } },
      ...problems('webhook_endpoint_not_found'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/webhook-endpoints/{id}/resend',
    operationId: 'resendWebhookEvent',
    tags: ['Webhooks'],
    summary: 'Deliver an event to this endpoint again',
    description: `${admin} Delivers the event again with the same \`webhook-id\`, outside the feed's order (the feed's own delivery goes on), retried like any delivery; its attempts appear in the delivery log as kind \`resend\`. A resend that runs out of retries does not disable the endpoint. The endpoint must be enabled and subscribed to the event's type.`,
    request: {
      params: WebhookEndpointParam,
      body: { required: true, content: { 'application/json': { schema: WebhookResend } } },
    },
    responses: {
      202: {
        description: 'Accepted: the resend runs',
        content: { 'application/json': { schema: WebhookResendAccepted } },
      },
      ...bodyProblems('webhook_endpoint_not_found', 'webhook_event_not_found', 'webhook_endpoint_disabled'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/webhook-endpoints/{id}/secret/rotate',
    operationId: 'rotateWebhookSecret',
    tags: ['Webhooks'],
    summary: "Rotate an endpoint's signing secret",
    description: `${admin} Answers the new secret once. For the next 24 h (\`previousSecretExpiresAt\`) every delivery carries two signatures, one with the new and one with the previous secret, so the receiver can switch at any time within the overlap; then only the new one signs. A second rotation within the overlap ends the first one's previous secret.`,
    request: { params: WebhookEndpointParam },
    responses: {
      200: { description: 'The new secret', content: { 'application/json': { schema: WebhookSecretRotated } } },
      ...problems('webhook_endpoint_not_found'),
    },
  });
}
