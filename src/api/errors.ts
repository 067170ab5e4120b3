/**
 * The one place that turns failures into HTTP answers: RFC 9457 problem details with a stable
 * `code`. Validation → 400 with the issues; a DomainError → its declared status; body-parser
 * errors → 400/413/415; anything else → 500 with a generic message and a log line.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { ZodError } from 'zod';
import {
  DomainError,
  ExtendedError,
  problemBody as domainProblemBody,
  type ErrorCode,
  type ProblemExtensions,
} from '../domain/errors.js';
import type { Problem } from '../contracts/common.js';
import type { Logger } from '../logger.js';

export function problemBody(
  code: ErrorCode,
  detail: string,
  extensions: ProblemExtensions = {},
  requestId?: string,
): Problem {
  return domainProblemBody(code, detail, extensions, requestId);
}

export function problemFromError(error: DomainError, requestId?: string): Problem {
  return problemBody(error.code, error.message, error.extensions, requestId);
}

export function sendProblem(res: Response, problem: Problem): void {
  res.status(problem.status).type('application/problem+json').json(problem);
}

export function zodIssues(error: ZodError, prefix = ''): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((p) => p.length > 0).join('.') || '(root)',
    message: issue.message,
  }));
}

function requestIdOf(res: Response): string | undefined {
  return (res.locals as { requestId?: string }).requestId;
}

interface HttpErrorLike {
  type?: string;
  status?: number;
  statusCode?: number;
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);
// gRPC status codes of an unreachable or overloaded Temporal: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED.
const GRPC_UNAVAILABLE = new Set([14, 4, 8]);

/** A database or Temporal connection failure (also when wrapped, e.g. by Drizzle). */
export function isUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  const e = error as { code?: unknown; name?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  if (e.name === 'ServiceError' || e.name === 'ConnectionError' || e.name === 'TransportError') {
    const grpc = (e.cause as { code?: unknown } | undefined)?.code;
    if (e.name !== 'ServiceError' || (typeof grpc === 'number' && GRPC_UNAVAILABLE.has(grpc))) return true;
  }
  return isUnavailable(e.cause, depth + 1);
}

export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  /** The problem an error maps to; `extensions` are added to it (e.g. a purchase's `attemptId`). */
  const problemOf = (
    error: unknown,
    req: Request,
    res: Response,
    requestId: string | undefined,
    extensions: ProblemExtensions,
  ): Problem => {
    if (error instanceof ExtendedError)
      return problemOf(error.cause, req, res, requestId, { ...extensions, ...error.extensions });
    if (error instanceof DomainError) {
      // A refusal that says when to come back (`overloaded`) carries it in the body and as Retry-After.
      const retryAfter = error.extensions.retryAfter;
      if (typeof retryAfter === 'number') res.set('Retry-After', String(retryAfter));
      return problemBody(error.code, error.message, { ...error.extensions, ...extensions }, requestId);
    }
    if (error instanceof ZodError)
      return problemBody(
        'validation_failed',
        'The request does not match the API contract.',
        { errors: zodIssues(error), ...extensions },
        requestId,
      );
    const httpError = (error ?? {}) as HttpErrorLike;
    if (httpError.type === 'entity.parse.failed')
      return problemBody('malformed_json', 'The request body could not be parsed as JSON.', extensions, requestId);
    if (httpError.type === 'entity.too.large')
      return problemBody('payload_too_large', 'The request body exceeds the size limit.', extensions, requestId);
    if (httpError.type === 'encoding.unsupported' || httpError.type === 'charset.unsupported') {
      return problemBody('unsupported_media_type', 'Unsupported body encoding.', extensions, requestId);
    }
    if (isUnavailable(error)) {
      logger.warn({ err: error, requestId, method: req.method, path: req.path }, 'dependency unavailable');
      res.set('Retry-After', '2');
      return problemBody(
        'service_unavailable',
        'The database or Temporal is not answering; nothing was changed. Retry later with the same Idempotency-Key.',
        extensions,
        requestId,
      );
    }
    logger.error({ err: error, requestId, method: req.method, path: req.path }, 'unhandled error');
    return problemBody(
      'internal_error',
      'Something went wrong on our side. The request id identifies it in our logs.',
      extensions,
      requestId,
    );
  };
  return (error: unknown, req: Request, res: Response, _next): void => {
    const requestId = requestIdOf(res);
    if (res.headersSent) {
      logger.error({ err: error, requestId }, 'error after headers were sent');
      return;
    }
    sendProblem(res, problemOf(error, req, res, requestId, {}));
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, problemBody('not_found', `No route ${req.method} ${req.path}.`, {}, requestIdOf(res)));
};
