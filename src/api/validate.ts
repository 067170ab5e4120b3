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

export function parseQuery<T extends z.ZodType>(req: Request, schema: T): z.infer<T> {
  return parsePart(schema, req.query, 'query');
}

export function parseParams<T extends z.ZodType>(req: Request, schema: T): z.infer<T> {
  return parsePart(schema, req.params, 'path');
}
