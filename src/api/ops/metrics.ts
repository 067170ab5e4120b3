/**
 * `GET /metrics` in Prometheus text format, and the HTTP latency histogram behind it.
 * Unauthenticated like every Prometheus target: expose it on an internal network only.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Metrics } from '../../metrics.js';

/** The route pattern (`/v1/purchases/:purchaseId`), never the raw path: bounded label values. */
function routeOf(req: Request): string {
  const route: unknown = (req as { route?: unknown }).route;
  const pattern = route && typeof route === 'object' && 'path' in route ? route.path : undefined;
  return typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : 'unmatched';
}

const MOVEMENT_ROUTES: Readonly<Record<string, 'grant' | 'deduction'>> = {
  '/v1/customers/:customerId/credit/grants': 'grant',
  '/v1/customers/:customerId/credit/deductions': 'deduction',
};

/**
 * Grants and deductions are single ledger transactions behind the API: a 201 that is not an
 * idempotent replay is one entry written (purchases and refunds are counted by the worker).
 */
function countMovement(metrics: Metrics, req: Request, res: Response, route: string): void {
  const type = MOVEMENT_ROUTES[route];
  if (!type || req.method !== 'POST' || res.statusCode !== 201 || res.getHeader('Idempotent-Replayed')) return;
  const body: unknown = req.body;
  const amount =
    body && typeof body === 'object' && 'amount' in body && typeof body.amount === 'number' ? body.amount : null;
  const currency =
    body && typeof body === 'object' && 'currency' in body && typeof body.currency === 'string'
      ? body.currency
      : 'unknown';
  metrics.creditMovements.inc({ type, currency });
  if (amount !== null) metrics.creditMovementAmount.inc({ type, currency }, amount);
}

export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const route = routeOf(req);
      end({ method: req.method, route, status: String(res.statusCode) });
      countMovement(metrics, req, res, route);
    });
    next();
  };
}

export function metricsRouter(metrics: Metrics): Router {
  const router = Router();
  router.get('/metrics', async (_req: Request, res: Response) => {
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
