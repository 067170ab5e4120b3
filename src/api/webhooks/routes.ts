/** Webhook endpoints (admin): parse, run the use case (`src/app/webhooks.ts`), send its answer. */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  WebhookDeliveryListQuery,
  WebhookEndpointCreate,
  WebhookEndpointListQuery,
  WebhookEndpointParam,
  WebhookEndpointPatch,
  WebhookResend,
  type WebhookDeliveryList,
  type WebhookEndpoint,
  type WebhookEndpointCreated,
  type WebhookEndpointDeleted,
  type WebhookEndpointList,
  type WebhookResendAccepted,
  type WebhookSecretRotated,
  type WebhookTestResult,
} from '../../contracts/index.js';
import {
  changeWebhookEndpoint,
  createWebhookEndpoint,
  listWebhookEndpointsPage,
  removeWebhookEndpoint,
  resendWebhookEvent,
  rotateWebhookEndpointSecret,
  sendWebhookTest,
  webhookDeliveriesPage,
  webhookEndpoint,
} from '../../app/webhooks.js';
import { actorOf, requireRole } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ApiDeps } from '../deps.js';
import { parseBody, parseParams, parseQuery } from '../validate.js';

const Cursor = z.object({ i: z.string().min(1).max(64) });

function next<T extends { id: string }>(page: { data: T[]; hasMore: boolean }): string | null {
  const last = page.data[page.data.length - 1];
  return page.hasMore && last ? encodeCursor({ i: last.id }) : null;
}

export function webhooksRouter(deps: ApiDeps): Router {
  const router = Router();
  const admin = requireRole('admin');

  router.post('/webhook-endpoints', admin, async (req: Request, res: Response<WebhookEndpointCreated>) => {
    const created = await createWebhookEndpoint(deps, parseBody(req, WebhookEndpointCreate), actorOf(req));
    res
      .status(201)
      .set('Location', `/v1/webhook-endpoints/${created.id}`)
      .set('Cache-Control', 'no-store')
      .json(created);
  });

  router.get('/webhook-endpoints', admin, async (req: Request, res: Response<WebhookEndpointList>) => {
    const q = parseQuery(req, WebhookEndpointListQuery);
    const cursor = decodeCursor(q.cursor, Cursor);
    const page = await listWebhookEndpointsPage(deps, q.limit, cursor?.i ?? null);
    res.json({ data: page.data, nextCursor: next(page) });
  });

  router.get('/webhook-endpoints/:id', admin, async (req: Request, res: Response<WebhookEndpoint>) => {
    const { id } = parseParams(req, WebhookEndpointParam);
    res.json(await webhookEndpoint(deps, id));
  });

  router.patch('/webhook-endpoints/:id', admin, async (req: Request, res: Response<WebhookEndpoint>) => {
    const { id } = parseParams(req, WebhookEndpointParam);
    const body = parseBody(req, WebhookEndpointPatch);
    res.json(await changeWebhookEndpoint(deps, id, body, actorOf(req)));
  });

  router.delete('/webhook-endpoints/:id', admin, async (req: Request, res: Response<WebhookEndpointDeleted>) => {
    const { id } = parseParams(req, WebhookEndpointParam);
    res.json(await removeWebhookEndpoint(deps, id, actorOf(req)));
  });

  router.get('/webhook-endpoints/:id/deliveries', admin, async (req: Request, res: Response<WebhookDeliveryList>) => {
    const { id } = parseParams(req, WebhookEndpointParam);
    const q = parseQuery(req, WebhookDeliveryListQuery);
    const cursor = decodeCursor(q.cursor, Cursor);
    const page = await webhookDeliveriesPage(deps, id, {
      limit: q.limit,
      beforeId: cursor?.i ?? null,
      eventId: q.eventId,
    });
    res.json({ data: page.data, nextCursor: next(page) });
  });

  router.post('/webhook-endpoints/:id/test', admin, async (req: Request, res: Response<WebhookTestResult>) => {
    const { id } = parseParams(req, WebhookEndpointParam);
    res.json(await sendWebhookTest(deps, id, actorOf(req)));
  });

  router.post('/webhook-endpoints/:id/resend', admin, async (req: Request, res: Response<WebhookResendAccepted>) => {
    const { id } = parseParams(req, WebhookEndpointParam);
    const body = parseBody(req, WebhookResend);
    res.status(202).json(await resendWebhookEvent(deps, id, body.eventId));
  });

  router.post(
    '/webhook-endpoints/:id/secret/rotate',
    admin,
    async (req: Request, res: Response<WebhookSecretRotated>) => {
      const { id } = parseParams(req, WebhookEndpointParam);
      res.set('Cache-Control', 'no-store').json(await rotateWebhookEndpointSecret(deps, id));
    },
  );

  return router;
}
