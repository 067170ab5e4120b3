/** Liveness, readiness and the API description. */
import { Router, type Request, type Response } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { ApiDeps } from '../deps.js';
import type { OpenApiDocument } from '../openapi.js';
import type { ReadyResponse } from './openapi.js';

async function timed(check: () => Promise<void>): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
  const started = performance.now();
  try {
    await check();
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return {
      ok: false,
      latencyMs: Math.round(performance.now() - started),
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

/** `document` is the served OpenAPI document, built once by the app's assembly. */
export function opsRouter(deps: ApiDeps, document: OpenApiDocument): Router {
  const router = Router();

  router.get('/v1/health', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });

  router.get('/v1/ready', async (_req: Request, res: Response<ReadyResponse>) => {
    const [database, temporal] = await Promise.all([
      timed(() => deps.database.ping(2000)),
      timed(async () => {
        await deps.temporal.connection.withDeadline(Date.now() + 2000, () =>
          deps.temporal.workflowService.getSystemInfo({}),
        );
      }),
    ]);
    const ready = database.ok && temporal.ok;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { database, temporal } });
  });

  router.get('/v1/openapi.json', (_req: Request, res: Response) => {
    res.json(document);
  });
  router.use('/docs', swaggerUi.serve, swaggerUi.setup(document, { customSiteTitle: 'Purchase ledger API' }));
  return router;
}
