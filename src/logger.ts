/** Structured JSON logs (pino). Secrets never reach a log line: the redact list removes them. */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Where a bearer token or cookie could appear in a logged object: request headers (as Node,
 * Express and fetch name them, one or two levels deep), configuration, and the token itself.
 */
export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'token',
  '*.token',
  'tokens',
  '*.tokens',
  'apiTokens',
  'API_TOKENS',
  '*.API_TOKENS',
  'apiKey',
  '*.apiKey',
  'TEMPORAL_API_KEY',
  '*.TEMPORAL_API_KEY',
];

/** `destination` (default stdout) lets tests read the lines. */
export function createLogger(level: string, name = 'purchase-ledger', destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * A start-up failure for stderr: the stack, then each `cause` below it (a driver's "Failed
 * query" says nothing without the TLS or connection error it wraps).
 */
export function describeFatal(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth += 1) {
    const text =
      current instanceof Error
        ? (current.stack ?? current.message)
        : typeof current === 'string'
          ? current
          : JSON.stringify(current);
    lines.push(depth === 0 ? text : `caused by: ${text}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.join('\n');
}
