/**
 * HTTP helpers: RFC 9457 problems, strong ETags and conditional GETs.
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Problem } from './schemas.js';

export const PROBLEM_TYPE_BASE = 'https://platform.example.com/problems/';

/** Customers and products: clients may reuse a response for 30 s, then revalidate. */
export const CACHE_REUSABLE = 'private, max-age=30';
/** Shipments: always revalidate (ETag and 304 still apply); a stale "no shipment" answer is dangerous. */
export const CACHE_REVALIDATE = 'private, no-cache';
/** Responses to writes. */
export const CACHE_NONE = 'no-store';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export interface IssueView {
  path: string;
  message: string;
}

/** An error that maps to one problem response; thrown by handlers, answered by the error handler. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly extensions: { errors?: IssueView[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
  }

  toProblem(): Problem {
    return {
      type: `${PROBLEM_TYPE_BASE}${this.code}`,
      title: TITLES[this.status] ?? (this.status >= 500 ? 'Server Error' : 'Client Error'),
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...(this.extensions.errors && { errors: this.extensions.errors }),
    };
  }
}

export function sendProblem(res: Response, error: ProblemError): void {
  for (const [name, value] of Object.entries(error.extensions.headers ?? {})) res.setHeader(name, value);
  res.status(error.status).setHeader('Cache-Control', CACHE_NONE);
  res.type('application/problem+json').send(JSON.stringify(error.toProblem()));
}

export function issuesOf(error: z.ZodError): IssueView[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** Strong ETag: a hash of the exact bytes of the body. */
export function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
}

/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2): `W/` prefixes are ignored. */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const strip = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag);
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || strip(t) === strip(etag));
}

/** If-Match uses the strong comparison (RFC 9110 §13.1.1). */
export function ifMatchMatches(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || (!t.startsWith('W/') && t === etag));
}

/**
 * Sends a JSON body with its ETag. On a GET or HEAD whose If-None-Match matches, answers 304
 * with the validators and no body.
 */
export function sendJson(
  req: Request,
  res: Response,
  body: unknown,
  options: { status?: number; cacheControl: string; headers?: Record<string, string> },
): void {
  const json = JSON.stringify(body);
  const etag = etagOf(json);
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', options.cacheControl);
  for (const [name, value] of Object.entries(options.headers ?? {})) res.setHeader(name, value);
  const conditional = req.method === 'GET' || req.method === 'HEAD';
  if (conditional && ifNoneMatchMatches(req.get('If-None-Match'), etag)) {
    res.status(304).end();
    return;
  }
  res
    .status(options.status ?? 200)
    .type('application/json')
    .send(json);
}

/** The current representation's ETag, for `If-Match` on writes. */
export function etagOfValue(value: unknown): string {
  return etagOf(JSON.stringify(value));
}
