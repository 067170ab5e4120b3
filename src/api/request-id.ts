/** A request id per HTTP request: taken from `X-Request-Id` when sane, generated otherwise, echoed back. */
import type { NextFunction, Request, Response } from 'express';
import { newId } from '../domain/ids.js';

const SAFE = /^[A-Za-z0-9_\-.:]{1,128}$/;

export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.get('x-request-id');
  const id = incoming && SAFE.test(incoming) ? incoming : newId('req');
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
  next();
}

export function requestIdOf(req: Request): string {
  const id = (req.res?.locals as { requestId?: string } | undefined)?.requestId;
  return id ?? 'unknown';
}
