/** Sends a use case's answer (`src/app`): status, body, and the headers it asks for. */
import type { Response } from 'express';
import type { Answer } from '../app/idempotent.js';

/** `Idempotent-Replayed: true` when the answer is an earlier request's; `Location`, `Retry-After` when set. */
export function sendAnswer(res: Response, answer: Answer): void {
  if (answer.replayed) res.set('Idempotent-Replayed', 'true');
  if (answer.location) res.set('Location', answer.location);
  if (answer.retryAfter !== undefined) res.set('Retry-After', String(answer.retryAfter));
  res.status(answer.status);
  if (answer.status >= 400) res.type('application/problem+json');
  res.json(answer.body);
}
