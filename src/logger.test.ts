/** Secrets never reach a log line: bearer tokens and cookies are redacted wherever they sit. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, stream };
}

describe('logger redaction', () => {
  it('removes tokens from headers, configuration and error objects', () => {
    const { lines, stream } = capture();
    const logger = createLogger('info', 'test', stream);
    const secret = 'tok_live_0123456789abcdef';
    logger.info({ req: { headers: { authorization: `Bearer ${secret}`, cookie: `s=${secret}` } } }, 'request');
    logger.info({ headers: { authorization: `Bearer ${secret}` } }, 'outgoing');
    logger.info({ authorization: `Bearer ${secret}` }, 'bare');
    logger.info({ request: { headers: { authorization: `Bearer ${secret}` } } }, 'nested');
    logger.info({ config: { token: secret, tokens: [secret] }, API_TOKENS: `web:storefront:${secret}` }, 'config');
    logger.info({ token: secret }, 'token');
    expect(lines).toHaveLength(6);
    for (const line of lines) {
      expect(line).not.toContain(secret);
      expect(line).toContain('[redacted]');
    }
  });
});
