/** Assembly of the HTTP API: middleware order, routers, error handling. No logic of its own. */
import express, { type Express } from 'express';
import { createAuthenticator } from './auth.js';
import { creditRouter } from './credit/routes.js';
import type { ApiDeps } from './deps.js';
import { createErrorHandler, notFoundHandler } from './errors.js';
import { opsRouter } from './ops/routes.js';
import { requestIdMiddleware } from './request-id.js';

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  app.use(requestIdMiddleware);
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      deps.logger.info({
        requestId: res.locals.requestId as string,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        actor: (res.locals.caller as { name?: string } | undefined)?.name,
      }, 'request');
    });
    next();
  });
  app.use(express.json({ limit: '32kb', strict: true, type: ['application/json', 'application/*+json'] }));

  app.use(opsRouter(deps));
  const v1 = express.Router();
  v1.use(createAuthenticator(deps.config.tokens));
  v1.use(creditRouter(deps));
  app.use('/v1', v1);

  app.use(notFoundHandler);
  app.use(createErrorHandler(deps.logger));
  return app;
}
