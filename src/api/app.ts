/** Assembly of the HTTP API: middleware order, routers, error handling. No logic of its own. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';
import { auditRouter } from './audit/routes.js';
import { createAuthenticator } from './auth.js';
import { approvalsRouter } from './approvals/routes.js';
import { catalogRouter } from './catalog/routes.js';
import { creditRouter } from './credit/routes.js';
import { promoCodesRouter } from './promo-codes/routes.js';
import { purchaseAttemptsRouter } from './purchase-attempts/routes.js';
import { purchasesRouter } from './purchases/routes.js';
import { reconciliationRouter } from './reconciliation/routes.js';
import { eventsRouter } from './events/routes.js';
import type { ApiDeps } from './deps.js';
import { createErrorHandler, notFoundHandler } from './errors.js';
import { methodNotAllowedHandler } from './method-not-allowed.js';
import { buildOpenApiDocument } from './openapi.js';
import { httpMetrics, metricsRouter } from './ops/metrics.js';
import { opsRouter } from './ops/routes.js';
import { createMetrics } from '../metrics.js';
import { createPurchaseAdmission } from '../app/admission.js';
import { MONEY_MOVING_ROUTES, moneyRateLimiter } from './rate-limit.js';
import { requestIdMiddleware } from './request-id.js';
import { securityHeaders } from './security-headers.js';
import { sessionRouter } from './session/routes.js';
import { webhooksRouter } from './webhooks/routes.js';

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  app.use(requestIdMiddleware);
  app.use(securityHeaders());
  const metrics = deps.metrics ?? createMetrics();
  app.use(httpMetrics(metrics));
  // One admission control per API process (its sample is shared by the process's requests).
  const admission =
    deps.admission ??
    createPurchaseAdmission({
      config: deps.config,
      database: deps.database,
      temporal: deps.temporal,
      logger: deps.logger,
      onRefusal: (reason) => metrics.admissionRefusals.inc({ reason }),
    });
  app.use((req, res, next) => {
    // The access log is at info: at LOG_LEVEL=warn or above the request carries no listener,
    // no timer and no log object for a line nobody writes.
    if (!deps.logger.isLevelEnabled('info')) {
      next();
      return;
    }
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      deps.logger.info(
        {
          requestId: res.locals.requestId as string,
          method: req.method,
          // originalUrl: req.path is relative to the router that answered; the query is left out.
          path: req.originalUrl.split('?')[0],
          status: res.statusCode,
          durationMs: Number(process.hrtime.bigint() - started) / 1e6,
          actor: (res.locals.caller as { name?: string } | undefined)?.name,
        },
        'request',
      );
    });
    next();
  });

  // One OpenAPI document: served by the ops routes and read by the 405 handler.
  const document = buildOpenApiDocument();
  app.use(opsRouter(deps, document));
  app.use(metricsRouter(metrics));
  // Authentication first, then the rate limit, then the body: a caller without a valid token
  // gets 401 whatever it sent, and no unauthenticated body is ever parsed.
  const v1 = express.Router();
  v1.use(createAuthenticator(deps.config.tokens));
  v1.post([...MONEY_MOVING_ROUTES], moneyRateLimiter(deps.config.rateLimitMoneyPerMinute));
  v1.use(express.json({ limit: '32kb', strict: true, type: ['application/json', 'application/*+json'] }));
  v1.use(sessionRouter(deps));
  v1.use(creditRouter(deps));
  v1.use(auditRouter(deps));
  v1.use(catalogRouter(deps));
  v1.use(purchasesRouter({ ...deps, admission }));
  v1.use(purchaseAttemptsRouter(deps));
  v1.use(reconciliationRouter(deps));
  v1.use(promoCodesRouter(deps));
  v1.use(approvalsRouter(deps));
  v1.use(eventsRouter(deps));
  v1.use(webhooksRouter(deps));
  // A documented path with an undocumented method: 405 with Allow — for the public paths
  // (health, readiness, this document) at once, for the others after authentication.
  app.use(methodNotAllowedHandler(document, 'public'));
  v1.use(methodNotAllowedHandler(document));
  app.use('/v1', v1);

  // The internal app (web/dist): static assets, and index.html for its client-side routes.
  const webDir = deps.webDistDir;
  if (webDir && existsSync(path.join(webDir, 'index.html'))) {
    app.use(
      express.static(webDir, {
        index: 'index.html',
        maxAge: '1h',
        setHeaders: (res, file) => {
          if (file.endsWith('index.html')) res.setHeader('Cache-Control', 'no-cache');
        },
      }),
    );
    // Client-side routes of the app get index.html — only when a browser asks for HTML, so
    // API clients still get a 404 problem for unknown paths.
    app.get(/^\/(?!v1\/|docs|metrics).*/, (req, res, next) => {
      if (req.accepts(['json', 'html']) !== 'html') {
        next();
        return;
      }
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(path.join(webDir, 'index.html'));
    });
  }

  app.use(notFoundHandler);
  app.use(createErrorHandler(deps.logger));
  return app;
}
