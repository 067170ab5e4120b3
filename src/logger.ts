/** Structured JSON logs (pino). Secrets never reach a log line: the redact list removes them. */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string, name = 'purchase-ledger'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'token', '*.token', 'apiTokens'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
