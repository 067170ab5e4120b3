/**
 * A webhook receiver for tests — not part of the platform's API (not in openapi.json). It
 * verifies each delivery's Standard Webhooks signature with the `standardwebhooks` library
 * (an implementation independent of the service's), answers as it is told, and records what
 * it got:
 *
 * - `POST /webhook-receiver/{name}`: a delivery. Verified against every secret configured for
 *   `name`; a delivery that no secret verifies is answered 401. Then, by the configured
 *   mode: `ok` (2xx), `fail` (answers `status`, default 500), `hang` (never answers; the
 *   sender's timeout ends it), `slow` (answers 2xx after `delayMs`). `times` limits a `fail`,
 *   `hang` or `slow` mode to the next N deliveries, then it is `ok` again.
 * - `PUT /__control/webhook-receiver/{name}`: the configuration `{ secrets, mode, status,
 *   delayMs, times }` (replaces the previous one; the record is kept).
 * - `GET /__control/webhook-receiver/{name}`: `{ data: [...] }`, every delivery in arrival order.
 * - `DELETE /__control/webhook-receiver/{name}`: forgets the configuration and the record.
 */
import express, { type Request, type Response } from 'express';
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';

export const ReceiverConfig = z.strictObject({
  secrets: z.array(z.string().startsWith('whsec_')).default([]),
  mode: z.enum(['ok', 'fail', 'hang', 'slow']).default('ok'),
  status: z.number().int().min(100).max(599).optional(),
  delayMs: z.number().int().min(0).max(600_000).optional(),
  times: z.number().int().min(1).optional(),
});
export type ReceiverConfig = z.infer<typeof ReceiverConfig>;

export interface ReceivedDelivery {
  readonly receivedAt: string;
  readonly webhookId: string | null;
  readonly webhookTimestamp: string | null;
  readonly webhookSignature: string | null;
  /** Indexes of the configured secrets whose signature verified (the library's `verify`). */
  readonly verifiedWith: number[];
  readonly verified: boolean;
  /** The library's error for the first secret, when none verified. */
  readonly verifyError: string | null;
  /** The parsed JSON body (null when it was not JSON). */
  readonly body: unknown;
  /** What the receiver answered (null: it hung). */
  readonly answered: number | null;
}

interface Slot {
  config: ReceiverConfig;
  remaining: number | null;
  received: ReceivedDelivery[];
}

export function webhookReceiver(signal: AbortSignal): { receiver: express.Router; control: express.Router } {
  const slots = new Map<string, Slot>();
  const slot = (name: string): Slot => {
    let s = slots.get(name);
    if (!s) {
      s = { config: ReceiverConfig.parse({}), remaining: null, received: [] };
      slots.set(name, s);
    }
    return s;
  };

  const receiver = express.Router();
  receiver.post('/:name', express.raw({ type: () => true, limit: '1mb' }), (req: Request, res: Response) => {
    const s = slot(String(req.params.name));
    const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    const headers = {
      'webhook-id': req.get('webhook-id') ?? '',
      'webhook-timestamp': req.get('webhook-timestamp') ?? '',
      'webhook-signature': req.get('webhook-signature') ?? '',
    };
    const verifiedWith: number[] = [];
    let verifyError: string | null = null;
    s.config.secrets.forEach((secret, index) => {
      try {
        new Webhook(secret).verify(raw, headers);
        verifiedWith.push(index);
      } catch (error) {
        verifyError ??= error instanceof Error ? error.message : String(error);
      }
    });
    let body: unknown = null;
    try {
      body = JSON.parse(raw);
    } catch {
      body = null;
    }
    const verified = verifiedWith.length > 0;
    let mode = s.config.mode;
    if (mode !== 'ok' && s.remaining !== null) {
      if (s.remaining <= 0) mode = 'ok';
      else s.remaining -= 1;
    }
    const answer = !verified ? 401 : mode === 'fail' ? (s.config.status ?? 500) : mode === 'hang' ? null : 200;
    s.received.push({
      receivedAt: new Date().toISOString(),
      webhookId: req.get('webhook-id') ?? null,
      webhookTimestamp: req.get('webhook-timestamp') ?? null,
      webhookSignature: req.get('webhook-signature') ?? null,
      verifiedWith,
      verified,
      verifyError: verified ? null : verifyError,
      body,
      answered: answer,
    });
    if (answer === null) {
      // Hang: hold the request until the sender gives up or the server stops.
      const end = (): void => {
        if (!res.headersSent) res.destroy();
      };
      signal.addEventListener('abort', end, { once: true });
      res.on('close', () => signal.removeEventListener('abort', end));
      return;
    }
    const send = (): void => {
      if (!res.writableEnded && !res.destroyed) res.status(answer).json({ received: true });
    };
    if (verified && mode === 'slow') {
      const timer = setTimeout(send, s.config.delayMs ?? 1000);
      signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    } else {
      send();
    }
  });

  const control = express.Router();
  control
    .route('/:name')
    .put(express.json(), (req: Request, res: Response) => {
      const parsed = ReceiverConfig.safeParse(req.body);
      if (!parsed.success) {
        res.status(400).json({ error: parsed.error.message });
        return;
      }
      const s = slot(String(req.params.name));
      s.config = parsed.data;
      s.remaining = parsed.data.times ?? null;
      res.status(204).end();
    })
    .get((req: Request, res: Response) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json({ data: slot(String(req.params.name)).received });
    })
    .delete((req: Request, res: Response) => {
      slots.delete(String(req.params.name));
      res.status(204).end();
    });
  return { receiver, control };
}
