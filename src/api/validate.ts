/** Request parsing with zod: one call per part of the request, issues reported with their place. */
import type { Request } from 'express';
import type { z } from 'zod';
import { DomainError } from '../domain/errors.js';
import { zodIssues } from './errors.js';

function parsePart<T extends z.ZodType>(schema: T, value: unknown, part: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new DomainError('validation_failed', `The request ${part} does not match the API contract.`, {
      errors: zodIssues(result.error, part),
    });
  }
  return result.data;
}

export function parseBody<T extends z.ZodType>(req: Request, schema: T): z.infer<T> {
  if (!req.is('application/json') && req.body === undefined) {
    throw new DomainError('unsupported_media_type', 'Send the body as application/json.');
  }
  return parsePart(schema, req.body ?? {}, 'body');
}

/**
 * True when the request carries no body at all: no Transfer-Encoding, and no Content-Length or
 * a Content-Length of 0. Its Content-Type, if any, then describes nothing.
 */
function hasNoBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || length.trim() === '0');
}

/**
 * The body of an operation whose request body is optional (`required: false` in the document):
 * a request without a body is parsed as `{}`; a body that is there must be JSON, as for
 * `parseBody`.
 */
export function parseOptionalBody<T extends z.ZodType>(req: Request, schema: T): z.infer<T> {
  if (req.body === undefined && hasNoBody(req)) return parsePart(schema, {}, 'body');
  return parseBody(req, schema);
}

export function parseQuery<T extends z.ZodType>(req: Request, schema: T): z.infer<T> {
  return parsePart(schema, req.query, 'query');
}

export function parseParams<T extends z.ZodType>(req: Request, schema: T): z.infer<T> {
  return parsePart(schema, req.params, 'path');
}
