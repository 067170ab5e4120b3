/**
 * 405 for a path the OpenAPI document declares, asked with a method it does not declare
 * (RFC 9110 §15.5.6: with an `Allow` header). Built from the served document itself, so a new
 * route is covered the moment it is registered. Mounted after every router, before the 404.
 */
import type { RequestHandler } from 'express';
import { problemBody, sendProblem } from './errors.js';
import { pathMethods, type EnrichableDocument } from './openapi-enrich.js';

/** `scope: 'public'` answers only for paths that need no token (mounted before authentication). */
export function methodNotAllowedHandler(document: EnrichableDocument, scope: 'public' | 'all' = 'all'): RequestHandler {
  const table = pathMethods(document).filter((entry) => scope === 'all' || entry.public);
  return (req, res, next) => {
    // Inside a mounted router req.path is relative to the mount point.
    const fullPath = `${req.baseUrl}${req.path}`;
    const match = table.find((entry) => entry.pattern.test(fullPath));
    if (!match || match.methods.includes(req.method)) {
      next();
      return;
    }
    const allow = match.methods.join(', ');
    res.setHeader('Allow', allow);
    sendProblem(
      res,
      problemBody(
        'method_not_allowed',
        `${req.method} is not supported on ${match.template}; allowed: ${allow}.`,
        { allow: [...match.methods] },
        (res.locals as { requestId?: string }).requestId,
      ),
    );
  };
}
