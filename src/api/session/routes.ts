/** `GET /v1/me`: the caller's name and role, for the internal app's sign-in. */
import { Router, type Request, type Response } from 'express';
import type { Me } from '../../contracts/session.js';
import { callerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';

export function sessionRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/me', (req: Request, res: Response<Me>) => {
    const caller = callerOf(req);
    res.json({
      name: caller.name,
      role: caller.role,
      temporalUiUrl: deps.temporalUiUrl,
      temporalNamespace: deps.config.temporal.namespace,
      grantLimit: caller.role === 'support' ? deps.config.maxGrantAmount : null,
    });
  });
  return router;
}
