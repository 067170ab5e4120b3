/**
 * The one place that talks HTTP to the purchase service: same-origin relative URLs, the
 * operator token from sessionStorage, RFC 9457 problems turned into `ApiError`, and every
 * response checked against its contract schema (so a drift between the API and the app
 * shows as a clear error instead of a half-rendered page).
 */
import type { z } from 'zod';
import { Problem } from '../../../src/contracts/index.js';

const TOKEN_KEY = 'purchase-ledger.operator-token';

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage disabled: the session simply does not survive a reload.
  }
}

export type ApiErrorKind = 'problem' | 'network' | 'unexpected_response';

export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  readonly problem: Problem | null;

  constructor(kind: ApiErrorKind, status: number, message: string, problem: Problem | null = null) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.status = status;
    this.problem = problem;
  }

  get code(): string | null {
    return this.problem?.code ?? null;
  }

  /**
   * Whether the server certainly did not perform the request, so a new attempt needs a new
   * Idempotency-Key: a 4xx problem other than "still in progress" or "slow down". After a
   * network error or a 5xx the outcome is unknown and the same key must be reused.
   */
  get isDefinitiveRefusal(): boolean {
    return (
      this.kind === 'problem' &&
      this.status >= 400 &&
      this.status < 500 &&
      this.code !== 'idempotency_key_in_use' &&
      this.status !== 429
    );
  }
}

type UnauthenticatedListener = () => void;
let onUnauthenticated: UnauthenticatedListener | null = null;

/** The session registers here to sign out when the API stops accepting the token. */
export function setUnauthenticatedListener(listener: UnauthenticatedListener | null): void {
  onUnauthenticated = listener;
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly query?: Readonly<Record<string, string | number | undefined | null>>;
  readonly body?: unknown;
  readonly idempotencyKey?: string;
  readonly signal?: AbortSignal;
  /** A token to try instead of the stored one (sign-in). */
  readonly token?: string;
}

export function buildUrl(path: string, query: RequestOptions['query'] = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

export async function apiRequest<S extends z.ZodType>(
  schema: S,
  path: string,
  options: RequestOptions = {},
): Promise<z.output<S>> {
  const token = options.token ?? storedToken();
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }

  let response: Response;
  try {
    response = await fetch(buildUrl(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body,
      signal: options.signal,
      cache: 'no-store',
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError('network', 0, 'The service could not be reached.');
  }

  const text = await response.text();
  let json: unknown = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }

  if (!response.ok) {
    const parsed = Problem.safeParse(json);
    const problem = parsed.success ? parsed.data : null;
    if (response.status === 401 && options.token === undefined) onUnauthenticated?.();
    throw new ApiError(
      'problem',
      response.status,
      problem?.detail ?? `The service answered ${response.status} ${response.statusText}.`,
      problem,
    );
  }

  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    console.error(`Unexpected response from ${path}`, parsed.error);
    throw new ApiError(
      'unexpected_response',
      response.status,
      `The service answered ${path} with data this app does not understand.`,
    );
  }
  return parsed.data;
}

/**
 * A file from the API (a CSV statement): same token and problem handling as `apiRequest`, the
 * body as a Blob and the file name from Content-Disposition.
 */
export async function apiDownload(
  path: string,
  query: RequestOptions['query'],
  accept: string,
): Promise<{ blob: Blob; fileName: string }> {
  const token = storedToken();
  const headers: Record<string, string> = { accept: `${accept}, application/problem+json` };
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(buildUrl(path, query), { headers, cache: 'no-store' });
  } catch {
    throw new ApiError('network', 0, 'The service could not be reached.');
  }
  if (!response.ok) {
    let json: unknown = null;
    try {
      json = await response.json();
    } catch {
      json = null;
    }
    const parsed = Problem.safeParse(json);
    const problem = parsed.success ? parsed.data : null;
    if (response.status === 401) onUnauthenticated?.();
    throw new ApiError(
      'problem',
      response.status,
      problem?.detail ?? `The service answered ${response.status} ${response.statusText}.`,
      problem,
    );
  }
  const fileName = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'download';
  return { blob: await response.blob(), fileName };
}
